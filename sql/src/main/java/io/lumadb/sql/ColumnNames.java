package io.lumadb.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlDataTypeSpec;
import org.apache.calcite.sql.SqlFunction;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOrderBy;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.SqlWith;

/**
 * The names PostgreSQL gives to the columns of a query that the query does not name: a function
 * or aggregate is named after it ({@code count}, {@code sum}, {@code upper}), a cast after its
 * type ({@code int4}, {@code numeric}), a {@code CASE} {@code case}, and anything else {@code
 * ?column?}. Calcite calls them {@code EXPR$0}, {@code EXPR$1}...; clients written for PostgreSQL
 * (and people) read them by PostgreSQL's names.
 */
final class ColumnNames {

    private ColumnNames() {}

    /**
     * PostgreSQL's name for each column of the statement's top query, or null where Calcite's
     * name stands (an alias, a column, or a position that cannot be told, such as after a {@code
     * *}); empty if the statement is not a query the names can be told for.
     */
    static List<String> of(String sql) {
        SqlNode node;
        try {
            node = SqlWrites.parse(sql);
        } catch (Exception e) {
            return List.of();
        }
        SqlSelect select = top(node);
        if (select == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (SqlNode item : select.getSelectList()) {
            if (item instanceof SqlIdentifier id && id.isStar()) {
                return names; // the positions after a star are not the select list's
            }
            names.add(name(item));
        }
        return names;
    }

    /** {@code label} as PostgreSQL would name column {@code index}: Calcite's {@code EXPR$n} renamed. */
    static String label(String label, int index, List<String> names) {
        if (index < names.size() && names.get(index) != null && label.startsWith("EXPR$")) {
            return names.get(index);
        }
        return label;
    }

    private static SqlSelect top(SqlNode node) {
        return switch (node) {
            case SqlSelect s -> s;
            case SqlOrderBy o -> top(o.query);
            case SqlWith w -> top(w.body);
            case SqlBasicCall c
            when c.getKind() == SqlKind.UNION || c.getKind() == SqlKind.INTERSECT || c.getKind() == SqlKind.EXCEPT ->
                top(c.operand(0));
            case null, default -> null;
        };
    }

    private static String name(SqlNode item) {
        if (item instanceof SqlIdentifier || item.getKind() == SqlKind.AS) {
            return null;
        }
        if (item instanceof SqlCall call) {
            if (call.getKind() == SqlKind.CAST
                    && call.operandCount() == 2
                    && call.operand(1) instanceof SqlDataTypeSpec t) {
                return typeName(t.getTypeName().getSimple());
            }
            if (call.getKind() == SqlKind.CASE) {
                return "case";
            }
            if (call.getOperator() instanceof SqlFunction f) {
                return f.getName().toLowerCase(Locale.ROOT);
            }
        }
        return "?column?";
    }

    /** PostgreSQL's internal name of a SQL type, as it names a cast's column. */
    private static String typeName(String sqlType) {
        return switch (sqlType.toUpperCase(Locale.ROOT)) {
            case "INTEGER", "INT" -> "int4";
            case "BIGINT" -> "int8";
            case "SMALLINT" -> "int2";
            case "DOUBLE", "FLOAT" -> "float8";
            case "REAL" -> "float4";
            case "DECIMAL", "NUMERIC" -> "numeric";
            case "BOOLEAN" -> "bool";
            case "CHAR" -> "bpchar";
            default -> sqlType.toLowerCase(Locale.ROOT);
        };
    }
}

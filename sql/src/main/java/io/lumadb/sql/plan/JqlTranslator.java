package io.lumadb.sql.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.sql.schema.Column;
import io.lumadb.sql.schema.ColumnType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.NlsString;

/**
 * Turns one SQL condition over a collection's columns into a JQL condition, or says it cannot.
 *
 * <p>A translation is <em>exact</em> when the JQL condition matches exactly the rows the SQL
 * condition is true for; then the SQL condition is dropped and the shards alone evaluate it. It
 * is exact only on strict columns ({@code _id}, {@code _version}): on a field whose documents
 * may hold any JSON type, JQL also matches an array holding the value and a value SQL reads as
 * {@code NULL}, so the translation is a superset of the SQL answer. It is still pushed (its index
 * narrows what the shards read) and Calcite keeps the SQL condition above it.
 */
final class JqlTranslator {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * A JQL condition tree and whether it is exact.
     *
     * @param tree in {@link ScanSpec}'s leaf form
     */
    record Translation(JsonNode tree, boolean exact) {}

    private final List<Column> columns;
    private final RexBuilder rex;

    JqlTranslator(List<Column> columns, RexBuilder rex) {
        this.columns = columns;
        this.rex = rex;
    }

    /** The translation of {@code condition}, or null when JQL cannot express it. */
    Translation translate(RexNode condition) {
        RexNode node = condition.getKind() == SqlKind.SEARCH ? RexUtil.expandSearch(rex, null, condition) : condition;
        return switch (node.getKind()) {
            case AND, OR -> junction(node);
            case EQUALS, NOT_EQUALS, LESS_THAN, LESS_THAN_OR_EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL ->
                comparison((RexCall) node);
            case IS_NULL, IS_NOT_NULL -> nullTest((RexCall) node);
            case LIKE -> like((RexCall) node);
            case INPUT_REF -> booleanColumn(node, true);
            case NOT -> {
                RexNode operand = ((RexCall) node).getOperands().getFirst();
                yield operand.getKind() == SqlKind.INPUT_REF ? booleanColumn(operand, false) : null;
            }
            default -> null;
        };
    }

    private Translation junction(RexNode node) {
        RexCall call = (RexCall) node;
        String op = node.getKind() == SqlKind.AND ? "$and" : "$or";
        ArrayNode parts = NODES.arrayNode();
        boolean exact = true;
        // An OR of exact comparisons on one field becomes one $in (an IN list arrives as an OR).
        List<Translation> translated = new ArrayList<>();
        for (RexNode operand : call.getOperands()) {
            Translation t = translate(operand);
            if (t == null) {
                return null;
            }
            translated.add(t);
            exact &= t.exact();
        }
        if (op.equals("$or")) {
            JsonNode in = asIn(translated);
            if (in != null) {
                return new Translation(in, exact);
            }
        }
        translated.forEach(t -> parts.add(t.tree()));
        ObjectNode out = NODES.objectNode();
        out.set(op, parts);
        return new Translation(out, exact);
    }

    /** {@code a = x OR a = y OR ...} as one {@code $in} leaf, or null if it is not that shape. */
    private static JsonNode asIn(List<Translation> alternatives) {
        String field = null;
        ArrayNode values = NODES.arrayNode();
        for (Translation t : alternatives) {
            JsonNode leaf = t.tree().get("$sql");
            if (leaf == null || !leaf.get("op").asText().equals("$eq")) {
                return null;
            }
            String f = leaf.get("field").asText();
            if (field != null && !field.equals(f)) {
                return null;
            }
            field = f;
            ObjectNode v = NODES.objectNode();
            if (leaf.has("param")) {
                v.set("param", leaf.get("param"));
            } else {
                v.set("value", leaf.get("value"));
            }
            values.add(v);
        }
        ObjectNode leaf = NODES.objectNode();
        leaf.putObject("$sql").put("field", field).put("op", "$in").set("values", values);
        return leaf;
    }

    private Translation comparison(RexCall call) {
        RexNode left = call.getOperands().get(0);
        RexNode right = call.getOperands().get(1);
        SqlKind kind = call.getKind();
        Column column = column(left);
        RexNode other = right;
        if (column == null) {
            column = column(right);
            other = left;
            kind = kind.reverse();
        }
        if (column == null) {
            return null;
        }
        ObjectNode leaf = NODES.objectNode();
        ObjectNode body = leaf.putObject("$sql").put("field", column.name()).put("op", jqlOperator(kind));
        if (!setOperand(body, other, column)) {
            return null;
        }
        return new Translation(leaf, column.strict());
    }

    private static String jqlOperator(SqlKind kind) {
        return switch (kind) {
            case EQUALS -> "$eq";
            case NOT_EQUALS -> "$ne";
            case LESS_THAN -> "$lt";
            case LESS_THAN_OR_EQUAL -> "$lte";
            case GREATER_THAN -> "$gt";
            case GREATER_THAN_OR_EQUAL -> "$gte";
            default -> throw new IllegalArgumentException("not a comparison: " + kind);
        };
    }

    /** Sets {@code value} or {@code param} of a leaf; false if {@code operand} is neither a usable literal nor a parameter. */
    private static boolean setOperand(ObjectNode leaf, RexNode operand, Column column) {
        RexNode bare = stripCast(operand);
        if (bare instanceof RexDynamicParam p) {
            leaf.put("param", p.getIndex());
            return true;
        }
        if (bare instanceof RexLiteral literal) {
            JsonNode v = literal(literal, column.type());
            if (v == null) {
                return false;
            }
            leaf.set("value", v);
            return true;
        }
        return false;
    }

    /** A literal as JSON of the column's type family, or null if JQL would compare it differently. */
    private static JsonNode literal(RexLiteral literal, ColumnType type) {
        if (literal.isNull()) {
            return NODES.nullNode();
        }
        SqlTypeFamily family = literal.getType().getSqlTypeName().getFamily();
        return switch (type) {
            case BIGINT, DOUBLE -> {
                if (family != SqlTypeFamily.NUMERIC) {
                    yield null;
                }
                BigDecimal d = literal.getValueAs(BigDecimal.class);
                yield d == null ? null : ScanSpec.numeric(d);
            }
            case VARCHAR -> {
                if (family != SqlTypeFamily.CHARACTER) {
                    yield null;
                }
                NlsString s = literal.getValueAs(NlsString.class);
                yield s == null ? null : NODES.textNode(s.getValue());
            }
            case BOOLEAN ->
                literal.getType().getSqlTypeName() == SqlTypeName.BOOLEAN
                        ? NODES.booleanNode(Boolean.TRUE.equals(literal.getValueAs(Boolean.class)))
                        : null;
            case JSON -> null;
        };
    }

    private Translation nullTest(RexCall call) {
        Column column = column(call.getOperands().getFirst());
        // On a loose field SQL's NULL also covers values of another type, which JQL's null does not.
        if (column == null || (call.getKind() == SqlKind.IS_NULL && !column.strict())) {
            return null;
        }
        ObjectNode leaf = NODES.objectNode();
        leaf.putObject("$sql")
                .put("field", column.name())
                .put("op", call.getKind() == SqlKind.IS_NULL ? "isNull" : "notNull");
        return new Translation(leaf, column.strict());
    }

    /** {@code a LIKE 'prefix%'} (no other wildcard, no escape) as {@code $startsWith}. */
    private Translation like(RexCall call) {
        if (call.getOperands().size() != 2) {
            return null;
        }
        Column column = column(call.getOperands().get(0));
        RexNode pattern = stripCast(call.getOperands().get(1));
        if (column == null
                || column.type() != ColumnType.VARCHAR
                || !(pattern instanceof RexLiteral literal)
                || literal.isNull()) {
            return null;
        }
        String p = literal.getValueAs(NlsString.class).getValue();
        if (!p.endsWith("%") || p.length() < 2) {
            return null;
        }
        String prefix = p.substring(0, p.length() - 1);
        if (prefix.contains("%") || prefix.contains("_") || prefix.contains("\\")) {
            return null;
        }
        ObjectNode leaf = NODES.objectNode();
        leaf.putObject("$sql")
                .put("field", column.name())
                .put("op", "$startsWith")
                .put("value", prefix);
        return new Translation(leaf, column.strict());
    }

    private Translation booleanColumn(RexNode ref, boolean value) {
        Column column = column(ref);
        if (column == null || column.type() != ColumnType.BOOLEAN) {
            return null;
        }
        ObjectNode leaf = NODES.objectNode();
        leaf.putObject("$sql").put("field", column.name()).put("op", "$eq").put("value", value);
        return new Translation(leaf, column.strict());
    }

    /** The pushable column {@code node} reads (through a widening numeric cast), or null. */
    private Column column(RexNode node) {
        RexNode bare = node;
        if (bare.getKind() == SqlKind.CAST) {
            RexNode inner = ((RexCall) bare).getOperands().getFirst();
            SqlTypeName to = bare.getType().getSqlTypeName();
            SqlTypeName from = inner.getType().getSqlTypeName();
            boolean widening = from.getFamily() == SqlTypeFamily.NUMERIC
                    && (to == from || to == SqlTypeName.DOUBLE || to == SqlTypeName.DECIMAL);
            if (!widening) {
                return null;
            }
            bare = inner;
        }
        if (!(bare instanceof RexInputRef ref)) {
            return null;
        }
        Column column = columns.get(ref.getIndex());
        return column.pushable() ? column : null;
    }

    /** A parameter under casts (its value is bound as given); anything else as it is. */
    private static RexNode stripCast(RexNode node) {
        RexNode bare = node;
        while (bare.getKind() == SqlKind.CAST) {
            bare = ((RexCall) bare).getOperands().getFirst();
        }
        return bare instanceof RexDynamicParam ? bare : node;
    }
}

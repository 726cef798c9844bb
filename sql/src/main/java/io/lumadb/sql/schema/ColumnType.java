package io.lumadb.sql.schema;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * The SQL type of a column over a JSON field, and how a field's value reads as that type. A value
 * that does not fit the column's type (a string in a {@code BIGINT} column, an array anywhere but
 * a {@code JSON} column, a fraction in a {@code BIGINT} column) reads as SQL {@code NULL}: a
 * collection without a declared schema may hold anything, and a query must not fail on one odd
 * document.
 */
public enum ColumnType {
    BOOLEAN(SqlTypeName.BOOLEAN),
    BIGINT(SqlTypeName.BIGINT),
    DOUBLE(SqlTypeName.DOUBLE),
    VARCHAR(SqlTypeName.VARCHAR),
    /** An object or array, as its JSON text (a {@code VARCHAR} for SQL and its JSON functions). */
    JSON(SqlTypeName.VARCHAR);

    private final SqlTypeName sqlType;

    ColumnType(SqlTypeName sqlType) {
        this.sqlType = sqlType;
    }

    public SqlTypeName sqlType() {
        return sqlType;
    }

    public RelDataType relType(RelDataTypeFactory types, boolean nullable) {
        return types.createTypeWithNullability(types.createSqlType(sqlType), nullable);
    }

    /** The type a single JSON value suggests, or null for JSON {@code null}. */
    public static ColumnType of(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        if (value.isBoolean()) {
            return BOOLEAN;
        }
        if (value.isIntegralNumber()) {
            return value.canConvertToLong() ? BIGINT : DOUBLE;
        }
        if (value.isNumber()) {
            return DOUBLE;
        }
        if (value.isTextual()) {
            return VARCHAR;
        }
        return JSON;
    }

    /**
     * {@code value} as this column reads it: a {@link Boolean}, {@link Long}, {@link Double} or
     * {@link String}, or null when the value is missing, null or does not fit.
     */
    public Object read(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        return switch (this) {
            case BOOLEAN -> value.isBoolean() ? value.booleanValue() : null;
            case BIGINT -> {
                if (value.isIntegralNumber()) {
                    yield value.canConvertToLong() ? value.longValue() : null;
                }
                if (value.isNumber()) {
                    double d = value.doubleValue();
                    yield d == Math.rint(d) && Math.abs(d) < 0x1p63 ? (long) d : null;
                }
                yield null;
            }
            case DOUBLE -> value.isNumber() ? value.doubleValue() : null;
            case VARCHAR -> value.isTextual() ? value.textValue() : null;
            case JSON -> value.isContainerNode() ? value.toString() : null;
        };
    }
}

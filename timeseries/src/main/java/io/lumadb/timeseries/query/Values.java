package io.lumadb.timeseries.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.SeriesKey;
import java.math.BigDecimal;
import java.math.BigInteger;

/** Comparisons of field values with filter operands, and field values as JSON. */
final class Values {
    /** What {@link #compare} returns for values that have no order between them. */
    static final int INCOMPARABLE = Integer.MIN_VALUE;

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private Values() {}

    /**
     * Whether a value equals an operand: integers by exact numeric value, floats against the double
     * nearest the operand, strings and booleans by equality.
     */
    static boolean same(FieldValue v, Object operand) {
        return switch (operand) {
            case BigDecimal d -> v.type().numeric() && compareNumber(v, d) == 0;
            case String s ->
                v instanceof FieldValue.StringValue sv && sv.value().equals(s);
            case Boolean b -> v instanceof FieldValue.BooleanValue bv && bv.value() == b;
            default -> false;
        };
    }

    /** The order of a value and an operand (numbers with numbers, strings with strings), else {@link #INCOMPARABLE}. */
    static int compare(FieldValue v, Object operand) {
        if (operand instanceof BigDecimal d && v.type().numeric()) {
            return compareNumber(v, d);
        }
        if (operand instanceof String s && v instanceof FieldValue.StringValue sv) {
            return Integer.signum(SeriesKey.compareCodePoints(sv.value(), s));
        }
        return INCOMPARABLE;
    }

    private static int compareNumber(FieldValue v, BigDecimal d) {
        return switch (v) {
            case FieldValue.FloatValue f -> {
                // A float compares with the double nearest the operand, as the user wrote it:
                // a field holding 0.1 equals the operand 0.1.
                double x = f.value();
                double o = d.doubleValue();
                yield Double.isNaN(x) ? INCOMPARABLE : x < o ? -1 : x > o ? 1 : 0;
            }
            case FieldValue.IntegerValue i -> BigDecimal.valueOf(i.value()).compareTo(d);
            case FieldValue.UnsignedValue u -> new BigDecimal(unsigned(u.value())).compareTo(d);
            default -> INCOMPARABLE;
        };
    }

    static BigInteger unsigned(long bits) {
        BigInteger b = BigInteger.valueOf(bits);
        return bits >= 0 ? b : b.add(TWO_64);
    }

    /**
     * A numeric value as a double (what the aggregates compute with): integers and unsigned integers
     * are exact up to 2^53 and round to the nearest double beyond.
     */
    static double number(FieldValue v) {
        return io.lumadb.timeseries.store.RollupCell.number(v);
    }

    /** Whether a value counts as absent for aggregates: a NaN. */
    static boolean isNaN(FieldValue v) {
        return v instanceof FieldValue.FloatValue f && Double.isNaN(f.value());
    }

    /** A field value as JSON: typed, with null for NaN and infinities (JSON has no such numbers). */
    static JsonNode json(FieldValue v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (v) {
            case FieldValue.FloatValue d -> number(d.value());
            case FieldValue.IntegerValue i -> f.numberNode(i.value());
            case FieldValue.UnsignedValue u ->
                u.value() >= 0 ? f.numberNode(u.value()) : f.numberNode(unsigned(u.value()));
            case FieldValue.BooleanValue b -> f.booleanNode(b.value());
            case FieldValue.StringValue s -> f.textNode(s.value());
        };
    }

    /** A double as JSON, null when it is NaN or infinite. */
    static JsonNode number(double d) {
        return Double.isFinite(d) ? JsonNodeFactory.instance.numberNode(d) : JsonNodeFactory.instance.nullNode();
    }

    /** A filter operand as JSON. */
    static JsonNode operandJson(Object operand) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (operand) {
            case BigDecimal d -> f.numberNode(d);
            case String s -> f.textNode(s);
            case Boolean b -> f.booleanNode(b);
            default -> throw new IllegalArgumentException("not an operand: " + operand);
        };
    }
}

package io.lumadb.timeseries;

/**
 * One decoded field column of a {@link TimeBlock}: for each row of the block, whether the row
 * carries the field and its value. Indexed by row, like {@link TimeBlock#timestamps()}.
 */
public final class Column {
    private final String name;
    private final FieldType type;
    private final boolean[] present; // null when every row carries the field
    /** By row: a float's IEEE 754 bits, an integer, an unsigned integer's bits, 1 or 0 for a boolean. */
    private final long[] bits;

    private final String[] strings;

    Column(String name, FieldType type, boolean[] present, long[] bits, String[] strings) {
        this.name = name;
        this.type = type;
        this.present = present;
        this.bits = bits;
        this.strings = strings;
    }

    // The arrays as they are, indexed by row (a row that does not carry the field holds any value):
    // for the block builder and the encoder, which read them without a call per row.

    boolean[] presence() {
        return present;
    }

    /** The values of every type but STRING, as {@link FieldMap} keeps them; null for a string column. */
    long[] bits() {
        return bits;
    }

    String[] strings() {
        return strings;
    }

    /** Rows {@code from..to} of this column, or null when none of them carries the field. */
    Column slice(int from, int to) {
        boolean[] p = null;
        if (present != null) {
            p = java.util.Arrays.copyOfRange(present, from, to);
            int carried = 0;
            for (boolean b : p) {
                carried += b ? 1 : 0;
            }
            if (carried == 0) {
                return null;
            }
            if (carried == to - from) {
                p = null;
            }
        }
        return new Column(
                name,
                type,
                p,
                bits == null ? null : java.util.Arrays.copyOfRange(bits, from, to),
                strings == null ? null : java.util.Arrays.copyOfRange(strings, from, to));
    }

    public String name() {
        return name;
    }

    public FieldType type() {
        return type;
    }

    /** Whether row {@code row} carries this field. */
    public boolean present(int row) {
        return present == null || present[row];
    }

    /** The FLOAT value of a present row. */
    public double doubleAt(int row) {
        require(FieldType.FLOAT);
        return Double.longBitsToDouble(bits[row]);
    }

    /** The INTEGER or UNSIGNED value (its bits) of a present row. */
    public long longAt(int row) {
        if (type != FieldType.INTEGER && type != FieldType.UNSIGNED) {
            throw new IllegalStateException("field '" + name + "' is " + type + ", not an integer");
        }
        return bits[row];
    }

    /**
     * The bits of a present row's value as a {@link FieldMap} keeps them: a float's IEEE 754 bits,
     * an integer, an unsigned integer's bits, 1 or 0 for a boolean.
     */
    public long bitsAt(int row) {
        if (type == FieldType.STRING) {
            throw new IllegalStateException("field '" + name + "' is a string");
        }
        return bits[row];
    }

    /** A numeric value as a double (UNSIGNED read as unsigned); exact for integers up to 2^53. */
    public double numberAt(int row) {
        return switch (type) {
            case FLOAT -> Double.longBitsToDouble(bits[row]);
            case INTEGER -> bits[row];
            case UNSIGNED -> unsignedToDouble(bits[row]);
            default -> throw new IllegalStateException("field '" + name + "' is " + type + ", not a number");
        };
    }

    public boolean booleanAt(int row) {
        require(FieldType.BOOLEAN);
        return bits[row] != 0;
    }

    public String stringAt(int row) {
        require(FieldType.STRING);
        return strings[row];
    }

    /** The value of row {@code row}, or null when the row does not carry the field. */
    public FieldValue valueAt(int row) {
        if (!present(row)) {
            return null;
        }
        return switch (type) {
            case FLOAT -> new FieldValue.FloatValue(Double.longBitsToDouble(bits[row]));
            case INTEGER -> new FieldValue.IntegerValue(bits[row]);
            case UNSIGNED -> new FieldValue.UnsignedValue(bits[row]);
            case BOOLEAN -> new FieldValue.BooleanValue(bits[row] != 0);
            case STRING -> new FieldValue.StringValue(strings[row]);
        };
    }

    static double unsignedToDouble(long v) {
        // Halve keeping the low bit sticky, so the one rounding to double is still correct.
        return v >= 0 ? (double) v : (double) ((v >>> 1) | (v & 1)) * 2.0;
    }

    private void require(FieldType t) {
        if (type != t) {
            throw new IllegalStateException("field '" + name + "' is " + type + ", not " + t);
        }
    }
}

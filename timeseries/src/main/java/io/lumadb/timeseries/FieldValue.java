package io.lumadb.timeseries;

/**
 * One field value of a point: a float, a signed or unsigned integer, a boolean or a string.
 * Equality is exact: two floats are equal when their bits are ({@code NaN} equals {@code NaN},
 * {@code -0.0} differs from {@code 0.0}), which is what a storage round trip must preserve.
 */
public sealed interface FieldValue {

    /** The type of this value. */
    FieldType type();

    /** A 64-bit float. */
    record FloatValue(double value) implements FieldValue {
        @Override
        public FieldType type() {
            return FieldType.FLOAT;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FloatValue f
                    && Double.doubleToRawLongBits(f.value) == Double.doubleToRawLongBits(value);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(Double.doubleToRawLongBits(value));
        }
    }

    /** A signed 64-bit integer. */
    record IntegerValue(long value) implements FieldValue {
        @Override
        public FieldType type() {
            return FieldType.INTEGER;
        }
    }

    /** An unsigned 64-bit integer held in the bits of a {@code long} (see {@link Long#toUnsignedString}). */
    record UnsignedValue(long value) implements FieldValue {
        @Override
        public FieldType type() {
            return FieldType.UNSIGNED;
        }

        @Override
        public String toString() {
            return "UnsignedValue[value=" + Long.toUnsignedString(value) + "]";
        }
    }

    /** A boolean. */
    record BooleanValue(boolean value) implements FieldValue {
        @Override
        public FieldType type() {
            return FieldType.BOOLEAN;
        }
    }

    /** A string. */
    record StringValue(String value) implements FieldValue {
        public StringValue {
            if (value == null) {
                throw new IllegalArgumentException("value must not be null");
            }
        }

        @Override
        public FieldType type() {
            return FieldType.STRING;
        }
    }

    static FieldValue of(double v) {
        return new FloatValue(v);
    }

    static FieldValue ofInteger(long v) {
        return new IntegerValue(v);
    }

    static FieldValue ofUnsigned(long v) {
        return new UnsignedValue(v);
    }

    static FieldValue of(boolean v) {
        return new BooleanValue(v);
    }

    static FieldValue of(String v) {
        return new StringValue(v);
    }
}

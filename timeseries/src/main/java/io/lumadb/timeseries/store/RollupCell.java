package io.lumadb.timeseries.store;

import io.lumadb.timeseries.FieldValue;
import java.math.BigInteger;

/**
 * The rolled-up state of one field of one series in one downsampling window: what count, sum,
 * mean, min, max, first and last are computed from. {@code count} counts values of every type
 * (a float NaN counts as absent); {@code n}, {@code sum}, {@code min} and {@code max} cover the
 * numeric ones as doubles; {@code first} and {@code last} are null when the rule keeps neither.
 */
public record RollupCell(
        long count,
        long n,
        double sum,
        double min,
        double max,
        long firstTime,
        FieldValue first,
        long lastTime,
        FieldValue last) {

    /** Accumulates the values of one field, in any time order. */
    public static final class Builder {
        private final boolean firstLast;
        private long count;
        private long n;
        private double sum;
        private double min = Double.POSITIVE_INFINITY;
        private double max = Double.NEGATIVE_INFINITY;
        private long firstTime;
        private FieldValue first;
        private long lastTime;
        private FieldValue last;

        public Builder(boolean firstLast) {
            this.firstLast = firstLast;
        }

        /** Adds the value at {@code time}; a NaN is left out. */
        public Builder add(long time, FieldValue v) {
            if (v instanceof FieldValue.FloatValue f && Double.isNaN(f.value())) {
                return this;
            }
            count++;
            if (v.type().numeric()) {
                double d = number(v);
                n++;
                sum += d;
                min = Math.min(min, d);
                max = Math.max(max, d);
            }
            if (firstLast) {
                if (first == null || time < firstTime) {
                    firstTime = time;
                    first = v;
                }
                if (last == null || time > lastTime) {
                    lastTime = time;
                    last = v;
                }
            }
            return this;
        }

        public boolean isEmpty() {
            return count == 0;
        }

        public RollupCell build() {
            return new RollupCell(count, n, sum, min, max, firstTime, first, lastTime, last);
        }
    }

    /**
     * A numeric value as a double: integers and unsigned integers are exact up to 2^53 and round to
     * the nearest double beyond.
     */
    public static double number(FieldValue v) {
        return switch (v) {
            case FieldValue.FloatValue f -> f.value();
            case FieldValue.IntegerValue i -> i.value();
            case FieldValue.UnsignedValue u ->
                u.value() >= 0
                        ? u.value()
                        : BigInteger.valueOf(u.value())
                                .add(BigInteger.ONE.shiftLeft(64))
                                .doubleValue();
            default -> throw new IllegalArgumentException(v + " is not a number");
        };
    }
}

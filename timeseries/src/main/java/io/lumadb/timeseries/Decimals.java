package io.lumadb.timeseries;

/**
 * Floats that are exactly an integer over a power of ten ({@code 58.1} is 581 / 10^1), which
 * sealed blocks and point batches store as the integer: {@link #value} of {@link #digits} gives
 * back a float's exact bits whenever {@link #is} says so, because both compute the same division
 * (an exact integer over an exact power of ten, rounded once).
 */
public final class Decimals {

    /** The largest exponent: 10^15 is the largest power of ten below 2^53, so exact as a double. */
    public static final int MAX_EXPONENT = 15;

    private static final double[] POW10 = new double[MAX_EXPONENT + 1];

    static {
        double p = 1;
        for (int i = 0; i <= MAX_EXPONENT; i++) {
            POW10[i] = p;
            p *= 10;
        }
    }

    private Decimals() {}

    /** Whether {@code v} is exactly {@code value(digits(v, e), e)} with {@code |digits| < 2^53}. */
    public static boolean is(double v, int e) {
        double scaled = v * POW10[e];
        if (!(Math.abs(scaled) < 0x1p53)) {
            return false; // NaN, an infinity, or too many digits
        }
        return Double.doubleToRawLongBits(value(Math.round(scaled), e)) == Double.doubleToRawLongBits(v);
    }

    /** The smallest exponent e ≤ {@code max} for which {@link #is}{@code (v, e)}, or -1. */
    public static int exponent(double v, int max) {
        for (int e = 0; e <= max; e++) {
            if (is(v, e)) {
                return e;
            }
        }
        return -1;
    }

    /** The integer {@code v} is over 10^e, rounded: exact when {@link #is}{@code (v, e)}. */
    public static long digits(double v, int e) {
        return Math.round(v * POW10[e]);
    }

    /** The float {@code m} over 10^e stands for. */
    public static double value(long m, int e) {
        return m / POW10[e];
    }
}

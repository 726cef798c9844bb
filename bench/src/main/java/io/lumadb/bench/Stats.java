package io.lumadb.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.function.ToDoubleFunction;

/**
 * The benchmarks' statistics: exact percentiles of recorded latencies and medians over runs.
 *
 * <p>Percentiles are computed exactly from every sample (no histogram buckets, so no bucket-width
 * error), by the nearest rank: for {@code n} sorted samples, percentile {@code p} is the sample
 * of 1-based rank {@code ceil(p / 100 * n)}; so p100 is the maximum, p0 the minimum, and for the
 * samples 1..100 the p50 is 50 and the p99 is 99. Every value reported is a latency that was
 * actually observed. The rank is computed so that floating-point noise ({@code 99.9 / 100 * 1000
 * = 999.0000000000001}) cannot push it one sample too high. Where a benchmark records into an
 * HdrHistogram instead (many subscribers, YCSB), it reads percentiles from the histogram.
 *
 * <p>Medians summarize repeated runs: the middle value, the mean of the middle two for an even
 * count, NaN for none (NaN values are left out).
 */
public final class Stats {

    private Stats() {}

    /** Sorts {@code samples[0, n)} in place; {@link #percentile} needs sorted input. */
    public static void sort(long[] samples, int n) {
        Arrays.sort(samples, 0, n);
    }

    /**
     * Percentile {@code p} (0..100) of the first {@code n} values of {@code sorted}, which must be
     * sorted ascending; -1 when {@code n} is 0.
     */
    public static long percentile(long[] sorted, int n, double p) {
        if (p < 0 || p > 100 || Double.isNaN(p)) {
            throw new IllegalArgumentException("percentile must be within 0..100, got " + p);
        }
        if (n <= 0) {
            return -1;
        }
        return sorted[rank(n, p) - 1];
    }

    /** The 1-based nearest rank of percentile {@code p} among {@code n} samples, in 1..n. */
    static int rank(int n, double p) {
        double exact = p / 100.0 * n;
        long nearest = Math.round(exact);
        // Within a relative 1e-9 of an integer the product is that integer; the difference is
        // rounding in p / 100, not a real fraction of a sample.
        long rank = Math.abs(exact - nearest) <= 1e-9 * Math.max(1.0, exact) ? nearest : (long) Math.ceil(exact);
        return (int) Math.max(1, Math.min(n, rank));
    }

    /** The median of {@code values}. */
    public static double median(Collection<? extends Number> values) {
        return values == null ? Double.NaN : median(values, Number::doubleValue);
    }

    /** The median of {@code figure} over {@code rows}. */
    public static <T> double median(Collection<T> rows, ToDoubleFunction<? super T> figure) {
        double[] sorted = rows.stream()
                .mapToDouble(figure)
                .filter(v -> !Double.isNaN(v))
                .sorted()
                .toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

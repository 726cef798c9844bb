package io.lumadb.bench.suite;

import java.util.List;

/** Medians over runs. */
final class Stats {
    private Stats() {}

    /** The median of {@code values} (the mean of the middle two for an even count); NaN for none. */
    static double median(List<Double> values) {
        if (values == null || values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted =
                values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

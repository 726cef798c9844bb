package io.lumadb.timeseries.store;

import java.util.Map;
import java.util.TreeMap;

/**
 * Which series a read covers: a measurement (or every measurement) and tags that must be equal.
 *
 * @param measurement the measurement, or null for every measurement
 * @param tags tag key → the value the series must have for it; empty for no tag condition
 */
public record SeriesFilter(String measurement, Map<String, String> tags) {

    /** Every series of the store. */
    public static final SeriesFilter ALL = new SeriesFilter(null, Map.of());

    public SeriesFilter {
        if (measurement != null && measurement.isEmpty()) {
            throw new IllegalArgumentException("measurement must be null (any) or not empty");
        }
        tags = Map.copyOf(tags);
        for (Map.Entry<String, String> t : tags.entrySet()) {
            if (t.getKey().isEmpty() || t.getValue().isEmpty()) {
                throw new IllegalArgumentException(
                        "tag filter " + t.getKey() + "=" + t.getValue() + ": tag keys and values are never empty");
            }
        }
    }

    /** Every series of {@code measurement}. */
    public static SeriesFilter measurement(String measurement) {
        if (measurement == null) {
            throw new IllegalArgumentException("measurement must not be null");
        }
        return new SeriesFilter(measurement, Map.of());
    }

    /** This filter and tag {@code key} equal to {@code value}. */
    public SeriesFilter tag(String key, String value) {
        Map<String, String> t = new TreeMap<>(tags);
        t.put(key, value);
        return new SeriesFilter(measurement, t);
    }
}

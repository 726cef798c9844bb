package io.lumadb.timeseries;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One time-series point: a measurement, a tag set, a non-empty field set and a timestamp in
 * nanoseconds since the Unix epoch. The tags are kept sorted by key (the canonical order of
 * {@link SeriesKey}) and tag keys are unique; the fields map has no order.
 *
 * @param measurement the measurement name, not empty
 * @param tags the tag set, sorted by key, keys unique, no key or value empty
 * @param fields the field set, at least one field, no key empty
 * @param time nanoseconds since the Unix epoch (UTC)
 */
public record Point(String measurement, List<Tag> tags, Map<String, FieldValue> fields, long time) {

    /** A tag: a key and a value, both non-empty strings. */
    public record Tag(String key, String value) {
        public Tag {
            if (key == null || key.isEmpty()) {
                throw new IllegalArgumentException("tag key must not be empty");
            }
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException("tag '" + key + "' must have a non-empty value");
            }
        }

        // Written out: series are looked up by their tags for every point written.
        @Override
        public boolean equals(Object o) {
            return o == this || o instanceof Tag t && key.equals(t.key) && value.equals(t.value);
        }

        @Override
        public int hashCode() {
            return 31 * key.hashCode() + value.hashCode();
        }
    }

    /** Orders tags by key in Unicode code point order (the order of their UTF-8 bytes). */
    public static final Comparator<Tag> TAG_ORDER = (a, b) -> SeriesKey.compareCodePoints(a.key(), b.key());

    public Point {
        if (measurement == null || measurement.isEmpty()) {
            throw new IllegalArgumentException("measurement must not be empty");
        }
        // Tags already sorted and unique (as a series shared by many points has them) are taken
        // as they are; List.copyOf keeps an immutable list without copying it.
        boolean ordered = true;
        for (int i = 1; i < tags.size() && ordered; i++) {
            ordered = TAG_ORDER.compare(tags.get(i - 1), tags.get(i)) < 0;
        }
        if (!ordered) {
            List<Tag> sorted = new ArrayList<>(tags);
            sorted.sort(TAG_ORDER);
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i - 1).key().equals(sorted.get(i).key())) {
                    throw new IllegalArgumentException(
                            "duplicate tag key '" + sorted.get(i).key() + "'");
                }
            }
            tags = sorted;
        }
        tags = List.copyOf(tags);
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("a point needs at least one field");
        }
        for (String k : fields.keySet()) {
            if (k.isEmpty()) {
                throw new IllegalArgumentException("field key must not be empty");
            }
        }
        // A FieldMap is immutable already (what a decoded batch builds): kept as it is.
        if (!(fields instanceof FieldMap)) {
            fields = Map.copyOf(fields);
        }
    }

    /** The series this point belongs to: its measurement and tag set. */
    public SeriesKey seriesKey() {
        return new SeriesKey(measurement, tags);
    }
}

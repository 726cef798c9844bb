package io.lumadb.timeseries;

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
        // Tags checked once (as a series shared by many points has them) are taken as they are.
        if (!(tags instanceof CheckedTags)) {
            tags = checkedTags(tags);
        }
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("a point needs at least one field");
        }
        // A FieldMap is immutable already (what a decoded batch builds), its keys checked with its shape.
        if (fields instanceof FieldMap m) {
            if (m.shape().hasEmptyKey()) {
                throw new IllegalArgumentException("field key must not be empty");
            }
        } else {
            for (String k : fields.keySet()) {
                if (k.isEmpty()) {
                    throw new IllegalArgumentException("field key must not be empty");
                }
            }
            fields = Map.copyOf(fields);
        }
    }

    /**
     * {@code tags} as a point holds them: sorted by key, immutable, checked to have unique keys.
     * Points given the list this returns take it as it is, so the points of one series share one
     * checked list instead of each checking the order of its tags again.
     *
     * @throws IllegalArgumentException when a key appears twice
     */
    public static List<Tag> checkedTags(List<Tag> tags) {
        if (tags instanceof CheckedTags checked) {
            return checked;
        }
        Tag[] sorted = tags.toArray(new Tag[0]);
        boolean ordered = true;
        for (int i = 1; i < sorted.length && ordered; i++) {
            ordered = TAG_ORDER.compare(sorted[i - 1], sorted[i]) < 0;
        }
        if (!ordered) {
            java.util.Arrays.sort(sorted, TAG_ORDER);
            for (int i = 1; i < sorted.length; i++) {
                if (sorted[i - 1].key().equals(sorted[i].key())) {
                    throw new IllegalArgumentException("duplicate tag key '" + sorted[i].key() + "'");
                }
            }
        }
        for (Tag t : sorted) {
            java.util.Objects.requireNonNull(t, "tag");
        }
        return new CheckedTags(sorted);
    }

    /** A point's tags: sorted, keys unique, immutable (see {@link #checkedTags}). */
    private static final class CheckedTags extends java.util.AbstractList<Tag> implements java.util.RandomAccess {
        private final Tag[] tags;

        CheckedTags(Tag[] tags) {
            this.tags = tags;
        }

        @Override
        public Tag get(int index) {
            return tags[index];
        }

        @Override
        public int size() {
            return tags.length;
        }
    }

    /** The series this point belongs to: its measurement and tag set. */
    public SeriesKey seriesKey() {
        return new SeriesKey(measurement, tags);
    }
}

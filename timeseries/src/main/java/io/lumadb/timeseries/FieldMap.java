package io.lumadb.timeseries;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The fields of a point as an immutable map over an array of entries: what a decoded journal
 * batch builds for each of its points. It costs one wrapper to build (no hash table, which a point
 * of a few fields does not need), iterates without allocating an entry per field, and looks a key
 * up by a scan. A {@link Point} keeps it as it is, as it keeps an immutable {@code Map.of}.
 * Equality and hash code are those of every {@link Map}.
 */
public final class FieldMap extends AbstractMap<String, FieldValue> {

    /** The class of {@link Map#entry}'s entries, which cannot change. */
    private static final Class<?> IMMUTABLE_ENTRY = Map.entry("", "").getClass();

    private final Map.Entry<String, FieldValue>[] entries;
    private final int size;

    private FieldMap(Map.Entry<String, FieldValue>[] entries, int size) {
        this.entries = entries;
        this.size = size;
    }

    /**
     * The fields {@code entries} hold, in their order; a key given twice keeps its first place and
     * its last value, as a map filled in order would. The map takes the array (and may replace its
     * entries): the caller must not touch it afterwards.
     *
     * @throws NullPointerException when an entry, key or value is null
     */
    public static Map<String, FieldValue> of(Map.Entry<String, FieldValue>[] entries) {
        int n = entries.length;
        for (int i = 0; i < n; i++) {
            Map.Entry<String, FieldValue> e = entries[i];
            String key = Objects.requireNonNull(e.getKey(), "field key");
            FieldValue value = Objects.requireNonNull(e.getValue(), "field value");
            if (e.getClass() != IMMUTABLE_ENTRY) {
                // An entry that could change under the map is copied into one that cannot.
                entries[i] = Map.entry(key, value);
            }
            int hash = key.hashCode();
            for (int j = 0; j < i; j++) {
                String other = entries[j].getKey();
                if (other.hashCode() == hash && other.equals(key)) {
                    return withoutRepeats(entries);
                }
            }
        }
        return new FieldMap(entries, n);
    }

    private static Map<String, FieldValue> withoutRepeats(Map.Entry<String, FieldValue>[] entries) {
        Map.Entry<String, FieldValue>[] kept = Arrays.copyOf(entries, entries.length);
        int n = 0;
        outer:
        for (Map.Entry<String, FieldValue> e : entries) {
            Objects.requireNonNull(e.getKey(), "field key");
            Objects.requireNonNull(e.getValue(), "field value");
            for (int j = 0; j < n; j++) {
                if (kept[j].getKey().equals(e.getKey())) {
                    kept[j] = e;
                    continue outer;
                }
            }
            kept[n++] = e;
        }
        return new FieldMap(kept, n);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    private int indexOf(Object key) {
        if (key == null) {
            return -1;
        }
        int hash = key.hashCode();
        for (int i = 0; i < size; i++) {
            String k = entries[i].getKey();
            if (k == key || (k.hashCode() == hash && k.equals(key))) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public FieldValue get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : entries[i].getValue();
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super FieldValue> action) {
        for (int i = 0; i < size; i++) {
            action.accept(entries[i].getKey(), entries[i].getValue());
        }
    }

    @Override
    public Set<Map.Entry<String, FieldValue>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<String, FieldValue>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < size;
                    }

                    @Override
                    public Map.Entry<String, FieldValue> next() {
                        if (next >= size) {
                            throw new NoSuchElementException();
                        }
                        return entries[next++];
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }
}

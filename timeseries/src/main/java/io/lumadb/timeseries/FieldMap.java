package io.lumadb.timeseries;

import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The fields of a point as an immutable map: what a decoded journal batch builds for each of its
 * points. Its names and types are a {@link Shape} that the points naming the same fields in the
 * same order share, and its values are kept as their bits (a string as itself): a value object is
 * made only when one is asked for, and the store's writer reads the bits as they are. A key is
 * looked up by a scan. A {@link Point} keeps it as it is, as it keeps an immutable {@code Map.of}.
 * Equality and hash code are those of every {@link Map}.
 */
public final class FieldMap extends AbstractMap<String, FieldValue> {

    private static final Shape EMPTY = new Shape(new String[0], new FieldType[0]);

    private final Shape shape;
    /** By field: a float's IEEE 754 bits, an integer, an unsigned integer's bits, 1 or 0 for a boolean. */
    private final long[] bits;
    /** By field, the value of a string field; null when the map has none. */
    private final String[] strings;

    private FieldMap(Shape shape, long[] bits, String[] strings) {
        this.shape = shape;
        this.bits = bits;
        this.strings = strings;
    }

    /**
     * The names and types of a point's fields, in order, the names distinct: shared by every map
     * of the points that name the same fields in the same order with the same types.
     */
    public static final class Shape {
        private final String[] keys;
        private final FieldType[] types;
        private final int[] hashes;
        private final boolean emptyKey;

        private Shape(String[] keys, FieldType[] types) {
            this.keys = keys;
            this.types = types;
            this.hashes = new int[keys.length];
            boolean empty = false;
            for (int i = 0; i < keys.length; i++) {
                hashes[i] = keys[i].hashCode();
                empty |= keys[i].isEmpty();
            }
            this.emptyKey = empty;
        }

        /** Whether a field's name is the empty string (which no point may have). */
        public boolean hasEmptyKey() {
            return emptyKey;
        }

        /**
         * The shape of fields named {@code keys} with {@code types}, by position.
         *
         * @throws NullPointerException when a key or type is null
         * @throws IllegalArgumentException when the lengths differ or a key is given twice
         */
        public static Shape of(String[] keys, FieldType[] types) {
            if (keys.length != types.length) {
                throw new IllegalArgumentException(keys.length + " keys and " + types.length + " types");
            }
            String[] k = keys.clone();
            FieldType[] t = types.clone();
            for (int i = 0; i < k.length; i++) {
                Objects.requireNonNull(k[i], "field key");
                Objects.requireNonNull(t[i], "field type");
            }
            Shape shape = new Shape(k, t);
            for (int i = 0; i < k.length; i++) {
                if (shape.indexOf(k[i], shape.hashes[i], i) >= 0) {
                    throw new IllegalArgumentException("field key '" + k[i] + "' is given twice");
                }
            }
            return shape;
        }

        /** How many fields. */
        public int size() {
            return keys.length;
        }

        /** The name of field {@code i}. */
        public String key(int i) {
            return keys[i];
        }

        /** The type of field {@code i}. */
        public FieldType type(int i) {
            return types[i];
        }

        /** The index of {@code key} among the first {@code limit} fields, or -1. */
        private int indexOf(Object key, int hash, int limit) {
            for (int i = 0; i < limit; i++) {
                String k = keys[i];
                if (k == key || (hashes[i] == hash && k.equals(key))) {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * The fields of {@code shape} with the values {@code bits} and {@code strings} (by position: a
     * float's IEEE 754 bits, an integer, an unsigned integer's bits, 1 or 0 for a boolean; a
     * string field's value in {@code strings}, which may be null when the shape has no string
     * field). The map takes the arrays: the caller must not touch them afterwards.
     *
     * @throws IllegalArgumentException when the arrays are shorter than the shape
     * @throws NullPointerException when a string field has no value
     */
    public static FieldMap of(Shape shape, long[] bits, String[] strings) {
        if (bits.length < shape.size() || (strings != null && strings.length < shape.size())) {
            throw new IllegalArgumentException("values for " + shape.size() + " fields are missing");
        }
        for (int i = 0; i < shape.size(); i++) {
            if (shape.types[i] == FieldType.STRING && (strings == null || strings[i] == null)) {
                throw new NullPointerException("field value of '" + shape.keys[i] + "'");
            }
        }
        return new FieldMap(shape, bits, strings);
    }

    /**
     * The fields {@code entries} hold, in their order; a key given twice keeps its first place and
     * its last value, as a map filled in order would.
     *
     * @throws NullPointerException when an entry, key or value is null
     */
    public static Map<String, FieldValue> of(Map.Entry<String, FieldValue>[] entries) {
        int n = entries.length;
        String[] keys = new String[n];
        FieldType[] types = new FieldType[n];
        long[] bits = new long[n];
        String[] strings = null;
        int size = 0;
        for (Map.Entry<String, FieldValue> e : entries) {
            String key = Objects.requireNonNull(e.getKey(), "field key");
            FieldValue value = Objects.requireNonNull(e.getValue(), "field value");
            int at = -1;
            int hash = key.hashCode();
            for (int j = 0; j < size; j++) {
                if (keys[j].hashCode() == hash && keys[j].equals(key)) {
                    at = j;
                    break;
                }
            }
            if (at < 0) {
                at = size++;
                keys[at] = key;
            }
            types[at] = value.type();
            bits[at] = bits(value);
            if (value instanceof FieldValue.StringValue s) {
                if (strings == null) {
                    strings = new String[n];
                }
                strings[at] = s.value();
            }
        }
        if (size == 0) {
            return new FieldMap(EMPTY, bits, null);
        }
        Shape shape = new Shape(Arrays.copyOf(keys, size), Arrays.copyOf(types, size));
        return new FieldMap(shape, bits, strings);
    }

    /** The bits a value is kept as (0 for a string). */
    static long bits(FieldValue value) {
        return switch (value) {
            case FieldValue.FloatValue f -> Double.doubleToRawLongBits(f.value());
            case FieldValue.IntegerValue i -> i.value();
            case FieldValue.UnsignedValue u -> u.value();
            case FieldValue.BooleanValue b -> b.value() ? 1 : 0;
            case FieldValue.StringValue s -> 0;
        };
    }

    /** The names and types of the fields. */
    public Shape shape() {
        return shape;
    }

    /** The bits of field {@code i}'s value, as {@link #of(Shape, long[], String[])} takes them. */
    public long bits(int i) {
        if (i >= shape.size()) {
            throw new IndexOutOfBoundsException("no field " + i + " of " + shape.size());
        }
        return bits[i];
    }

    /** The value of string field {@code i}, or null when it is not a string. */
    public String string(int i) {
        if (i >= shape.size()) {
            throw new IndexOutOfBoundsException("no field " + i + " of " + shape.size());
        }
        return strings == null ? null : strings[i];
    }

    /** The value of field {@code i}, made now. */
    private FieldValue value(int i) {
        long b = bits[i];
        return switch (shape.types[i]) {
            case FLOAT -> new FieldValue.FloatValue(Double.longBitsToDouble(b));
            case INTEGER -> new FieldValue.IntegerValue(b);
            case UNSIGNED -> new FieldValue.UnsignedValue(b);
            case BOOLEAN -> new FieldValue.BooleanValue(b != 0);
            case STRING -> new FieldValue.StringValue(strings[i]);
        };
    }

    @Override
    public int size() {
        return shape.size();
    }

    @Override
    public boolean isEmpty() {
        return shape.size() == 0;
    }

    private int indexOf(Object key) {
        return key == null ? -1 : shape.indexOf(key, key.hashCode(), shape.size());
    }

    @Override
    public FieldValue get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : value(i);
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super FieldValue> action) {
        for (int i = 0; i < shape.size(); i++) {
            action.accept(shape.keys[i], value(i));
        }
    }

    @Override
    public Set<String> keySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<String> iterator() {
                return indexed(i -> shape.keys[i]);
            }

            @Override
            public int size() {
                return shape.size();
            }

            @Override
            public boolean contains(Object o) {
                return containsKey(o);
            }
        };
    }

    @Override
    public Collection<FieldValue> values() {
        return new AbstractCollection<>() {
            @Override
            public Iterator<FieldValue> iterator() {
                return indexed(FieldMap.this::value);
            }

            @Override
            public int size() {
                return shape.size();
            }
        };
    }

    @Override
    public Set<Map.Entry<String, FieldValue>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<String, FieldValue>> iterator() {
                return indexed(i -> Map.entry(shape.keys[i], value(i)));
            }

            @Override
            public int size() {
                return shape.size();
            }
        };
    }

    /** An iterator over the fields by position, giving {@code at(i)} for each. */
    private <T> Iterator<T> indexed(java.util.function.IntFunction<T> at) {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < shape.size();
            }

            @Override
            public T next() {
                if (next >= shape.size()) {
                    throw new NoSuchElementException();
                }
                return at.apply(next++);
            }
        };
    }
}

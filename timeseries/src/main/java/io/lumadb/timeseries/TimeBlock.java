package io.lumadb.timeseries;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * An immutable, sealed block of one series' points over a time range, compressed column by column
 * in the layout {@link TimeBlockFormat} documents. Rows are sorted by time, one per distinct
 * timestamp; a row need not carry every field. The header (count, first and last time, and per
 * field its count, min, max and sum) is read without decoding any column; columns decode on
 * demand.
 *
 * <p>Build one with {@link #builder()}; read stored bytes with {@link #read(byte[])}.
 */
public final class TimeBlock {

    /** A decoded row: a timestamp and the fields the row carries. */
    public record Row(long time, Map<String, FieldValue> fields) {
        public Row {
            fields = Map.copyOf(fields);
        }
    }

    private final byte[] bytes;
    private final int count;
    private final long firstTime;
    private final long lastTime;
    private final int timeOffset;
    private final int timeLength;
    private final List<FieldSummary> fields;
    private final int[] columnOffsets;
    private final int[] columnLengths;
    private final Map<String, Integer> fieldIndex;

    private TimeBlock(
            byte[] bytes,
            int count,
            long firstTime,
            long lastTime,
            int timeOffset,
            int timeLength,
            List<FieldSummary> fields,
            int[] columnOffsets,
            int[] columnLengths) {
        this.bytes = bytes;
        this.count = count;
        this.firstTime = firstTime;
        this.lastTime = lastTime;
        this.timeOffset = timeOffset;
        this.timeLength = timeLength;
        this.fields = List.copyOf(fields);
        this.columnOffsets = columnOffsets;
        this.columnLengths = columnLengths;
        Map<String, Integer> idx = new HashMap<>();
        for (int i = 0; i < fields.size(); i++) {
            idx.put(fields.get(i).name(), i);
        }
        this.fieldIndex = idx;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder(16);
    }

    /** A new builder with room for about {@code points} points before it grows (a hint). */
    public static Builder builder(int points) {
        return new Builder(Math.max(1, Math.min(points, 1 << 16)));
    }

    /** Rows in the block. */
    public int count() {
        return count;
    }

    /** The time of the first row, in nanoseconds. */
    public long firstTime() {
        return firstTime;
    }

    /** The time of the last row, in nanoseconds. */
    public long lastTime() {
        return lastTime;
    }

    /** The fields' header entries, sorted by name. */
    public List<FieldSummary> fields() {
        return fields;
    }

    /** The header entry of {@code field}, or null when no row carries it. */
    public FieldSummary field(String field) {
        Integer i = fieldIndex.get(field);
        return i == null ? null : fields.get(i);
    }

    /** The encoded block; a copy. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** The encoded size in bytes. */
    public int encodedSize() {
        return bytes.length;
    }

    /** The rows' timestamps, ascending and distinct. */
    public long[] timestamps() {
        return Codecs.readTimestamps(new BitReader(bytes, timeOffset, timeLength), count);
    }

    /** The decoded column of {@code field}, or null when no row carries it. */
    public Column column(String field) {
        Integer i = fieldIndex.get(field);
        if (i == null) {
            return null;
        }
        FieldSummary s = fields.get(i);
        BitReader r = new BitReader(bytes, columnOffsets[i], columnLengths[i]);
        boolean[] present = null;
        int n = count;
        if (s.count() < count) {
            present = new boolean[count];
            int seen = 0;
            for (int row = 0; row < count; row++) {
                present[row] = r.readBit();
                if (present[row]) {
                    seen++;
                }
            }
            if (seen != s.count()) {
                throw new TimeBlockException(
                        "field '" + field + "': presence bits count " + seen + " rows, header says " + s.count());
            }
            r.align();
            n = seen;
        }
        return switch (s.type()) {
            case FLOAT -> new Column(field, s.type(), present, spread(Codecs.readFloats(r, n), present), null);
            case INTEGER, UNSIGNED ->
                new Column(field, s.type(), present, spread(Codecs.readLongs(r, n), present), null);
            case BOOLEAN -> new Column(field, s.type(), present, spread(Codecs.readBooleans(r, n), present), null);
            case STRING ->
                new Column(field, s.type(), present, null, spread(Codecs.readStrings(r, n, columnLengths[i]), present));
        };
    }

    /** Every row, decoded. */
    public List<Row> rows() {
        List<Column> cols = new ArrayList<>(fields.size());
        for (FieldSummary f : fields) {
            cols.add(column(f.name()));
        }
        return rows(timestamps(), cols);
    }

    // ------------------------------------------------------------ reading

    /**
     * Reads an encoded block, checking magic, version, length and checksum first, then the header.
     *
     * @throws TimeBlockException when the bytes are not a valid block
     */
    public static TimeBlock read(byte[] encoded) {
        return parse(encoded.clone());
    }

    /** Reads a block from bytes it takes, which nobody else may change. */
    private static TimeBlock parse(byte[] b) {
        int minLength = TimeBlockFormat.MAGIC.length + 1 + TimeBlockFormat.FOOTER_LENGTH;
        if (b.length < minLength) {
            throw new TimeBlockException("a block has at least " + minLength + " bytes, got " + b.length);
        }
        for (int i = 0; i < TimeBlockFormat.MAGIC.length; i++) {
            if (b[i] != TimeBlockFormat.MAGIC[i]) {
                throw new TimeBlockException("not a time block: bad magic");
            }
        }
        int version = b[4] & 0xFF;
        if (version != TimeBlockFormat.VERSION) {
            throw new TimeBlockException("time block version " + version + " is not supported (this reader knows "
                    + TimeBlockFormat.VERSION + ")");
        }
        int bodyEnd = b.length - TimeBlockFormat.FOOTER_LENGTH;
        CRC32C crc = new CRC32C();
        crc.update(b, 0, bodyEnd);
        int stored = ByteBuffer.wrap(b, bodyEnd, 4).getInt();
        if ((int) crc.getValue() != stored) {
            throw new TimeBlockException("time block checksum mismatch: the block is corrupt");
        }
        BitReader r = new BitReader(b, 5, bodyEnd - 5);
        int count = r.readLength(Integer.MAX_VALUE, "row count");
        if (count < 1) {
            throw new TimeBlockException("a block has at least one row");
        }
        long first = r.readBits(64);
        long last = r.readBits(64);
        int timeLength = r.readLength(bodyEnd, "timestamp column length");
        int fieldCount = r.readLength(bodyEnd, "field count");
        List<FieldSummary> summaries = new ArrayList<>(fieldCount);
        int[] lengths = new int[fieldCount];
        for (int i = 0; i < fieldCount; i++) {
            int nameLength = r.readLength(bodyEnd, "field name length");
            int pos = r.bytePosition();
            r.seek(pos + nameLength);
            String name = new String(b, pos, nameLength, StandardCharsets.UTF_8);
            FieldType type = FieldType.ofCode(r.readByte());
            int present = r.readLength(count, "present count");
            if (present < 1) {
                throw new TimeBlockException("field '" + name + "' is in no row");
            }
            FieldValue min = null;
            FieldValue max = null;
            FieldValue sum = null;
            switch (type) {
                case FLOAT -> {
                    min = new FieldValue.FloatValue(Double.longBitsToDouble(r.readBits(64)));
                    max = new FieldValue.FloatValue(Double.longBitsToDouble(r.readBits(64)));
                    sum = new FieldValue.FloatValue(Double.longBitsToDouble(r.readBits(64)));
                }
                case INTEGER, UNSIGNED -> {
                    long mn = r.readBits(64);
                    long mx = r.readBits(64);
                    boolean exact = r.readByte() != 0;
                    long s = r.readBits(64);
                    min = integer(type, mn);
                    max = integer(type, mx);
                    sum = exact ? integer(type, s) : null;
                }
                case BOOLEAN -> sum = new FieldValue.IntegerValue(r.readLength(present, "true count"));
                case STRING -> {}
            }
            lengths[i] = r.readLength(bodyEnd, "column length");
            summaries.add(new FieldSummary(name, type, present, min, max, sum));
        }
        int timeOffset = r.bytePosition();
        int[] offsets = new int[fieldCount];
        long pos = (long) timeOffset + timeLength;
        for (int i = 0; i < fieldCount; i++) {
            offsets[i] = (int) Math.min(pos, bodyEnd);
            pos += lengths[i];
        }
        if (pos != bodyEnd) {
            throw new TimeBlockException("time block lengths add up to " + pos + " bytes, the body has " + bodyEnd);
        }
        return new TimeBlock(b, count, first, last, timeOffset, timeLength, summaries, offsets, lengths);
    }

    private static FieldValue integer(FieldType type, long v) {
        return type == FieldType.INTEGER ? new FieldValue.IntegerValue(v) : new FieldValue.UnsignedValue(v);
    }

    private static long[] spread(long[] v, boolean[] present) {
        if (present == null) {
            return v;
        }
        long[] out = new long[present.length];
        for (int row = 0, j = 0; row < present.length; row++) {
            if (present[row]) {
                out[row] = v[j++];
            }
        }
        return out;
    }

    private static String[] spread(String[] v, boolean[] present) {
        if (present == null) {
            return v;
        }
        String[] out = new String[present.length];
        for (int row = 0, j = 0; row < present.length; row++) {
            if (present[row]) {
                out[row] = v[j++];
            }
        }
        return out;
    }

    // ------------------------------------------------------------ building

    /**
     * Rows merged as a block holds them, without encoding them: timestamps ascending and distinct,
     * and one column per field, sorted by name in code point order and indexed like the
     * timestamps. What {@link Builder#columns()} gives for reads of rows that are not sealed yet.
     * The arrays are shared with the builder: read them, never change them.
     */
    public static final class Columns {
        private final long[] timestamps;
        private final List<Column> columns;

        Columns(long[] timestamps, List<Column> columns) {
            this.timestamps = timestamps;
            this.columns = List.copyOf(columns);
        }

        /** How many rows. */
        public int size() {
            return timestamps.length;
        }

        /** The rows' timestamps, ascending and distinct; shared, not a copy. */
        public long[] timestamps() {
            return timestamps;
        }

        /** The columns, sorted by field name. */
        public List<Column> columns() {
            return columns;
        }

        /** The column of {@code field}, or null when no row carries it. */
        public Column column(String field) {
            for (Column c : columns) {
                if (c.name().equals(field)) {
                    return c;
                }
            }
            return null;
        }

        /** Every row, as a block's {@link TimeBlock#rows()} gives them. */
        public List<Row> rows() {
            return TimeBlock.rows(timestamps, columns);
        }

        /** The rows with times in {@code [from, to)}; this when every row is; null when none is. */
        public Columns between(long from, long to) {
            int lo = firstAtOrAfter(from);
            int hi = firstAtOrAfter(to);
            if (lo == 0 && hi == timestamps.length) {
                return this;
            }
            if (lo >= hi) {
                return null;
            }
            List<Column> kept = new ArrayList<>(columns.size());
            for (Column c : columns) {
                Column slice = c.slice(lo, hi);
                if (slice != null) {
                    kept.add(slice);
                }
            }
            return new Columns(Arrays.copyOfRange(timestamps, lo, hi), kept);
        }

        /** The first row at or after {@code t}, or the row count. */
        private int firstAtOrAfter(long t) {
            int i = Arrays.binarySearch(timestamps, t);
            return i >= 0 ? i : -i - 1;
        }
    }

    /**
     * Collects one series' points in any order and seals them into a block. Points with the same
     * timestamp merge into one row, field by field, the point added last winning. A field keeps
     * one type: adding a value of another type fails and leaves the builder as it was.
     *
     * <p>Points are kept column by column in the order they were added (a value per field and
     * point, no map per point); sorting and merging wait for {@link #build}, {@link #columns} or
     * {@link #rows}, and are skipped when the points came each later than the one before.
     */
    public static final class Builder {
        private long[] times;
        private int size;
        /** Whether every point added came strictly after the one before: nothing to sort or merge. */
        private boolean ascending = true;

        private final List<Col> cols = new ArrayList<>();
        private final Map<String, Col> byName = new HashMap<>();
        /** The columns sorted by name, or null until asked for since a column was added. */
        private Col[] sortedCols;

        /** The field names of the last point added, in its map's order, and their columns. */
        private String[] lastKeys = new String[0];

        private Col[] lastCols = new Col[0];
        /** The shape of the last fields added as a {@link FieldMap}, and the columns of its fields. */
        private FieldMap.Shape lastShape;

        private Col[] lastShapeCols;
        // Scratch of add: a point's fields are checked before any is stored.
        private String[] keys = new String[8];
        private FieldValue[] values = new FieldValue[8];
        private Col[] found = new Col[8];

        /** Whether this is a {@link #snapshot()}, which takes no points. */
        private final boolean frozen;

        private Builder(int capacity) {
            this.frozen = false;
            this.times = new long[capacity];
        }

        private Builder(Builder of) {
            this.frozen = true;
            this.times = of.times;
            this.size = of.size;
            this.ascending = of.ascending;
            for (Col c : of.cols) {
                Col copy = c.snapshot();
                cols.add(copy);
                byName.put(copy.name, copy);
            }
        }

        /**
         * The points added so far, as they are now: a builder that takes no more points and that
         * the points this one takes later do not change. It shares this builder's arrays (which
         * only change past the points it holds), so it costs an object per field; it may be read
         * on another thread once handed over safely (under a lock both take, for example).
         */
        public Builder snapshot() {
            return new Builder(this);
        }

        private void requireOpen() {
            if (frozen) {
                throw new IllegalStateException("a snapshot of a builder takes no points");
            }
        }

        /**
         * Adds a point's timestamp and fields.
         *
         * @throws TimeBlockException when a field has a different type than earlier points gave it
         * @throws IllegalArgumentException when {@code fields} is empty
         */
        public Builder add(long time, Map<String, FieldValue> fields) {
            requireOpen();
            if (fields instanceof FieldMap m) {
                return add(time, m);
            }
            int k = fields.size();
            if (k == 0) {
                throw new IllegalArgumentException("a point needs at least one field");
            }
            if (keys.length < k) {
                keys = new String[k];
                values = new FieldValue[k];
                found = new Col[k];
            }
            // The points of a series mostly name the same fields in the same order (the same
            // String objects when they come from one batch): the last point's columns then serve.
            boolean same = k == lastKeys.length;
            int i = 0;
            for (Map.Entry<String, FieldValue> f : fields.entrySet()) {
                String key = Objects.requireNonNull(f.getKey(), "field name");
                FieldValue value = Objects.requireNonNull(f.getValue(), "field value");
                Col c;
                if (same && key == lastKeys[i]) {
                    c = lastCols[i];
                } else {
                    same = false;
                    c = byName.get(key);
                }
                if (c != null && c.type != value.type()) {
                    Arrays.fill(values, 0, i, null);
                    throw conflict(key, c.type, value.type());
                }
                keys[i] = key;
                values[i] = value;
                found[i] = c;
                i++;
            }
            int row = grow(1);
            for (int j = 0; j < k; j++) {
                Col c = found[j];
                if (c == null) {
                    c = newColumn(keys[j], values[j].type(), row);
                    found[j] = c;
                }
                c.set(row, values[j]);
                values[j] = null;
            }
            if (!same) {
                lastKeys = Arrays.copyOf(keys, k);
                lastCols = Arrays.copyOf(found, k);
            }
            return added(time, row, k);
        }

        /** Adds a point's fields as their bits, with the columns of their shape found once per shape. */
        private Builder add(long time, FieldMap fields) {
            FieldMap.Shape shape = fields.shape();
            int k = shape.size();
            if (k == 0) {
                throw new IllegalArgumentException("a point needs at least one field");
            }
            Col[] columns = lastShapeCols;
            int row = size;
            if (shape != lastShape) {
                columns = new Col[k];
                for (int i = 0; i < k; i++) {
                    Col c = byName.get(shape.key(i));
                    if (c != null && c.type != shape.type(i)) {
                        throw conflict(shape.key(i), c.type, shape.type(i));
                    }
                    columns[i] = c;
                }
                grow(1);
                for (int i = 0; i < k; i++) {
                    if (columns[i] == null) {
                        columns[i] = newColumn(shape.key(i), shape.type(i), row);
                    }
                }
                lastShape = shape;
                lastShapeCols = columns;
            } else {
                grow(1);
            }
            for (int i = 0; i < k; i++) {
                Col c = columns[i];
                if (c.type == FieldType.STRING) {
                    c.setString(row, fields.string(i));
                } else {
                    c.setBits(row, fields.bits(i));
                }
            }
            return added(time, row, k);
        }

        private static TimeBlockException conflict(String field, FieldType known, FieldType given) {
            return new TimeBlockException("field type conflict: field '" + field + "' is " + known
                    + " in this series, the point gives " + given);
        }

        /** Makes room for {@code n} more points, in the timestamps and every column; the first new row. */
        private int grow(int n) {
            if (size + n > times.length) {
                int capacity = Math.max(times.length * 2, size + n);
                times = Arrays.copyOf(times, capacity);
                for (Col c : cols) {
                    c.ensure(capacity);
                }
            }
            return size;
        }

        /** Ends the adding of a point of {@code k} fields at {@code row}. */
        private Builder added(long time, int row, int k) {
            if (k != cols.size()) {
                // Columns the point does not carry stop being carried by every point.
                for (Col c : cols) {
                    if (c.present == null && c.last != row) {
                        c.materialize(row);
                    }
                }
            }
            if (row > 0 && time <= times[row - 1]) {
                ascending = false;
            }
            times[row] = time;
            size = row + 1;
            return this;
        }

        /** Adds a point's timestamp and fields (its series is the caller's concern). */
        public Builder add(Point p) {
            return add(p.time(), p.fields());
        }

        /** Adds every row of a block, as if its points were added in time order. */
        public Builder addAll(TimeBlock block) {
            List<Column> columns = new ArrayList<>(block.fields.size());
            for (FieldSummary f : block.fields) {
                columns.add(block.column(f.name()));
            }
            return append(block.timestamps(), block.count, true, columns);
        }

        /** Adds every point of {@code other}, in the order they were added to it. */
        public Builder addAll(Builder other) {
            List<Column> columns = new ArrayList<>(other.cols.size());
            for (Col c : other.cols) {
                columns.add(c.view(other.size));
            }
            return append(other.times, other.size, other.ascending, columns);
        }

        /** Points added so far (before merging equal timestamps). */
        public int size() {
            return size;
        }

        /** Values held so far, a field of a point each, with the points' timestamps. */
        public long values() {
            long n = size;
            for (Col c : cols) {
                n += c.count;
            }
            return n;
        }

        /**
         * Sorts, merges and encodes the points.
         *
         * @throws IllegalStateException when no point was added
         */
        public TimeBlock build() {
            return encode(columns());
        }

        /**
         * The rows the block would hold, in time order, without encoding it: for reads of rows
         * that are not sealed yet.
         *
         * @throws IllegalStateException when no row was added
         */
        public List<Row> rows() {
            return columns().rows();
        }

        /**
         * The rows the block would hold, column by column, without encoding them.
         *
         * @throws IllegalStateException when no point was added
         */
        public Columns columns() {
            return columns(0);
        }

        /**
         * The rows that the points added from the {@code from}-th on (counting from 0) make,
         * merged and column by column as {@link #columns()} gives them: what a block of those
         * points alone would hold.
         *
         * @throws IllegalStateException when no point was added from there on
         */
        public Columns columns(int from) {
            if (from < 0 || from >= size) {
                throw new IllegalStateException("a block needs at least one point; points " + from + ".. of " + size);
            }
            Col[] sorted = sortedColumns();
            List<Column> out = new ArrayList<>(sorted.length);
            boolean inOrder = ascending;
            if (!inOrder) {
                inOrder = true;
                for (int i = from + 1; i < size && inOrder; i++) {
                    inOrder = times[i] > times[i - 1];
                }
            }
            if (inOrder) {
                for (Col c : sorted) {
                    Column view = from == 0 ? c.view(size) : c.slice(from, size);
                    if (view != null) {
                        out.add(view);
                    }
                }
                long[] t = Arrays.copyOfRange(times, from, size);
                return new Columns(t, out);
            }
            return merged(sorted, from);
        }

        /** The columns sorted by name, kept until a column is added. */
        private Col[] sortedColumns() {
            if (sortedCols == null) {
                Col[] sorted = cols.toArray(new Col[0]);
                Arrays.sort(sorted, (a, b) -> SeriesKey.compareCodePoints(a.name, b.name));
                sortedCols = sorted;
            }
            return sortedCols;
        }

        /** {@link #columns(int)} of points that are out of order or repeat a timestamp. */
        private Columns merged(Col[] sorted, int from) {
            List<Column> out = new ArrayList<>(sorted.length);
            int[] order = order(times, from, size);
            int n = size - from;
            // The points of one timestamp are order[groups[g]..groups[g + 1]), in the order added.
            int[] groups = new int[n + 1];
            long[] t = new long[n];
            int m = 0;
            for (int j = 0; j < n; j++) {
                long x = times[order[j]];
                if (m == 0 || t[m - 1] != x) {
                    groups[m] = j;
                    t[m++] = x;
                }
            }
            groups[m] = n;
            for (Col c : sorted) {
                Column merged = c.merged(order, groups, m);
                if (merged != null) {
                    out.add(merged);
                }
            }
            return new Columns(Arrays.copyOf(t, m), out);
        }

        private Col newColumn(String name, FieldType type, int firstRow) {
            Col c = new Col(name, type, times.length, firstRow);
            cols.add(c);
            sortedCols = null;
            byName.put(name, c);
            return c;
        }

        /** Appends {@code n} points, {@code columns} indexed like {@code t}; all or nothing. */
        private Builder append(long[] t, int n, boolean tAscending, List<Column> columns) {
            requireOpen();
            if (n == 0) {
                return this;
            }
            Col[] targets = new Col[columns.size()];
            for (int i = 0; i < targets.length; i++) {
                Column c = columns.get(i);
                Col mine = byName.get(c.name());
                if (mine != null && mine.type != c.type()) {
                    throw conflict(c.name(), mine.type, c.type());
                }
                targets[i] = mine;
            }
            int at = grow(n);
            for (Col c : cols) {
                c.copied = false;
            }
            for (int i = 0; i < targets.length; i++) {
                Column c = columns.get(i);
                Col mine = targets[i] != null ? targets[i] : newColumn(c.name(), c.type(), at);
                mine.copy(c, n, at);
                mine.copied = true;
            }
            for (Col c : cols) {
                if (!c.copied && c.present == null) {
                    c.materialize(at);
                }
            }
            System.arraycopy(t, 0, times, at, n);
            if (!tAscending || (at > 0 && t[0] <= times[at - 1])) {
                ascending = false;
            }
            size = at + n;
            return this;
        }
    }

    /**
     * One field's values as a builder keeps them: by point, in the order the points were added,
     * with the builder's capacity; every type but STRING as the bits a {@link FieldMap} keeps.
     */
    private static final class Col {
        final String name;
        final FieldType type;
        /** Which points carry the field; null while every point added carries it. */
        boolean[] present;

        long[] bits;
        String[] strings;
        /** Points that carry the field. */
        int count;
        /** The last point given a value. */
        int last = -1;
        /** Scratch of an append: whether it gave this column values. */
        boolean copied;

        Col(String name, FieldType type, int capacity, int firstRow) {
            this.name = name;
            this.type = type;
            if (firstRow > 0) {
                present = new boolean[capacity];
            }
            if (type == FieldType.STRING) {
                strings = new String[capacity];
            } else {
                bits = new long[capacity];
            }
        }

        void ensure(int capacity) {
            if (present != null && present.length < capacity) {
                present = Arrays.copyOf(present, capacity);
            }
            if (bits != null && bits.length < capacity) {
                bits = Arrays.copyOf(bits, capacity);
            }
            if (strings != null && strings.length < capacity) {
                strings = Arrays.copyOf(strings, capacity);
            }
        }

        /** A copy that shares the arrays, for a builder's snapshot. */
        Col snapshot() {
            Col c = new Col(name, type, present, bits, strings);
            c.count = count;
            c.last = last;
            return c;
        }

        private Col(String name, FieldType type, boolean[] present, long[] bits, String[] strings) {
            this.name = name;
            this.type = type;
            this.present = present;
            this.bits = bits;
            this.strings = strings;
        }

        /** Starts noting presence: every point before {@code row} carries the field. */
        void materialize(int row) {
            present = new boolean[bits != null ? bits.length : strings.length];
            Arrays.fill(present, 0, row, true);
        }

        private void given(int row) {
            if (present != null) {
                present[row] = true;
            }
            last = row;
            count++;
        }

        void set(int row, FieldValue v) {
            if (v instanceof FieldValue.StringValue s) {
                strings[row] = s.value();
            } else {
                bits[row] = FieldMap.bits(v);
            }
            given(row);
        }

        /** Sets a value given as the bits a {@link FieldMap} keeps it as. */
        void setBits(int row, long value) {
            bits[row] = value;
            given(row);
        }

        void setString(int row, String s) {
            strings[row] = s;
            given(row);
        }

        /** Copies the present values of rows {@code 0..n} of {@code src} to rows {@code at..}. */
        void copy(Column src, int n, int at) {
            boolean[] p = src.presence();
            if (p == null) {
                if (bits != null) {
                    System.arraycopy(src.bits(), 0, bits, at, n);
                } else {
                    System.arraycopy(src.strings(), 0, strings, at, n);
                }
                if (present != null) {
                    Arrays.fill(present, at, at + n, true);
                }
                last = at + n - 1;
                count += n;
                return;
            }
            if (present == null) {
                materialize(at);
            }
            long[] b = src.bits();
            String[] s = src.strings();
            for (int r = 0; r < n; r++) {
                if (r < p.length && p[r]) {
                    if (bits != null) {
                        bits[at + r] = b[r];
                    } else {
                        strings[at + r] = s[r];
                    }
                    given(at + r);
                }
            }
        }

        /** The column of the first {@code size} points, which need no merging. */
        Column view(int size) {
            return new Column(name, type, count == size ? null : present, bits, strings);
        }

        /** The column of points {@code from..to}, which need no merging; null when none carries the field. */
        Column slice(int from, int to) {
            return new Column(name, type, present, bits, strings).slice(from, to);
        }

        /**
         * The column of the merged rows: row g takes, of the points {@code order[groups[g]..groups[g
         * + 1])} (one timestamp, in the order added), the value of the last that carries the field.
         * Null when no point carries it.
         */
        Column merged(int[] order, int[] groups, int m) {
            boolean[] p = new boolean[m];
            long[] b = bits != null ? new long[m] : null;
            String[] s = strings != null ? new String[m] : null;
            int n = 0;
            for (int g = 0; g < m; g++) {
                int r = lastCarrier(order, groups[g], groups[g + 1]);
                if (r >= 0) {
                    if (b != null) {
                        b[g] = bits[r];
                    } else {
                        s[g] = strings[r];
                    }
                    p[g] = true;
                    n++;
                }
            }
            return n == 0 ? null : new Column(name, type, n == m ? null : p, b, s);
        }

        /** The last of the points {@code order[from..to)} that carries the field, or -1. */
        private int lastCarrier(int[] order, int from, int to) {
            for (int j = to - 1; j >= from; j--) {
                int r = order[j];
                if (present == null || present[r]) {
                    return r;
                }
            }
            return -1;
        }
    }

    /**
     * The indexes {@code from..to} of {@code times} in time order, equal times in index order (a
     * stable merge sort).
     */
    static int[] order(long[] times, int from, int to) {
        int n = to - from;
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = from + i;
        }
        int run = 16;
        for (int lo = 0; lo < n; lo += run) {
            int hi = Math.min(n, lo + run);
            for (int i = lo + 1; i < hi; i++) {
                int x = a[i];
                long tx = times[x];
                int j = i - 1;
                while (j >= lo && times[a[j]] > tx) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = x;
            }
        }
        int[] b = new int[n];
        for (int width = run; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(n, lo + width);
                int hi = Math.min(n, lo + 2 * width);
                if (mid >= hi || times[a[mid - 1]] <= times[a[mid]]) {
                    System.arraycopy(a, lo, b, lo, hi - lo);
                    continue;
                }
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    b[k++] = times[a[j]] < times[a[i]] ? a[j++] : a[i++];
                }
                while (i < mid) {
                    b[k++] = a[i++];
                }
                while (j < hi) {
                    b[k++] = a[j++];
                }
            }
            int[] swap = a;
            a = b;
            b = swap;
        }
        return a;
    }

    /** Rows of timestamps {@code t} and {@code columns} indexed like them. */
    private static List<Row> rows(long[] t, List<Column> columns) {
        List<Row> rows = new ArrayList<>(t.length);
        @SuppressWarnings("unchecked")
        Map.Entry<String, FieldValue>[] entries = new Map.Entry[columns.size()];
        for (int i = 0; i < t.length; i++) {
            int n = 0;
            for (Column c : columns) {
                FieldValue v = c.valueAt(i);
                if (v != null) {
                    entries[n++] = Map.entry(c.name(), v);
                }
            }
            // Built immutable (the columns' names are distinct), so the row keeps it without a copy.
            rows.add(new Row(t[i], Map.ofEntries(Arrays.copyOf(entries, n))));
        }
        return rows;
    }

    private static TimeBlock encode(Columns merged) {
        long[] t = merged.timestamps();
        int count = t.length;
        BitWriter timeCol = new BitWriter(count / 4 + 16);
        Codecs.writeTimestamps(t, count, timeCol);
        byte[] timeBytes = timeCol.toByteArray();

        List<FieldSummary> summaries = new ArrayList<>();
        List<byte[]> columns = new ArrayList<>();
        for (Column c : merged.columns()) {
            boolean[] present = c.presence();
            int n = count;
            if (present != null) {
                n = 0;
                for (int i = 0; i < count; i++) {
                    if (present[i]) {
                        n++;
                    }
                }
            }
            BitWriter w = new BitWriter(n * 2 + count / 8 + 16);
            if (n < count) {
                for (int i = 0; i < count; i++) {
                    w.writeBit(present[i]);
                }
                w.align();
            }
            summaries.add(encodeValues(c, count, n, w));
            columns.add(w.toByteArray());
        }

        BitWriter out = new BitWriter(timeBytes.length
                + 64
                + columns.stream().mapToInt(c -> c.length + 32).sum());
        out.writeBytes(TimeBlockFormat.MAGIC, 0, TimeBlockFormat.MAGIC.length);
        out.writeByte(TimeBlockFormat.VERSION);
        out.writeVarLong(count);
        out.writeBits(t[0], 64);
        out.writeBits(t[count - 1], 64);
        out.writeVarLong(timeBytes.length);
        out.writeVarLong(summaries.size());
        for (int i = 0; i < summaries.size(); i++) {
            FieldSummary s = summaries.get(i);
            byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
            out.writeVarLong(name.length);
            out.writeBytes(name, 0, name.length);
            out.writeByte(s.type().code());
            out.writeVarLong(s.count());
            switch (s.type()) {
                case FLOAT -> {
                    out.writeBits(Double.doubleToRawLongBits(((FieldValue.FloatValue) s.min()).value()), 64);
                    out.writeBits(Double.doubleToRawLongBits(((FieldValue.FloatValue) s.max()).value()), 64);
                    out.writeBits(Double.doubleToRawLongBits(((FieldValue.FloatValue) s.sum()).value()), 64);
                }
                case INTEGER, UNSIGNED -> {
                    out.writeBits(bits(s.min()), 64);
                    out.writeBits(bits(s.max()), 64);
                    out.writeByte(s.sum() != null ? 1 : 0);
                    out.writeBits(s.sum() != null ? bits(s.sum()) : 0, 64);
                }
                case BOOLEAN -> out.writeVarLong(((FieldValue.IntegerValue) s.sum()).value());
                case STRING -> {}
            }
            out.writeVarLong(columns.get(i).length);
        }
        out.writeBytes(timeBytes, 0, timeBytes.length);
        for (byte[] c : columns) {
            out.writeBytes(c, 0, c.length);
        }
        byte[] body = out.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        byte[] block = Arrays.copyOf(body, body.length + TimeBlockFormat.FOOTER_LENGTH);
        ByteBuffer.wrap(block, body.length, 4).putInt((int) crc.getValue());
        return parse(block);
    }

    private static long bits(FieldValue v) {
        return switch (v) {
            case FieldValue.IntegerValue i -> i.value();
            case FieldValue.UnsignedValue u -> u.value();
            default -> throw new IllegalStateException("not an integer: " + v);
        };
    }

    /**
     * Writes the {@code n} values of column {@code c} that its first {@code count} rows carry, and
     * returns its header entry.
     */
    private static FieldSummary encodeValues(Column c, int count, int n, BitWriter w) {
        String name = c.name();
        FieldType type = c.type();
        if (type == FieldType.STRING) {
            String[] all = c.strings();
            boolean[] present = c.presence();
            String[] v = new String[n];
            for (int i = 0, j = 0; i < count; i++) {
                if (present == null || present[i]) {
                    v[j++] = all[i];
                }
            }
            Codecs.writeStrings(v, n, w);
            return new FieldSummary(name, type, n, null, null, null);
        }
        long[] v = gather(c.bits(), c.presence(), count, n);
        return switch (type) {
            case FLOAT -> encodeFloats(name, v, n, w);
            case INTEGER, UNSIGNED -> encodeIntegers(name, type, v, n, w);
            default -> {
                long trues = 0;
                for (int i = 0; i < n; i++) {
                    trues += v[i] != 0 ? 1 : 0;
                }
                Codecs.writeBooleans(v, n, w);
                yield new FieldSummary(name, type, n, null, null, new FieldValue.IntegerValue(trues));
            }
        };
    }

    private static FieldSummary encodeFloats(String name, long[] v, int n, BitWriter w) {
        double min = Double.NaN;
        double max = Double.NaN;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double d = Double.longBitsToDouble(v[i]);
            sum += d;
            if (!Double.isNaN(d)) {
                min = Double.isNaN(min) ? d : Math.min(min, d);
                max = Double.isNaN(max) ? d : Math.max(max, d);
            }
        }
        Codecs.writeFloats(v, n, w);
        return new FieldSummary(name, FieldType.FLOAT, n, FieldValue.of(min), FieldValue.of(max), FieldValue.of(sum));
    }

    private static FieldSummary encodeIntegers(String name, FieldType type, long[] v, int n, BitWriter w) {
        boolean unsigned = type == FieldType.UNSIGNED;
        long min = 0;
        long max = 0;
        long sum = 0;
        long high = 0; // the sum is kept in 128 bits, (high, sum), so only its final value must fit
        for (int i = 0; i < n; i++) {
            long x = v[i];
            if (i == 0) {
                min = x;
                max = x;
            } else if (unsigned) {
                min = Long.compareUnsigned(x, min) < 0 ? x : min;
                max = Long.compareUnsigned(x, max) > 0 ? x : max;
            } else {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            long s = sum + x;
            long carry = Long.compareUnsigned(s, sum) < 0 ? 1 : 0;
            high += carry + (unsigned ? 0 : x >> 63);
            sum = s;
        }
        boolean exact = unsigned ? high == 0 : high == (sum >> 63);
        Codecs.writeLongs(v, n, w);
        return new FieldSummary(
                name, type, n, integer(type, min), integer(type, max), exact ? integer(type, sum) : null);
    }

    /** The values of the rows that carry them, of the first {@code count} rows. */
    private static long[] gather(long[] all, boolean[] present, int count, int n) {
        if (present == null) {
            return all.length == n ? all : Arrays.copyOf(all, n);
        }
        long[] v = new long[n];
        for (int i = 0, j = 0; i < count; i++) {
            if (present[i]) {
                v[j++] = all[i];
            }
        }
        return v;
    }

    /** The names of the block's fields, sorted. */
    public List<String> fieldNames() {
        List<String> names = new ArrayList<>(fields.size());
        for (FieldSummary f : fields) {
            names.add(f.name());
        }
        return Collections.unmodifiableList(names);
    }

    @Override
    public String toString() {
        Map<String, FieldType> f = new LinkedHashMap<>();
        for (FieldSummary s : fields) {
            f.put(s.name(), s.type());
        }
        return "TimeBlock[" + count + " rows, " + firstTime + ".." + lastTime + ", " + bytes.length + " bytes, " + f
                + "]";
    }
}

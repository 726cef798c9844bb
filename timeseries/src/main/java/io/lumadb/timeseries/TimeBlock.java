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
import java.util.TreeMap;
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
        return new Builder();
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
            case FLOAT -> {
                double[] v = spread(Codecs.readFloats(r, n), present);
                yield new Column(field, s.type(), present, v, null, null, null);
            }
            case INTEGER, UNSIGNED -> {
                long[] v = spread(Codecs.readLongs(r, n), present);
                yield new Column(field, s.type(), present, null, v, null, null);
            }
            case BOOLEAN -> {
                boolean[] v = spread(Codecs.readBooleans(r, n), present);
                yield new Column(field, s.type(), present, null, null, v, null);
            }
            case STRING -> {
                String[] v = spread(Codecs.readStrings(r, n, columnLengths[i]), present);
                yield new Column(field, s.type(), present, null, null, null, v);
            }
        };
    }

    /** Every row, decoded. */
    public List<Row> rows() {
        long[] t = timestamps();
        List<Column> cols = new ArrayList<>();
        for (FieldSummary f : fields) {
            cols.add(column(f.name()));
        }
        List<Row> rows = new ArrayList<>(count);
        @SuppressWarnings("unchecked")
        Map.Entry<String, FieldValue>[] entries = new Map.Entry[cols.size()];
        for (int i = 0; i < count; i++) {
            int n = 0;
            for (Column c : cols) {
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

    // ------------------------------------------------------------ reading

    /**
     * Reads an encoded block, checking magic, version, length and checksum first, then the header.
     *
     * @throws TimeBlockException when the bytes are not a valid block
     */
    public static TimeBlock read(byte[] encoded) {
        byte[] b = encoded.clone();
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

    private static double[] spread(double[] v, boolean[] present) {
        if (present == null) {
            return v;
        }
        double[] out = new double[present.length];
        for (int row = 0, j = 0; row < present.length; row++) {
            if (present[row]) {
                out[row] = v[j++];
            }
        }
        return out;
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

    private static boolean[] spread(boolean[] v, boolean[] present) {
        if (present == null) {
            return v;
        }
        boolean[] out = new boolean[present.length];
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
     * Collects one series' points in any order and seals them into a block. Points with the same
     * timestamp merge into one row, field by field, the point added last winning. A field keeps
     * one type: adding a value of another type fails and leaves the builder as it was.
     */
    public static final class Builder {
        private long[] times = new long[64];
        private final List<Map<String, FieldValue>> rows = new ArrayList<>();
        private final Map<String, FieldType> types = new HashMap<>();
        private boolean sorted = true;

        private Builder() {}

        /**
         * Adds a point's timestamp and fields.
         *
         * @throws TimeBlockException when a field has a different type than earlier points gave it
         * @throws IllegalArgumentException when {@code fields} is empty
         */
        public Builder add(long time, Map<String, FieldValue> fields) {
            if (fields.isEmpty()) {
                throw new IllegalArgumentException("a point needs at least one field");
            }
            for (Map.Entry<String, FieldValue> f : fields.entrySet()) {
                FieldType known = types.get(f.getKey());
                if (known != null && known != f.getValue().type()) {
                    throw new TimeBlockException("field type conflict: field '" + f.getKey() + "' is " + known
                            + " in this series, the point gives " + f.getValue().type());
                }
            }
            for (Map.Entry<String, FieldValue> f : fields.entrySet()) {
                types.putIfAbsent(f.getKey(), f.getValue().type());
            }
            int n = rows.size();
            if (n == times.length) {
                times = Arrays.copyOf(times, n * 2);
            }
            if (n > 0 && time <= times[n - 1]) {
                sorted = false;
            }
            times[n] = time;
            rows.add(Map.copyOf(fields));
            return this;
        }

        /** Adds a point's timestamp and fields (its series is the caller's concern). */
        public Builder add(Point p) {
            return add(p.time(), p.fields());
        }

        /** Adds every row of a block, as if its points were added in time order. */
        public Builder addAll(TimeBlock block) {
            for (Row r : block.rows()) {
                add(r.time(), r.fields());
            }
            return this;
        }

        /** Points added so far (before merging equal timestamps). */
        public int size() {
            return rows.size();
        }

        /**
         * Sorts, merges and encodes the points.
         *
         * @throws IllegalStateException when no point was added
         */
        public TimeBlock build() {
            Merged m = merged();
            return encode(m.times(), m.rows(), types);
        }

        /**
         * The rows the block would hold, in time order, without encoding it: for reads of rows
         * that are not sealed yet.
         *
         * @throws IllegalStateException when no row was added
         */
        public List<Row> rows() {
            Merged m = merged();
            List<Row> out = new ArrayList<>(m.times().length);
            for (int i = 0; i < m.times().length; i++) {
                out.add(new Row(m.times()[i], m.rows().get(i)));
            }
            return out;
        }

        private record Merged(long[] times, List<Map<String, FieldValue>> rows) {}

        /** The rows sorted by time, a later one merged into an earlier one of the same time. */
        private Merged merged() {
            int n = rows.size();
            if (n == 0) {
                throw new IllegalStateException("a block needs at least one point");
            }
            long[] t;
            List<Map<String, FieldValue>> merged;
            if (sorted) {
                t = Arrays.copyOf(times, n);
                merged = rows;
            } else {
                Integer[] order = new Integer[n];
                for (int i = 0; i < n; i++) {
                    order[i] = i;
                }
                // A stable sort keeps equal timestamps in the order they were added: the later wins.
                Arrays.sort(order, (a, b) -> Long.compare(times[a], times[b]));
                long[] tt = new long[n];
                merged = new ArrayList<>(n);
                int m = 0;
                for (int k = 0; k < n; k++) {
                    int i = order[k];
                    if (m > 0 && tt[m - 1] == times[i]) {
                        Map<String, FieldValue> row = new HashMap<>(merged.get(m - 1));
                        row.putAll(rows.get(i));
                        merged.set(m - 1, row);
                    } else {
                        tt[m++] = times[i];
                        merged.add(rows.get(i));
                    }
                }
                t = Arrays.copyOf(tt, m);
            }
            return new Merged(t, merged);
        }
    }

    private static TimeBlock encode(long[] t, List<Map<String, FieldValue>> rows, Map<String, FieldType> types) {
        int count = t.length;
        // The builder records a type for exactly the fields its rows carry: no need to visit every row.
        Map<String, FieldType> sortedFields = new TreeMap<>(SeriesKey::compareCodePoints);
        sortedFields.putAll(types);
        BitWriter timeCol = new BitWriter(count / 4 + 16);
        Codecs.writeTimestamps(t, count, timeCol);
        byte[] timeBytes = timeCol.toByteArray();

        List<FieldSummary> summaries = new ArrayList<>();
        List<byte[]> columns = new ArrayList<>();
        for (Map.Entry<String, FieldType> f : sortedFields.entrySet()) {
            String name = f.getKey();
            FieldType type = f.getValue();
            boolean[] present = new boolean[count];
            int n = 0;
            for (int i = 0; i < count; i++) {
                if (rows.get(i).containsKey(name)) {
                    present[i] = true;
                    n++;
                }
            }
            BitWriter w = new BitWriter(n + 16);
            if (n < count) {
                for (boolean p : present) {
                    w.writeBit(p);
                }
                w.align();
            }
            FieldValue[] values = new FieldValue[n];
            for (int i = 0, j = 0; i < count; i++) {
                if (present[i]) {
                    values[j++] = rows.get(i).get(name);
                }
            }
            summaries.add(encodeValues(name, type, values, w));
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
        return read(block);
    }

    private static long bits(FieldValue v) {
        return switch (v) {
            case FieldValue.IntegerValue i -> i.value();
            case FieldValue.UnsignedValue u -> u.value();
            default -> throw new IllegalStateException("not an integer: " + v);
        };
    }

    /** Writes the present values of one field and returns its header entry. */
    private static FieldSummary encodeValues(String name, FieldType type, FieldValue[] values, BitWriter w) {
        int n = values.length;
        switch (type) {
            case FLOAT -> {
                double[] v = new double[n];
                double min = Double.NaN;
                double max = Double.NaN;
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    double d = ((FieldValue.FloatValue) values[i]).value();
                    v[i] = d;
                    sum += d;
                    if (!Double.isNaN(d)) {
                        min = Double.isNaN(min) ? d : Math.min(min, d);
                        max = Double.isNaN(max) ? d : Math.max(max, d);
                    }
                }
                Codecs.writeFloats(v, n, w);
                return new FieldSummary(name, type, n, FieldValue.of(min), FieldValue.of(max), FieldValue.of(sum));
            }
            case INTEGER, UNSIGNED -> {
                boolean unsigned = type == FieldType.UNSIGNED;
                long[] v = new long[n];
                long min = 0;
                long max = 0;
                long sum = 0;
                long high = 0; // the sum is kept in 128 bits, (high, sum), so only its final value must fit
                for (int i = 0; i < n; i++) {
                    long x = bits(values[i]);
                    v[i] = x;
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
            case BOOLEAN -> {
                boolean[] v = new boolean[n];
                long trues = 0;
                for (int i = 0; i < n; i++) {
                    v[i] = ((FieldValue.BooleanValue) values[i]).value();
                    trues += v[i] ? 1 : 0;
                }
                Codecs.writeBooleans(v, n, w);
                return new FieldSummary(name, type, n, null, null, new FieldValue.IntegerValue(trues));
            }
            case STRING -> {
                String[] v = new String[n];
                for (int i = 0; i < n; i++) {
                    v[i] = ((FieldValue.StringValue) values[i]).value();
                }
                Codecs.writeStrings(v, n, w);
                return new FieldSummary(name, type, n, null, null, null);
            }
        }
        throw new IllegalStateException("unreachable");
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

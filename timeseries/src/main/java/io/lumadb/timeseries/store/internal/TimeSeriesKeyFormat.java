package io.lumadb.timeseries.store.internal;

import io.lumadb.timeseries.Column;
import io.lumadb.timeseries.FieldType;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.TimeBlock;
import io.lumadb.timeseries.store.TimeSeriesStoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.BiConsumer;

/**
 * The key layout of a time-series store: every key and value it writes, under the store's key
 * prefix {@code R} (any bytes the caller chooses so that no other key of the column family starts
 * with them; a shard uses its 8-byte store id followed by a key-space byte of its own).
 *
 * <h2>Layout (version 1)</h2>
 *
 * Notation: {@code int64(x)} is 8 bytes big-endian; {@code time(t)} is {@code int64(t ^
 * 0x8000000000000000)}, so that byte order is signed time order (times before 1970 included);
 * {@code varint} is unsigned LEB128; {@code str(s)} is {@code varint(length) ++ utf8(s)}, so that
 * a component is delimited whatever bytes it holds. A series id is an {@code int64}, given in
 * order of first write from 0 and never reused.
 *
 * <pre>
 * R 0x00                                   meta: version (1 byte, 1), block duration (int64, ns),
 *                                          applied batch seq (int64), next series id (int64),
 *                                          watermark: newest time written (int64, Long.MIN_VALUE
 *                                          before any), retention horizon (int64, Long.MIN_VALUE
 *                                          before any retention)
 * R 0x01 utf8(canonical series key)        series id (int64)
 * R 0x02 int64(id)                         series key: str(measurement) varint(tag count)
 *                                          tag count × (str(key) str(value)), tags sorted by key
 * R 0x03 str(measurement) int64(id)        empty: measurement index
 * R 0x04 str(measurement) str(tag key) str(tag value) int64(id)
 *                                          empty: tag index, one per tag of each series
 * R 0x05 int64(id) utf8(field)             the field's type in the series: 1 byte, {@link FieldType#code()}
 * R 0x06 int64(id) time(block start)       a sealed block, encoded as {@link TimeBlock} (its own
 *                                          format: header, columns, CRC32C footer)
 * R 0x07 int64(id) time(block start) int64(batch seq)
 *                                          an open chunk: the rows one batch wrote to the block,
 *                                          one per timestamp (see below)
 * R 0x08                                   downsampling meta: version (1 byte, 1), the last journal
 *                                          event downsampled (int64), the downsampling watermark:
 *                                          newest time of the events downsampled (int64)
 * R 0x09 u8(rule) int64(id) time(window start)
 *                                          a rolled-up window of a series (see below)
 * R 0x0A u8(rule) time(window start) int64(id)
 *                                          empty: a window that has points and is not closed yet
 * </pre>
 *
 * <p>A rolled-up window: varint(field count), then per field in code point order: str(name),
 * varint(count), varint(numeric count), sum, min and max (each the 8 bytes of an IEEE 754
 * double), then 1 byte: 1 when first and last follow (int64(time), value; int64(time), value), 0
 * when the rule keeps neither. A rule is named by its position among the collection's rules.
 *
 * <p>A value is its type (1 byte, {@link FieldType#code()}) and its bytes: FLOAT 8-byte IEEE 754
 * bits, INTEGER and UNSIGNED int64, BOOLEAN 1 byte (0 or 1), STRING str(value).
 *
 * <p>An open chunk: varint(name count), name count × str(field name) in code point order; then
 * varint(row count) and per row, in time order: int64(t), varint(field count), then per field,
 * in name order: varint(index of its name) and the value. The open rows of a block are its chunks merged in batch order, a later
 * chunk's field winning over an earlier one's for the same timestamp; one key per block and
 * batch keeps ingest free of reads and of per-point keys.
 *
 * <p>A block starts at a multiple of the block duration and covers {@code [start, start +
 * duration)}. For one series and block start, the rows are either one sealed block or open rows,
 * never both: sealing writes the block and deletes the open rows in one write batch. Every
 * {@code write} and {@code dropBefore} writes the meta in the same write batch as its changes (a
 * {@code flush} changes no meta field), so the store is always at exactly one applied batch.
 */
final class TimeSeriesKeyFormat {
    private TimeSeriesKeyFormat() {}

    static final int VERSION = 1;

    static final byte META = 0x00;
    static final byte SERIES_ID = 0x01;
    static final byte SERIES_KEY = 0x02;
    static final byte MEASUREMENT_INDEX = 0x03;
    static final byte TAG_INDEX = 0x04;
    static final byte FIELD_TYPE = 0x05;
    static final byte SEALED = 0x06;
    static final byte OPEN = 0x07;
    static final byte ROLLUP_META = 0x08;
    static final byte ROLLUP = 0x09;
    static final byte ROLLUP_PENDING = 0x0A;

    /** Bytes of the rollup meta value. */
    static final int ROLLUP_META_LENGTH = 1 + 2 * 8;

    /** Bytes of the meta value. */
    static final int META_LENGTH = 1 + 5 * 8;

    /** A growable byte array for keys and values. */
    static final class Bytes {
        private byte[] buf;
        private int len;

        Bytes(byte[] prefix, int extra) {
            buf = Arrays.copyOf(prefix, prefix.length + Math.max(extra, 16));
            len = prefix.length;
        }

        Bytes(int capacity) {
            buf = new byte[Math.max(capacity, 16)];
        }

        private void ensure(int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
        }

        Bytes u8(int b) {
            ensure(1);
            buf[len++] = (byte) b;
            return this;
        }

        Bytes i64(long v) {
            ensure(8);
            for (int i = 7; i >= 0; i--) {
                buf[len++] = (byte) (v >>> (8 * i));
            }
            return this;
        }

        Bytes time(long t) {
            return i64(t ^ Long.MIN_VALUE);
        }

        Bytes varint(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
            return this;
        }

        Bytes raw(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
            return this;
        }

        Bytes str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return varint(b.length).raw(b);
        }

        /** A value: its type (1 byte) then its bytes, as an open chunk holds it. */
        Bytes value(FieldValue value) {
            u8(value.type().code());
            return switch (value) {
                case FieldValue.FloatValue v -> i64(Double.doubleToRawLongBits(v.value()));
                case FieldValue.IntegerValue v -> i64(v.value());
                case FieldValue.UnsignedValue v -> i64(v.value());
                case FieldValue.BooleanValue v -> u8(v.value() ? 1 : 0);
                case FieldValue.StringValue v -> str(v.value());
            };
        }

        Bytes f64(double d) {
            return i64(Double.doubleToRawLongBits(d));
        }

        byte[] toArray() {
            return Arrays.copyOf(buf, len);
        }
    }

    /** Reads what {@link Bytes} wrote. */
    static final class Reader {
        private final byte[] b;
        private int pos;

        Reader(byte[] b, int pos) {
            this.b = b;
            this.pos = pos;
        }

        int u8() {
            return b[pos++] & 0xFF;
        }

        long i64() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (b[pos++] & 0xFF);
            }
            return v;
        }

        long time() {
            return i64() ^ Long.MIN_VALUE;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = b[pos++];
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) {
                    return v;
                }
            }
            throw new TimeSeriesStoreException("malformed varint");
        }

        String str() {
            int n = Math.toIntExact(varint());
            String s = new String(b, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        /** What {@link Bytes#value} wrote. */
        FieldValue value() {
            return switch (FieldType.ofCode(u8())) {
                case FLOAT -> new FieldValue.FloatValue(Double.longBitsToDouble(i64()));
                case INTEGER -> new FieldValue.IntegerValue(i64());
                case UNSIGNED -> new FieldValue.UnsignedValue(i64());
                case BOOLEAN -> new FieldValue.BooleanValue(u8() != 0);
                case STRING -> new FieldValue.StringValue(str());
            };
        }

        double f64() {
            return Double.longBitsToDouble(i64());
        }

        boolean atEnd() {
            return pos == b.length;
        }
    }

    static Bytes key(byte[] prefix, byte space) {
        return new Bytes(prefix, 32).u8(space);
    }

    static byte[] meta(byte[] r) {
        return key(r, META).toArray();
    }

    static byte[] seriesId(byte[] r, String canonical) {
        return key(r, SERIES_ID).raw(canonical.getBytes(StandardCharsets.UTF_8)).toArray();
    }

    static byte[] seriesKey(byte[] r, long id) {
        return key(r, SERIES_KEY).i64(id).toArray();
    }

    static Bytes measurementIndex(byte[] r, String measurement) {
        return key(r, MEASUREMENT_INDEX).str(measurement);
    }

    static Bytes tagIndex(byte[] r, String measurement, String tagKey, String tagValue) {
        return key(r, TAG_INDEX).str(measurement).str(tagKey).str(tagValue);
    }

    static Bytes fieldTypes(byte[] r, long id) {
        return key(r, FIELD_TYPE).i64(id);
    }

    static Bytes sealed(byte[] r, long id) {
        return key(r, SEALED).i64(id);
    }

    static byte[] sealed(byte[] r, long id, long blockStart) {
        return sealed(r, id).time(blockStart).toArray();
    }

    static Bytes open(byte[] r, long id) {
        return key(r, OPEN).i64(id);
    }

    static Bytes open(byte[] r, long id, long blockStart) {
        return open(r, id).time(blockStart);
    }

    static byte[] open(byte[] r, long id, long blockStart, long batchSeq) {
        return open(r, id, blockStart).i64(batchSeq).toArray();
    }

    static byte[] rollupMeta(byte[] r) {
        return key(r, ROLLUP_META).toArray();
    }

    static Bytes rollups(byte[] r, int rule, long id) {
        return key(r, ROLLUP).u8(rule).i64(id);
    }

    static byte[] rollup(byte[] r, int rule, long id, long windowStart) {
        return rollups(r, rule, id).time(windowStart).toArray();
    }

    static Bytes pending(byte[] r, int rule) {
        return key(r, ROLLUP_PENDING).u8(rule);
    }

    static byte[] pending(byte[] r, int rule, long windowStart, long id) {
        return pending(r, rule).time(windowStart).i64(id).toArray();
    }

    static byte[] encodeRollupMeta(long seq, long watermark) {
        return new Bytes(ROLLUP_META_LENGTH).u8(VERSION).i64(seq).i64(watermark).toArray();
    }

    static byte[] encodeRollup(Map<String, io.lumadb.timeseries.store.RollupCell> fields) {
        String[] names = fields.keySet().toArray(String[]::new);
        Arrays.sort(names, SeriesKey::compareCodePoints);
        Bytes b = new Bytes(16 + names.length * 48).varint(names.length);
        for (String name : names) {
            io.lumadb.timeseries.store.RollupCell c = fields.get(name);
            b.str(name)
                    .varint(c.count())
                    .varint(c.n())
                    .f64(c.sum())
                    .f64(c.min())
                    .f64(c.max());
            if (c.first() != null) {
                b.u8(1).i64(c.firstTime()).value(c.first()).i64(c.lastTime()).value(c.last());
            } else {
                b.u8(0);
            }
        }
        return b.toArray();
    }

    static Map<String, io.lumadb.timeseries.store.RollupCell> decodeRollup(byte[] value) {
        Reader r = new Reader(value, 0);
        int n = Math.toIntExact(r.varint());
        Map<String, io.lumadb.timeseries.store.RollupCell> fields = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            String name = r.str();
            long count = r.varint();
            long numeric = r.varint();
            double sum = r.f64();
            double min = r.f64();
            double max = r.f64();
            long firstTime = 0;
            long lastTime = 0;
            FieldValue first = null;
            FieldValue last = null;
            if (r.u8() == 1) {
                firstTime = r.i64();
                first = r.value();
                lastTime = r.i64();
                last = r.value();
            }
            fields.put(
                    name,
                    new io.lumadb.timeseries.store.RollupCell(
                            count, numeric, sum, min, max, firstTime, first, lastTime, last));
        }
        if (!r.atEnd()) {
            throw new TimeSeriesStoreException("a rolled-up window has bytes after its fields");
        }
        return fields;
    }

    /**
     * The smallest key greater than every key starting with {@code prefix}, or null when there is
     * none (the prefix is empty or all 0xFF).
     */
    static byte[] end(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xFF) {
                byte[] e = Arrays.copyOf(prefix, i + 1);
                e[i]++;
                return e;
            }
        }
        return null;
    }

    static byte[] encodeMeta(long blockDuration, long appliedSeq, long nextSeriesId, long watermark, long horizon) {
        return new Bytes(META_LENGTH)
                .u8(VERSION)
                .i64(blockDuration)
                .i64(appliedSeq)
                .i64(nextSeriesId)
                .i64(watermark)
                .i64(horizon)
                .toArray();
    }

    static byte[] encodeSeriesKey(SeriesKey key) {
        Bytes b = new Bytes(32 + 16 * key.tags().size())
                .str(key.measurement())
                .varint(key.tags().size());
        for (Point.Tag t : key.tags()) {
            b.str(t.key()).str(t.value());
        }
        return b.toArray();
    }

    static SeriesKey decodeSeriesKey(byte[] value) {
        Reader r = new Reader(value, 0);
        String measurement = r.str();
        int n = Math.toIntExact(r.varint());
        List<Point.Tag> tags = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tags.add(new Point.Tag(r.str(), r.str()));
        }
        return new SeriesKey(measurement, tags);
    }

    static byte[] encodeChunk(SortedMap<Long, Map<String, FieldValue>> rows) {
        Set<String> distinct = new HashSet<>();
        for (Map<String, FieldValue> fields : rows.values()) {
            distinct.addAll(fields.keySet());
        }
        String[] order = distinct.toArray(String[]::new);
        Arrays.sort(order, SeriesKey::compareCodePoints);
        Bytes b = new Bytes(16 + rows.size() * 16 * (1 + order.length)).varint(order.length);
        for (String n : order) {
            b.str(n);
        }
        b.varint(rows.size());
        for (Map.Entry<Long, Map<String, FieldValue>> row : rows.entrySet()) {
            Map<String, FieldValue> fields = row.getValue();
            b.i64(row.getKey()).varint(fields.size());
            for (int i = 0; i < order.length; i++) {
                FieldValue value = fields.get(order[i]);
                if (value == null) {
                    continue;
                }
                b.varint(i).value(value);
            }
        }
        return b.toArray();
    }

    /** The chunk of {@code rows}: what {@link #encodeChunk(SortedMap)} writes for the same rows. */
    static byte[] encodeChunk(TimeBlock.Columns rows) {
        List<Column> columns = rows.columns(); // sorted by name, as a chunk lists them
        long[] times = rows.timestamps();
        Bytes b = new Bytes(16 + times.length * 16 * (1 + columns.size())).varint(columns.size());
        for (Column c : columns) {
            b.str(c.name());
        }
        b.varint(times.length);
        for (int row = 0; row < times.length; row++) {
            int n = 0;
            for (Column c : columns) {
                if (c.present(row)) {
                    n++;
                }
            }
            b.i64(times[row]).varint(n);
            for (int i = 0; i < columns.size(); i++) {
                Column c = columns.get(i);
                if (!c.present(row)) {
                    continue;
                }
                b.varint(i).u8(c.type().code());
                switch (c.type()) {
                    case FLOAT, INTEGER, UNSIGNED -> b.i64(c.bitsAt(row));
                    case BOOLEAN -> b.u8(c.bitsAt(row) != 0 ? 1 : 0);
                    case STRING -> b.str(c.stringAt(row));
                }
            }
        }
        return b.toArray();
    }

    /** Hands every row of a chunk, in time order, to {@code row}. */
    static void decodeChunk(byte[] chunk, BiConsumer<Long, Map<String, FieldValue>> row) {
        Reader r = new Reader(chunk, 0);
        String[] names = new String[Math.toIntExact(r.varint())];
        for (int i = 0; i < names.length; i++) {
            names[i] = r.str();
        }
        long rows = r.varint();
        for (long k = 0; k < rows; k++) {
            long t = r.i64();
            int n = Math.toIntExact(r.varint());
            // Built immutable, as a block keeps its rows: a TimeBlock.Builder then need not copy it.
            @SuppressWarnings("unchecked")
            Map.Entry<String, FieldValue>[] fields = new Map.Entry[n];
            for (int i = 0; i < n; i++) {
                String name = names[Math.toIntExact(r.varint())];
                fields[i] = Map.entry(name, r.value());
            }
            Map<String, FieldValue> immutable;
            try {
                immutable = Map.ofEntries(fields);
            } catch (IllegalArgumentException e) {
                throw new TimeSeriesStoreException("an open chunk names a field twice in a row: " + e.getMessage());
            }
            row.accept(t, immutable);
        }
        if (!r.atEnd()) {
            throw new TimeSeriesStoreException("an open chunk has " + (chunk.length - r.pos) + " bytes after its rows");
        }
    }
}

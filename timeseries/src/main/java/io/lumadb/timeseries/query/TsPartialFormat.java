package io.lumadb.timeseries.query;

import io.lumadb.timeseries.FieldType;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.VarBytes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The byte layout of a shard's partial answer to a {@code _tsquery}, which travels from each shard
 * to the HTTP node that merges them. Not stored: a node only reads partials written by a node of
 * the same version, but the version byte lets a mixed cluster refuse clearly rather than misread.
 *
 * <pre>
 * partial    = version:u8 (=1) kind:u8 body crc:u32be
 *              kind 1 = aggregates, 2 = rows; crc is CRC32C of every byte before it
 * aggregates = flags:u8 (bit 0: cells carry first/last, bit 1: cells carry values, bit 2: the
 *              shard answered from rolled-up windows) [every:varint (their length, ns) when bit 2]
 *              groups:varint { group cells:varint { cell } }
 * group      = hasMeasurement:u8 [measurement:str] tags:varint { key:str value:str }
 * cell       = windowStart:zigzag field:str count:varint n:varint
 *              [sum:f64 min:f64 max:f64]                       when n &gt; 0
 *              [firstTime:zigzag firstSeries:str first:value
 *               lastTime:zigzag lastSeries:str last:value]     when flag 0 (count &gt; 0 always)
 *              [k:varint { f64 }]                              when flag 1 (the n values)
 * rows       = truncated:u8 rows:varint { series time:zigzag fields:varint { name:str value } }
 * series     = measurement:str tags:varint { key:str value:str }
 * value      = type:u8 (FieldType code) then FLOAT f64 | INTEGER zigzag | UNSIGNED varint (its 64
 *              bits) | BOOLEAN u8 | STRING str
 * str        = ref:varint; 0 = a new string: length:varint UTF-8 bytes, which takes the next index;
 *              i &gt; 0 = the (i-1)-th new string of this partial (series keys, field and tag names
 *              repeat often)
 * varint     = unsigned LEB128 of a 64-bit value; zigzag = a signed 64-bit value zigzag-encoded as
 *              a varint; f64 = the 8 bytes of the IEEE 754 bits, big-endian
 * </pre>
 */
final class TsPartialFormat {
    static final int VERSION = 1;
    static final int KIND_AGGREGATES = 1;
    static final int KIND_ROWS = 2;
    static final int FLAG_FIRST_LAST = 1;
    static final int FLAG_VALUES = 2;
    static final int FLAG_DOWNSAMPLED = 4;

    private TsPartialFormat() {}

    /** Encodes a partial. */
    static byte[] write(TsPartial partial) {
        Out out = new Out();
        out.u8(VERSION);
        switch (partial) {
            case TsPartial.Aggregates a -> {
                out.u8(KIND_AGGREGATES);
                out.u8((a.firstLast() ? FLAG_FIRST_LAST : 0)
                        | (a.values() ? FLAG_VALUES : 0)
                        | (a.downsampled() > 0 ? FLAG_DOWNSAMPLED : 0));
                if (a.downsampled() > 0) {
                    out.varint(a.downsampled());
                }
                out.varint(a.groups().size());
                for (Map.Entry<GroupKey, Map<Long, Map<String, Cell>>> g :
                        a.groups().entrySet()) {
                    GroupKey k = g.getKey();
                    out.u8(k.measurement() == null ? 0 : 1);
                    if (k.measurement() != null) {
                        out.str(k.measurement());
                    }
                    out.tags(k.tags());
                    int cells = 0;
                    for (Map<String, Cell> w : g.getValue().values()) {
                        cells += w.size();
                    }
                    out.varint(cells);
                    for (Map.Entry<Long, Map<String, Cell>> w : g.getValue().entrySet()) {
                        for (Map.Entry<String, Cell> f : w.getValue().entrySet()) {
                            Cell c = f.getValue();
                            out.zigzag(w.getKey());
                            out.str(f.getKey());
                            out.varint(c.count);
                            out.varint(c.n);
                            if (c.n > 0) {
                                out.f64(c.sum);
                                out.f64(c.min);
                                out.f64(c.max);
                            }
                            if (a.firstLast()) {
                                out.zigzag(c.firstTime);
                                out.str(c.firstSeries);
                                out.value(c.first);
                                out.zigzag(c.lastTime);
                                out.str(c.lastSeries);
                                out.value(c.last);
                            }
                            if (a.values()) {
                                out.varint(c.size);
                                for (int i = 0; i < c.size; i++) {
                                    out.f64(c.values[i]);
                                }
                            }
                        }
                    }
                }
            }
            case TsPartial.Rows r -> {
                out.u8(KIND_ROWS);
                out.u8(r.truncated() ? 1 : 0);
                out.varint(r.rows().size());
                for (TsPartial.Row row : r.rows()) {
                    out.str(row.series().measurement());
                    out.tags(row.series().tags());
                    out.zigzag(row.time());
                    out.varint(row.fields().size());
                    for (Map.Entry<String, FieldValue> f : row.fields().entrySet()) {
                        out.str(f.getKey());
                        out.value(f.getValue());
                    }
                }
            }
        }
        CRC32C crc = new CRC32C();
        out.update(crc);
        int c = (int) crc.getValue();
        out.u8(c >>> 24);
        out.u8(c >>> 16);
        out.u8(c >>> 8);
        out.u8(c);
        return out.toByteArray();
    }

    /**
     * Decodes a partial after checking its version and checksum.
     *
     * @throws IllegalArgumentException when the bytes are not a partial of this version, or corrupt
     */
    static TsPartial read(byte[] bytes) {
        if (bytes.length < 6) {
            throw new IllegalArgumentException("tsquery partial is " + bytes.length + " bytes, too short");
        }
        if ((bytes[0] & 0xFF) != VERSION) {
            throw new IllegalArgumentException(
                    "tsquery partial has format version " + (bytes[0] & 0xFF) + "; this node reads " + VERSION);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int end = bytes.length - 4;
        int stored = ((bytes[end] & 0xFF) << 24)
                | ((bytes[end + 1] & 0xFF) << 16)
                | ((bytes[end + 2] & 0xFF) << 8)
                | (bytes[end + 3] & 0xFF);
        if (stored != (int) crc.getValue()) {
            throw new IllegalArgumentException("tsquery partial is corrupt: its checksum does not match");
        }
        In in = new In(bytes, 1, end);
        try {
            TsPartial p =
                    switch (in.u8()) {
                        case KIND_AGGREGATES -> readAggregates(in);
                        case KIND_ROWS -> readRows(in);
                        default -> throw new IllegalArgumentException("unknown kind " + (bytes[1] & 0xFF));
                    };
            if (in.remaining() != 0) {
                throw new IllegalArgumentException(in.remaining() + " bytes left over");
            }
            return p;
        } catch (IllegalArgumentException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("tsquery partial is corrupt: " + e.getMessage(), e);
        }
    }

    private static TsPartial readAggregates(In in) {
        int flags = in.u8();
        boolean firstLast = (flags & FLAG_FIRST_LAST) != 0;
        boolean values = (flags & FLAG_VALUES) != 0;
        long downsampled = (flags & FLAG_DOWNSAMPLED) != 0 ? in.varint() : 0;
        Map<GroupKey, Map<Long, Map<String, Cell>>> groups = new LinkedHashMap<>();
        long ng = in.count();
        for (long g = 0; g < ng; g++) {
            String measurement = in.u8() == 1 ? in.str() : null;
            GroupKey key = new GroupKey(measurement, in.tags());
            Map<Long, Map<String, Cell>> windows = new HashMap<>();
            groups.put(key, windows);
            long cells = in.count();
            for (long i = 0; i < cells; i++) {
                long start = in.zigzag();
                String field = in.str();
                Cell c = new Cell();
                c.count = in.varint();
                c.n = in.varint();
                if (c.n > 0) {
                    c.sum = in.f64();
                    c.min = in.f64();
                    c.max = in.f64();
                }
                if (firstLast) {
                    c.firstTime = in.zigzag();
                    c.firstSeries = in.str();
                    c.first = in.value();
                    c.lastTime = in.zigzag();
                    c.lastSeries = in.str();
                    c.last = in.value();
                }
                if (values) {
                    long k = in.count();
                    for (long j = 0; j < k; j++) {
                        c.keep(in.f64());
                    }
                }
                windows.computeIfAbsent(start, x -> new HashMap<>()).put(field, c);
            }
        }
        return new TsPartial.Aggregates(firstLast, values, groups, downsampled);
    }

    private static TsPartial readRows(In in) {
        boolean truncated = in.u8() == 1;
        long n = in.count();
        List<TsPartial.Row> rows = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            SeriesKey series = new SeriesKey(in.str(), in.tags());
            long time = in.zigzag();
            long nf = in.count();
            Map<String, FieldValue> fields = new LinkedHashMap<>();
            for (long j = 0; j < nf; j++) {
                fields.put(in.str(), in.value());
            }
            rows.add(new TsPartial.Row(series, time, fields));
        }
        return new TsPartial.Rows(truncated, rows);
    }

    /** The output buffer, with the format's back-referenced strings and values. */
    private static final class Out extends VarBytes.Writer {
        final Map<String, Integer> strings = new HashMap<>();

        Out() {
            super(256);
        }

        void str(String s) {
            Integer ref = strings.get(s);
            if (ref != null) {
                varint(ref + 1L);
                return;
            }
            strings.put(s, strings.size());
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(0);
            varint(b.length);
            bytes(b);
        }

        void tags(List<Point.Tag> tags) {
            varint(tags.size());
            for (Point.Tag t : tags) {
                str(t.key());
                str(t.value());
            }
        }

        void value(FieldValue v) {
            u8(v.type().code());
            switch (v) {
                case FieldValue.FloatValue f -> f64(f.value());
                case FieldValue.IntegerValue i -> zigzag(i.value());
                case FieldValue.UnsignedValue u -> varint(u.value());
                case FieldValue.BooleanValue b -> u8(b.value() ? 1 : 0);
                case FieldValue.StringValue s -> str(s.value());
            }
        }
    }

    /** A bounds-checked reader of the body (between the header and the checksum). */
    private static final class In extends VarBytes.Reader {
        final List<String> strings = new ArrayList<>();

        In(byte[] buf, int pos, int end) {
            super(buf, pos, end);
        }

        String str() {
            long ref = varint();
            if (ref > 0) {
                if (ref > strings.size()) {
                    throw new IllegalArgumentException("string reference " + ref + " before it was written");
                }
                return strings.get((int) (ref - 1));
            }
            String s = utf8(count());
            strings.add(s);
            return s;
        }

        List<Point.Tag> tags() {
            long n = count();
            List<Point.Tag> tags = new ArrayList<>();
            for (long i = 0; i < n; i++) {
                tags.add(new Point.Tag(str(), str()));
            }
            return tags;
        }

        FieldValue value() {
            FieldType t;
            int code = u8();
            try {
                t = FieldType.ofCode(code);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("unknown field type " + code);
            }
            return switch (t) {
                case FLOAT -> new FieldValue.FloatValue(f64());
                case INTEGER -> new FieldValue.IntegerValue(zigzag());
                case UNSIGNED -> new FieldValue.UnsignedValue(varint());
                case BOOLEAN -> new FieldValue.BooleanValue(u8() == 1);
                case STRING -> new FieldValue.StringValue(str());
            };
        }
    }
}

package io.lumadb.timeseries.shard;

import io.lumadb.timeseries.Decimals;
import io.lumadb.timeseries.FieldMap;
import io.lumadb.timeseries.FieldType;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.VarBytes;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.PointError;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.WriteResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes of a batch of points that a time-series shard journals ({@code ShardEntity.Append} of
 * kind {@value TimeSeriesShardStore#APPEND_KIND}) and of the shard's answer to it. A batch is the
 * source of truth for its points (the store is rebuilt from the journal), so it is exact, and
 * compact: every string is written once per batch and every series once.
 *
 * <h2>Batch (version 3; version 2 had no decimal floats, version 1 no rules)</h2>
 *
 * Notation: {@code varint} is unsigned LEB128, {@code zigzag} a signed varint in zigzag form,
 * {@code int64} 8 bytes big-endian, {@code str} an index into the string table as a varint.
 *
 * <pre>
 * 0x54 0x31                      magic "T1"
 * varint(1)                      format version
 * int64 block duration, int64 lateness, int64 retention (ns; 0: forever)   the collection's settings
 * varint r, r × (int64 every, int64 retention, varint aggregates mask)    its downsampling rules
 * varint n, n × (varint length, utf8)                                       the string table
 * varint s, s × (str measurement, varint tags, tags × (str key, str value)) the series, tags sorted
 * varint p, p × point            the points, in the order written (errors name them by position)
 * point: varint series, zigzag(time − previous point's time; the first: − 0), varint fields,
 *        fields × (str name, type byte, value)
 * value: FLOAT int64 IEEE 754 bits; INTEGER zigzag; UNSIGNED varint; BOOLEAN 1 byte; STRING str;
 *        a decimal FLOAT (type byte 16 + k, k in 0..6) zigzag m, the float m / 10^k
 * </pre>
 *
 * <p>A float is written as a decimal when {@link Decimals} says {@code m / 10^k} gives back its
 * exact bits (so never for -0.0, NaN or the infinities): readings such as {@code 58.1} take 3
 * bytes instead of 9, which is most of a metrics batch, and so of the journal. Reading it back
 * computes the same expression, so a batch stays exact.
 *
 * <h2>Answer</h2>
 *
 * {@code varint(points stored), varint(errors), errors × (varint position, varint length, utf8
 * message)}.
 */
public final class PointBatchFormat {

    private static final byte MAGIC_0 = 0x54;
    private static final byte MAGIC_1 = 0x31;
    private static final int VERSION = 3;
    /** The type byte of a float written as a decimal with {@code k} digits after the point is this plus k. */
    private static final int DECIMAL_FLOAT = 16;
    /** The most digits after the point a float is written as a decimal with. */
    private static final int MAX_SCALE = 6;

    private PointBatchFormat() {}

    /** A decoded batch: the collection's settings and retention with the points, in order. */
    public record Batch(
            TimeSeriesSettings settings, long retention, List<Point> points, List<DownsamplingRule> rules) {}

    /** The shard's answer to a batch: how many points it stored and why it left out the others. */
    public record Answer(int stored, List<Error> errors) {
        public Answer {
            errors = List.copyOf(errors);
        }
    }

    /** A point of the batch that was not stored: its position in the batch and why. */
    public record Error(int position, String message) {}

    /** Encodes {@code points} with the collection's {@code settings} and {@code retention} (0: none). */
    public static byte[] encode(TimeSeriesSettings settings, long retention, List<Point> points) {
        return encode(settings, retention, List.of(), points);
    }

    /** Encodes {@code points} with the collection's settings, retention (0: none) and downsampling {@code rules}. */
    public static byte[] encode(
            TimeSeriesSettings settings, long retention, List<DownsamplingRule> rules, List<Point> points) {
        Builder out = new Builder(settings, retention, rules);
        Map<List<Object>, Integer> series = new HashMap<>();
        // Points of one series usually share their tag list: looked up by identity first.
        java.util.IdentityHashMap<List<Point.Tag>, Object[]> seen = new java.util.IdentityHashMap<>();
        for (Point p : points) {
            Object[] known = seen.get(p.tags());
            int id;
            if (known != null && known[0].equals(p.measurement())) {
                id = (Integer) known[1];
            } else {
                List<Object> key = new ArrayList<>(1 + p.tags().size());
                key.add(p.measurement());
                key.addAll(p.tags());
                Integer existing = series.get(key);
                id = existing != null ? existing : out.series(p.measurement(), p.tags());
                series.putIfAbsent(key, id);
                seen.put(p.tags(), new Object[] {p.measurement(), id});
            }
            out.point(id, p.time(), p.fields().size());
            for (Map.Entry<String, FieldValue> f : p.fields().entrySet()) {
                int name = out.string(f.getKey());
                switch (f.getValue()) {
                    case FieldValue.FloatValue x ->
                        out.field(name, FieldType.FLOAT, Double.doubleToRawLongBits(x.value()));
                    case FieldValue.IntegerValue x -> out.field(name, FieldType.INTEGER, x.value());
                    case FieldValue.UnsignedValue x -> out.field(name, FieldType.UNSIGNED, x.value());
                    case FieldValue.BooleanValue x -> out.field(name, FieldType.BOOLEAN, x.value() ? 1 : 0);
                    case FieldValue.StringValue x -> out.stringField(name, x.value());
                }
            }
        }
        return out.toByteArray();
    }

    /**
     * Writes one batch point by point: {@link #series} for each series (once), then for each
     * point {@link #point} followed by exactly as many fields as it announced. Strings are
     * written once per batch ({@link #string}). The caller writes valid points (a non-empty
     * measurement, tags sorted by key with unique keys, at least one field, no empty key): the
     * shard's {@link #check} refuses a batch that holds any other.
     */
    public static final class Builder {
        private final TimeSeriesSettings settings;
        private final long retention;
        private final List<DownsamplingRule> rules;
        private final VarBytes.Writer strings = new VarBytes.Writer(512);
        private final VarBytes.Writer series = new VarBytes.Writer(512);
        private final VarBytes.Writer points;
        private final Map<String, Integer> stringIndex = new HashMap<>();
        private int seriesCount;
        private int pointCount;
        private long previous;

        public Builder(TimeSeriesSettings settings, long retention) {
            this(settings, retention, List.of());
        }

        /** A builder of a batch of a collection with downsampling {@code rules}. */
        public Builder(TimeSeriesSettings settings, long retention, List<DownsamplingRule> rules) {
            this(settings, retention, rules, 4096);
        }

        /**
         * A builder of a batch of a collection with downsampling {@code rules}, whose points are
         * expected to take about {@code pointBytes} bytes (a hint: they may take more or less).
         */
        public Builder(TimeSeriesSettings settings, long retention, List<DownsamplingRule> rules, int pointBytes) {
            this.settings = settings;
            this.retention = retention;
            this.rules = List.copyOf(rules);
            this.points = new VarBytes.Writer(Math.max(64, pointBytes));
        }

        /** The index of {@code s} in the batch's strings, added if it is not there yet. */
        public int string(String s) {
            Integer known = stringIndex.get(s);
            if (known != null) {
                return known;
            }
            int index = stringIndex.size();
            stringIndex.put(s, index);
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            strings.varint(utf8.length);
            strings.bytes(utf8);
            return index;
        }

        /**
         * Adds a series (each once: it is not looked up) and returns its index.
         *
         * @param tags sorted by key, as a {@link Point} holds them
         */
        public int series(String measurement, List<Point.Tag> tags) {
            series.varint(string(measurement));
            series.varint(tags.size());
            for (Point.Tag t : tags) {
                series.varint(string(t.key()));
                series.varint(string(t.value()));
            }
            return seriesCount++;
        }

        /** Starts a point of series {@code series} at {@code time}; {@code fields} fields follow. */
        public void point(int series, long time, int fields) {
            points.varint(series);
            points.zigzag(time - previous);
            previous = time;
            points.varint(fields);
            pointCount++;
        }

        /**
         * A field of the current point that is not a string, named by string {@code name}: {@code
         * bits} is a float's IEEE 754 bits, an integer, an unsigned integer's bits, or 1 or 0 for
         * a boolean.
         */
        public void field(int name, FieldType type, long bits) {
            points.varint(name);
            if (type == FieldType.FLOAT) {
                floatValue(bits);
                return;
            }
            points.u8(type.code());
            switch (type) {
                case FLOAT -> throw new AssertionError("written by floatValue");
                case INTEGER -> points.zigzag(bits);
                case UNSIGNED -> points.varint(bits);
                case BOOLEAN -> points.u8(bits != 0 ? 1 : 0);
                case STRING -> throw new IllegalArgumentException("a string field is written with stringField");
            }
        }

        /** A float's type byte and value: as a decimal when that gives back its exact bits. */
        private void floatValue(long bits) {
            double v = Double.longBitsToDouble(bits);
            int k = Decimals.exponent(v, MAX_SCALE);
            if (k >= 0) {
                points.u8(DECIMAL_FLOAT + k);
                points.zigzag(Decimals.digits(v, k));
            } else {
                points.u8(FieldType.FLOAT.code());
                points.int64(bits);
            }
        }

        /** A string field of the current point, named by string {@code name}. */
        public void stringField(int name, String value) {
            int v = string(value);
            points.varint(name);
            points.u8(FieldType.STRING.code());
            points.varint(v);
        }

        /** How many points were written. */
        public int points() {
            return pointCount;
        }

        /** The batch. */
        public byte[] toByteArray() {
            VarBytes.Writer out = new VarBytes.Writer(64 + strings.size() + series.size() + points.size());
            out.u8(MAGIC_0);
            out.u8(MAGIC_1);
            out.varint(VERSION);
            out.int64(settings.blockDuration());
            out.int64(settings.lateness());
            out.int64(retention);
            out.varint(rules.size());
            for (DownsamplingRule rule : rules) {
                out.int64(rule.every());
                out.int64(rule.retention());
                out.varint(rule.mask());
            }
            out.varint(stringIndex.size());
            out.append(strings);
            out.varint(seriesCount);
            out.append(series);
            out.varint(pointCount);
            out.append(points);
            return out.toByteArray();
        }
    }

    /** Whether {@code version} is one this format reads. */
    private static boolean readable(int version) {
        return version >= 1 && version <= VERSION;
    }

    /**
     * Decodes a batch.
     *
     * @throws IllegalArgumentException when the bytes are not a batch of this format
     */
    public static Batch decode(byte[] bytes) {
        VarBytes.Reader in = new VarBytes.Reader(bytes, 0, bytes.length);
        try {
            if (in.u8() != MAGIC_0 || in.u8() != MAGIC_1) {
                throw new IllegalArgumentException("not a time-series point batch");
            }
            int version = (int) in.varint();
            if (!readable(version)) {
                throw new IllegalArgumentException("point batch format version " + version + " is not supported");
            }
            TimeSeriesSettings settings = new TimeSeriesSettings(in.int64(), in.int64());
            long retention = in.int64();
            List<DownsamplingRule> rules = rules(in, version);
            String[] strings = new String[in.count()];
            for (int i = 0; i < strings.length; i++) {
                strings[i] = in.utf8(in.count());
            }
            int seriesCount = in.count();
            String[] measurements = new String[seriesCount];
            List<List<Point.Tag>> tags = new ArrayList<>(seriesCount);
            for (int s = 0; s < seriesCount; s++) {
                measurements[s] = strings[in.index()];
                int n = in.count();
                List<Point.Tag> t = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    t.add(new Point.Tag(strings[in.index()], strings[in.index()]));
                }
                tags.add(List.copyOf(t));
            }
            int pointCount = in.count();
            List<Point> points = new ArrayList<>(pointCount);
            Decoder d = new Decoder(in, strings, measurements, tags);
            for (int i = 0; i < pointCount; i++) {
                points.add(d.point());
            }
            if (in.remaining() != 0) {
                throw new IllegalArgumentException("point batch has " + in.remaining() + " trailing bytes");
            }
            return new Batch(settings, retention, points, rules);
        } catch (ArrayIndexOutOfBoundsException e) {
            throw notHeld(e);
        }
    }

    /**
     * Reads a batch's points one by one (a small method per point, which the JIT compiles once,
     * rather than a loop it compiles twice, on the stack and as a method). The points of a series
     * mostly name the same fields: they share the shape of their fields.
     */
    private static final class Decoder {
        private final VarBytes.Reader in;
        private final String[] strings;
        private final String[] measurements;
        private final List<List<Point.Tag>> tags;
        private final FieldMap.Shape[] shapes;
        /** Each series' tags once checked, at its first point (where a bad series fails): its points share them. */
        private final List<Point.Tag>[] checked;

        private FieldMap.Shape last;
        private String[] names = new String[8];
        private FieldType[] types = new FieldType[8];
        private long[] bits = new long[8];
        private String[] values = new String[8];
        private long time;

        Decoder(VarBytes.Reader in, String[] strings, String[] measurements, List<List<Point.Tag>> tags) {
            this.in = in;
            this.strings = strings;
            this.measurements = measurements;
            this.tags = tags;
            this.shapes = new FieldMap.Shape[measurements.length];
            @SuppressWarnings("unchecked")
            List<Point.Tag>[] lists = new List[measurements.length];
            this.checked = lists;
        }

        Point point() {
            int s = in.index();
            time += in.zigzag();
            int n = in.count();
            if (names.length < n) {
                names = new String[n];
                types = new FieldType[n];
                bits = new long[n];
                values = new String[n];
            }
            boolean anyString = false;
            for (int f = 0; f < n; f++) {
                anyString |= field(f);
            }
            if (s >= measurements.length) {
                throw notHeld(null);
            }
            FieldMap.Shape shape = same(shapes[s], names, types, n) ? shapes[s] : null;
            if (shape == null) {
                shape = same(last, names, types, n) ? last : shape(names, types, n);
            }
            Map<String, FieldValue> fields;
            if (shape != null) {
                shapes[s] = shape;
                last = shape;
                fields = FieldMap.of(
                        shape, java.util.Arrays.copyOf(bits, n), anyString ? java.util.Arrays.copyOf(values, n) : null);
            } else {
                fields = withRepeatedNames(names, types, bits, values, n);
            }
            List<Point.Tag> t = checked[s];
            if (t == null) {
                // The series' first point checks it; the points after share the tags it checked.
                Point first = new Point(measurements[s], tags.get(s), fields, time);
                checked[s] = first.tags();
                return first;
            }
            return new Point(measurements[s], t, fields, time);
        }

        /** Reads field {@code f} of a point; whether it is a string. */
        private boolean field(int f) {
            names[f] = strings[in.index()];
            int type = in.u8();
            values[f] = null;
            switch (type) {
                case 1 -> {
                    types[f] = FieldType.FLOAT;
                    bits[f] = in.int64();
                }
                case 2 -> {
                    types[f] = FieldType.INTEGER;
                    bits[f] = in.zigzag();
                }
                case 3 -> {
                    types[f] = FieldType.UNSIGNED;
                    bits[f] = in.varint();
                }
                case 4 -> {
                    types[f] = FieldType.BOOLEAN;
                    bits[f] = in.u8() != 0 ? 1 : 0;
                }
                case 5 -> {
                    types[f] = FieldType.STRING;
                    bits[f] = 0;
                    values[f] = strings[in.index()];
                    return true;
                }
                default -> {
                    if (type < DECIMAL_FLOAT || type > DECIMAL_FLOAT + MAX_SCALE) {
                        throw new IllegalArgumentException("unknown field type " + type);
                    }
                    types[f] = FieldType.FLOAT;
                    bits[f] = Double.doubleToRawLongBits(Decimals.value(in.zigzag(), type - DECIMAL_FLOAT));
                }
            }
            return false;
        }
    }

    /** Whether {@code shape} names {@code names} (the same String objects) with {@code types}. */
    private static boolean same(FieldMap.Shape shape, String[] names, FieldType[] types, int n) {
        if (shape == null || shape.size() != n) {
            return false;
        }
        for (int f = 0; f < n; f++) {
            if (shape.key(f) != names[f] || shape.type(f) != types[f]) {
                return false;
            }
        }
        return true;
    }

    /** The shape of the first {@code n} fields, or null when a name is given twice. */
    private static FieldMap.Shape shape(String[] names, FieldType[] types, int n) {
        for (int f = 1; f < n; f++) {
            for (int g = 0; g < f; g++) {
                if (names[g].equals(names[f])) {
                    return null;
                }
            }
        }
        return FieldMap.Shape.of(java.util.Arrays.copyOf(names, n), java.util.Arrays.copyOf(types, n));
    }

    /** The fields of a point that names a field twice: the first place and the last value. */
    private static Map<String, FieldValue> withRepeatedNames(
            String[] names, FieldType[] types, long[] bits, String[] values, int n) {
        @SuppressWarnings("unchecked")
        Map.Entry<String, FieldValue>[] entries = new Map.Entry[n];
        for (int f = 0; f < n; f++) {
            FieldValue v =
                    switch (types[f]) {
                        case FLOAT -> new FieldValue.FloatValue(Double.longBitsToDouble(bits[f]));
                        case INTEGER -> new FieldValue.IntegerValue(bits[f]);
                        case UNSIGNED -> new FieldValue.UnsignedValue(bits[f]);
                        case BOOLEAN -> new FieldValue.BooleanValue(bits[f] != 0);
                        case STRING -> new FieldValue.StringValue(values[f]);
                    };
            entries[f] = Map.entry(names[f], v);
        }
        return FieldMap.of(entries);
    }

    /** The downsampling rules of a batch of {@code version} (version 1 had none). */
    private static List<DownsamplingRule> rules(VarBytes.Reader in, int version) {
        if (version < 2) {
            return List.of();
        }
        long count = in.varint();
        if (count > TimeSeriesOptions.MAX_RULES) {
            throw new IllegalArgumentException("a batch names " + count + " downsampling rules");
        }
        List<DownsamplingRule> rules = new ArrayList<>((int) count);
        for (long r = 0; r < count; r++) {
            long every = in.int64();
            long keep = in.int64();
            rules.add(new DownsamplingRule(every, keep, DownsamplingRule.ofMask((int) in.varint())));
        }
        return List.copyOf(rules);
    }

    /**
     * Checks that {@code bytes} are a batch that {@link #decode} reads, without building its
     * points: it throws what {@code decode} would throw, with the same message, and returns when
     * {@code decode} would succeed. A shard checks every append before it journals it, so this
     * pass costs a walk over the bytes, not the points' objects.
     *
     * @throws IllegalArgumentException when the bytes are not a batch of this format, or hold a
     *     point that is not a valid {@link Point}
     */
    public static void check(byte[] bytes) {
        VarBytes.Reader in = new VarBytes.Reader(bytes, 0, bytes.length);
        if (in.u8() != MAGIC_0 || in.u8() != MAGIC_1) {
            throw new IllegalArgumentException("not a time-series point batch");
        }
        int version = (int) in.varint();
        if (!readable(version)) {
            throw new IllegalArgumentException("point batch format version " + version + " is not supported");
        }
        new TimeSeriesSettings(in.int64(), in.int64());
        in.int64();
        rules(in, version);
        Checker c = new Checker(bytes, in);
        c.strings();
        c.series();
        int pointCount = in.count();
        for (int i = 0; i < pointCount; i++) {
            c.point();
        }
        if (in.remaining() != 0) {
            throw new IllegalArgumentException("point batch has " + in.remaining() + " trailing bytes");
        }
    }

    /**
     * The walk of {@link #check} over a batch's tables and points, a method for each (a loop over
     * a batch's points calls a small method per point, which the JIT compiles once).
     */
    private static final class Checker {
        private final byte[] bytes;
        private final VarBytes.Reader in;
        // Where each string starts and ends; strings are decoded only to compare tag keys.
        private int[] from;
        private int[] to;
        private int stringCount;
        private int[] measurements;
        private int[][] tagKeys;
        /** Whether a series was checked as a point's (at its first point, as decode builds it there). */
        private boolean[] seen;

        Checker(byte[] bytes, VarBytes.Reader in) {
            this.bytes = bytes;
            this.in = in;
        }

        void strings() {
            stringCount = in.count();
            from = new int[stringCount];
            to = new int[stringCount];
            for (int i = 0; i < stringCount; i++) {
                int n = in.count();
                from[i] = bytes.length - in.remaining();
                in.skip(n);
                to[i] = from[i] + n;
            }
        }

        void series() {
            int seriesCount = in.count();
            measurements = new int[seriesCount];
            tagKeys = new int[seriesCount][];
            seen = new boolean[seriesCount];
            for (int s = 0; s < seriesCount; s++) {
                measurements[s] = string(in.index(), stringCount);
                int n = in.count();
                int[] keys = new int[n];
                for (int i = 0; i < n; i++) {
                    keys[i] = string(in.index(), stringCount);
                    int value = string(in.index(), stringCount);
                    if (to[keys[i]] == from[keys[i]]) {
                        throw new IllegalArgumentException("tag key must not be empty");
                    }
                    if (to[value] == from[value]) {
                        throw new IllegalArgumentException(
                                "tag '" + utf8(bytes, from, to, keys[i]) + "' must have a non-empty value");
                    }
                }
                tagKeys[s] = keys;
            }
        }

        void point() {
            int s = in.index();
            in.zigzag();
            int n = in.count();
            boolean emptyKey = false;
            for (int f = 0; f < n; f++) {
                int name = string(in.index(), stringCount);
                emptyKey |= to[name] == from[name];
                skipValue(in.u8());
            }
            if (s >= seen.length) {
                throw notHeld(null);
            }
            if (!seen[s]) {
                seen[s] = true;
                checkSeries(bytes, from, to, measurements[s], tagKeys[s]);
            }
            if (n == 0) {
                throw new IllegalArgumentException("a point needs at least one field");
            }
            if (emptyKey) {
                throw new IllegalArgumentException("field key must not be empty");
            }
        }

        private void skipValue(int type) {
            switch (type) {
                case 1 -> in.skip(8);
                case 2, 3 -> in.varint();
                case 4 -> in.u8();
                case 5 -> string(in.index(), stringCount);
                default -> {
                    if (type < DECIMAL_FLOAT || type > DECIMAL_FLOAT + MAX_SCALE) {
                        throw new IllegalArgumentException("unknown field type " + type);
                    }
                    in.varint();
                }
            }
        }
    }

    /** Fails as {@link Point}'s constructor does on a series' measurement and tag keys. */
    private static void checkSeries(byte[] bytes, int[] from, int[] to, int measurement, int[] keys) {
        if (to[measurement] == from[measurement]) {
            throw new IllegalArgumentException("measurement must not be empty");
        }
        if (keys.length < 2) {
            return;
        }
        // Compared as strings: distinct malformed byte sequences may decode to the same key.
        List<String> sorted = new ArrayList<>(keys.length);
        for (int k : keys) {
            sorted.add(utf8(bytes, from, to, k));
        }
        sorted.sort(io.lumadb.timeseries.SeriesKey::compareCodePoints);
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i - 1).equals(sorted.get(i))) {
                throw new IllegalArgumentException("duplicate tag key '" + sorted.get(i) + "'");
            }
        }
    }

    private static int string(int index, int count) {
        if (index >= count) {
            throw notHeld(null);
        }
        return index;
    }

    private static IllegalArgumentException notHeld(Throwable cause) {
        return new IllegalArgumentException("point batch refers to a string or series it does not hold", cause);
    }

    private static String utf8(byte[] bytes, int[] from, int[] to, int i) {
        return new String(bytes, from[i], to[i] - from[i], StandardCharsets.UTF_8);
    }

    /** The answer to a batch whose store write gave {@code result}. */
    public static byte[] answer(WriteResult result) {
        VarBytes.Writer out = new VarBytes.Writer(16);
        out.varint(result.pointsWritten());
        out.varint(result.errors().size());
        for (PointError e : result.errors()) {
            out.varint(e.index());
            byte[] utf8 = e.message().getBytes(StandardCharsets.UTF_8);
            out.varint(utf8.length);
            out.bytes(utf8);
        }
        return out.toByteArray();
    }

    /** Decodes a shard's answer. */
    public static Answer readAnswer(byte[] bytes) {
        VarBytes.Reader in = new VarBytes.Reader(bytes, 0, bytes.length);
        // How many points were stored, and where the refused ones are, are not bounded by the
        // answer's own length (an answer without errors takes two bytes whatever the batch held).
        int stored = in.index();
        int n = in.count();
        List<Error> errors = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int position = in.index();
            errors.add(new Error(position, in.utf8(in.count())));
        }
        return new Answer(stored, errors);
    }
}

package io.lumadb.timeseries;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * InfluxDB line protocol (the v1 {@code /write} and v2 {@code /api/v2/write} body format): a
 * parser that reads every good line of a body and reports every bad one, and a writer.
 *
 * <h2>Syntax</h2>
 *
 * <pre>{@code
 * <measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,<field_key>=<field_value>...] [<timestamp>]
 * }</pre>
 *
 * <ul>
 *   <li>A body is UTF-8; lines end with {@code \n}, optionally preceded by {@code \r}. Blank lines
 *       and lines whose first non-blank character is {@code #} (comments) are skipped. Spaces and
 *       tabs before the measurement are skipped.
 *   <li>One or more spaces separate the measurement and tags from the fields and the fields from
 *       the timestamp; spaces after the timestamp are allowed.
 *   <li>Escapes (a backslash before the character): in measurements {@code \,} and {@code \ };
 *       in tag keys, tag values and field keys {@code \,}, {@code \=} and {@code \ }; in string
 *       field values {@code \"}, {@code \\}, {@code \n}, {@code \r} and {@code \t}. A backslash
 *       before any other character is a literal backslash, and that character is read as usual:
 *       {@code a\\,b} in a tag value is {@code a\,b}. Hence names and tag values cannot end with a
 *       backslash.
 *   <li>Names and tag values must not be empty and must not hold control characters (U+0000 to
 *       U+001F, U+007F). An unescaped {@code =} in a tag value is an error. Tag keys and field
 *       keys cannot be {@code time}. A tag key given twice is an error; a field key given twice
 *       keeps its last value.
 *   <li>Field values: floats ({@code 1}, {@code -1.5}, {@code .5}, {@code 1.}, {@code 1e-3},
 *       {@code -1.2E+78}; finite only), signed integers with {@code i} ({@code -12i}, 64-bit),
 *       unsigned integers with {@code u} ({@code 12u}, 0 to 2^64-1), booleans ({@code t},
 *       {@code T}, {@code true}, {@code True}, {@code TRUE}, {@code f}, {@code F}, {@code false},
 *       {@code False}, {@code FALSE}) and double-quoted strings.
 *   <li>The timestamp is an integer in the body's {@link Precision}, converted to nanoseconds; it
 *       must fall within ±9223372036854775806 ns. A line without one takes the caller's "now".
 * </ul>
 *
 * <p>A bad line yields a {@link LineProtocolError} naming its line, column and what was expected
 * there; the lines around it are still read. The caller decides what to do with a partial body
 * (InfluxDB writes the good lines and reports the bad ones).
 */
public final class LineProtocol {

    /** The latest timestamp line protocol accepts, in nanoseconds (InfluxDB keeps the ends as sentinels). */
    public static final long MAX_TIME = Long.MAX_VALUE - 1;

    /** The earliest timestamp line protocol accepts, in nanoseconds. */
    public static final long MIN_TIME = Long.MIN_VALUE + 2;

    private LineProtocol() {}

    /**
     * The good points and the bad lines of a body.
     *
     * @param points the points of the good lines, in body order
     * @param errors one error per bad line, in body order
     * @param lines the line number (from 1) of each point, so that a point refused later can be
     *     named by its line
     */
    public record ParseResult(List<Point> points, List<LineProtocolError> errors, int[] lines) {
        public ParseResult {
            points = List.copyOf(points);
            errors = List.copyOf(errors);
            if (lines.length != points.size()) {
                throw new IllegalArgumentException("one line number per point");
            }
        }

        /** The line number (from 1) of point {@code index}. */
        public int line(int index) {
            return lines[index];
        }

        /** Whether every line was good. */
        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /** Parses a body given as text (see {@link #parse(byte[], Precision, long)}). */
    public static ParseResult parse(String body, Precision precision, long nowNanos) {
        return parse(body.getBytes(StandardCharsets.UTF_8), precision, nowNanos);
    }

    /**
     * Parses a UTF-8 body.
     *
     * @param body the body, UTF-8
     * @param precision the unit of the timestamps written in the body
     * @param nowNanos the timestamp, in nanoseconds, of lines that carry none
     */
    public static ParseResult parse(byte[] body, Precision precision, long nowNanos) {
        PointCollector points = new PointCollector();
        parse(body, precision, nowNanos, points);
        return points.result();
    }

    /**
     * Parses a UTF-8 body into {@code sink}, line by line in body order, without building a
     * {@link Point} for each line: the ingest path encodes the lines straight into its batches.
     * What {@link #parse(byte[], Precision, long)} returns is what a sink sees.
     *
     * @param body the body, UTF-8
     * @param precision the unit of the timestamps written in the body
     * @param nowNanos the timestamp, in nanoseconds, of lines that carry none
     * @param sink takes each good line and each bad one
     */
    public static void parse(byte[] body, Precision precision, long nowNanos, Sink sink) {
        parse(body, body.length, precision, nowNanos, sink);
    }

    /**
     * Parses the first {@code length} bytes of {@code body} into {@code sink}, as {@link
     * #parse(byte[], Precision, long, Sink)} parses a whole array: for a body read into a buffer
     * that is reused from request to request. The sink keeps no reference to {@code body}.
     */
    public static void parse(byte[] body, int length, Precision precision, long nowNanos, Sink sink) {
        java.util.Objects.checkFromIndexSize(0, length, body.length);
        sink.body(length);
        LineParser parser = new LineParser(body, precision, nowNanos);
        int lineNo = 0;
        int pos = 0;
        while (pos < length) {
            lineNo++;
            int nl = indexOfNewline(body, pos, length);
            int next = nl < 0 ? length : nl + 1;
            int end = nl < 0 ? length : nl;
            if (end > pos && body[end - 1] == '\r') {
                end--;
            }
            try {
                if (parser.parse(pos, end)) {
                    sink.point(lineNo, parser.series, parser.fields, parser.time);
                }
            } catch (Fault f) {
                sink.error(new LineProtocolError(
                        lineNo, column(body, pos, f.offset), f.getMessage(), lenient(body, pos, end)));
            }
            pos = next;
        }
    }

    /**
     * Parses one line (no line break in it).
     *
     * @return the point, or null for a blank or comment line
     * @throws LineProtocolException when the line is not valid line protocol (line number 1)
     */
    public static Point parseLine(String line, Precision precision, long nowNanos) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        int end = b.length;
        if (end > 0 && b[end - 1] == '\r') {
            end--;
        }
        if (indexOfNewline(b, 0, b.length) >= 0) {
            throw new IllegalArgumentException("a line must not contain a line break");
        }
        LineParser parser = new LineParser(b, precision, nowNanos);
        try {
            return parser.parse(0, end) ? PointCollector.point(parser.series, parser.fields, parser.time) : null;
        } catch (Fault f) {
            throw new LineProtocolException(new LineProtocolError(1, column(b, 0, f.offset), f.getMessage(), line));
        }
    }

    /** What {@link #parse(byte[], Precision, long, Sink)} reads, line by line. */
    public interface Sink {
        /**
         * A good line.
         *
         * @param line its number, from 1
         * @param series its series, the same object for every line of the body that names it
         * @param fields its fields, valid only during this call
         * @param time its timestamp in nanoseconds
         */
        void point(int line, Series series, Fields fields, long time);

        /** A bad line. */
        void error(LineProtocolError error);

        /** Called first with the body's length in bytes, which a sink may size its buffers by. */
        default void body(int length) {}
    }

    /**
     * A series as the lines of one body name it: its measurement and its tags sorted by key (as a
     * {@link Point} holds them). Parsed once per body: every line of the series, whatever order
     * it writes its tags in, gets this object.
     */
    public static final class Series {
        private final int id;
        private final String measurement;
        private final List<Point.Tag> tags;

        private Series(int id, String measurement, List<Point.Tag> tags) {
            this.id = id;
            this.measurement = measurement;
            this.tags = tags;
        }

        /** Its number in the body: 0 for the first series read, 1 for the next, and so on. */
        public int id() {
            return id;
        }

        public String measurement() {
            return measurement;
        }

        /** The tags, sorted by key, immutable. */
        public List<Point.Tag> tags() {
            return tags;
        }
    }

    /**
     * The fields of one line, in the order a {@link LinkedHashMap} would keep them (a key given
     * twice keeps its first place and its last value). Reused from line to line.
     */
    public static final class Fields {
        private int size;
        private Key[] keys = new Key[16];
        private FieldType[] types = new FieldType[16];
        private long[] bits = new long[16];
        private String[] strings = new String[16];

        private Fields() {}

        public int size() {
            return size;
        }

        /** The key of field {@code i}. */
        public String key(int i) {
            return keys[i].name;
        }

        /**
         * The number of field {@code i}'s key in the body: 0 for the first key read, 1 for the
         * next, and so on; lines that give the same key give the same number.
         */
        public int keyId(int i) {
            return keys[i].id;
        }

        public FieldType type(int i) {
            return types[i];
        }

        /**
         * The value of field {@code i} unless it is a string: a float's IEEE 754 bits, an integer
         * (an unsigned one in a long's bits), a boolean as 1 or 0.
         */
        public long bits(int i) {
            return bits[i];
        }

        /** The value of string field {@code i}. */
        public String string(int i) {
            return strings[i];
        }

        /** The value of field {@code i}. */
        public FieldValue value(int i) {
            return switch (types[i]) {
                case FLOAT -> new FieldValue.FloatValue(Double.longBitsToDouble(bits[i]));
                case INTEGER -> new FieldValue.IntegerValue(bits[i]);
                case UNSIGNED -> new FieldValue.UnsignedValue(bits[i]);
                case BOOLEAN -> new FieldValue.BooleanValue(bits[i] != 0);
                case STRING -> new FieldValue.StringValue(strings[i]);
            };
        }

        /** Which line the fields are of; a key given in this line knows its place. */
        private int line;

        private void clear() {
            size = 0;
            line++;
        }

        private void put(Key key, FieldType type, long value, String string) {
            int i = key.line == line ? key.slot : size;
            key.line = line;
            key.slot = i;
            if (i == keys.length) {
                keys = java.util.Arrays.copyOf(keys, i * 2);
                types = java.util.Arrays.copyOf(types, i * 2);
                bits = java.util.Arrays.copyOf(bits, i * 2);
                strings = java.util.Arrays.copyOf(strings, i * 2);
            }
            keys[i] = key;
            types[i] = type;
            bits[i] = value;
            strings[i] = string;
            if (i == size) {
                size++;
            }
        }

        /** The key of the last field in order (not the last one given, if that was a repeat). */
        private String lastKey() {
            return keys[size - 1].name;
        }
    }

    /** A {@link Sink} that builds the points of a {@link ParseResult}. */
    private static final class PointCollector implements Sink {
        private final List<Point> points = new ArrayList<>();
        private final List<LineProtocolError> errors = new ArrayList<>();
        private int[] lines = new int[16];

        static Point point(Series series, Fields fields, long time) {
            Map<String, FieldValue> map = HashMap.newHashMap(fields.size());
            for (int i = 0; i < fields.size(); i++) {
                map.put(fields.key(i), fields.value(i));
            }
            return new Point(series.measurement(), series.tags(), map, time);
        }

        @Override
        public void point(int line, Series series, Fields fields, long time) {
            if (points.size() == lines.length) {
                lines = java.util.Arrays.copyOf(lines, lines.length * 2);
            }
            lines[points.size()] = line;
            points.add(point(series, fields, time));
        }

        @Override
        public void error(LineProtocolError error) {
            errors.add(error);
        }

        ParseResult result() {
            return new ParseResult(points, errors, java.util.Arrays.copyOf(lines, points.size()));
        }
    }

    // ---------------------------------------------------------------- writer

    /** The point as one line of line protocol with a nanosecond timestamp, without a line break. */
    public static String format(Point point) {
        return format(point, Precision.NANOSECONDS);
    }

    /**
     * The point as one line of line protocol, its timestamp written in {@code precision}.
     *
     * @throws IllegalArgumentException when the point cannot be written: its timestamp is not a
     *     whole number of {@code precision} units, a float is not finite, a name or tag value
     *     ends with a backslash or holds a control character, the measurement begins with
     *     {@code #}, or a key is {@code time}
     */
    public static String format(Point point, Precision precision) {
        StringBuilder sb = new StringBuilder(64);
        format(point, precision, sb);
        return sb.toString();
    }

    /** The points as a body, one line each, each line ending with {@code \n}. */
    public static String format(Collection<Point> points, Precision precision) {
        StringBuilder sb = new StringBuilder(64 * points.size());
        for (Point p : points) {
            format(p, precision, sb);
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void format(Point point, Precision precision, StringBuilder sb) {
        if (point.measurement().charAt(0) == '#') {
            throw new IllegalArgumentException(
                    "measurement '" + point.measurement() + "' cannot begin with '#' (it would read as a comment)");
        }
        checkName("measurement", point.measurement());
        escapeMeasurement(point.measurement(), sb);
        for (Point.Tag t : point.tags()) {
            checkName("tag key", t.key());
            checkName("tag value", t.value());
            checkKey("tag key", t.key());
            sb.append(',');
            escapeKey(t.key(), sb);
            sb.append('=');
            escapeKey(t.value(), sb);
        }
        char sep = ' ';
        for (Map.Entry<String, FieldValue> f : point.fields().entrySet()) {
            checkName("field key", f.getKey());
            checkKey("field key", f.getKey());
            sb.append(sep);
            sep = ',';
            escapeKey(f.getKey(), sb);
            sb.append('=');
            switch (f.getValue()) {
                case FieldValue.FloatValue v -> {
                    if (!Double.isFinite(v.value())) {
                        throw new IllegalArgumentException("field '" + f.getKey() + "' is " + v.value()
                                + ": line protocol has finite floats only");
                    }
                    sb.append(v.value());
                }
                case FieldValue.IntegerValue v -> sb.append(v.value()).append('i');
                case FieldValue.UnsignedValue v ->
                    sb.append(Long.toUnsignedString(v.value())).append('u');
                case FieldValue.BooleanValue v -> sb.append(v.value());
                case FieldValue.StringValue v -> escapeString(v.value(), sb);
            }
        }
        long t = point.time();
        if (t % precision.nanos() != 0) {
            throw new IllegalArgumentException("timestamp " + t + " ns is not a whole number of " + precision.symbol());
        }
        sb.append(' ').append(t / precision.nanos());
    }

    private static void checkName(String what, String s) {
        if (s.charAt(s.length() - 1) == '\\') {
            throw new IllegalArgumentException(what + " '" + s + "' cannot end with a backslash");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException(what + " '" + s + "' holds a control character");
            }
        }
    }

    private static void checkKey(String what, String key) {
        if (key.equals("time")) {
            throw new IllegalArgumentException(what + " cannot be 'time'");
        }
    }

    /** Appends a measurement with its commas and spaces escaped. */
    static void escapeMeasurement(String s, StringBuilder sb) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' || c == ' ') {
                sb.append('\\');
            }
            sb.append(c);
        }
    }

    /** Appends a tag key, tag value or field key with its commas, equals signs and spaces escaped. */
    static void escapeKey(String s, StringBuilder sb) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' || c == '=' || c == ' ') {
                sb.append('\\');
            }
            sb.append(c);
        }
    }

    /** Appends a string field value in double quotes, escaping quotes, backslashes and line breaks. */
    static void escapeString(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        sb.append('"');
    }

    // ---------------------------------------------------------------- parser

    /** A fault at a byte offset of the body; turned into a {@link LineProtocolError}. */
    private static final class Fault extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int offset;

        Fault(int offset, String message) {
            super(message, null, false, false);
            this.offset = offset;
        }
    }

    /** A field key of a body, read once: its name, its number, and whether it is {@code time}. */
    private static final class Key {
        final String name;
        final int id;
        final boolean time;
        /** How the body writes it when that holds no backslash (null: not known), to match it at once. */
        byte[] plain;
        /** The key that followed this one in the last line that had one after it: likely the next. */
        Key next;
        /** The line (a count of {@link Fields#clear}) where this key was last given, and its place there. */
        int line = -1;

        int slot;

        Key(String name, int id) {
            this.name = name;
            this.id = id;
            this.time = name.equals("time");
        }
    }

    /** A series' identity as a value: its measurement and sorted tags. */
    private record SeriesValue(String measurement, List<Point.Tag> tags) {}

    /**
     * An open-addressing table from byte strings to values: the series of a body by the bytes of
     * their lines up to the first space, and field keys by their bytes, so that the lines of a
     * body read each series and each key once. Keys are copied in.
     */
    private static final class ByteTable<V> {
        private byte[][] keys = new byte[64][];
        private int[] hashes = new int[64];
        private Object[] values = new Object[64];
        private int size;

        static int hash(byte[] b, int from, int to) {
            int h = 1;
            for (int i = from; i < to; i++) {
                h = 31 * h + b[i];
            }
            return h;
        }

        @SuppressWarnings("unchecked")
        V get(byte[] b, int from, int to, int hash) {
            int mask = keys.length - 1;
            for (int i = mix(hash) & mask; keys[i] != null; i = (i + 1) & mask) {
                if (hashes[i] == hash && java.util.Arrays.equals(keys[i], 0, keys[i].length, b, from, to)) {
                    return (V) values[i];
                }
            }
            return null;
        }

        void put(byte[] b, int from, int to, int hash, V value) {
            if (2 * (size + 1) > keys.length) {
                grow();
            }
            insert(java.util.Arrays.copyOfRange(b, from, to), hash, value);
            size++;
        }

        private void insert(byte[] key, int hash, Object value) {
            int mask = keys.length - 1;
            int i = mix(hash) & mask;
            while (keys[i] != null) {
                i = (i + 1) & mask;
            }
            keys[i] = key;
            hashes[i] = hash;
            values[i] = value;
        }

        private void grow() {
            byte[][] oldKeys = keys;
            int[] oldHashes = hashes;
            Object[] oldValues = values;
            keys = new byte[oldKeys.length * 2][];
            hashes = new int[oldKeys.length * 2];
            values = new Object[oldKeys.length * 2];
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != null) {
                    insert(oldKeys[i], oldHashes[i], oldValues[i]);
                }
            }
        }

        private static int mix(int h) {
            return h ^ (h >>> 16);
        }
    }

    /**
     * Reads the lines of one body, one {@link #parse} call per line; what it read of a good line
     * is in {@link #series}, {@link #fields} and {@link #time} until the next call. Remembers the
     * body's series and field keys across lines.
     */
    private static final class LineParser {
        private final byte[] b;
        private final Precision precision;
        private final long now;
        /** Series by the bytes that wrote them (only those without a backslash). */
        private final ByteTable<Series> seriesByBytes = new ByteTable<>();
        /** Series by value, so that two spellings of one series (tags in another order) are one. */
        private final Map<SeriesValue, Series> seriesByValue = new HashMap<>();
        /** Field keys by the bytes that wrote them (only those without an escape). */
        private final ByteTable<Key> keysByBytes = new ByteTable<>();
        /** Field keys by name: every key read, however written. */
        private final Map<String, Key> keysByName = new HashMap<>();

        private int pos;
        private int end;

        Series series;
        final Fields fields = new Fields();
        long time;
        /** The first field key of the last good line. */
        private Key firstKey;
        /** The hash of the series bytes {@link #seriesEnd} found. */
        private int seriesHash;

        // What scanName found: whether the name held an escape, and only ASCII.
        private boolean nameEscaped;
        private boolean nameAscii;

        LineParser(byte[] b, Precision precision, long now) {
            this.b = b;
            this.precision = precision;
            this.now = now;
        }

        /**
         * Reads the line {@code [start, end)} of the body (without its line break).
         *
         * @return whether it held a point (false: blank or comment)
         * @throws Fault when it is not a valid line
         */
        boolean parse(int start, int end) {
            this.pos = start;
            this.end = end;
            while (pos < end && (b[pos] == ' ' || b[pos] == '\t')) {
                pos++;
            }
            if (pos == end || b[pos] == '#') {
                return false;
            }
            int seriesEnd = seriesEnd();
            Series same = seriesEnd < 0 ? null : seriesByBytes.get(b, pos, seriesEnd, seriesHash);
            if (same != null) {
                pos = seriesEnd;
                skipSpaces();
                fieldsAndTime();
                series = same;
                return true;
            }
            int seriesStart = pos;
            SeriesValue value = seriesValue();
            boolean whole = pos == seriesEnd;
            if (!skipSpaces()) {
                throw new Fault(
                        pos,
                        "expected a space and a field set after '" + value.measurement() + "'"
                                + (value.tags().isEmpty() ? "" : " and its tags"));
            }
            fieldsAndTime();
            // Only a line that parsed whole names its series for the lines after it.
            series = known(value, whole ? seriesStart : -1, seriesEnd);
            return true;
        }

        /**
         * Parses the series of a line that no earlier line of the body named (or did not name
         * whole): its measurement and tags, sorted, up to the space before its fields. The fields
         * are parsed by the caller, so this method, which runs once per series and body, stays
         * small for the JIT rather than holding the per-line field parsing a second time.
         */
        private SeriesValue seriesValue() {
            String measurement = name(NameKind.MEASUREMENT, "a measurement name");
            List<Point.Tag> tags = new ArrayList<>();
            while (pos < end && b[pos] == ',') {
                pos++;
                int keyAt = pos;
                String key = name(NameKind.KEY, "a tag key");
                if (pos == end || b[pos] != '=') {
                    throw new Fault(pos, "expected '=' after tag key '" + key + "'");
                }
                pos++;
                String value = name(NameKind.TAG_VALUE, "a value for tag '" + key + "'");
                if (key.equals("time")) {
                    throw new Fault(keyAt, "tag key 'time' is reserved for the timestamp");
                }
                for (Point.Tag t : tags) {
                    if (t.key().equals(key)) {
                        throw new Fault(keyAt, "tag key '" + key + "' appears twice");
                    }
                }
                tags.add(new Point.Tag(key, value));
            }
            tags.sort(Point.TAG_ORDER);
            return new SeriesValue(measurement, Point.checkedTags(tags));
        }

        /**
         * The series of {@code value}, numbered at its first line; when {@code seriesStart} is
         * not negative, the line's series bytes {@code [seriesStart, seriesEnd)} name it for the
         * lines after.
         */
        private Series known(SeriesValue value, int seriesStart, int seriesEnd) {
            Series known = seriesByValue.get(value);
            if (known == null) {
                known = new Series(seriesByValue.size(), value.measurement(), value.tags());
                seriesByValue.put(value, known);
            }
            if (seriesStart >= 0) {
                seriesByBytes.put(b, seriesStart, seriesEnd, ByteTable.hash(b, seriesStart, seriesEnd), known);
            }
            return known;
        }

        /**
         * Where the series of the line ends: its first space; -1 when there is none or the series
         * holds a backslash, whose escapes only the full parse reads right. Sets {@link
         * #seriesHash} to the {@link ByteTable#hash} of the series' bytes on the way.
         */
        private int seriesEnd() {
            int h = 1;
            for (int i = pos; i < end; i++) {
                byte c = b[i];
                if (c == ' ') {
                    seriesHash = h;
                    return i;
                }
                if (c == '\\') {
                    return -1;
                }
                h = 31 * h + c;
            }
            return -1;
        }

        /** The field set and the timestamp, after the series and its space. */
        private void fieldsAndTime() {
            fields.clear();
            Key previous = null;
            while (true) {
                int keyAt = pos;
                // Lines of a body mostly give the same keys in the same order: the key that came
                // after the previous one last time is tried first, by its bytes.
                Key key = matchKey(previous == null ? firstKey : previous.next);
                if (key == null) {
                    key = fieldKey();
                }
                if (previous == null) {
                    firstKey = key;
                } else {
                    previous.next = key;
                }
                previous = key;
                if (pos == end || b[pos] != '=') {
                    throw new Fault(pos, "expected '=' after field key '" + key.name + "'");
                }
                if (key.time) {
                    throw new Fault(keyAt, "field key 'time' is reserved for the timestamp");
                }
                pos++;
                value(key);
                if (pos < end && b[pos] == ',') {
                    pos++;
                    continue;
                }
                break;
            }
            if (!skipSpaces()) {
                if (pos < end) {
                    throw new Fault(
                            pos,
                            "expected ',', a space or the end of the line after the value of field '" + fields.lastKey()
                                    + "'");
                }
                time = now;
            } else if (pos == end) {
                time = now;
            } else {
                time = timestamp();
                skipSpaces();
                if (pos < end) {
                    throw new Fault(pos, "expected the end of the line after the timestamp");
                }
            }
        }

        /** Skips spaces; whether there was at least one. */
        private boolean skipSpaces() {
            int from = pos;
            while (pos < end && b[pos] == ' ') {
                pos++;
            }
            return pos > from;
        }

        private enum NameKind {
            MEASUREMENT,
            KEY,
            TAG_VALUE
        }

        /** Reads a measurement, key or tag value up to its unescaped delimiter. */
        private String name(NameKind kind, String expected) {
            int start = pos;
            scanName(kind, expected);
            return nameString(kind, start);
        }

        /**
         * {@code expected} if the key here is written as it was before, without a backslash, and
         * moves past it; null otherwise. Its bytes passed every check of {@link #scanName} before,
         * and it ends where a scan would stop, so a scan would read the same.
         */
        private Key matchKey(Key expected) {
            if (expected == null || expected.plain == null) {
                return null;
            }
            int to = pos + expected.plain.length;
            if (to > end
                    || !java.util.Arrays.equals(b, pos, to, expected.plain, 0, expected.plain.length)
                    || (to < end && b[to] != '=' && b[to] != ',' && b[to] != ' ')) {
                return null;
            }
            pos = to;
            return expected;
        }

        /** A field key, read once per body and spelling. */
        private Key fieldKey() {
            int start = pos;
            scanName(NameKind.KEY, "a field key");
            if (nameEscaped) {
                return keyNamed(nameString(NameKind.KEY, start));
            }
            int hash = ByteTable.hash(b, start, pos);
            Key key = keysByBytes.get(b, start, pos, hash);
            if (key == null) {
                key = keyNamed(nameString(NameKind.KEY, start));
                keysByBytes.put(b, start, pos, hash, key);
                if (key.plain == null && indexOfBackslash(start, pos) < 0) {
                    key.plain = java.util.Arrays.copyOfRange(b, start, pos);
                }
            }
            return key;
        }

        private int indexOfBackslash(int from, int to) {
            for (int i = from; i < to; i++) {
                if (b[i] == '\\') {
                    return i;
                }
            }
            return -1;
        }

        private Key keyNamed(String name) {
            Key key = keysByName.get(name);
            if (key == null) {
                key = new Key(name, keysByName.size());
                keysByName.put(name, key);
            }
            return key;
        }

        /**
         * Moves past a name up to its unescaped delimiter, failing on what a name cannot hold;
         * sets {@link #nameEscaped} and {@link #nameAscii}.
         */
        private void scanName(NameKind kind, String expected) {
            int start = pos;
            boolean escaped = false;
            boolean ascii = true;
            while (pos < end) {
                byte c = b[pos];
                if (c == '\\' && pos + 1 < end && isEscapable(kind, b[pos + 1])) {
                    escaped = true;
                    pos += 2;
                    continue;
                }
                if (c == ',' || c == ' ') {
                    break;
                }
                if (c == '=') {
                    if (kind == NameKind.KEY) {
                        break;
                    }
                    if (kind == NameKind.TAG_VALUE) {
                        throw new Fault(
                                pos,
                                "expected ',' or a space after a tag value; an '=' in a tag value is written '\\='");
                    }
                }
                if ((c >= 0 && c < 0x20) || c == 0x7f) {
                    throw new Fault(
                            pos,
                            "expected " + expected + " without control characters (byte 0x" + Integer.toHexString(c)
                                    + ")");
                }
                if (c < 0) {
                    ascii = false;
                }
                pos++;
            }
            if (pos == start) {
                throw new Fault(pos, "expected " + expected);
            }
            nameEscaped = escaped;
            nameAscii = ascii;
        }

        /** The name scanned from {@code start} to here, unescaped and decoded. */
        private String nameString(NameKind kind, int start) {
            if (!nameEscaped) {
                return decode(start, pos, nameAscii);
            }
            byte[] out = new byte[pos - start];
            int n = 0;
            for (int i = start; i < pos; i++) {
                if (b[i] == '\\' && i + 1 < pos && isEscapable(kind, b[i + 1])) {
                    i++;
                }
                out[n++] = b[i];
            }
            return decode(out, 0, n, nameAscii, start);
        }

        private static boolean isEscapable(NameKind kind, byte c) {
            return c == ',' || c == ' ' || (c == '=' && kind != NameKind.MEASUREMENT);
        }

        private void value(Key key) {
            if (pos == end) {
                throw new Fault(pos, "expected a value for field '" + key.name + "'");
            }
            if (b[pos] == '"') {
                fields.put(key, FieldType.STRING, 0, string(key.name));
                return;
            }
            int start = pos;
            while (pos < end && b[pos] != ',' && b[pos] != ' ') {
                pos++;
            }
            if (pos == start) {
                throw new Fault(pos, "expected a value for field '" + key.name + "'");
            }
            byte first = b[start];
            if (first == 't' || first == 'T' || first == 'f' || first == 'F') {
                fields.put(key, FieldType.BOOLEAN, bool(key.name, start) ? 1 : 0, null);
                return;
            }
            byte last = b[pos - 1];
            if (last == 'i') {
                if (!isInteger(start, pos - 1, true)) {
                    throw badValue(key.name, start);
                }
                long v;
                try {
                    v = parseLong(start, pos - 1);
                } catch (NumberFormatException e) {
                    throw new Fault(
                            start,
                            "integer field '" + key.name + "' is out of range: a signed 64-bit integer ("
                                    + Long.MIN_VALUE + "i to " + Long.MAX_VALUE + "i) was expected");
                }
                fields.put(key, FieldType.INTEGER, v, null);
                return;
            }
            if (last == 'u') {
                if (!isInteger(start, pos - 1, false)) {
                    throw badValue(key.name, start);
                }
                long v;
                try {
                    v = Long.parseUnsignedLong(ascii(start, pos - 1));
                } catch (NumberFormatException e) {
                    throw new Fault(
                            start,
                            "unsigned integer field '" + key.name
                                    + "' is out of range: 0u to 18446744073709551615u was expected");
                }
                fields.put(key, FieldType.UNSIGNED, v, null);
                return;
            }
            if (!isFloat(start, pos)) {
                throw badValue(key.name, start);
            }
            double d = parseDouble(start, pos);
            if (!Double.isFinite(d)) {
                throw new Fault(
                        start, "float field '" + key.name + "' is out of range: a finite 64-bit float was expected");
            }
            fields.put(key, FieldType.FLOAT, Double.doubleToRawLongBits(d), null);
        }

        private Fault badValue(String key, int at) {
            return new Fault(
                    at,
                    "expected a value for field '" + key
                            + "': a float (1.5), an integer (1i), an unsigned integer (1u), a boolean (true) or a string (\"text\")");
        }

        private boolean bool(String key, int start) {
            String s = ascii(start, pos);
            return switch (s) {
                case "t", "T", "true", "True", "TRUE" -> true;
                case "f", "F", "false", "False", "FALSE" -> false;
                default -> throw badValue(key, start);
            };
        }

        private String string(String key) {
            int open = pos;
            pos++;
            int start = pos;
            boolean escaped = false;
            while (pos < end && b[pos] != '"') {
                if (b[pos] == '\\' && pos + 1 < end && isStringEscape(b[pos + 1])) {
                    escaped = true;
                    pos += 2;
                } else {
                    pos++;
                }
            }
            if (pos == end) {
                throw new Fault(open, "string value of field '" + key + "' has no closing '\"'");
            }
            int close = pos;
            pos++;
            if (!escaped) {
                return decode(start, close, false);
            }
            byte[] out = new byte[close - start];
            int n = 0;
            for (int i = start; i < close; i++) {
                byte c = b[i];
                if (c == '\\' && i + 1 < close && isStringEscape(b[i + 1])) {
                    i++;
                    c = switch (b[i]) {
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        default -> b[i];
                    };
                }
                out[n++] = c;
            }
            return decode(out, 0, n, false, start);
        }

        private static boolean isStringEscape(byte c) {
            return c == '"' || c == '\\' || c == 'n' || c == 'r' || c == 't';
        }

        private long timestamp() {
            int start = pos;
            while (pos < end && b[pos] != ' ') {
                pos++;
            }
            if (!isInteger(start, pos, true)) {
                throw new Fault(
                        start,
                        "expected a timestamp: an integer number of " + precision.symbol() + " since the Unix epoch");
            }
            long t;
            try {
                t = Math.multiplyExact(parseLong(start, pos), precision.nanos());
            } catch (NumberFormatException | ArithmeticException e) {
                t = Long.MIN_VALUE;
            }
            if (t < MIN_TIME || t > MAX_TIME) {
                throw new Fault(
                        start,
                        "timestamp is out of range: " + MIN_TIME + " to " + MAX_TIME
                                + " ns (1677-09-21 to 2262-04-11) was expected");
            }
            return t;
        }

        /**
         * {@link Long#parseLong} of {@code [from, to)}, which {@link #isInteger} accepted (signed),
         * without building a String.
         *
         * @throws NumberFormatException when it is out of range
         */
        private long parseLong(int from, int to) {
            int i = from;
            boolean negative = b[i] == '-';
            if (negative) {
                i++;
            }
            // Accumulated negatively, so that Long.MIN_VALUE fits.
            long v = 0;
            try {
                for (; i < to; i++) {
                    v = Math.subtractExact(Math.multiplyExact(v, 10), b[i] - '0');
                }
            } catch (ArithmeticException e) {
                throw new NumberFormatException("out of range");
            }
            if (negative) {
                return v;
            }
            if (v == Long.MIN_VALUE) {
                throw new NumberFormatException("out of range");
            }
            return -v;
        }

        /** The powers of ten that a double holds exactly. */
        private static final double[] EXACT_POWERS_OF_TEN = {
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
            1e19, 1e20, 1e21, 1e22
        };

        /**
         * {@link Double#parseDouble} of {@code [from, to)}, which {@link #isFloat} accepted. With
         * at most 15 significant digits and a decimal exponent within ±22 (as metrics are
         * written), both the digits and the power of ten are exact doubles, so one multiplication
         * or division rounds correctly (Clinger's fast path) and gives the same bits as {@code
         * parseDouble}; anything else goes to {@code parseDouble}.
         */
        private double parseDouble(int from, int to) {
            int i = from;
            boolean negative = b[i] == '-';
            if (negative) {
                i++;
            }
            long digits = 0;
            int significant = 0;
            int exponent = 0;
            boolean fraction = false;
            for (; i < to; i++) {
                byte c = b[i];
                if (c == '.') {
                    fraction = true;
                    continue;
                }
                if (c < '0' || c > '9') {
                    break; // an exponent: left to parseDouble
                }
                if (significant > 0 || c != '0') {
                    significant++;
                }
                digits = digits * 10 + (c - '0');
                if (fraction) {
                    exponent--;
                }
            }
            if (i < to || significant > 15 || exponent < -22) {
                return Double.parseDouble(ascii(from, to));
            }
            double d = exponent == 0 ? (double) digits : (double) digits / EXACT_POWERS_OF_TEN[-exponent];
            return negative ? -d : d;
        }

        /** {@code -?[0-9]+} over {@code [from, to)}. */
        private boolean isInteger(int from, int to, boolean signed) {
            int i = from;
            if (signed && i < to && b[i] == '-') {
                i++;
            }
            if (i == to) {
                return false;
            }
            for (; i < to; i++) {
                if (b[i] < '0' || b[i] > '9') {
                    return false;
                }
            }
            return true;
        }

        /** {@code -?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?} over {@code [from, to)}. */
        private boolean isFloat(int from, int to) {
            int i = from;
            if (i < to && b[i] == '-') {
                i++;
            }
            int intDigits = 0;
            while (i < to && b[i] >= '0' && b[i] <= '9') {
                i++;
                intDigits++;
            }
            int fracDigits = 0;
            if (i < to && b[i] == '.') {
                i++;
                while (i < to && b[i] >= '0' && b[i] <= '9') {
                    i++;
                    fracDigits++;
                }
            }
            if (intDigits + fracDigits == 0) {
                return false;
            }
            if (i < to && (b[i] == 'e' || b[i] == 'E')) {
                i++;
                if (i < to && (b[i] == '+' || b[i] == '-')) {
                    i++;
                }
                int expDigits = 0;
                while (i < to && b[i] >= '0' && b[i] <= '9') {
                    i++;
                    expDigits++;
                }
                if (expDigits == 0) {
                    return false;
                }
            }
            return i == to;
        }

        private String ascii(int from, int to) {
            return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
        }

        private String decode(int from, int to, boolean ascii) {
            return decode(b, from, to - from, ascii, from);
        }

        /** Decodes UTF-8 strictly: a malformed sequence is a fault at {@code at}. */
        private static String decode(byte[] src, int off, int len, boolean ascii, int at) {
            if (ascii) {
                return new String(src, off, len, StandardCharsets.ISO_8859_1);
            }
            try {
                return StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(src, off, len))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new Fault(at, "expected UTF-8 text: the bytes here are not valid UTF-8");
            }
        }
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The first {@code \n} at or after {@code from} and before {@code to}, or -1; eight bytes a step. */
    static int indexOfNewline(byte[] b, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long w = (long) LONGS.get(b, i) ^ 0x0A0A0A0A0A0A0A0AL;
            // A byte of w is zero where b holds '\n'; the lowest flagged byte is always one.
            long zeros = (w - 0x0101010101010101L) & ~w & 0x8080808080808080L;
            if (zeros != 0) {
                return i + (Long.numberOfTrailingZeros(zeros) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The 1-based code point column of byte {@code offset} in the line starting at {@code lineStart}. */
    private static int column(byte[] b, int lineStart, int offset) {
        int col = 1;
        for (int i = lineStart; i < offset && i < b.length; i++) {
            if ((b[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        return col;
    }

    private static String lenient(byte[] b, int from, int to) {
        int len = Math.min(to - from, LineProtocolError.MAX_TEXT * 4);
        return new String(b, from, len, StandardCharsets.UTF_8);
    }
}

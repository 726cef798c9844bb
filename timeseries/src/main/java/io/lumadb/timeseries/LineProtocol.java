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
        List<Point> points = new ArrayList<>();
        List<LineProtocolError> errors = new ArrayList<>();
        Map<SeriesBytes, Point> series = new HashMap<>();
        int[] lines = new int[16];
        int lineNo = 0;
        int pos = 0;
        while (pos < body.length) {
            lineNo++;
            int nl = indexOf(body, (byte) '\n', pos);
            int next = nl < 0 ? body.length : nl + 1;
            int end = nl < 0 ? body.length : nl;
            if (end > pos && body[end - 1] == '\r') {
                end--;
            }
            try {
                Point p = new LineParser(body, pos, end, precision, nowNanos, series).parse();
                if (p != null) {
                    if (points.size() == lines.length) {
                        lines = java.util.Arrays.copyOf(lines, lines.length * 2);
                    }
                    lines[points.size()] = lineNo;
                    points.add(p);
                }
            } catch (Fault f) {
                errors.add(new LineProtocolError(
                        lineNo, column(body, pos, f.offset), f.getMessage(), lenient(body, pos, end)));
            }
            pos = next;
        }
        return new ParseResult(points, errors, java.util.Arrays.copyOf(lines, points.size()));
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
        if (indexOf(b, (byte) '\n', 0) >= 0) {
            throw new IllegalArgumentException("a line must not contain a line break");
        }
        try {
            return new LineParser(b, 0, end, precision, nowNanos, null).parse();
        } catch (Fault f) {
            throw new LineProtocolException(new LineProtocolError(1, column(b, 0, f.offset), f.getMessage(), line));
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

    /** Reads one line, {@code [start, end)} of the body without its line break. */
    /**
     * The bytes of a line's series (measurement and tags, up to the space before the fields), as a
     * key: the lines of one series in a body parse their series once and share its measurement and
     * tag list, which also makes the series cheap to look up downstream.
     */
    private static final class SeriesBytes {
        private final byte[] b;
        private final int from;
        private final int to;
        private final int hash;

        SeriesBytes(byte[] b, int from, int to) {
            this.b = b;
            this.from = from;
            this.to = to;
            int h = 1;
            for (int i = from; i < to; i++) {
                h = 31 * h + b[i];
            }
            this.hash = h;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SeriesBytes k
                    && k.hash == hash
                    && java.util.Arrays.equals(b, from, to, k.b, k.from, k.to);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private static final class LineParser {
        private final byte[] b;
        private final int end;
        private final Precision precision;
        private final long now;
        /** Series already parsed in this body, by their bytes (a point of each); null: none kept. */
        private final Map<SeriesBytes, Point> series;

        private int pos;

        LineParser(byte[] b, int start, int end, Precision precision, long now, Map<SeriesBytes, Point> series) {
            this.series = series;
            this.b = b;
            this.pos = start;
            this.end = end;
            this.precision = precision;
            this.now = now;
        }

        Point parse() {
            while (pos < end && (b[pos] == ' ' || b[pos] == '\t')) {
                pos++;
            }
            if (pos == end || b[pos] == '#') {
                return null;
            }
            int seriesEnd = series == null ? -1 : seriesEnd();
            SeriesBytes seriesKey = seriesEnd < 0 ? null : new SeriesBytes(b, pos, seriesEnd);
            Point same = seriesKey == null ? null : series.get(seriesKey);
            if (same != null) {
                pos = seriesEnd;
                skipSpaces();
                return fieldsAndTime(same.measurement(), same.tags());
            }
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
            boolean whole = pos == seriesEnd;
            if (!skipSpaces()) {
                throw new Fault(
                        pos,
                        "expected a space and a field set after '" + measurement + "'"
                                + (tags.isEmpty() ? "" : " and its tags"));
            }
            Point p = fieldsAndTime(measurement, tags);
            if (seriesKey != null && whole) {
                series.put(seriesKey, p);
            }
            return p;
        }

        /**
         * Where the series of the line ends: its first space (or the line's end); -1 when the
         * series holds a backslash, whose escapes only the full parse reads right.
         */
        private int seriesEnd() {
            for (int i = pos; i < end; i++) {
                byte c = b[i];
                if (c == ' ') {
                    return i;
                }
                if (c == '\\') {
                    return -1;
                }
            }
            return -1;
        }

        /** The field set and the timestamp, after the series and its space. */
        private Point fieldsAndTime(String measurement, List<Point.Tag> tags) {
            Map<String, FieldValue> fields = new LinkedHashMap<>();
            while (true) {
                int keyAt = pos;
                String key = name(NameKind.KEY, "a field key");
                if (pos == end || b[pos] != '=') {
                    throw new Fault(pos, "expected '=' after field key '" + key + "'");
                }
                if (key.equals("time")) {
                    throw new Fault(keyAt, "field key 'time' is reserved for the timestamp");
                }
                pos++;
                fields.put(key, value(key));
                if (pos < end && b[pos] == ',') {
                    pos++;
                    continue;
                }
                break;
            }
            long time;
            if (!skipSpaces()) {
                if (pos < end) {
                    throw new Fault(
                            pos,
                            "expected ',', a space or the end of the line after the value of field '" + lastKey(fields)
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
            return new Point(measurement, tags, fields, time);
        }

        private static String lastKey(Map<String, FieldValue> fields) {
            String last = "";
            for (String k : fields.keySet()) {
                last = k;
            }
            return last;
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
            if (!escaped) {
                return decode(start, pos, ascii);
            }
            byte[] out = new byte[pos - start];
            int n = 0;
            for (int i = start; i < pos; i++) {
                if (b[i] == '\\' && i + 1 < pos && isEscapable(kind, b[i + 1])) {
                    i++;
                }
                out[n++] = b[i];
            }
            return decode(out, 0, n, ascii, start);
        }

        private static boolean isEscapable(NameKind kind, byte c) {
            return c == ',' || c == ' ' || (c == '=' && kind != NameKind.MEASUREMENT);
        }

        private FieldValue value(String key) {
            if (pos == end) {
                throw new Fault(pos, "expected a value for field '" + key + "'");
            }
            if (b[pos] == '"') {
                return string(key);
            }
            int start = pos;
            while (pos < end && b[pos] != ',' && b[pos] != ' ') {
                pos++;
            }
            if (pos == start) {
                throw new Fault(pos, "expected a value for field '" + key + "'");
            }
            byte first = b[start];
            if (first == 't' || first == 'T' || first == 'f' || first == 'F') {
                return bool(key, start);
            }
            byte last = b[pos - 1];
            if (last == 'i') {
                if (!isInteger(start, pos - 1, true)) {
                    throw badValue(key, start);
                }
                try {
                    return new FieldValue.IntegerValue(Long.parseLong(ascii(start, pos - 1)));
                } catch (NumberFormatException e) {
                    throw new Fault(
                            start,
                            "integer field '" + key + "' is out of range: a signed 64-bit integer (" + Long.MIN_VALUE
                                    + "i to " + Long.MAX_VALUE + "i) was expected");
                }
            }
            if (last == 'u') {
                if (!isInteger(start, pos - 1, false)) {
                    throw badValue(key, start);
                }
                try {
                    return new FieldValue.UnsignedValue(Long.parseUnsignedLong(ascii(start, pos - 1)));
                } catch (NumberFormatException e) {
                    throw new Fault(
                            start,
                            "unsigned integer field '" + key
                                    + "' is out of range: 0u to 18446744073709551615u was expected");
                }
            }
            if (!isFloat(start, pos)) {
                throw badValue(key, start);
            }
            double d = Double.parseDouble(ascii(start, pos));
            if (!Double.isFinite(d)) {
                throw new Fault(start, "float field '" + key + "' is out of range: a finite 64-bit float was expected");
            }
            return new FieldValue.FloatValue(d);
        }

        private Fault badValue(String key, int at) {
            return new Fault(
                    at,
                    "expected a value for field '" + key
                            + "': a float (1.5), an integer (1i), an unsigned integer (1u), a boolean (true) or a string (\"text\")");
        }

        private FieldValue bool(String key, int start) {
            String s = ascii(start, pos);
            return switch (s) {
                case "t", "T", "true", "True", "TRUE" -> new FieldValue.BooleanValue(true);
                case "f", "F", "false", "False", "FALSE" -> new FieldValue.BooleanValue(false);
                default -> throw badValue(key, start);
            };
        }

        private FieldValue string(String key) {
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
                return new FieldValue.StringValue(decode(start, close, false));
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
            return new FieldValue.StringValue(decode(out, 0, n, false, start));
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
                t = Math.multiplyExact(Long.parseLong(ascii(start, pos)), precision.nanos());
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

    private static int indexOf(byte[] b, byte c, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
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

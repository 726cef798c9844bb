package io.lumadb.timeseries;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The line-protocol parser as it was before it read series, keys and numbers without building a
 * String for each (commit f8d92cb), kept as the reference that {@link LineProtocol#parse} is
 * checked against on random bodies: both must give the same points, errors and line numbers.
 */
final class ReferenceLineProtocol {

    /** The latest timestamp line protocol accepts, in nanoseconds (InfluxDB keeps the ends as sentinels). */
    public static final long MAX_TIME = Long.MAX_VALUE - 1;

    /** The earliest timestamp line protocol accepts, in nanoseconds. */
    public static final long MIN_TIME = Long.MIN_VALUE + 2;

    private ReferenceLineProtocol() {}

    /**
     * The good points and the bad lines of a body.
     *
     * @param points the points of the good lines, in body order
     * @param errors one error per bad line, in body order
     * @param lines the line number (from 1) of each point, so that a point refused later can be
     *     named by its line
     */
    record ParseResult(List<Point> points, List<LineProtocolError> errors, int[] lines) {
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

package io.lumadb.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The documents of an import file, one at a time, each with the line it starts on, so that a bad
 * one is reported by line number. Streaming: a file larger than memory is fine. A bad item is
 * {@link Bad} and reading goes on after it, except where the file cannot be read further (a JSON
 * array broken mid-way, a CSV quote never closed): then it is {@link Bad#fatal}.
 */
abstract class DocumentSource implements AutoCloseable {

    /** The import formats. */
    enum Format {
        ndjson,
        json,
        csv
    }

    /** One item of the file: a document or the reason it is not one. */
    sealed interface Item permits Doc, Bad {
        long line();
    }

    /**
     * A document. CSV rows and JSON array elements arrive {@code parsed}; an NDJSON line arrives
     * {@code raw}, its bytes as they are in the file, already checked to be one JSON object, with
     * its top-level {@code _id} value ({@code id}, null when it has none), so an import can pass it
     * on without building and writing it again.
     */
    record Doc(long line, ObjectNode parsed, byte[] raw, JsonNode id) implements Item {
        Doc(long line, ObjectNode parsed) {
            this(line, parsed, null, null);
        }

        /** The document as a tree, parsed from the raw bytes when it came raw. */
        ObjectNode doc() {
            if (parsed != null) {
                return parsed;
            }
            try {
                return (ObjectNode) NodeApi.JSON.readTree(raw);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // checked when the line was read
            }
        }
    }

    record Bad(long line, String reason, boolean fatal) implements Item {}

    private final Counting in;

    DocumentSource(InputStream in) {
        this.in = new Counting(in);
    }

    static DocumentSource open(Format format, InputStream in, CsvColumns columns) {
        return switch (format) {
            case ndjson -> new Ndjson(in);
            case json -> new JsonArray(in);
            case csv -> new Csv(in, columns);
        };
    }

    /** The next item, or null at the end of the file. */
    abstract Item next();

    /** Bytes read from the file so far. */
    long bytesRead() {
        return in.count;
    }

    InputStream input() {
        return in;
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(JsonNode n) {
        return n.isArray()
                ? "an array"
                : n.isTextual() ? "a string" : n.isNumber() ? "a number" : n.isBoolean() ? "a boolean" : "null";
    }

    /**
     * One JSON object per line; blank lines are skipped. Lines are read as bytes and checked with
     * the streaming parser, without building a tree; a UTF-8 byte order mark before the first line
     * is dropped.
     */
    static final class Ndjson extends DocumentSource {
        private final byte[] buffer = new byte[1 << 16];
        private int position;
        private int limit;
        private long line;

        Ndjson(InputStream in) {
            super(in);
        }

        @Override
        Item next() {
            try {
                byte[] bytes;
                do {
                    bytes = readLine();
                    line++;
                    if (bytes == null) {
                        return null;
                    }
                } while (blank(bytes));
                return check(line, bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The line's document, or why it is not one. */
        static Item check(long line, byte[] bytes) {
            try (JsonParser p = NodeApi.JSON.getFactory().createParser(bytes)) {
                JsonToken first = p.nextToken();
                if (first != JsonToken.START_OBJECT) {
                    // a malformed value fails in readTree, as not JSON
                    return new Bad(
                            line, "a document is a JSON object, found " + describe(NodeApi.JSON.readTree(p)), false);
                }
                JsonNode id = null;
                for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                    String name = p.currentName();
                    p.nextToken();
                    if (name.equals("_id")) {
                        id = NodeApi.JSON.readTree(p);
                    } else {
                        p.skipChildren();
                    }
                }
                if (p.nextToken() != null) {
                    return new Bad(line, "not JSON: more after the end of the object", false);
                }
                return new Doc(line, null, bytes, id);
            } catch (JsonProcessingException e) {
                return new Bad(line, "not JSON: " + e.getOriginalMessage(), false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /**
         * The next line's bytes without its line break, or null at the end of the input. A line
         * longer than the buffer is gathered piece by piece, each piece copied once.
         */
        private byte[] readLine() throws IOException {
            java.io.ByteArrayOutputStream longLine = null;
            while (true) {
                if (position == limit) {
                    int n = input().read(buffer, 0, buffer.length);
                    if (n <= 0) {
                        return longLine == null ? null : withoutCarriageReturn(longLine.toByteArray());
                    }
                    position = 0;
                    limit = n;
                    if (line == 0
                            && longLine == null
                            && n >= 3
                            && (buffer[0] & 0xFF) == 0xEF
                            && (buffer[1] & 0xFF) == 0xBB
                            && (buffer[2] & 0xFF) == 0xBF) {
                        position = 3;
                    }
                }
                int end = position;
                while (end < limit && buffer[end] != '\n') {
                    end++;
                }
                if (end < limit && longLine == null) {
                    byte[] bytes = java.util.Arrays.copyOfRange(buffer, position, end);
                    position = end + 1;
                    return withoutCarriageReturn(bytes);
                }
                if (longLine == null) {
                    longLine = new java.io.ByteArrayOutputStream(2 * buffer.length);
                }
                longLine.write(buffer, position, end - position);
                if (end < limit) {
                    position = end + 1;
                    return withoutCarriageReturn(longLine.toByteArray());
                }
                position = limit;
            }
        }

        private static byte[] withoutCarriageReturn(byte[] line) {
            return line.length > 0 && line[line.length - 1] == '\r'
                    ? java.util.Arrays.copyOf(line, line.length - 1)
                    : line;
        }

        private static boolean blank(byte[] line) {
            for (byte b : line) {
                if (b != ' ' && b != '\t' && b != '\r') {
                    return false;
                }
            }
            return true;
        }
    }

    /** A JSON array of objects, read element by element. */
    static final class JsonArray extends DocumentSource {
        private final JsonParser parser;
        private boolean started;
        private boolean ended;

        JsonArray(InputStream in) {
            super(in);
            try {
                this.parser = NodeApi.JSON.getFactory().createParser(input());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        Item next() {
            if (ended) {
                return null;
            }
            try {
                if (!started) {
                    started = true;
                    JsonToken first = parser.nextToken();
                    if (first == null) {
                        ended = true;
                        return null;
                    }
                    if (first != JsonToken.START_ARRAY) {
                        ended = true;
                        return new Bad(
                                line(),
                                "a JSON import file is an array of documents ([{...}, ...]); use --format ndjson for one document per line",
                                true);
                    }
                }
                JsonToken t = parser.nextToken();
                long line = line();
                if (t == JsonToken.END_ARRAY) {
                    ended = true;
                    if (parser.nextToken() != null) {
                        return new Bad(line(), "more content after the end of the array", true);
                    }
                    return null;
                }
                if (t == null) {
                    ended = true;
                    return new Bad(line, "the file ends inside the array (no closing ])", true);
                }
                JsonNode node = NodeApi.JSON.readTree(parser);
                if (!(node instanceof ObjectNode doc)) {
                    return new Bad(line, "a document is a JSON object, found " + describe(node), false);
                }
                return new Doc(line, doc);
            } catch (com.fasterxml.jackson.core.io.JsonEOFException e) {
                ended = true;
                return new Bad(line(), "the file ends inside the array (no closing ])", true);
            } catch (JsonProcessingException e) {
                ended = true;
                long at = e.getLocation() == null ? line() : e.getLocation().getLineNr();
                return new Bad(
                        at, "not JSON: " + e.getOriginalMessage() + " (the rest of the array cannot be read)", true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private long line() {
            return parser.currentTokenLocation().getLineNr();
        }
    }

    /**
     * CSV with a header row (RFC 4180: quotes, commas and line breaks inside quoted cells). Each
     * row becomes a document whose fields are the header's names; the cells are typed by {@link
     * CsvColumns}. An empty cell, quoted or not, leaves the field out: CSV cannot tell a missing
     * value from an empty string reliably (and the CSV library's option to tell {@code ,,} from
     * {@code ,"",} misreads some rows in this version), so an empty string does not survive CSV.
     */
    static final class Csv extends DocumentSource {
        private static final CsvMapper CSV = new CsvMapper();
        private final MappingIterator<List<String>> rows;
        private final CsvColumns columns;
        private List<String> header;

        Csv(InputStream in, CsvColumns columns) {
            super(in);
            this.columns = columns;
            try {
                this.rows = CSV.readerForListOf(String.class)
                        .with(CsvParser.Feature.WRAP_AS_ARRAY)
                        .readValues(input());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        Item next() {
            try {
                if (header == null) {
                    if (!rows.hasNextValue()) {
                        return null;
                    }
                    header = rows.nextValue();
                    String problem = columns.checkHeader(header);
                    if (problem != null) {
                        return new Bad(1, problem, true);
                    }
                }
                if (!rows.hasNextValue()) {
                    return null;
                }
                long line = rows.getCurrentLocation().getLineNr();
                List<String> cells = rows.nextValue();
                if (cells.size() == 1 && (cells.get(0) == null || cells.get(0).isEmpty())) {
                    return next(); // an empty line
                }
                if (cells.size() != header.size()) {
                    return new Bad(line, "the row has " + cells.size() + " cells, the header " + header.size(), false);
                }
                try {
                    return new Doc(line, columns.document(header, cells));
                } catch (IllegalArgumentException e) {
                    return new Bad(line, e.getMessage(), false);
                }
            } catch (JsonProcessingException e) {
                long at = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
                return new Bad(
                        at, "not CSV: " + e.getOriginalMessage() + " (the rest of the file cannot be read)", true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                if (e.getCause() instanceof JsonProcessingException s) {
                    long at = s.getLocation() == null ? -1 : s.getLocation().getLineNr();
                    return new Bad(
                            at, "not CSV: " + s.getOriginalMessage() + " (the rest of the file cannot be read)", true);
                }
                throw e;
            }
        }
    }

    /**
     * How CSV cells become JSON values: by a declared mapping ({@code --columns
     * name:type,...}, types {@code string}, {@code integer}, {@code number}, {@code boolean},
     * {@code json}, {@code auto}, {@code skip}) or, for columns it does not name, by inference:
     * {@code true}/{@code false} are booleans, integers without leading zeros are integers,
     * decimals are numbers, a cell that starts with <code>{</code> or {@code [} and is JSON is
     * that JSON, anything else is a string. {@code _id} is always a string.
     */
    static final class CsvColumns {
        private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]{0,17})");
        private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
        private static final List<String> TYPES =
                List.of("string", "integer", "number", "boolean", "json", "auto", "skip");
        private final Map<String, String> declared;
        private final boolean strict;

        private CsvColumns(Map<String, String> declared, boolean strict) {
            this.declared = declared;
            this.strict = strict;
        }

        static CsvColumns inferred() {
            return new CsvColumns(Map.of(), false);
        }

        /**
         * From {@code name:type,name:type}. With {@code strict}, the header must hold exactly the
         * declared columns (in any order).
         */
        static CsvColumns parse(String spec, boolean strict) {
            Map<String, String> declared = new LinkedHashMap<>();
            for (String part : spec.split(",")) {
                String p = part.strip();
                int colon = p.lastIndexOf(':');
                String name = colon < 0 ? p : p.substring(0, colon).strip();
                String type =
                        colon < 0 ? "auto" : p.substring(colon + 1).strip().toLowerCase(Locale.ROOT);
                type = switch (type) {
                    case "int", "long" -> "integer";
                    case "double", "float", "decimal" -> "number";
                    case "bool" -> "boolean";
                    case "text", "str" -> "string";
                    default -> type;
                };
                if (name.isEmpty() || !TYPES.contains(type)) {
                    throw new CliException(
                            ExitCodes.USAGE,
                            "--columns: '" + p + "' is not name:type (types: " + String.join(", ", TYPES) + ")");
                }
                declared.put(name, type);
            }
            return new CsvColumns(declared, strict);
        }

        String checkHeader(List<String> header) {
            List<String> seen = new ArrayList<>();
            for (String h : header) {
                if (h == null || h.isEmpty()) {
                    return "the header has an empty column name (column " + (seen.size() + 1) + ")";
                }
                if (seen.contains(h)) {
                    return "the header names column '" + h + "' twice";
                }
                seen.add(h);
            }
            for (String name : declared.keySet()) {
                if (!header.contains(name)) {
                    return "--columns names '" + name + "', which the header does not have (header: " + header + ")";
                }
            }
            if (strict) {
                for (String h : header) {
                    if (!declared.containsKey(h)) {
                        return "the header has column '" + h + "', which --columns does not declare";
                    }
                }
            }
            return null;
        }

        ObjectNode document(List<String> header, List<String> cells) {
            ObjectNode doc = JsonNodeFactory.instance.objectNode();
            for (int i = 0; i < header.size(); i++) {
                String name = header.get(i);
                String cell = cells.get(i);
                String type = name.equals("_id") ? "string" : declared.getOrDefault(name, "auto");
                if (cell == null || cell.isEmpty() || type.equals("skip")) {
                    continue;
                }
                doc.set(name, value(name, type, cell));
            }
            return doc;
        }

        private static JsonNode value(String column, String type, String cell) {
            JsonNodeFactory f = JsonNodeFactory.instance;
            switch (type) {
                case "string":
                    return f.textNode(cell);
                case "integer":
                    try {
                        return f.numberNode(Long.parseLong(cell.strip()));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("column " + column + ": '" + cell + "' is not an integer");
                    }
                case "number":
                    try {
                        BigDecimal d = new BigDecimal(cell.strip());
                        return f.numberNode(d.doubleValue());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("column " + column + ": '" + cell + "' is not a number");
                    }
                case "boolean":
                    return switch (cell.strip().toLowerCase(Locale.ROOT)) {
                        case "true", "t", "yes", "1" -> f.booleanNode(true);
                        case "false", "f", "no", "0" -> f.booleanNode(false);
                        default ->
                            throw new IllegalArgumentException(
                                    "column " + column + ": '" + cell + "' is not a boolean");
                    };
                case "json":
                    try {
                        return NodeApi.JSON.readTree(cell);
                    } catch (IOException e) {
                        throw new IllegalArgumentException("column " + column + ": '" + cell + "' is not JSON");
                    }
                default:
                    return infer(cell);
            }
        }

        static JsonNode infer(String cell) {
            JsonNodeFactory f = JsonNodeFactory.instance;
            if (cell.equals("true") || cell.equals("false")) {
                return f.booleanNode(cell.equals("true"));
            }
            if (INTEGER.matcher(cell).matches()) {
                return f.numberNode(Long.parseLong(cell));
            }
            if (NUMBER.matcher(cell).matches()) {
                double d = Double.parseDouble(cell);
                if (Double.isFinite(d)) {
                    return f.numberNode(d);
                }
            }
            if (cell.startsWith("{") || cell.startsWith("[")) {
                try {
                    return NodeApi.JSON.readTree(cell);
                } catch (IOException e) {
                    return f.textNode(cell);
                }
            }
            return f.textNode(cell);
        }
    }

    /** Counts the bytes read, for the progress bar. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}

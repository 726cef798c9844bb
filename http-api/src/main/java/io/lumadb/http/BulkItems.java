package io.lumadb.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.InvalidNameException;
import io.lumadb.shards.model.Names;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Parses the items of a bulk request, streaming. Each item is an object:
 *
 * <pre>{"op": "put" | "create" | "patch" | "delete", "id": "...", "doc": {...}, "ifMatch": 7}</pre>
 *
 * {@code op} defaults to {@code put}. For {@code put} and {@code create} the id may instead be
 * the document's {@code _id}, and if neither is given LumaDB generates one (time-ordered, 24
 * hex digits). {@code create} is create-only. Every item is checked before anything is written:
 * one bad item fails the whole request with a pointer to it, and nothing is written.
 */
final class BulkItems {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long NODE_BITS = RANDOM.nextLong() & 0xFFFFFFL;
    private static final AtomicLong COUNTER = new AtomicLong(RANDOM.nextInt());

    private final int maxItems;
    private final long maxDocumentBytes;

    BulkItems(int maxItems, long maxDocumentBytes) {
        this.maxItems = maxItems;
        this.maxDocumentBytes = maxDocumentBytes;
    }

    /** The writes of a JSON array body. */
    List<DocumentWrite> parseArray(byte[] body) {
        return JsonBodies.streaming(body, "body", p -> {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_ARRAY) {
                throw ApiException.badRequest(
                        "not-an-array",
                        "Not a JSON array",
                        "a bulk request is a JSON array of items (or NDJSON with Content-Type application/x-ndjson), got "
                                + (first == null
                                        ? "nothing"
                                        : JsonBodies.describe(
                                                first == JsonToken.START_OBJECT ? JsonToken.START_OBJECT : first)),
                        "body");
            }
            List<DocumentWrite> writes = new ArrayList<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                checkCount(writes.size() + 1);
                writes.add(item(p, t, body, "/" + writes.size()));
            }
            JsonBodies.requireEnd(p, "body");
            return checkNotEmpty(writes);
        });
    }

    /**
     * The writes of an NDJSON body: one item per non-blank line. One streaming parser reads the
     * whole body (a parser per line costs more than the parsing of a small item); each item must
     * begin and end on its own line, and a problem names the item of the line it is on.
     */
    List<DocumentWrite> parseNdjson(byte[] body) {
        // Checked first and as a whole: the parser would guess another encoding from NUL bytes.
        int bad = JsonBodies.startsWithByteOrderMark(body) ? 0 : JsonBodies.invalidUtf8At(body);
        if (bad >= 0) {
            int from = bad;
            while (from > 0 && body[from - 1] != '\n') {
                from--;
            }
            int to = bad;
            while (to < body.length && body[to] != '\n') {
                to++;
            }
            JsonBodies.requireUtf8(java.util.Arrays.copyOfRange(body, from, to), "/" + itemsBefore(body, from));
        }
        List<DocumentWrite> writes = new ArrayList<>();
        int lastLine = 0;
        try (JsonParser p = JsonBodies.strictParser(body)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                String at = "/" + writes.size();
                checkCount(writes.size() + 1);
                int line = p.currentTokenLocation().getLineNr();
                if (line == lastLine) {
                    throw invalidLine(at, "a line holds one item, and this one follows another on line " + line);
                }
                DocumentWrite w = item(p, t, body, at);
                if (p.currentTokenLocation().getLineNr() != line) {
                    throw invalidLine(
                            at,
                            "an item is one line, and this one runs from line " + line + " to line "
                                    + p.currentTokenLocation().getLineNr());
                }
                lastLine = line;
                writes.add(w);
            }
        } catch (JacksonException e) {
            // On the line of the last item read, the problem is that item's; else the next one's.
            boolean onLast = e.getLocation() != null && e.getLocation().getLineNr() == lastLine;
            throw JsonBodies.malformed(e, "/" + (onLast ? writes.size() - 1 : writes.size()));
        } catch (IOException e) {
            throw ApiException.badRequest("invalid-json", "Malformed JSON", e.getMessage(), "/" + writes.size());
        }
        return checkNotEmpty(writes);
    }

    /** The number of non-blank lines before offset {@code end} (the start of a line). */
    private static int itemsBefore(byte[] body, int end) {
        int items = 0;
        boolean blank = true;
        for (int i = 0; i < end; i++) {
            if (body[i] == '\n') {
                items += blank ? 0 : 1;
                blank = true;
            } else if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r') {
                blank = false;
            }
        }
        return items;
    }

    private static ApiException invalidLine(String pointer, String detail) {
        return ApiException.badRequest("invalid-json", "Malformed JSON", detail, pointer);
    }

    private void checkCount(int items) {
        if (items > maxItems) {
            throw new ApiException(
                    413,
                    "too-many-items",
                    "Too many items",
                    "a bulk request may carry at most " + maxItems + " items",
                    "body");
        }
    }

    private static List<DocumentWrite> checkNotEmpty(List<DocumentWrite> writes) {
        if (writes.isEmpty()) {
            throw ApiException.badRequest(
                    "invalid-bulk", "Invalid bulk request", "a bulk request needs at least one item", "body");
        }
        return writes;
    }

    private DocumentWrite item(JsonParser p, JsonToken start, byte[] raw, String at) throws IOException {
        if (start != JsonToken.START_OBJECT) {
            throw JsonBodies.notAnObject(start, at);
        }
        String op = "put";
        String id = null;
        long expected = DocumentWrite.ANY;
        DocumentContent.Scanned doc = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "op" -> op = text(p, value, at + "/op");
                case "id" -> id = text(p, value, at + "/id");
                case "ifMatch" -> expected = ifMatch(p, value, at + "/ifMatch");
                case "doc" -> {
                    if (value != JsonToken.START_OBJECT) {
                        throw JsonBodies.notAnObject(value, at + "/doc");
                    }
                    doc = DocumentContent.scan(p, raw, at + "/doc");
                }
                default ->
                    throw invalid(
                            at + "/" + field, "unknown field '" + field + "'; an item has op, id, doc and ifMatch");
            }
        }
        switch (op) {
            case "put", "create" -> {
                if (doc == null) {
                    throw invalid(at + "/doc", "a " + op + " needs a doc object");
                }
                String idAt = at + "/id";
                if (id == null && doc.bodyId() != null) {
                    if (doc.idOf() == null) {
                        throw invalid(at + "/doc/_id", "_id must be a string");
                    }
                    id = doc.idOf();
                    idAt = at + "/doc/_id";
                }
                if (id == null) {
                    id = generateId();
                }
                if (op.equals("create")) {
                    if (expected != DocumentWrite.ANY) {
                        throw invalid(at + "/ifMatch", "a create cannot carry ifMatch");
                    }
                    expected = DocumentWrite.ABSENT;
                }
                checkId(id, idAt);
                return DocumentWrite.put(id, doc.content(id, maxDocumentBytes), expected);
            }
            case "patch" -> {
                if (doc == null) {
                    throw invalid(at + "/doc", "a patch needs a doc object (a JSON Merge Patch)");
                }
                checkId(requireId(id, at, op), at + "/id");
                return DocumentWrite.patch(id, doc.content(id, maxDocumentBytes), expected);
            }
            case "delete" -> {
                if (doc != null) {
                    throw invalid(at + "/doc", "a delete takes no doc");
                }
                checkId(requireId(id, at, op), at + "/id");
                return DocumentWrite.delete(id, expected);
            }
            default -> throw invalid(at + "/op", "op must be put, create, patch or delete, got '" + op + "'");
        }
    }

    private static String requireId(String id, String at, String op) {
        if (id == null) {
            throw invalid(at + "/id", "a " + op + " needs an id");
        }
        return id;
    }

    private static void checkId(String id, String pointer) {
        try {
            Names.checkDocumentId(id);
        } catch (InvalidNameException e) {
            throw ApiException.badRequest("invalid-name", "Invalid name", e.getMessage(), pointer);
        }
    }

    private static String text(JsonParser p, JsonToken value, String pointer) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            p.skipChildren();
            throw invalid(pointer, pointer.substring(pointer.lastIndexOf('/') + 1) + " must be a string");
        }
        return p.getText();
    }

    private static long ifMatch(JsonParser p, JsonToken value, String pointer) throws IOException {
        if (value != JsonToken.VALUE_NUMBER_INT
                || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                || p.getLongValue() < 1) {
            throw invalid(pointer, "ifMatch must be a version (an integer >= 1)");
        }
        return p.getLongValue();
    }

    private static ApiException invalid(String pointer, String detail) {
        return ApiException.badRequest("invalid-bulk-item", "Invalid bulk item", detail, pointer);
    }

    /** A new id: 44 bits of milliseconds, 24 bits of this process, 28 bits of a counter, as hex. */
    static String generateId() {
        long millis = System.currentTimeMillis() & 0xFFFFFFFFFFFL;
        long counter = COUNTER.incrementAndGet() & 0xFFFFFFFL;
        long hi = (millis << 20) | (NODE_BITS >>> 4);
        long lo = ((NODE_BITS & 0xF) << 28) | counter;
        return HexFormat.of().toHexDigits(hi) + HexFormat.of().toHexDigits((int) lo);
    }
}

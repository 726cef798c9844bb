package io.lumadb.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import java.io.IOException;
import java.util.Arrays;

/**
 * The content of a document sent by a client: checked, without system fields, size-limited.
 *
 * <p>Streaming: the object is walked once, token by token (which also checks it is well formed
 * and has no duplicate keys), and its bytes are stored as sent, with no tree built and nothing
 * re-serialized; top-level {@code _id} and {@code _version} members are cut out of the bytes.
 */
final class DocumentContent {

    private DocumentContent() {}

    /**
     * Reads the object at the parser's current {@code START_OBJECT} in {@code raw} and returns its
     * content. A {@code _id} in it must be the string {@code id} (when {@code id} is null, the
     * {@code _id} becomes the id: see {@link #idOf}); {@code _version} is the server's and dropped.
     *
     * @param pointer JSON pointer of the object in the request ("" for the whole body)
     */
    static Scanned scan(JsonParser p, byte[] raw, String pointer) throws IOException {
        int start = (int) p.currentTokenLocation().getByteOffset();
        JsonNode bodyId = null;
        // Byte ranges [from, to) of raw to leave out: one per run of adjacent system members.
        int[] cuts = null;
        int cutCount = 0;
        boolean inRun = false;
        boolean kept = false;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String field = p.currentName();
            boolean system = field.equals(DocumentJson.ID) || field.equals(DocumentJson.VERSION);
            if (system != inRun) { // a run of system members starts or ends at this name
                int at = (int) p.currentTokenLocation().getByteOffset();
                if (system) {
                    cuts = cuts == null
                            ? new int[4]
                            : cutCount == cuts.length ? Arrays.copyOf(cuts, cutCount * 2) : cuts;
                    cuts[cutCount++] = at;
                    cuts[cutCount++] = -1;
                } else {
                    cuts[cutCount - 1] = at; // the next member's name: the run takes its own commas
                }
                inRun = system;
            }
            kept |= !system;
            JsonToken value = p.nextToken();
            if (field.equals(DocumentJson.ID)) {
                bodyId = value == JsonToken.VALUE_STRING
                        ? com.fasterxml.jackson.databind.node.TextNode.valueOf(p.getText())
                        : DocumentJson.mapper().readTree(p);
            } else {
                p.skipChildren();
            }
        }
        int close = (int) p.currentTokenLocation().getByteOffset();
        if (inRun) {
            // The last members were cut: so is the comma after the last member that stays.
            cuts[cutCount - 2] = kept ? commaBefore(raw, cuts[cutCount - 2]) : cuts[cutCount - 2];
            cuts[cutCount - 1] = close;
        }
        return new Scanned(raw, start, close + 1, cuts == null ? null : Arrays.copyOf(cuts, cutCount), bodyId, pointer);
    }

    /** The position of the comma before the member name at {@code name} (only whitespace between). */
    private static int commaBefore(byte[] raw, int name) {
        int at = name - 1;
        while (raw[at] != ',') {
            at--;
        }
        return at;
    }

    /**
     * An object found in a request: where it is, its {@code _id} if it has one, and the byte
     * ranges of its top-level system members ({@code _id}, {@code _version}) with their commas,
     * null when it has none.
     */
    record Scanned(byte[] raw, int start, int end, int[] cuts, JsonNode bodyId, String pointer) {

        /** The document's own {@code _id} when it is a string, else null. */
        String idOf() {
            return bodyId != null && bodyId.isTextual() ? bodyId.textValue() : null;
        }

        /**
         * The object's bytes as sent without its system members: cut out, no tree built and
         * nothing re-serialized, so every other member keeps its bytes and order.
         */
        byte[] stripped() {
            if (cuts == null) {
                return start == 0 && end == raw.length ? raw : Arrays.copyOfRange(raw, start, end);
            }
            int length = end - start;
            for (int i = 0; i < cuts.length; i += 2) {
                length -= cuts[i + 1] - cuts[i];
            }
            byte[] out = new byte[length];
            int from = start;
            int at = 0;
            for (int i = 0; i < cuts.length; i += 2) {
                System.arraycopy(raw, from, out, at, cuts[i] - from);
                at += cuts[i] - from;
                from = cuts[i + 1];
            }
            System.arraycopy(raw, from, out, at, end - from);
            return out;
        }

        /** The content to store for document {@code id}; checks the body's {@code _id} and the size limit. */
        byte[] content(String id, long maxBytes) {
            if (bodyId != null && !(bodyId.isTextual() && bodyId.textValue().equals(id))) {
                throw ApiException.badRequest(
                        "id-mismatch",
                        "Document id mismatch",
                        "the _id " + bodyId + " differs from the document id '" + id + "'",
                        pointer + "/_id");
            }
            byte[] content = stripped();
            if (content.length > maxBytes) {
                throw new ApiException(
                        413,
                        "document-too-large",
                        "Document too large",
                        "the document is " + content.length + " bytes without _id and _version; the limit is "
                                + maxBytes,
                        pointer.isEmpty() ? "body" : pointer);
            }
            return content;
        }
    }

    /** The content of a whole request body that must be one JSON object. */
    static byte[] ofBody(byte[] body, String id, long maxBytes) {
        return JsonBodies.streaming(body, "body", p -> {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw ApiException.badRequest(
                        "invalid-json", "Malformed JSON", "the body is empty; a JSON object is required", "body");
            }
            if (first != JsonToken.START_OBJECT) {
                throw JsonBodies.notAnObject(first, "body");
            }
            Scanned scanned = scan(p, body, "");
            JsonBodies.requireEnd(p, "body");
            return scanned.content(id, maxBytes);
        });
    }
}

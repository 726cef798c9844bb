package io.lumadb.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import java.io.IOException;
import java.util.Arrays;

/**
 * The content of a document sent by a client: checked, without system fields, size-limited.
 *
 * <p>Streaming: the object is walked once, token by token (which also checks it is well formed
 * and has no duplicate keys), and when it has no top-level {@code _id} or {@code _version} its
 * bytes are stored as sent, with no tree built and nothing re-serialized. Only a document that
 * carries system fields is rewritten without them.
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
        boolean system = false;
        JsonNode bodyId = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals(DocumentJson.ID)) {
                system = true;
                bodyId = value == JsonToken.VALUE_STRING
                        ? com.fasterxml.jackson.databind.node.TextNode.valueOf(p.getText())
                        : DocumentJson.mapper().readTree(p);
            } else if (field.equals(DocumentJson.VERSION)) {
                system = true;
                p.skipChildren();
            } else {
                p.skipChildren();
            }
        }
        int end = (int) p.currentTokenLocation().getByteOffset() + 1;
        return new Scanned(raw, start, end, system, bodyId, pointer);
    }

    /** An object found in a request: where it is, and its {@code _id} if it has one. */
    record Scanned(byte[] raw, int start, int end, boolean hasSystemFields, JsonNode bodyId, String pointer) {

        /** The document's own {@code _id} when it is a string, else null. */
        String idOf() {
            return bodyId != null && bodyId.isTextual() ? bodyId.textValue() : null;
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
            byte[] content;
            if (hasSystemFields) {
                ObjectNode doc = (ObjectNode)
                        JsonBodies.parse(Arrays.copyOfRange(raw, start, end), pointer.isEmpty() ? "body" : pointer);
                doc.remove(DocumentJson.ID);
                doc.remove(DocumentJson.VERSION);
                content = DocumentJson.bytes(doc);
            } else {
                content = start == 0 && end == raw.length ? raw : Arrays.copyOfRange(raw, start, end);
            }
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

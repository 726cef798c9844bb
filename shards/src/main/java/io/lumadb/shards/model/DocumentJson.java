package io.lumadb.shards.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON of stored documents: composing the stored form (system fields first, then the user's
 * content) without re-parsing the content, and RFC 7396 JSON Merge Patch.
 */
public final class DocumentJson {

    /** The id field every stored document carries. */
    public static final String ID = "_id";

    /** The version field every stored document carries. */
    public static final String VERSION = "_version";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DocumentJson() {}

    /** The shared, thread-safe mapper for document JSON. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * The stored form of a document: {@code {"_id":...,"_version":...,<content fields>}}. {@code
     * content} must be a serialized JSON object without system fields.
     */
    public static byte[] compose(String id, long version, byte[] content) {
        if (content.length < 2 || content[0] != '{') {
            throw new IllegalArgumentException("content must be a serialized JSON object");
        }
        byte[] head = ("{\"_id\":" + quote(id) + ",\"_version\":" + version).getBytes(StandardCharsets.UTF_8);
        boolean empty = isEmptyObject(content);
        byte[] doc = new byte[head.length + (empty ? 1 : content.length)];
        System.arraycopy(head, 0, doc, 0, head.length);
        if (empty) {
            doc[head.length] = '}';
        } else {
            doc[head.length] = ',';
            System.arraycopy(content, 1, doc, head.length + 1, content.length - 1);
        }
        return doc;
    }

    /** {@code s} as a JSON string literal. */
    static String quote(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || Character.isSurrogate(c) || c == 0x2028 || c == 0x2029) {
                out = new StringBuilder(s.length() + 8).append('"');
                break;
            }
        }
        if (out == null) {
            return '"' + s + '"';
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static boolean isEmptyObject(byte[] content) {
        for (int i = 1; i < content.length; i++) {
            byte b = content[i];
            if (b == '}') {
                return true;
            }
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return false;
            }
        }
        return false;
    }

    /** The user content of a stored document: the object without its system fields. */
    public static ObjectNode content(byte[] storedJson) {
        try {
            ObjectNode node = (ObjectNode) MAPPER.readTree(storedJson);
            node.remove(ID);
            node.remove(VERSION);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException("stored document is not valid JSON", e);
        }
    }

    /** Serializes a JSON node compactly. */
    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Applies an RFC 7396 JSON Merge Patch to {@code target} and returns the result: {@code null}
     * members remove, objects merge recursively, anything else replaces. {@code target} is
     * modified in place when it is an object.
     */
    public static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject() ? (ObjectNode) target : MAPPER.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> fields = patch.properties().iterator();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isNull()) {
                result.remove(field.getKey());
            } else {
                result.set(field.getKey(), mergePatch(result.get(field.getKey()), field.getValue()));
            }
        }
        return result;
    }
}

package io.lumadb.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One change of a collection as the change stream delivers it: a Debezium-style envelope
 * ({@code op}, {@code before}, {@code after}, {@code source}, {@code ts_ms}) parsed into typed
 * fields, with the resume token of the position right after it.
 *
 * <p>Within a shard, changes come in {@code (seq, index)} order, each once; a document always
 * lives in one shard, so its changes come in version order. Changes of different shards
 * interleave. Storing {@link #token()} together with what the change did, and resuming with
 * {@link StartPosition#after(String)}, continues exactly after this change.
 *
 * <p>{@link #before()} and {@link #after()} are Jackson trees owned by this envelope: read them,
 * do not modify them (a record is only shallowly immutable).
 *
 * @param op what happened to the document
 * @param database the database of the collection
 * @param collection the collection
 * @param id the document's {@code _id}
 * @param version the document's {@code _version} after the change (a delete has a version too)
 * @param shard the shard that holds the document
 * @param seq the shard event's sequence number (one event may hold several changes of a batch)
 * @param index the position of this change within its shard event
 * @param before the document before the change: null for a create, and unless the stream asked for
 *     it ({@link ChangeStreamSettings#withIncludeBefore})
 * @param after the document after the change, null for a delete
 * @param committedAtMillis when the shard committed the change (epoch milliseconds, {@code
 *     source.ts_ms})
 * @param token the resume token of the position right after this change
 */
public record ChangeEnvelope(
        Op op,
        String database,
        String collection,
        String id,
        long version,
        int shard,
        long seq,
        int index,
        JsonNode before,
        JsonNode after,
        long committedAtMillis,
        String token) {

    /** What a change did; {@link #code()} is its Debezium {@code op} letter. */
    public enum Op {
        /** {@code c}: the document was created. */
        CREATE("c"),
        /** {@code u}: the document was replaced or patched. */
        UPDATE("u"),
        /** {@code d}: the document was deleted. */
        DELETE("d");

        private final String code;

        Op(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }

        /** The op of a Debezium letter; {@link IllegalArgumentException} for any other. */
        public static Op ofCode(String code) {
            for (Op op : values()) {
                if (op.code.equals(code)) {
                    return op;
                }
            }
            throw new IllegalArgumentException("unknown op '" + code + "' (expected c, u or d)");
        }
    }

    public ChangeEnvelope {
        if (op == null || id == null || token == null) {
            throw new IllegalArgumentException(
                    "op, id and token are required, got op=" + op + ", id=" + id + ", token=" + token);
        }
    }

    /**
     * Parses one envelope as the server sends it (a line of {@code _changes} NDJSON, or the data
     * of an SSE {@code change} event).
     *
     * @throws LumaDbException (type {@code protocol}) if the JSON is not a change envelope
     */
    public static ChangeEnvelope parse(JsonNode json) {
        try {
            JsonNode source = required(json, "source");
            return new ChangeEnvelope(
                    Op.ofCode(text(json, "op")),
                    text(source, "db"),
                    text(source, "collection"),
                    text(source, "id"),
                    required(source, "version").asLong(),
                    required(source, "shard").asInt(),
                    required(source, "seq").asLong(),
                    source.path("index").asInt(0),
                    document(json, "before"),
                    document(json, "after"),
                    source.path("ts_ms").asLong(0),
                    text(json, "token"));
        } catch (IllegalArgumentException e) {
            throw LumaDbException.protocol("not a change envelope: " + e.getMessage() + ": " + abbreviate(json));
        }
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("'" + field + "' is missing");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = required(node, field);
        if (!value.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' is not a string");
        }
        return value.asText();
    }

    private static JsonNode document(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value;
    }

    private static String abbreviate(JsonNode json) {
        String text = String.valueOf(json);
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }
}

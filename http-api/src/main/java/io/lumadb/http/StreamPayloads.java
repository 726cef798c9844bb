package io.lumadb.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.StreamItem;
import io.lumadb.shards.model.DocumentJson;

/**
 * The JSON payloads of stream events, the same over SSE (as {@code data}) and WebSocket (as
 * {@code data} or merged into the message).
 */
final class StreamPayloads {

    private StreamPayloads() {}

    static ObjectNode token(String token) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        node.put("token", token);
        return node;
    }

    /** A live-query change: the document's id, version, the document (null when removed), the token. */
    static ObjectNode liveChange(StreamItem.Change c, String token) {
        ObjectNode data = DocumentJson.mapper().createObjectNode();
        data.put("id", c.event().id());
        data.put("version", c.event().version());
        if (c.kind().equals("removed")) {
            data.putNull("document");
        } else {
            data.set("document", c.event().after());
        }
        data.put("token", token);
        return data;
    }

    /** A limited live query's row: like {@link #liveChange}. */
    static ObjectNode row(StreamItem.Row r, String token) {
        ObjectNode data = DocumentJson.mapper().createObjectNode();
        data.put("id", r.id());
        data.put("version", r.version());
        if (r.rank() > 0) {
            data.put("rank", r.rank());
            data.put("score", r.score());
        }
        if (r.document() == null) {
            data.putNull("document");
        } else {
            data.putRawValue(
                    "document",
                    new com.fasterxml.jackson.databind.util.RawValue(
                            new String(r.document(), java.nio.charset.StandardCharsets.UTF_8)));
        }
        data.put("token", token);
        return data;
    }

    static ObjectNode overflow(String token, String setting) {
        ObjectNode data = token(token);
        data.put("message", "this subscriber fell too far behind (" + setting + "); resume from the token");
        return data;
    }

    static ApiException historyLost(StreamItem.HistoryLost lost) {
        return new ApiException(
                410,
                "history-lost",
                "History lost",
                "shard " + lost.shard() + ": " + lost.detail()
                        + "; journal retention dropped changes this position needs. Start again from a snapshot"
                        + " (from=now after reading the collection) or from=beginning",
                "from");
    }

    /** The payload of a {@code dropped} event: which collection, and what it means. */
    static ObjectNode dropped(StreamItem.Dropped dropped) {
        ObjectNode data = DocumentJson.mapper().createObjectNode();
        data.put("db", dropped.database());
        data.put("collection", dropped.collection());
        data.put(
                "message",
                "the collection was dropped (or its database): this subscription has ended, and no position of"
                        + " it can be resumed; what a live query showed is gone");
        return data;
    }

    /** A pull page that meets the drop of its collection before any change. */
    static ApiException droppedProblem(StreamItem.Dropped dropped) {
        return new ApiException(
                410,
                "collection-dropped",
                "Collection dropped",
                "collection " + dropped.database() + "/" + dropped.collection()
                        + " was dropped while this page waited; its changes cannot be read any more",
                "from");
    }

    /** The payload of an error event: the problem's type, status and detail (and a token, if any). */
    static ObjectNode error(ApiException e, String token) {
        ObjectNode data = token == null ? DocumentJson.mapper().createObjectNode() : token(token);
        data.put("type", Problems.TYPE_PREFIX + e.type);
        data.put("status", e.status);
        data.put("detail", e.getMessage());
        if (e.field != null) {
            data.put("field", e.field);
        }
        return data;
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;

/**
 * A live query's result as a client keeps it (document id to version), checking the rules a
 * client relies on: nothing added twice, changed or removed unless present, versions only move
 * forward.
 */
final class LiveModel {

    final Map<String, Long> documents = new HashMap<>();

    /** A document of the initial result. */
    void result(JsonNode document) {
        documents.put(document.get("_id").asText(), document.get("_version").asLong());
    }

    /** An {@code added}, {@code changed} or {@code removed} event's data ({@code id}, {@code version}). */
    void apply(String event, JsonNode data) {
        if (!data.has("id") || !data.has("version")) {
            throw new AssertionError("unexpected event " + event + ": " + data);
        }
        String id = data.get("id").asText();
        long version = data.get("version").asLong();
        switch (event) {
            case "added" -> assertEquals(null, documents.put(id, version), "added twice: " + id);
            case "changed" -> {
                Long had = documents.put(id, version);
                assertNotNull(had, "changed before added: " + id);
                assertTrue(version > had, "stale or repeated change of " + id);
            }
            case "removed" -> assertNotNull(documents.remove(id), "removed but never added: " + id);
            default -> throw new AssertionError("unexpected event " + event + ": " + data);
        }
    }
}

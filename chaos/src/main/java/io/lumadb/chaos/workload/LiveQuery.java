package io.lumadb.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.SseClient;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * A live query on one node over SSE, kept as the application would keep it: the result (id to
 * version) built from the initial {@code result} events and then {@code added}, {@code changed}
 * and {@code removed}. It resumes through faults from the last position applied; when the server
 * cannot resume ({@code resumed: false}) the result starts again from the fresh initial result.
 * At the end of a run its result must equal the same query's answer.
 */
public final class LiveQuery extends Subscriber {

    private final Map<String, Long> result = new TreeMap<>();
    private int restarts;

    public LiveQuery(String name, Target target, String filterJson, Duration idle) {
        super(
                name,
                target.collectionUrl(name) + "/_live?filter=" + URLEncoder.encode(filterJson, StandardCharsets.UTF_8),
                idle);
    }

    public synchronized Map<String, Long> result() {
        return Map.copyOf(result);
    }

    /** How often the server could not resume and sent a fresh result. */
    public synchronized int restarts() {
        return restarts;
    }

    @Override
    synchronized void apply(SseClient.Event e) throws IOException {
        JsonNode d = e.data().isEmpty() ? NodeApi.JSON.createObjectNode() : NodeApi.JSON.readTree(e.data());
        switch (e.type()) {
            case "subscribed" -> {
                if (!d.path("resumed").asBoolean(false)) {
                    if (token() != null) {
                        restarts++;
                    }
                    result.clear();
                }
            }
            case "result" ->
                result.put(d.path("_id").asText(), d.path("_version").asLong());
            case "added", "changed" -> {
                result.put(d.path("id").asText(), d.path("version").asLong());
                moveTo(d.path("token").asText());
            }
            case "removed" -> {
                result.remove(d.path("id").asText());
                moveTo(d.path("token").asText());
            }
            case "ready", "heartbeat" -> moveTo(d.path("token").asText());
            default -> {}
        }
    }
}

package io.lumadb.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.History;
import io.lumadb.testkit.SseClient;
import java.io.IOException;
import java.time.Duration;

/**
 * A change-stream consumer on one node, over SSE from the beginning of the stream: it records
 * every change with its resume token, and through every fault resumes on the same node from the
 * last token it received.
 */
public final class ChangeConsumer extends Subscriber {

    private final History history;

    public ChangeConsumer(String name, Target target, History history, Duration idle) {
        super(name, target.collectionUrl(name) + "/_changes?from=beginning", idle);
        this.history = history;
    }

    @Override
    void apply(SseClient.Event e) throws IOException {
        if (!e.type().equals("change")) {
            return; // subscribed, heartbeat: nothing to record
        }
        JsonNode c = NodeApi.JSON.readTree(e.data());
        JsonNode source = c.path("source");
        String t = c.path("token").asText();
        history.add(new ChangeSeen(
                name(),
                source.path("shard").asInt(),
                source.path("seq").asLong(),
                source.path("index").asInt(),
                source.path("id").asText(),
                source.path("version").asLong(),
                t,
                history.now()));
        moveTo(t);
    }
}

package io.lumadb.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.History;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A change-stream consumer on one node, over SSE from the beginning of the stream: it records
 * every change with its resume token, and through every fault reconnects to the same node with
 * {@code Last-Event-ID} set to the last token it received, as a real consumer would. A stream
 * silent for longer than {@code idle} (a paused node) is cut and reopened.
 */
public final class ChangeConsumer implements Runnable {

    private final String name;
    private final String url;
    private final History history;
    private final Duration idle;
    private final AtomicInteger reconnects = new AtomicInteger();
    private volatile String token;
    private volatile boolean stopped;
    private volatile SseStream current;
    private volatile String lastError = "";

    public ChangeConsumer(String name, Target target, History history, Duration idle) {
        this.name = name;
        this.url = target.collectionUrl(name) + "/_changes?from=beginning";
        this.history = history;
        this.idle = idle;
    }

    public String name() {
        return name;
    }

    /** The last resume token received, or null. */
    public String token() {
        return token;
    }

    public int reconnects() {
        return reconnects.get();
    }

    public String lastError() {
        return lastError;
    }

    /** Cuts the connection if it has been silent for longer than {@code idle}; the consumer then reconnects. */
    public void watchdog() {
        SseStream s = current;
        if (s != null && s.idleNanos() > idle.toNanos()) {
            s.close();
        }
    }

    public void stop() {
        stopped = true;
        SseStream s = current;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void run() {
        while (!stopped) {
            try (SseStream s = SseStream.open(url, token)) {
                current = s;
                if (stopped) {
                    return;
                }
                SseStream.Event e;
                while ((e = s.next()) != null && !stopped) {
                    switch (e.type()) {
                        case "change" -> change(e);
                        case "overflow", "error", "dropped" -> {
                            lastError = e.type() + ": " + e.data();
                            s.close();
                        }
                        default -> {} // subscribed, heartbeat: nothing to record
                    }
                }
            } catch (IOException | RuntimeException e) {
                lastError = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                current = null;
            }
            if (!stopped) {
                reconnects.incrementAndGet();
                sleep(500);
            }
        }
    }

    private void change(SseStream.Event e) throws IOException {
        JsonNode c = NodeApi.JSON.readTree(e.data());
        JsonNode source = c.path("source");
        String t = c.path("token").asText();
        history.add(new ChangeSeen(
                name,
                source.path("shard").asInt(),
                source.path("seq").asLong(),
                source.path("index").asInt(),
                source.path("id").asText(),
                source.path("version").asLong(),
                t,
                history.now()));
        token = t;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

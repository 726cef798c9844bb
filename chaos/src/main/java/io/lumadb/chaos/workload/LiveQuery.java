package io.lumadb.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A live query on one node over SSE, kept as the application would keep it: the result (id to
 * version) built from the initial {@code result} events and then {@code added}, {@code changed}
 * and {@code removed}. It reconnects through faults with {@code Last-Event-ID}; when the server
 * cannot resume ({@code resumed: false}) the result starts again from the fresh initial result.
 * At the end of a run its result must equal the same query's answer.
 */
public final class LiveQuery implements Runnable {

    private final String name;
    private final String url;
    private final Duration idle;
    private final Map<String, Long> result = new TreeMap<>();
    private final AtomicInteger reconnects = new AtomicInteger();
    private volatile String token;
    private volatile boolean stopped;
    private volatile SseStream current;
    private volatile String lastError = "";
    private int restarts;

    public LiveQuery(String name, Target target, String filterJson, Duration idle) {
        this.name = name;
        this.url =
                target.collectionUrl(name) + "/_live?filter=" + URLEncoder.encode(filterJson, StandardCharsets.UTF_8);
        this.idle = idle;
    }

    public String name() {
        return name;
    }

    /** The position of the last event applied (or of {@code ready}), or null before the first. */
    public String token() {
        return token;
    }

    public synchronized Map<String, Long> result() {
        return Map.copyOf(result);
    }

    public int reconnects() {
        return reconnects.get();
    }

    /** How often the server could not resume and sent a fresh result. */
    public synchronized int restarts() {
        return restarts;
    }

    public String lastError() {
        return lastError;
    }

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
                SseStream.Event e;
                while ((e = s.next()) != null && !stopped) {
                    apply(e);
                    if (e.type().equals("overflow")
                            || e.type().equals("error")
                            || e.type().equals("dropped")) {
                        lastError = e.type() + ": " + e.data();
                        s.close();
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
                ChangeConsumer.sleep(500);
            }
        }
    }

    private synchronized void apply(SseStream.Event e) throws IOException {
        JsonNode d = e.type().equals("heartbeat") || e.data().isEmpty() ? null : NodeApi.JSON.readTree(e.data());
        switch (e.type()) {
            case "subscribed" -> {
                if (!d.path("resumed").asBoolean(false)) {
                    if (token != null) {
                        restarts++;
                    }
                    result.clear();
                }
            }
            case "result" ->
                result.put(d.path("_id").asText(), d.path("_version").asLong());
            case "ready" -> token = d.path("token").asText();
            case "added", "changed" -> {
                result.put(d.path("id").asText(), d.path("version").asLong());
                token = d.path("token").asText(token);
            }
            case "removed" -> {
                result.remove(d.path("id").asText());
                token = d.path("token").asText(token);
            }
            case "heartbeat" -> {
                if (d != null && d.hasNonNull("token")) {
                    token = d.path("token").asText();
                }
            }
            default -> {}
        }
    }
}

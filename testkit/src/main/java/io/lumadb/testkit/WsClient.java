package io.lumadb.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A test client of {@code /api/v1/_ws} on the JDK's WebSocket client. Messages are parsed as
 * JSON and sorted by subscription id. Reading can be paused (no demand), so that the server sees
 * a slow consumer: TCP fills up and the server must stop sending.
 */
public final class WsClient implements AutoCloseable {

    private static final JsonNode CLOSED = TestHttp.JSON.createObjectNode().put("event", "connection-closed");

    private final WebSocket socket;
    private final BlockingQueue<JsonNode> incoming = new LinkedBlockingQueue<>();
    private final Map<String, ArrayDeque<JsonNode>> byId = new HashMap<>();
    private final AtomicBoolean paused = new AtomicBoolean();

    public WsClient(int port) throws Exception {
        this(port, false);
    }

    /** Connects; with {@code paused}, nothing is read until {@link #resume}. */
    public WsClient(int port, boolean paused) throws Exception {
        this(port, paused, null);
    }

    /** Connects sending {@code Authorization: <authorization>} (null: none) with the upgrade. */
    public WsClient(int port, boolean paused, String authorization) throws Exception {
        this.paused.set(paused);
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        socket = builder.connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/api/v1/_ws"), new Listener())
                .get(10, TimeUnit.SECONDS);
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            if (!paused.get()) {
                webSocket.request(1);
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    incoming.add(TestHttp.JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    incoming.add(TestHttp.JSON
                            .createObjectNode()
                            .put("event", "unparsable")
                            .put("text", partial.toString()));
                }
                partial.setLength(0);
            }
            if (!paused.get()) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            incoming.add(CLOSED);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            incoming.add(CLOSED);
        }
    }

    /** Starts (or goes on) reading. */
    public void resume() {
        paused.set(false);
        socket.request(1);
    }

    public void send(String json) {
        socket.sendText(json, true).join();
    }

    /**
     * The next message of subscription {@code id} (its {@code sub}), or of the request whose
     * {@code ref} it is; with id null, the next one with neither.
     */
    public JsonNode next(String id, Duration timeout) throws InterruptedException {
        JsonNode m = poll(id, timeout);
        if (m == null) {
            throw new AssertionError(
                    "no message for '" + (id == null ? "" : id) + "' within " + timeout + "; others: " + byId);
        }
        return m;
    }

    /** Like {@link #next(String, Duration)}, but null when nothing came within {@code timeout}. */
    public JsonNode poll(String id, Duration timeout) throws InterruptedException {
        String key = id == null ? "" : id;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ArrayDeque<JsonNode> queue = byId.get(key);
            if (queue != null && !queue.isEmpty()) {
                return queue.removeFirst();
            }
            long left = deadline - System.nanoTime();
            JsonNode m = left <= 0 ? null : incoming.poll(left, TimeUnit.NANOSECONDS);
            if (m == null) {
                return null;
            }
            if (m == CLOSED) {
                throw new AssertionError("the connection closed while waiting for '" + key + "'");
            }
            String owner = m.has("sub") ? m.get("sub").asText() : m.path("ref").asText("");
            byId.computeIfAbsent(owner, k -> new ArrayDeque<>()).addLast(m);
        }
    }

    public JsonNode next(String id) throws InterruptedException {
        return next(id, Duration.ofSeconds(20));
    }

    /** The next message of {@code id} that is not a heartbeat. */
    public JsonNode nextEvent(String id) throws InterruptedException {
        while (true) {
            JsonNode m = next(id);
            if (!m.path("event").asText().equals("heartbeat")) {
                return m;
            }
        }
    }

    /** Drops the TCP connection without a close handshake. */
    public void abort() {
        socket.abort();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
        }
        socket.abort();
    }
}

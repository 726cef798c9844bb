package io.lumadb.bench.streams;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Idle change-stream subscriptions multiplexed over a few WebSocket connections to LumaDB's
 * {@code /api/v1/_ws}: {@code perConnection} subscriptions ({@code from=now}) on each connection,
 * opened one connection at a time. Counts the {@code subscribed} replies and keeps anything else
 * (an {@code error}, a close) as a problem. The JDK's own WebSocket client: one client, a few
 * sockets, nothing to tune.
 */
final class WebSocketIdle implements AutoCloseable {

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<WebSocket> sockets = new ArrayList<>();
    private final AtomicInteger subscribed = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

    /**
     * Opens {@code count} subscriptions, {@code perConnection} on each connection, the {@code i}-th
     * to the collection {@code collectionOf.apply(i)} of database {@code db}.
     */
    void open(URI ws, String db, int count, int perConnection, IntFunction<String> collectionOf) throws Exception {
        for (int first = 0; first < count; first += perConnection) {
            WebSocket socket =
                    client.newWebSocketBuilder().buildAsync(ws, new Listener()).get(30, TimeUnit.SECONDS);
            sockets.add(socket);
            for (int i = first; i < Math.min(count, first + perConnection); i++) {
                String subscribe = String.format(
                        Locale.ROOT,
                        "{\"op\":\"subscribe\",\"sub\":\"s%d\",\"type\":\"changes\",\"db\":\"%s\","
                                + "\"collection\":\"%s\",\"from\":\"now\"}",
                        i,
                        db,
                        collectionOf.apply(i));
                socket.sendText(subscribe, true).get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Waits until {@code count} subscriptions were confirmed or a problem came; true if all were. */
    boolean awaitSubscribed(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (subscribed.get() < count && problems.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return subscribed.get() >= count;
    }

    int subscribed() {
        return subscribed.get();
    }

    int connections() {
        return sockets.size();
    }

    List<String> problems() {
        return List.copyOf(problems).subList(0, Math.min(5, problems.size()));
    }

    @Override
    public void close() {
        for (WebSocket socket : sockets) {
            socket.abort();
        }
        client.close();
    }

    /** Reads one connection's messages: whole texts, counted or kept as problems. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                if (text.contains("\"event\":\"subscribed\"")) {
                    subscribed.incrementAndGet();
                } else if (!text.contains("\"event\":\"heartbeat\"")) {
                    problems.add(text.length() > 300 ? text.substring(0, 300) : text);
                }
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            problems.add("the server closed a connection: " + statusCode + " " + reason);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            problems.add("a connection failed: " + error);
        }
    }
}

package io.lumadb.chaos.workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Server-Sent Events connection that a watchdog can cut: a paused node keeps the socket open
 * and sends nothing, so a reader that waits forever would never reconnect. {@link #idleNanos}
 * says how long nothing has arrived; {@link #close} unblocks the reader.
 */
final class SseStream implements AutoCloseable {

    /** One event: {@code id} is the last event id seen on this connection (as EventSource keeps it). */
    record Event(String id, String type, String data) {}

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    private final HttpResponse<InputStream> response;
    private final BufferedReader reader;
    private final AtomicLong lastArrival = new AtomicLong(System.nanoTime());
    private String lastId;

    private SseStream(HttpResponse<InputStream> response, String lastId) {
        this.response = response;
        this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        this.lastId = lastId;
    }

    /** Opens the stream, sending {@code Last-Event-ID} when {@code lastEventId} is not null. */
    static SseStream open(String url, String lastEventId) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(20));
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> r = CLIENT.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            String body = new String(r.body().readNBytes(2000), StandardCharsets.UTF_8);
            r.body().close();
            throw new IOException("status " + r.statusCode() + ": " + body);
        }
        return new SseStream(r, lastEventId);
    }

    /** The next event, or null at the end of the stream. */
    Event next() throws IOException {
        String type = null;
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            lastArrival.set(System.nanoTime());
            if (line.isEmpty()) {
                if (data != null) {
                    return new Event(lastId, type == null ? "message" : type, data.toString());
                }
                type = null;
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "id" -> lastId = value;
                case "event" -> type = value;
                case "data" ->
                    data = data == null
                            ? new StringBuilder(value)
                            : data.append('\n').append(value);
                default -> {}
            }
        }
        return null;
    }

    long idleNanos() {
        return System.nanoTime() - lastArrival.get();
    }

    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // closing a dead connection
        }
    }
}

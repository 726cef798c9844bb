package io.lumadb.chaos.workload;

import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.SseReader;
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

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    private final HttpResponse<InputStream> response;
    private final SseReader events;
    private final AtomicLong lastArrival = new AtomicLong(System.nanoTime());

    private SseStream(HttpResponse<InputStream> response, String lastId) {
        this.response = response;
        this.events = new SseReader(
                new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8)),
                lastId,
                () -> lastArrival.set(System.nanoTime()));
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
    SseClient.Event next() throws IOException {
        return events.next();
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

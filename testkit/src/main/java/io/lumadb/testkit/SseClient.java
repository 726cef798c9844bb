package io.lumadb.testkit;

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

/**
 * A Server-Sent Events client on the JDK's HTTP client: parses the event stream as the
 * EventSource specification does ({@code id}, {@code event}, multi-line {@code data}, comments),
 * and reads it only when asked, so a test can play a slow consumer.
 */
public final class SseClient implements AutoCloseable {

    /** One dispatched event; {@code id} is the last event id seen so far (as EventSource keeps it). */
    public record Event(String id, String type, String data) {}

    private final HttpResponse<InputStream> response;
    private final SseReader events;

    public SseClient(String url, String lastEventId) throws IOException, InterruptedException {
        this(url, lastEventId, null);
    }

    /** Subscribes sending {@code Authorization: <authorization>} (null: none). */
    public SseClient(String url, String lastEventId, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpClient client = HttpClient.newBuilder().build();
        response = client.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        events = new SseReader(
                new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8)),
                lastEventId,
                () -> {});
    }

    public int status() {
        return response.statusCode();
    }

    public String contentType() {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    /** The next event, or null at the end of the stream. */
    public Event next() throws IOException {
        return events.next();
    }

    /** The next event that is not a heartbeat, or null at the end. */
    public Event nextNonHeartbeat() throws IOException {
        Event e;
        do {
            e = next();
        } while (e != null && e.type().equals("heartbeat"));
        return e;
    }

    public String lastId() {
        return events.lastId();
    }

    @Override
    public void close() throws IOException {
        response.body().close();
    }
}

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
    private final BufferedReader reader;
    private String lastId;

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
        reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        lastId = lastEventId;
    }

    public int status() {
        return response.statusCode();
    }

    public String contentType() {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    /** The next event, or null at the end of the stream. */
    public Event next() throws IOException {
        String type = null;
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
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

    /** The next event that is not a heartbeat, or null at the end. */
    public Event nextNonHeartbeat() throws IOException {
        Event e;
        do {
            e = next();
        } while (e != null && e.type().equals("heartbeat"));
        return e;
    }

    public String lastId() {
        return lastId;
    }

    @Override
    public void close() throws IOException {
        response.body().close();
    }
}

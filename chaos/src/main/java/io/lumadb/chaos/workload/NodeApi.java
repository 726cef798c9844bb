package io.lumadb.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The clients' view of a node's HTTP API, with every outcome sorted into what it tells about the
 * request: {@link Answered} (the node replied), {@link NotSent} (no connection was made, so the
 * node never saw it) or {@link Lost} (it may have arrived and taken effect; the client cannot
 * know).
 */
public final class NodeApi {

    /** The JSON mapper the clients share. */
    public static final ObjectMapper JSON = new ObjectMapper();

    /** What a request came to. */
    public sealed interface Outcome permits Answered, NotSent, Lost {}

    /** The node answered. */
    public record Answered(int status, String body, Map<String, java.util.List<String>> headers) implements Outcome {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON (" + status + "): " + body, e);
            }
        }

        public String header(String name) {
            for (var e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                    return e.getValue().getFirst();
                }
            }
            return null;
        }
    }

    /** No connection: the request never reached the node. */
    public record NotSent(String reason) implements Outcome {}

    /** Sent, but no answer came (timeout, connection reset): it may or may not have happened. */
    public record Lost(String reason) implements Outcome {}

    private final HttpClient client;
    private final Duration timeout;

    /** {@code timeout}: how long a client waits for an answer before it counts the request as lost. */
    public NodeApi(Duration timeout) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.timeout = timeout;
    }

    public Outcome get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    /** PUT of a JSON body, with extra headers as name, value pairs. */
    public Outcome put(String url, String json, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b);
    }

    public Outcome post(String url, String json) {
        return send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private Outcome send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r =
                    client.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
            return new Answered(r.statusCode(), r.body(), r.headers().map());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            return new NotSent(e.toString());
        } catch (IOException e) {
            // A java.net.ConnectException may come wrapped; anything else happened after sending.
            if (e.getCause() instanceof ConnectException) {
                return new NotSent(e.toString());
            }
            return new Lost(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Lost("interrupted");
        }
    }

    /** One line for a history's detail field. */
    public static String describe(Outcome o) {
        return switch (o) {
            case Answered a -> Integer.toString(a.status()) + (a.status() >= 400 ? " " + type(a) : "");
            case NotSent n -> "not sent: " + n.reason();
            case Lost l -> "lost: " + l.reason();
        };
    }

    private static String type(Answered a) {
        try {
            JsonNode j = JSON.readTree(a.body());
            String t = j.path("type").asText("");
            return t.substring(t.lastIndexOf('/') + 1);
        } catch (IOException | RuntimeException e) {
            return a.body().length() > 80 ? a.body().substring(0, 80) : a.body();
        }
    }
}

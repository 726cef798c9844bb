package io.lumadb.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The JDK's HTTP client against the nodes, with every request ending in one of three outcomes a
 * test must tell apart: an {@link Answered answer}, {@link Refused refused} (nothing was sent:
 * the node is down, so a write certainly did not happen) or {@link Lost lost} (a timeout or a
 * connection that broke after the request may have been sent: a write's outcome is unknown).
 */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private Http() {}

    /** How a request ended. */
    sealed interface Outcome {
        /** The answer, or throws an {@link AssertionError} naming what happened instead. */
        default Response answer() {
            return switch (this) {
                case Answered a -> a.response();
                case Refused r -> throw new AssertionError("connection refused: " + r.cause(), r.cause());
                case Lost l -> throw new AssertionError("no answer: " + l.cause(), l.cause());
            };
        }
    }

    record Answered(Response response) implements Outcome {}

    record Refused(Exception cause) implements Outcome {}

    record Lost(Exception cause) implements Outcome {}

    /** A response; {@link #json()} parses its body. */
    record Response(int status, String body, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + (body.length() > 500 ? body.substring(0, 500) + "..." : body);
        }
    }

    static Outcome get(String url, Duration timeout) {
        return send(
                HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build());
    }

    /** A PUT of {@code json}, or of no body at all when it is empty. */
    static Outcome put(String url, String json, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        if (json.isEmpty()) {
            b.PUT(HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json));
        }
        return send(b.build());
    }

    static Outcome send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answered(new Response(r.statusCode(), r.body(), r));
        } catch (HttpConnectTimeoutException | ConnectException e) {
            return new Refused(e);
        } catch (HttpTimeoutException e) {
            return new Lost(e);
        } catch (IOException e) {
            return causedByConnect(e) ? new Refused(e) : new Lost(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Lost(e);
        }
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static boolean causedByConnect(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }
}

package io.lumadb.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP client (the JDK's) against LumaDB, with small helpers for JSON. Two ways to use it:
 * an instance bound to one server, whose calls throw an unchecked exception when no answer
 * comes (most tests); and the static {@link #attempt} calls against any URL, which end in an
 * {@link Outcome} that tells an answer from a refused connection (nothing was sent, so a write
 * certainly did not happen) and a lost one (the request may have been sent: a write's outcome
 * is unknown), for tests whose nodes come and go.
 */
public final class TestHttp {
    public static final ObjectMapper JSON = new ObjectMapper();

    /** The client of the static attempts: HTTP/1.1 only, and a short connect timeout, so a down node is seen fast. */
    private static final HttpClient ATTEMPTS = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    /** Longer bodies are cut short in {@link Response#toString()}, which assertion messages show. */
    private static final int SHOWN_BODY_CHARS = 2000;

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final AtomicInteger databases;
    private final String authorization;

    /** A client of the server listening on {@code port} of 127.0.0.1. */
    public TestHttp(int port) {
        this("http://127.0.0.1:" + port, new AtomicInteger(), null);
    }

    private TestHttp(String base, AtomicInteger databases, String authorization) {
        this.base = base;
        this.databases = databases;
        this.authorization = authorization;
    }

    /** This client sending {@code Authorization: <value>} with every request (null: none). */
    public TestHttp as(String authorization) {
        return new TestHttp(base, databases, authorization);
    }

    /** This client signing in with HTTP Basic as {@code user}. */
    public TestHttp asUser(String user, String password) {
        return as(basic(user, password));
    }

    /** The value of an HTTP Basic {@code Authorization} header. */
    public static String basic(String user, String password) {
        return "Basic "
                + java.util.Base64.getEncoder()
                        .encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A response with its body parsed as JSON when it is JSON. */
    public record Response(int status, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        public String contentType() {
            return header("Content-Type");
        }

        @Override
        public String toString() {
            return status + " "
                    + (body.length() > SHOWN_BODY_CHARS ? body.substring(0, SHOWN_BODY_CHARS) + "..." : body);
        }
    }

    /** How an {@link #attempt} ended. */
    public sealed interface Outcome {
        /** The answer, or throws an {@link AssertionError} naming what happened instead. */
        default Response answer() {
            return switch (this) {
                case Answered a -> a.response();
                case Refused r -> throw new AssertionError("connection refused: " + r.cause(), r.cause());
                case Lost l -> throw new AssertionError("no answer: " + l.cause(), l.cause());
            };
        }
    }

    /** The server answered. */
    public record Answered(Response response) implements Outcome {}

    /** The connection was refused or could not be made: nothing was sent. */
    public record Refused(Exception cause) implements Outcome {}

    /** A timeout, or a connection that broke after the request may have been sent. */
    public record Lost(Exception cause) implements Outcome {}

    /** A GET of the absolute {@code url}. */
    public static Outcome attemptGet(String url, Duration timeout) {
        return attempt(
                HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build());
    }

    /** A PUT of {@code json} to the absolute {@code url}, or of no body at all when it is empty. */
    public static Outcome attemptPut(String url, String json, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        if (json.isEmpty()) {
            b.PUT(HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json));
        }
        return attempt(b.build());
    }

    /** Sends {@code request}; never throws, the outcome says what happened. */
    public static Outcome attempt(HttpRequest request) {
        try {
            HttpResponse<String> r = ATTEMPTS.send(request, HttpResponse.BodyHandlers.ofString());
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

    /** {@code s} encoded for a query parameter. */
    public static String encode(String s) {
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

    /** The absolute URL of {@code path} on this server. */
    public String url(String path) {
        return base + path;
    }

    public HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30));
        return authorization == null ? b : b.header("Authorization", authorization);
    }

    public Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates a collection of {@code shards} shards in a fresh database; returns its API path. */
    public String freshCollection(String prefix, int shards) {
        String path = freshDatabase(prefix) + "/c";
        Response created = put(path, "{\"shards\":" + shards + "}");
        if (created.status() != 201) {
            throw new AssertionError("cannot create collection " + path + ": " + created);
        }
        return path;
    }

    /** Writes document {@code id}; fails unless it was created or replaced. */
    public void putDocument(String collection, String id, String body) {
        Response r = put(collection + "/" + id, body);
        if (r.status() != 200 && r.status() != 201) {
            throw new AssertionError("cannot write " + collection + "/" + id + ": " + r);
        }
    }

    /** Creates a database no other test uses, named {@code prefix} and a number; returns its API path. */
    public String freshDatabase(String prefix) {
        String path = "/api/v1/" + prefix + databases.incrementAndGet();
        Response created = method("PUT", path, null, null);
        if (created.status() != 201) {
            throw new AssertionError("cannot create database " + path + ": " + created);
        }
        return path;
    }

    public Response get(String path) {
        return send(request(path).GET().build());
    }

    public Response delete(String path) {
        return send(request(path).DELETE().build());
    }

    public Response put(String path, String body) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    public Response method(String method, String path, String contentType, String body, String... headers) {
        HttpRequest.Builder b = request(path)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }
}

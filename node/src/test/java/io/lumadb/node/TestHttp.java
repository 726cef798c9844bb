package io.lumadb.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP client (the JDK's) against a LumaDB server, with small helpers for JSON. */
final class TestHttp {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final AtomicInteger databases = new AtomicInteger();

    TestHttp(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** A response with its body parsed as JSON when it is JSON. */
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

        String contentType() {
            return header("Content-Type");
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /** The absolute URL of {@code path} on this server. */
    String url(String path) {
        return base + path;
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30));
    }

    Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates a collection of {@code shards} shards in a fresh database; returns its API path. */
    String freshCollection(String prefix, int shards) {
        String path = freshDatabase(prefix) + "/c";
        Response created = put(path, "{\"shards\":" + shards + "}");
        if (created.status() != 201) {
            throw new AssertionError("cannot create collection " + path + ": " + created);
        }
        return path;
    }

    /** Writes document {@code id}; fails unless it was created or replaced. */
    void putDocument(String collection, String id, String body) {
        Response r = put(collection + "/" + id, body);
        if (r.status() != 200 && r.status() != 201) {
            throw new AssertionError("cannot write " + collection + "/" + id + ": " + r);
        }
    }

    /** Creates a database no other test uses, named {@code prefix} and a number; returns its API path. */
    String freshDatabase(String prefix) {
        String path = "/api/v1/" + prefix + databases.incrementAndGet();
        Response created = method("PUT", path, null, null);
        if (created.status() != 201) {
            throw new AssertionError("cannot create database " + path + ": " + created);
        }
        return path;
    }

    Response get(String path) {
        return send(request(path).GET().build());
    }

    Response delete(String path) {
        return send(request(path).DELETE().build());
    }

    Response put(String path, String body) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    Response method(String method, String path, String contentType, String body, String... headers) {
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

package io.lumadb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;

/** Writes and reads documents of a real server over HTTP (the JDK client), for tests. */
final class TestLumaDb implements AutoCloseable {

    /**
     * How the change stream of {@code database/collection} fails for {@code client} (no retries),
     * within 30 seconds.
     */
    static Throwable streamFailure(LumaDbClient client, String database, String collection, ActorSystem system) {
        var stream = client.changes(
                        database,
                        collection,
                        StartPosition.beginning(),
                        ChangeStreamSettings.defaults().withMaxRetries(0))
                .completionTimeout(Duration.ofSeconds(30))
                .runWith(Sink.ignore(), system);
        ExecutionException e = assertThrows(
                ExecutionException.class, () -> stream.toCompletableFuture().get(40, TimeUnit.SECONDS));
        return e.getCause();
    }

    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final URI base;

    TestLumaDb(URI base) {
        this.base = base;
    }

    /** A collection of a database no other test uses. */
    record Collection(String database, String name) {
        String path() {
            return "/api/v1/" + database + "/" + name;
        }
    }

    /** One acknowledged write: the change the stream must deliver for it. */
    record Write(String id, ChangeEnvelope.Op op, long version) {}

    Collection newCollection(String prefix, int shards) {
        String db = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        Response created = send("PUT", "/api/v1/" + db, null);
        assertEquals(201, created.status(), created.toString());
        Collection collection = new Collection(db, "orders");
        Response coll = send("PUT", collection.path(), "{\"shards\":" + shards + ",\"preImages\":true}");
        assertEquals(201, coll.status(), coll.toString());
        return collection;
    }

    /** Creates or replaces a document; returns the write as the server acknowledged it. */
    Write put(Collection c, String id, String json) {
        Response r = send("PUT", c.path() + "/" + id, json);
        if (r.status() != 200 && r.status() != 201) {
            throw new AssertionError("PUT " + id + ": " + r);
        }
        return new Write(
                id,
                r.status() == 201 ? ChangeEnvelope.Op.CREATE : ChangeEnvelope.Op.UPDATE,
                r.json().get("_version").asLong());
    }

    Write delete(Collection c, String id) {
        Response r = send("DELETE", c.path() + "/" + id, null);
        if (r.status() != 200) {
            throw new AssertionError("DELETE " + id + ": " + r);
        }
        return new Write(id, ChangeEnvelope.Op.DELETE, r.json().get("_version").asLong());
    }

    /** Every document of the collection, through the paged listing. */
    List<JsonNode> documents(Collection c) {
        List<JsonNode> out = new ArrayList<>();
        String after = null;
        do {
            String query =
                    "?limit=1000" + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            Response r = send("GET", c.path() + "/_docs" + query, null);
            assertEquals(200, r.status(), r.toString());
            JsonNode page = r.json();
            page.get("docs").forEach(out::add);
            after = page.get("next").isNull() ? null : page.get("next").asText();
        } while (after != null);
        return out;
    }

    record Response(int status, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    Response send(String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Vector, full-text and hybrid search through the HTTP API of a real node (in this JVM) with a
 * real HTTP client: index definitions built in the background over existing documents with
 * their progress, answers checked against brute force and hand-worked expectations, the
 * read-your-writes wait, deletions never returned, every error a search or a write can get, and
 * an index that catches up after a restart.
 */
@Timeout(240)
class SearchIT {

    private static InProcessServer server;
    private static TestHttp http;

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(
                Map.of("lumadb.search.refresh-interval", "200ms", "lumadb.search.commit-interval", "1s"));
        http = server.http();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static TestHttp.Response post(String path, String body) {
        return http.method("POST", path, "application/json", body);
    }

    private static JsonNode search(String collection, String body) {
        var r = post(collection + "/_search", body);
        assertEquals(200, r.status(), r.toString());
        return r.json();
    }

    private static List<String> ids(JsonNode answer) {
        List<String> ids = new ArrayList<>();
        answer.path("hits").forEach(h -> ids.add(h.path("_id").asText()));
        return ids;
    }

    private static void assertProblem(TestHttp.Response r, int status, String type, String pointer) {
        assertEquals(status, r.status(), r.toString());
        assertEquals("urn:lumadb:problem:" + type, r.json().path("type").asText(), r.toString());
        if (pointer != null) {
            assertEquals(pointer, r.json().path("field").asText(), r.toString());
        }
    }

    /** Waits until every shard of the index is ready; answers the index's description. */
    private static JsonNode ready(String collection, String index) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            var r = http.get(collection + "/_indexes/" + index);
            assertEquals(200, r.status(), r.toString());
            if (r.json().path("state").asText().equals("ready")) {
                return r.json();
            }
            assertTrue(System.nanoTime() < deadline, "index not ready in time: " + r);
            Thread.sleep(100);
        }
    }

    private static String vector(float[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.append(']').toString();
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void vectorSearchFindsTheNearestDocumentsOfEveryShardAndPreFilters() throws Exception {
        String c = http.freshCollection("vec", 4);
        Random random = new Random(7);
        Map<String, float[]> vectors = new HashMap<>();
        StringBuilder bulk = new StringBuilder("[");
        for (int i = 0; i < 400; i++) {
            float[] v = new float[8];
            for (int d = 0; d < 8; d++) {
                v[d] = (float) random.nextGaussian();
            }
            vectors.put("d" + i, v);
            bulk.append(i == 0 ? "" : ",")
                    .append("{\"id\":\"d")
                    .append(i)
                    .append("\",\"doc\":{\"emb\":")
                    .append(vector(v))
                    .append(",\"color\":\"")
                    .append(i % 10 == 0 ? "red" : "blue")
                    .append("\",\"n\":")
                    .append(i)
                    .append("}}");
        }
        assertEquals(200, post(c + "/_bulk", bulk.append(']').toString()).status());

        // Defined after the documents exist: built in the background, with its progress.
        var created = http.put(c + "/_indexes/emb", "{\"type\":\"vector\",\"path\":\"emb\",\"dimension\":8}");
        assertEquals(201, created.status(), created.toString());
        assertEquals("vector", created.json().path("type").asText());
        assertEquals("cosine", created.json().path("similarity").asText());
        JsonNode described = ready(c, "emb");
        assertEquals(400, described.path("progress").path("indexed").asLong(), described.toString());
        assertEquals(4, described.path("shards").size());
        long held = 0;
        for (JsonNode shard : described.path("shards")) {
            held += shard.path("indexedDocuments").asLong();
        }
        assertEquals(400, held, described.toString());

        float[] query = vectors.get("d17").clone();
        query[0] += 0.05f;
        List<String> truth = vectors.entrySet().stream()
                .sorted(Comparator.comparingDouble((Map.Entry<String, float[]> e) -> -cosine(query, e.getValue())))
                .map(Map.Entry::getKey)
                .toList();
        JsonNode answer = search(c, "{\"knn\":{\"index\":\"emb\",\"vector\":" + vector(query) + "},\"k\":5}");
        assertEquals(truth.subList(0, 5), ids(answer), answer.toString());
        assertEquals(17, answer.path("hits").get(0).path("document").path("n").asInt());
        assertTrue(answer.path("hits").get(0).path("score").asDouble()
                >= answer.path("hits").get(4).path("score").asDouble());

        // Pre-filtering: k results whenever k documents match, exactly the nearest matching ones.
        List<String> reds = truth.stream()
                .filter(id -> Integer.parseInt(id.substring(1)) % 10 == 0)
                .toList();
        JsonNode filtered = search(
                c,
                "{\"knn\":{\"index\":\"emb\",\"vector\":" + vector(query) + "},\"k\":10,\"filter\":{\"color\":\"red\"},"
                        + "\"fields\":[\"n\"]}");
        assertEquals(reds.subList(0, 10), ids(filtered), filtered.toString());
        assertFalse(filtered.path("hits").get(0).path("document").has("emb"), "fields projects the documents");

        // explain names what each shard searched.
        JsonNode explained = search(
                c,
                "{\"knn\":{\"index\":\"emb\",\"vector\":" + vector(query)
                        + "},\"k\":3,\"explain\":true,\"filter\":{\"n\":{\"$lt\":50}}}");
        assertEquals(4, explained.path("explain").path("shards").size(), explained.toString());
        JsonNode shard0 = explained.path("explain").path("shards").get(0);
        assertEquals("emb", shard0.path("searches").get(0).path("index").asText(), shard0.toString());
        assertTrue(shard0.path("filter").has("matched"), shard0.toString());
    }

    @Test
    void textSearchRanksWithBm25PhrasesAndHighlightsAndHybridFusesBothLists() throws Exception {
        String c = http.freshCollection("text", 1);
        http.putDocument(
                c, "a", "{\"title\":\"Running shoes\",\"body\":\"The quick brown fox runs fast\",\"emb\":[1,0,0]}");
        http.putDocument(
                c,
                "b",
                "{\"title\":\"Fox facts\",\"body\":\"A fox is a small animal; the fox sleeps\",\"emb\":[0,1,0]}");
        http.putDocument(
                c, "c", "{\"title\":\"Gardening\",\"body\":\"Brown soil and quick growth\",\"emb\":[0.9,0.1,0]}");
        assertEquals(
                201,
                http.put(
                                c + "/_indexes/words",
                                "{\"type\":\"text\",\"paths\":[\"title\",\"body\"],\"analyzer\":\"english\"}")
                        .status());
        assertEquals(
                201,
                http.put(
                                c + "/_indexes/emb",
                                "{\"type\":\"vector\",\"path\":\"emb\",\"dimension\":3,\"similarity\":\"euclidean\"}")
                        .status());
        ready(c, "words");
        ready(c, "emb");

        JsonNode fox = search(c, "{\"text\":{\"index\":\"words\",\"query\":\"fox\",\"highlight\":true}}");
        assertEquals(List.of("b", "a"), ids(fox), fox.toString());
        assertTrue(fox.path("hits").get(0).path("highlights").toString().contains("<em>"), fox.toString());

        // The english analyzer stems: "run" finds "runs" and "Running".
        assertEquals(List.of("a"), ids(search(c, "{\"text\":{\"index\":\"words\",\"query\":\"run\"}}")));
        // A phrase, a field, booleans.
        assertEquals(
                List.of("a"), ids(search(c, "{\"text\":{\"index\":\"words\",\"query\":\"\\\"quick brown\\\"\"}}")));
        assertEquals(List.of("c"), ids(search(c, "{\"text\":{\"index\":\"words\",\"query\":\"title:gardening\"}}")));
        assertEquals(List.of("c"), ids(search(c, "{\"text\":{\"index\":\"words\",\"query\":\"brown AND NOT fox\"}}")));

        // Hybrid: reciprocal rank fusion of both ranked lists over _id.
        JsonNode hybrid = search(
                c,
                "{\"knn\":{\"index\":\"emb\",\"vector\":[1,0,0],\"k\":3},\"text\":{\"index\":\"words\",\"query\":\"fox\"},"
                        + "\"k\":3,\"rankConstant\":60}");
        // knn ranks a, c, b; text ranks b, a: a = 1/61 + 1/62, b = 1/63 + 1/61, c = 1/62.
        assertEquals(List.of("a", "b", "c"), ids(hybrid), hybrid.toString());
        JsonNode top = hybrid.path("hits").get(0);
        assertEquals(1.0 / 61 + 1.0 / 62, top.path("score").asDouble(), 1e-9, top.toString());
        assertEquals(1, top.path("knn").path("rank").asInt());
        assertEquals(2, top.path("text").path("rank").asInt());
        // Weights tilt the fusion toward one list.
        JsonNode tilted = search(
                c,
                "{\"knn\":{\"index\":\"emb\",\"vector\":[1,0,0],\"k\":3,\"weight\":0.1},"
                        + "\"text\":{\"index\":\"words\",\"query\":\"fox\",\"weight\":3},\"k\":2}");
        assertEquals(List.of("b", "a"), ids(tilted), tilted.toString());
    }

    @Test
    void writesAreSearchableAtOnceWithWaitAndDeletedDocumentsAreNeverReturned() throws Exception {
        String c = http.freshCollection("ryw", 2);
        assertEquals(
                201,
                http.put(c + "/_indexes/t", "{\"type\":\"text\",\"path\":\"t\"}")
                        .status());
        ready(c, "t");
        for (int round = 0; round < 20; round++) {
            http.putDocument(c, "x" + round, "{\"t\":\"needle" + round + "\"}");
            assertEquals(
                    List.of("x" + round),
                    ids(search(c, "{\"text\":{\"index\":\"t\",\"query\":\"needle" + round + "\"},\"wait\":true}")),
                    "a search with wait sees the write acknowledged before it");
            assertEquals(200, http.delete(c + "/x" + round).status());
            // Without waiting: the index may still hold it, but the document is gone, so it is not returned.
            assertEquals(List.of(), ids(search(c, "{\"text\":{\"index\":\"t\",\"query\":\"needle" + round + "\"}}")));
        }
        // An update moves a document out of a match and into another one.
        http.putDocument(c, "y", "{\"t\":\"alpha\"}");
        http.putDocument(c, "y", "{\"t\":\"beta\"}");
        assertEquals(List.of(), ids(search(c, "{\"text\":{\"index\":\"t\",\"query\":\"alpha\"},\"wait\":true}")));
        assertEquals(List.of("y"), ids(search(c, "{\"text\":{\"index\":\"t\",\"query\":\"beta\"},\"wait\":true}")));
    }

    @Test
    void badSearchesAndUnindexableWritesAreClearProblemsAndWriteNothing() throws Exception {
        String c = http.freshCollection("bad", 2);
        assertEquals(
                201,
                http.put(c + "/_indexes/v", "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":3}")
                        .status());
        assertEquals(
                201,
                http.put(c + "/_indexes/t", "{\"type\":\"text\",\"path\":\"t\"}")
                        .status());
        ready(c, "v");

        assertProblem(
                post(c + "/_search", "{\"knn\":{\"index\":\"v\",\"vector\":[1,2]}}"),
                400,
                "invalid-search",
                "/knn/vector");
        assertProblem(
                post(c + "/_search", "{\"knn\":{\"index\":\"v\",\"vector\":[1,\"x\",2]}}"),
                400,
                "invalid-search",
                "/knn/vector/1");
        assertProblem(
                post(c + "/_search", "{\"knn\":{\"index\":\"nope\",\"vector\":[1,2,3]}}"),
                400,
                "invalid-search",
                "/knn/index");
        assertProblem(
                post(c + "/_search", "{\"knn\":{\"index\":\"t\",\"vector\":[1,2,3]}}"),
                400,
                "invalid-search",
                "/knn/index");
        assertProblem(
                post(c + "/_search", "{\"text\":{\"index\":\"t\",\"query\":\"(unclosed\"}}"),
                400,
                "invalid-search",
                "/text/query");
        assertProblem(
                post(c + "/_search", "{\"text\":{\"index\":\"t\",\"query\":\"x\"},\"filter\":{\"$bad\":1}}"),
                400,
                "invalid-search",
                null);
        assertProblem(post(c + "/_search", "{}"), 400, "invalid-search", "");
        assertProblem(
                post(c + "/_search", "{\"knn\":{\"index\":\"v\",\"vector\":[1,2,3]},\"k\":0}"),
                400,
                "invalid-search",
                "/k");
        assertProblem(
                post(c + "/_search", "{\"knn\":{\"index\":\"v\",\"vector\":[0,0,0]}}"),
                400,
                "invalid-search",
                "/knn/vector");
        assertProblem(
                post(c + "/_search", "{\"knn\":{\"index\":\"v\",\"vector\":[1,2,3]},\"surprise\":1}"),
                400,
                "invalid-search",
                "/surprise");

        // Index definitions.
        assertProblem(
                http.put(c + "/_indexes/w", "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":0}"),
                400,
                "invalid-index",
                "/dimension");
        assertProblem(
                http.put(
                        c + "/_indexes/w",
                        "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":3,\"similarity\":\"manhattan\"}"),
                400,
                "invalid-index",
                "/similarity");
        assertProblem(
                http.put(c + "/_indexes/w", "{\"type\":\"text\",\"path\":\"t\",\"analyzer\":\"klingon\"}"),
                400,
                "invalid-index",
                "/analyzer");
        assertProblem(http.put(c + "/_indexes/w", "{\"type\":\"graph\"}"), 400, "invalid-index", "/type");
        assertEquals(
                409,
                http.put(c + "/_indexes/v", "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":4}")
                        .status());
        assertEquals(
                200,
                http.put(c + "/_indexes/v", "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":3}")
                        .status(),
                "the same definition again");

        // A document the vector index cannot take is refused whole, and nothing is written.
        assertProblem(http.put(c + "/d1", "{\"v\":[1,2]}"), 400, "unindexable-document", "body");
        String detail =
                http.put(c + "/d1", "{\"v\":[1,2]}").json().path("detail").asText();
        assertTrue(detail.contains("has 2 numbers; index 'v' needs 3"), detail);
        assertEquals(404, http.get(c + "/d1").status());
        assertProblem(http.put(c + "/d2", "{\"v\":[1,\"a\",3]}"), 400, "unindexable-document", "body");
        assertProblem(http.put(c + "/d3", "{\"t\":42}"), 400, "unindexable-document", "body");
        // A document without the field is fine: it is simply not in the index.
        assertEquals(201, http.put(c + "/d4", "{\"other\":1}").status());
        var bulk = post(c + "/_bulk", "[{\"id\":\"b1\",\"doc\":{\"v\":[1,2,3]}},{\"id\":\"b2\",\"doc\":{\"v\":[1]}}]");
        assertEquals(200, bulk.status(), bulk.toString());
        assertEquals(201, bulk.json().path("items").get(0).path("status").asInt(), bulk.toString());
        assertEquals(400, bulk.json().path("items").get(1).path("status").asInt(), bulk.toString());
        assertEquals(List.of("b1"), ids(search(c, "{\"knn\":{\"index\":\"v\",\"vector\":[1,2,3]},\"wait\":true}")));
    }

    @Test
    void anIndexDroppedAndAnIndexThatCatchesUpAfterARestart() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("lumadb-search-restart");
        Map<String, Object> settings =
                Map.of("lumadb.search.refresh-interval", "100ms", "lumadb.search.commit-interval", "1h");
        try {
            String c;
            Set<String> expected = new HashSet<>();
            try (InProcessServer node = InProcessServer.on(dir, settings)) {
                TestHttp h = node.http();
                c = h.freshCollection("restart", 2);
                assertEquals(
                        201,
                        h.put(c + "/_indexes/t", "{\"type\":\"text\",\"path\":\"t\"}")
                                .status());
                for (int i = 0; i < 50; i++) {
                    h.putDocument(c, "r" + i, "{\"t\":\"word\"}");
                    expected.add("r" + i);
                }
                for (int i = 0; i < 10; i++) {
                    assertEquals(200, h.delete(c + "/r" + i).status());
                    expected.remove("r" + i);
                }
            }
            try (InProcessServer node = InProcessServer.on(dir, settings)) {
                TestHttp h = node.http();
                var r = h.method(
                        "POST",
                        c + "/_search",
                        "application/json",
                        "{\"text\":{\"index\":\"t\",\"query\":\"word\"},\"k\":100,\"wait\":true}");
                assertEquals(200, r.status(), r.toString());
                Set<String> found = new HashSet<>(ids(r.json()));
                assertEquals(expected, found);
                JsonNode index = h.get(c + "/_indexes/t").json();
                for (JsonNode shard : index.path("shards")) {
                    assertEquals(
                            shard.path("shardPosition").asLong(),
                            shard.path("indexPosition").asLong(),
                            index.toString());
                    assertEquals(
                            shard.path("total").asLong(),
                            shard.path("indexedDocuments").asLong(),
                            index.toString());
                }
                assertEquals(200, h.delete(c + "/_indexes/t").status());
                assertEquals(404, h.get(c + "/_indexes/t").status());
                assertProblem(
                        h.method(
                                "POST",
                                c + "/_search",
                                "application/json",
                                "{\"text\":{\"index\":\"t\",\"query\":\"word\"}}"),
                        400,
                        "invalid-search",
                        "/text/index");
            }
        } finally {
            io.lumadb.testkit.TestFiles.deleteRecursively(dir);
        }
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Search indexes under {@code kill -9}: writers insert, update and delete while searches run, and
 * the real server process is killed at random moments and restarted. Throughout, no search
 * returns a document whose deletion was acknowledged before it was sent; afterwards each shard's
 * index has caught up from its last commit through the journal (the log says so), holds exactly
 * the shard's documents with their latest vectors, and its commit records the shard's applied
 * sequence number.
 */
@Timeout(300)
class SearchCrashIT {

    private static final int WRITERS = 3;
    private static final int KILLS = 3;
    private static final int MAX_INSERTS = 250;
    private static final String C = "/api/v1/sc/docs";

    @Test
    void indexesHoldExactlyTheShardsDocumentsAfterRepeatedKill9() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-search-crash");
        NodeProcess server = NodeProcess.builder(dir)
                .jvmOptions("-Dlumadb.search.commit-interval=1s", "-Dlumadb.search.refresh-interval=100ms")
                .build();
        try {
            server.start();
            run(server);
        } finally {
            try {
                server.close();
            } finally {
                TestFiles.deleteRecursively(dir);
            }
        }
    }

    private static String vector(Random random) {
        return "[" + random.nextInt(1000) + "," + random.nextInt(1000) + "," + random.nextInt(1000) + ",1]";
    }

    private void run(NodeProcess server) throws Exception {
        TestHttp http = new TestHttp(server.port());
        assertEquals(201, http.method("PUT", "/api/v1/sc", null, null).status());
        assertEquals(201, http.put(C, "{\"shards\":2}").status());
        assertEquals(
                201,
                http.put(
                                C + "/_indexes/v",
                                "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":4,\"similarity\":\"euclidean\"}")
                        .status());
        assertEquals(
                201,
                http.put(C + "/_indexes/t", "{\"type\":\"text\",\"path\":\"t\"}")
                        .status());

        Set<String> deleted = ConcurrentHashMap.newKeySet();
        AtomicInteger inserts = new AtomicInteger();
        AtomicInteger searches = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(WRITERS + 1);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            done.add(clients.submit(() -> {
                Random random = new Random(writer);
                List<String> mine = new ArrayList<>();
                while (running.get()) {
                    try {
                        int op = random.nextInt(10);
                        if (op < 5 && inserts.get() < MAX_INSERTS) {
                            String id = "w" + writer + "-" + mine.size();
                            var r = http.put(
                                    C + "/" + id, "{\"v\":" + vector(random) + ",\"t\":\"every doc " + id + "\"}");
                            mine.add(id);
                            if (r.status() == 201) {
                                inserts.incrementAndGet();
                            }
                        } else if (op < 8 && !mine.isEmpty()) {
                            String id = mine.get(random.nextInt(mine.size()));
                            if (!deleted.contains(id)) {
                                http.method(
                                        "PATCH",
                                        C + "/" + id,
                                        "application/merge-patch+json",
                                        "{\"v\":" + vector(random) + "}");
                            }
                        } else if (!mine.isEmpty()) {
                            String id = mine.get(random.nextInt(mine.size()));
                            var r = http.delete(C + "/" + id);
                            if (r.status() == 200 || r.status() == 404) {
                                deleted.add(id); // deletions are final: no id is written again
                            }
                        } else {
                            Thread.sleep(5);
                        }
                    } catch (RuntimeException | InterruptedException serverDown) {
                        sleep(50);
                    }
                }
            }));
        }
        done.add(clients.submit(() -> {
            Random random = new Random(99);
            while (running.get()) {
                Set<String> goneBefore = new HashSet<>(deleted);
                try {
                    var r = http.method(
                            "POST",
                            C + "/_search",
                            "application/json",
                            "{\"knn\":{\"index\":\"v\",\"vector\":" + vector(random)
                                    + "},\"text\":{\"index\":\"t\",\"query\":\"every\"},\"k\":50}");
                    if (r.status() == 200) {
                        searches.incrementAndGet();
                        for (JsonNode hit : r.json().path("hits")) {
                            if (goneBefore.contains(hit.path("_id").asText())) {
                                violations.add("deleted " + hit.path("_id").asText() + " returned");
                            }
                        }
                    } else if (r.status() >= 500 && r.status() != 503) {
                        violations.add("search answered " + r);
                    }
                } catch (RuntimeException serverDown) {
                    sleep(50);
                }
            }
        }));

        Random random = new Random(42);
        for (int kill = 0; kill < KILLS; kill++) {
            sleep(1500 + random.nextInt(1500));
            server.kill9();
            server.start();
        }
        // The clients go on until they have done enough to judge (every check below still holds for
        // every operation): on a slow machine a restarted node spends most of the kill cadence
        // recovering, and a fixed second after the last kill left too few answered searches.
        long enough = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        do {
            sleep(1000);
        } while ((searches.get() <= 10 || inserts.get() <= 50) && System.nanoTime() < enough);
        running.set(false);
        clients.shutdown();
        assertTrue(clients.awaitTermination(60, TimeUnit.SECONDS));
        for (Future<?> f : done) {
            f.get();
        }
        assertEquals(List.of(), violations);
        assertTrue(searches.get() > 10, "only " + searches.get() + " searches were answered");
        assertTrue(inserts.get() > 50, "only " + inserts.get() + " inserts were acknowledged");
        assertTrue(
                Files.readString(server.log()).contains("caught up from event"),
                "no index caught up from the journal after a kill");

        // What the shards hold: every document with its latest vector.
        Map<String, String> stored = new HashMap<>();
        String after = "";
        while (true) {
            var page = http.get(C + "/_docs?limit=1000&after=" + after);
            assertEquals(200, page.status(), page.toString());
            for (JsonNode d : page.json().path("docs")) {
                stored.put(d.path("_id").asText(), d.path("v").toString());
            }
            if (page.json().path("next").isNull() || page.json().path("next").isMissingNode()) {
                break;
            }
            after = page.json().path("next").asText();
        }
        for (String id : deleted) {
            assertTrue(!stored.containsKey(id), id + " was deleted with an acknowledgement but is stored");
        }

        // Each shard's index caught up to its shard, holds as many documents, and commits its position.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode index;
        while (true) {
            index = http.get(C + "/_indexes/v").json();
            boolean caughtUp = true;
            for (JsonNode shard : index.path("shards")) {
                caughtUp &= shard.path("committedPosition").asLong()
                                == shard.path("shardPosition").asLong()
                        && shard.path("indexedDocuments").asLong()
                                == shard.path("total").asLong();
            }
            if (caughtUp && index.path("state").asText().equals("ready")) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "the index did not catch up: " + index);
            sleep(200);
        }
        long total = 0;
        for (JsonNode shard : index.path("shards")) {
            total += shard.path("indexedDocuments").asLong();
        }
        assertEquals(stored.size(), total, index.toString());

        // Exactly the stored documents, each found by its own latest vector.
        var all = http.method(
                "POST",
                C + "/_search",
                "application/json",
                "{\"text\":{\"index\":\"t\",\"query\":\"every\"},\"k\":1000,\"wait\":true}");
        Set<String> found = new HashSet<>();
        all.json().path("hits").forEach(h -> found.add(h.path("_id").asText()));
        assertEquals(stored.keySet(), found);
        int checked = 0;
        for (Map.Entry<String, String> e : stored.entrySet()) {
            if (checked++ == 40) {
                break;
            }
            var r = http.method(
                    "POST",
                    C + "/_search",
                    "application/json",
                    "{\"knn\":{\"index\":\"v\",\"vector\":" + e.getValue() + ",\"k\":1},\"wait\":true}");
            JsonNode top = r.json().path("hits").get(0);
            assertEquals(e.getValue(), top.path("document").path("v").toString(), r.toString());
            assertEquals(
                    1.0,
                    top.path("score").asDouble(),
                    1e-6,
                    "the index holds " + e.getKey() + "'s latest vector: " + r);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cold tier in a 3-node cluster: a move is asked for, and the node running the migration
 * singleton (the oldest, node 0) is killed while it runs. The singleton starts on a survivor,
 * resumes the move from its manifest and finishes it; every document then reads back equal
 * through both survivors, although a third of every segment written before the kill was on the
 * dead node; and the fragments of each segment were spread over distinct nodes.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@Tag("services")
class TieringClusterIT {

    private static final String DB = "tiered";
    private static final String COLL = "docs";
    private static final int DOCUMENTS = 2000;

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    @Test
    void theSingletonResumesAMoveOnASurvivorAndFragmentsAreOnDistinctNodes() throws Exception {
        TestCluster cluster = resources.add(TestCluster.create(
                "tiering",
                3,
                2,
                false,
                Map.of(
                        "lumadb.tiering.segment-bytes", "16KiB",
                        "lumadb.tiering.segments-per-step", "1",
                        "lumadb.tiering.check-interval", "2s",
                        "lumadb.tiering.orphan-grace", "1s")));
        ClusterNode oldest = cluster.node(0);
        cluster.start(oldest);
        cluster.start(cluster.node(1));
        cluster.start(cluster.node(2));
        cluster.awaitUp(cluster.nodes());
        TestCluster.createCollection(cluster.node(1), DB, COLL, 6);
        ServingProbe.untilEveryShardWrites(cluster, DB, COLL, 6, System.nanoTime(), Duration.ofSeconds(60));
        String coll = "/api/v1/" + DB + "/" + COLL;
        TestHttp http = cluster.node(1).http();
        Map<String, String> written = new HashMap<>();
        for (int start = 0; start < DOCUMENTS; start += 500) {
            StringBuilder bulk = new StringBuilder("[");
            for (int n = start; n < start + 500; n++) {
                String body = "{\"n\":" + n + ",\"pad\":\"" + "p".repeat(100 + n % 700) + "\"}";
                written.put("t" + n, body);
                bulk.append(n > start ? "," : "")
                        .append("{\"id\":\"t")
                        .append(n)
                        .append("\",\"doc\":")
                        .append(body)
                        .append('}');
            }
            var r = http.method(
                    "POST",
                    coll + "/_bulk",
                    "application/json",
                    bulk.append(']').toString());
            assertEquals(200, r.status(), r.toString());
        }

        // Every document of the collection: those written here and the probes' writes.
        long total =
                http.get(coll + "/_tiering").json().at("/tiers/warm/documents").asLong();
        assertTrue(total >= DOCUMENTS, "documents: " + total);

        // Ask for the move through node 2, and kill the singleton's node while it runs.
        CompletableFuture<TestHttp.Response> move = CompletableFuture.supplyAsync(
                () -> cluster.node(2).http().put(coll + "/_tiering", "{\"move\":\"cold\"}"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (coldSegments(oldest) < 6 && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        assertTrue(coldSegments(oldest) > 0, "no fragment reached node 0 within 60 s");
        cluster.kill9(oldest);
        move.handle((r, e) -> null); // its answer does not matter: the node it waited on is gone

        // The singleton resumes on a survivor and finishes the move.
        deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        JsonNode tiers = null;
        while (System.nanoTime() < deadline) {
            // Answers may be slow or fail while shards move to the survivors: asked again.
            if (TestHttp.attemptGet(cluster.node(1).url(coll + "/_tiering"), Duration.ofSeconds(20))
                            instanceof TestHttp.Answered(TestHttp.Response r)
                    && r.status() == 200) {
                tiers = r.json();
                if (tiers.at("/tiers/warm/documents").asLong() == 0) {
                    break;
                }
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        assertTrue(tiers != null && tiers.at("/tiers/warm/documents").asLong() == 0, String.valueOf(tiers));
        assertEquals(total, tiers.at("/tiers/cold/documents").asLong(), tiers.toString());

        // Everything reads back through both survivors, node 0's fragments missing.
        for (ClusterNode node : List.of(cluster.node(1), cluster.node(2))) {
            for (Map.Entry<String, String> e : written.entrySet()) {
                TestHttp.Response r = node.http().get(coll + "/" + e.getKey());
                assertEquals(200, r.status(), node + " " + r);
                JsonNode doc = r.json();
                ((com.fasterxml.jackson.databind.node.ObjectNode) doc).remove(List.of("_id", "_version"));
                assertEquals(TestHttp.JSON.readTree(e.getValue()), doc, e.getKey());
            }
        }

        // Placement: the segments sealed before the kill had 3 of their 9 fragments on each node.
        // (A seal the crash interrupted may have written all 9 fragments too; see below.)
        Map<String, Map<String, Integer>> before = placement(cluster);
        Set<String> spreadOverThree = new HashSet<>();
        before.forEach((segment, nodes) -> {
            if (nodes.size() == 3 && Set.of(3).equals(new HashSet<>(nodes.values()))) {
                spreadOverThree.add(segment);
            }
        });
        assertTrue(!spreadOverThree.isEmpty(), "no segment was spread over all 3 nodes: " + before);

        // A scrub rebuilds the fragments the dead node held onto the survivors, and deletes the
        // fragments of the seal the crash interrupted (never recorded): then every segment has
        // its 9 fragments on the survivors, and no other fragment is left there.
        // A request is retried only when it was refused or failed: one that timed out would leave
        // its scrub running, and the next would report only what that one had left to repair. So
        // each waits for as long as the test still may.
        JsonNode scrub = null;
        deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (scrub == null && System.nanoTime() < deadline) {
            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000_000L));
            if (TestHttp.attempt(java.net.http.HttpRequest.newBuilder(
                                            java.net.URI.create(cluster.node(2).url("/api/v1/_tiering/scrub")))
                                    .timeout(left)
                                    .header("Content-Type", "application/json")
                                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}"))
                                    .build())
                            instanceof TestHttp.Answered(TestHttp.Response r)
                    && r.status() == 200) {
                scrub = r.json();
            }
        }
        assertTrue(scrub != null && scrub.get("damaged").isEmpty(), String.valueOf(scrub));
        Map<String, Map<String, Integer>> after = placement(cluster);
        // Every recorded segment that was spread over the 3 nodes had 3 fragments rebuilt. The
        // scrub deleted the survivors' fragments of an unrecorded seal, so those are the
        // segments still on the survivors.
        long recordedSpreadOverThree = spreadOverThree.stream()
                .filter(segment ->
                        after.getOrDefault(segment, Map.of()).keySet().stream().anyMatch(n -> !n.equals("node0")))
                .count();
        assertTrue(recordedSpreadOverThree > 0, "no recorded segment was spread over all 3 nodes: " + before);
        assertTrue(
                scrub.get("repairedFragments").asInt() >= 3 * recordedSpreadOverThree,
                scrub + " for " + recordedSpreadOverThree + " segments spread over 3 nodes");
        int segments = 0;
        for (var e : after.entrySet()) {
            int onSurvivors =
                    e.getValue().getOrDefault("node1", 0) + e.getValue().getOrDefault("node2", 0);
            if (onSurvivors == 0) {
                continue; // only on the dead node's disk
            }
            segments++;
            assertEquals(9, onSurvivors, "fragments on the survivors after the scrub: " + e);
        }
        assertEquals(tiers.at("/tiers/cold/segments").asInt(), segments, after.toString());
        // Everything still reads back, now without any rebuild. (Once, on a loaded machine, one of
        // these reads took over 30 s while the singleton's node was busy: 60 s each.)
        for (Map.Entry<String, String> e : written.entrySet()) {
            TestHttp.Response r = TestHttp.attemptGet(
                            cluster.node(2).url(coll + "/" + e.getKey()), Duration.ofSeconds(60))
                    .answer();
            assertEquals(200, r.status(), e.getKey() + ": " + r);
        }
    }

    /** For every segment found on disk, how many of its fragments each node holds. */
    private static Map<String, Map<String, Integer>> placement(TestCluster cluster) throws IOException {
        Map<String, Map<String, Integer>> perSegment = new HashMap<>();
        for (ClusterNode node : cluster.nodes()) {
            for (String segment : fragmentsOf(node)) {
                perSegment.computeIfAbsent(segment, k -> new HashMap<>()).merge(node.name(), 1, Integer::sum);
            }
        }
        return perSegment;
    }

    private static long coldSegments(ClusterNode node) throws IOException {
        return fragmentsOf(node).stream().distinct().count();
    }

    /** The segment id of every fragment file on {@code node}, once per fragment. */
    private static List<String> fragmentsOf(ClusterNode node) throws IOException {
        Path cold = node.dataDir().resolve("cold");
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(cold)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(cold)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".frag")) {
                    String stem = name.substring(0, name.length() - ".frag".length());
                    out.add(stem.substring(0, stem.lastIndexOf('.')));
                }
            }
        }
        return out;
    }
}

package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestHttp;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node joins a loaded two-node cluster: shards move to it within a bound, no write fails
 * other than with a retryable outcome while they move, and every acknowledged write is readable
 * through every node afterwards; a search index whose shards moved finds every document through
 * every node.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@Tag("services")
class RebalanceIT {

    private static final String DB = "rebalance";
    private static final String COLL = "docs";
    private static final int SHARDS = 12;
    private static final Duration REBALANCE_BOUND = Duration.ofSeconds(60);

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    @Test
    void aJoiningNodeTakesOverShardsWhileWritesGoOn() throws Exception {
        TestCluster cluster = resources.add(TestCluster.create("rebalance", 3, 2));
        ClusterNode joiner = cluster.node(2);
        cluster.launch(cluster.node(0));
        cluster.launch(cluster.node(1));
        cluster.awaitUp(List.of(cluster.node(0), cluster.node(1)));
        TestCluster.createCollection(cluster.node(0), DB, COLL, SHARDS);
        ServingProbe.untilEveryShardWrites(cluster, DB, COLL, SHARDS, System.nanoTime(), Duration.ofSeconds(30));
        // A search index whose shards move too (a collection of its own, so that the writers'
        // checks see only their documents): rebuilt or caught up on the node they move to.
        TestHttp first = cluster.node(0).http();
        String docs = "/api/v1/" + DB + "/searched";
        var searched = first.put(docs, "{\"shards\":6}");
        assertEquals(201, searched.status(), searched.toString());
        var index = first.put(
                docs + "/_indexes/v",
                "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":2,\"similarity\":\"euclidean\"}");
        assertEquals(201, index.status(), index.toString());
        Set<String> searchable = new TreeSet<>();
        for (int i = 0; i < 30; i++) {
            var put = first.put(docs + "/sv" + i, "{\"v\":[" + i + ",1]}");
            assertEquals(201, put.status(), put.toString());
            searchable.add("sv" + i);
        }

        Writers writers = resources.add(new Writers(cluster, DB, COLL, 4, Duration.ofMillis(20)));
        writers.start();
        TimeUnit.SECONDS.sleep(3);
        Map<String, Integer> before = cluster.shardsPerNode(cluster.node(0), DB, COLL);
        assertEquals(
                SHARDS, before.values().stream().mapToInt(Integer::intValue).sum(), before.toString());

        long joinStarted = System.nanoTime();
        cluster.start(joiner);
        long up = System.nanoTime();
        long deadline = up + REBALANCE_BOUND.toNanos();
        Map<String, Integer> after;
        while (true) {
            after = cluster.shardsPerNode(cluster.node(0), DB, COLL);
            if (after.getOrDefault(joiner.address(), 0) > 0) {
                break;
            }
            assertTrue(
                    System.nanoTime() < deadline,
                    "no shard moved to the new node within " + REBALANCE_BOUND.toSeconds() + " s of it being Up: "
                            + after);
            TimeUnit.MILLISECONDS.sleep(250);
        }
        long firstShard = System.nanoTime();
        // The rebalance runs on under load (Pekko moves a few shards per round) until the shards
        // stay where they are for longer than a rebalance interval.
        Map<String, Integer> settled =
                cluster.awaitSettledShards(DB, COLL, SHARDS, Duration.ofSeconds(6), REBALANCE_BOUND);
        long settledAt = System.nanoTime();
        writers.stop();
        System.out.println("[RebalanceIT] " + writers.summary());
        Figures.record(
                "RebalanceIT",
                "join: start to Up " + TimeUnit.NANOSECONDS.toMillis(up - joinStarted) + " ms, Up to first shard on "
                        + "the new node " + TimeUnit.NANOSECONDS.toMillis(firstShard - up) + " ms, Up to settled "
                        + TimeUnit.NANOSECONDS.toMillis(settledAt - up) + " ms (including 6 s without a move); shards"
                        + " per node " + before + " -> " + after + " -> " + settled + "; " + writers.summary());

        assertEquals(List.of(), writers.rejections(), "writes refused with 4xx");
        assertEquals(
                0,
                writers.fromUpNodes(Writers.Kind.OTHER_5XX) + writers.fromOtherNodes(Writers.Kind.OTHER_5XX),
                "writes failed with a 5xx other than 503: " + writers.failuresFromUpNodes());
        for (ClusterNode node : cluster.nodes()) {
            assertEquals(List.of(), writers.verifyThrough(node, 200), "acknowledged writes read through " + node);
        }
        for (ClusterNode node : cluster.nodes()) {
            var found = node.http()
                    .method(
                            "POST",
                            docs + "/_search",
                            "application/json",
                            "{\"knn\":{\"index\":\"v\",\"vector\":[0,1]},\"k\":30,\"wait\":true,\"fields\":[\"v\"]}");
            assertEquals(200, found.status(), found.toString());
            Set<String> ids = new TreeSet<>();
            found.json().path("hits").forEach(h -> ids.add(h.path("_id").asText()));
            assertEquals(searchable, ids, "search through " + node);
            assertEquals("sv0", found.json().path("hits").get(0).path("_id").asText(), found.toString());
        }
        Map<String, List<String>> hosts = cluster.shardHosts(joiner, DB, COLL);
        hosts.forEach((entity, on) -> assertEquals(1, on.size(), entity + " runs on " + on));
        assertTrue(writers.acknowledgedCount() > 100, writers.summary());
    }
}

package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Time series in cluster mode: points written through one node of three, with a snapshot every
 * 10 events, so most of each shard's points are only in its snapshot image for a node that never
 * hosted it. The node running most of the collection's shards is killed (kill -9); the survivors
 * rebuild those shards from their images and the journal after them, and every acknowledged point
 * is there, in the answers from the points and in those from the rolled-up windows, whose
 * downsampling resumes from the offset the image carried. Writes go on afterwards, and the
 * moved shards' projections catch up with them (no downsampling lag left on any node).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@Tag("services")
class TimeSeriesClusterIT {

    private static final String DB = "tscluster";
    private static final String COLL = "cpu";
    private static final int SHARDS = 4;
    private static final String[] HOSTS = {"h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7"};
    private static final long T0 = Instant.parse("2026-12-01T00:00:00Z").getEpochSecond() * 1_000_000_000L;
    private static final long STEP = TimeUnit.SECONDS.toNanos(10);

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    /** Count and sum per host of the points acknowledged. */
    private final Map<String, long[]> expected = new TreeMap<>();

    @Test
    void shardsRebuiltFromImagesOnOtherNodesKeepEveryPointAndTheirDownsampling() throws Exception {
        TestCluster cluster = resources.add(
                TestCluster.create("tscluster", 3, 3, false, Map.of("lumadb.shards.snapshot-every", "10")));
        cluster.startAll();
        ClusterNode first = cluster.node(0);
        TestCluster.putUntil(first, "/api/v1/" + DB, "", 201);
        TestCluster.putUntil(
                first,
                "/api/v1/" + DB + "/" + COLL,
                "{\"kind\":\"timeseries\",\"shards\":" + SHARDS
                        + ",\"timeseries\":{\"lateness\":\"1m\",\"downsampling\":[{\"every\":\"1m\"}]}}",
                201);

        // 80 requests of 8 hosts x 5 points: about 60 events per shard, a snapshot every 10.
        int step = 0;
        for (int request = 0; request < 80; request++) {
            step = write(first, step, 5);
        }
        String query = "{\"from\":\"2026-12-01T00:00:00Z\",\"to\":\"2026-12-02T00:00:00Z\",\"window\":\"10m\","
                + "\"aggregates\":[\"count\",\"sum\"],\"groupBy\":[\"host\"]}";
        JsonNode before = awaitAnswer(first, query, Duration.ofSeconds(30));

        Map<String, Integer> perNode =
                cluster.awaitSettledShards(DB, COLL, SHARDS, Duration.ofSeconds(4), Duration.ofSeconds(60));
        ClusterNode victim = cluster.upNodes().stream()
                .max((a, b) ->
                        Integer.compare(perNode.getOrDefault(a.address(), 0), perNode.getOrDefault(b.address(), 0)))
                .orElseThrow();
        int hosted = perNode.getOrDefault(victim.address(), 0);
        assertTrue(hosted > 0, "no node runs a shard: " + perNode);
        long crash = System.nanoTime();
        cluster.kill9(victim);
        ClusterNode survivor =
                cluster.upNodes().stream().filter(n -> n != victim).findFirst().orElseThrow();

        JsonNode after = awaitAnswer(survivor, query, Duration.ofSeconds(90));
        Figures.record(
                "TimeSeriesClusterIT",
                "kill -9 of the node running " + hosted + " of " + SHARDS + " time-series shards: every point answered"
                        + " again through another node after "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crash) + " ms");
        assertEquals(before.path("groups"), after.path("groups"), "the same windows after the failover");

        int fromImage = 0;
        for (ClusterNode node : cluster.nodes()) {
            if (node == victim) {
                continue;
            }
            for (String line : Files.readAllLines(node.log())) {
                if (line.contains("Shard " + DB + "/" + COLL + "/")
                        && line.contains("after installing the snapshot image")) {
                    fromImage++;
                }
            }
        }
        assertTrue(fromImage >= hosted, hosted + " shards moved, " + fromImage + " recovered from an image");

        // The shards take writes where they are now, and downsample them.
        for (int request = 0; request < 10; request++) {
            step = write(survivor, step, 5);
        }
        for (ClusterNode node : cluster.upNodes()) {
            awaitAnswer(node, query, Duration.ofSeconds(30));
        }
        // The projections of the moved shards run where the shards are now: no events left behind.
        for (ClusterNode node : cluster.upNodes()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String lag = "";
            while (true) {
                TestHttp.Outcome metrics = TestHttp.attemptGet(node.url("/metrics"), Duration.ofSeconds(5));
                if (metrics instanceof TestHttp.Answered a) {
                    lag = a.response()
                            .body()
                            .lines()
                            .filter(l -> l.startsWith("lumadb_timeseries_downsampling_lag "))
                            .findFirst()
                            .orElse("");
                    if (lag.equals("lumadb_timeseries_downsampling_lag 0.0")) {
                        break;
                    }
                }
                assertTrue(System.nanoTime() < deadline, node + " still has a downsampling lag: " + lag);
                TimeUnit.MILLISECONDS.sleep(500);
            }
        }
    }

    /** Writes {@code perHost} points of every host, from {@code step} on; the next step. */
    private int write(ClusterNode node, int step, int perHost) throws InterruptedException {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < perHost; i++, step++) {
            for (String host : HOSTS) {
                long value = (step * 7L + host.charAt(1)) % 100;
                lines.append("cpu,host=")
                        .append(host)
                        .append(" usage=")
                        .append(value)
                        .append("i ")
                        .append(T0 + step * STEP)
                        .append('\n');
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            TestHttp.Response r = node.http()
                    .method(
                            "POST",
                            "/api/v2/write?bucket=" + DB + "/" + COLL + "&precision=ns",
                            "text/plain",
                            lines.toString());
            if (r.status() == 204) {
                break;
            }
            assertTrue(r.status() == 503 && System.nanoTime() < deadline, r.toString());
            TimeUnit.MILLISECONDS.sleep(250);
        }
        for (int i = step - perHost; i < step; i++) {
            for (String host : HOSTS) {
                long[] cs = expected.computeIfAbsent(host, h -> new long[2]);
                cs[0]++;
                cs[1] += (i * 7L + host.charAt(1)) % 100;
            }
        }
        return step;
    }

    /**
     * Asks {@code query} through {@code node} until the counts and sums per host are those written
     * (the shards may still be starting elsewhere) and the rolled-up windows answer it, and answers it.
     */
    private JsonNode awaitAnswer(ClusterNode node, String query, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            TestHttp.Outcome outcome = TestHttp.attempt(node.http()
                    .request("/api/v1/" + DB + "/" + COLL + "/_tsquery")
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(20))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(query))
                    .build());
            if (outcome instanceof TestHttp.Answered a && a.response().status() == 200) {
                JsonNode answer = a.response().json();
                Map<String, long[]> got = new TreeMap<>();
                for (JsonNode group : answer.path("groups")) {
                    long[] cs =
                            got.computeIfAbsent(group.path("tags").path("host").asText(), h -> new long[2]);
                    for (JsonNode row : group.path("rows")) {
                        cs[0] += row.path("usage").path("count").asLong();
                        cs[1] += row.path("usage").path("sum").asLong();
                    }
                }
                // Answered from the rolled-up windows once the projections have caught up.
                if (equal(expected, got) && answer.has("downsampled")) {
                    return answer;
                }
                last = answer.toString();
            } else {
                last = outcome.toString();
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        throw new AssertionError("through " + node + " the points written were not all answered within "
                + bound.toSeconds() + " s; last: " + last);
    }

    private static boolean equal(Map<String, long[]> a, Map<String, long[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (var e : a.entrySet()) {
            if (!java.util.Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}

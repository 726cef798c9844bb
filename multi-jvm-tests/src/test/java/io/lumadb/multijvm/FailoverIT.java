package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestHttp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Crashes (kill -9) under load: three nodes take writes from several clients through every node
 * and feed a change-stream consumer while, three times, a node that runs shards is killed, the
 * time until every shard takes writes again is measured, and the node is restarted and rejoins.
 * Afterwards every acknowledged write is readable through every node with its version, and the
 * consumer got every one of them, with no gap and no duplicate.
 *
 * <p>Before each crash the test waits until the shards have stopped moving, so that the figure
 * measured is the time from a crash to serving, not the time a rebalance towards the node that
 * rejoined last takes to give up on a crashed node (Pekko then waits for the full hand-off
 * timeout).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@Tag("services")
class FailoverIT {

    private static final String DB = "failover";
    private static final String COLL = "docs";
    private static final int SHARDS = 6;
    /** A sanity bound, far above the 12 s the cluster aims at; the real figures are reported. */
    private static final Duration SANITY_BOUND = Duration.ofSeconds(30);

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    private static final java.util.regex.Pattern RECOVERED = java.util.regex.Pattern.compile(
            "Shard " + DB + "/" + COLL
                    + "/\\S+ recovered at event (\\d+) in (\\d+) ms \\((\\d+) events applied from the journal(, after installing the snapshot image)?\\)");

    /**
     * Reports how long the shards took to recover on the nodes that took them over (from the
     * nodes' logs) and checks that /metrics reports them too.
     */
    private static void recordShardRecoveries(TestCluster cluster) throws Exception {
        List<Long> millis = new ArrayList<>();
        int fromImage = 0;
        long events = 0;
        for (ClusterNode node : cluster.nodes()) {
            for (String line : java.nio.file.Files.readAllLines(node.log())) {
                var m = RECOVERED.matcher(line);
                if (m.find()) {
                    millis.add(Long.parseLong(m.group(2)));
                    events += Long.parseLong(m.group(3));
                    fromImage += m.group(4) != null ? 1 : 0;
                }
            }
        }
        Collections.sort(millis);
        assertTrue(millis.size() > SHARDS, "shard recoveries in the logs: " + millis);
        Figures.record(
                "FailoverIT",
                "shard recoveries (starts of a shard on a node, first starts included): " + millis.size()
                        + ", median " + millis.get(millis.size() / 2) + " ms, worst " + millis.getLast() + " ms, "
                        + fromImage + " from a snapshot image, " + events + " journal events applied in all");
        boolean reported = false;
        for (ClusterNode node : cluster.upNodes()) {
            TestHttp.Outcome metrics = TestHttp.attemptGet(node.url("/metrics"), Duration.ofSeconds(5));
            if (metrics instanceof TestHttp.Answered a
                    && a.response().body().contains("lumadb_shard_recovery_seconds_count")) {
                reported = true;
            }
        }
        assertTrue(reported, "no node reports lumadb_shard_recovery_seconds in /metrics");
    }

    @Test
    void killedNodesShardsServeAgainAndNothingAcknowledgedIsLost() throws Exception {
        TestCluster cluster = resources.add(TestCluster.create("failover", 3, 3));
        cluster.startAll();
        Workload load = Workload.start("FailoverIT", resources, cluster, DB, COLL, SHARDS);
        Writers writers = load.writers;

        List<Long> crashToServing = new ArrayList<>();
        Set<ClusterNode> killed = new HashSet<>();
        for (int round = 1; round <= 3; round++) {
            // Each crash hits a settled cluster: no rebalance towards the node restarted last is
            // still under way (a crash during a hand-over is another case; see the class comment).
            Map<String, Integer> perNode =
                    cluster.awaitSettledShards(DB, COLL, SHARDS, Duration.ofSeconds(6), Duration.ofSeconds(60));
            ClusterNode victim = cluster.upNodes().stream()
                    .filter(n -> !killed.contains(n))
                    .max((a, b) ->
                            Integer.compare(perNode.getOrDefault(a.address(), 0), perNode.getOrDefault(b.address(), 0)))
                    .orElseThrow();
            int hosted = perNode.getOrDefault(victim.address(), 0);
            assertTrue(hosted > 0, "round " + round + ": no node left to kill runs a shard: " + perNode);
            killed.add(victim);

            long crash = System.nanoTime();
            cluster.kill9(victim);
            List<Duration> perShard =
                    ServingProbe.untilEveryShardWrites(cluster, DB, COLL, SHARDS, crash, Duration.ofSeconds(90));
            long worst = perShard.stream().mapToLong(Duration::toMillis).max().orElseThrow();
            crashToServing.add(worst);
            Figures.record(
                    "FailoverIT",
                    "round " + round + ": kill -9 " + victim.name() + " (" + hosted + " of " + SHARDS
                            + " shards; shards per node before " + perNode + "): crash to every shard serving "
                            + worst + " ms; per shard "
                            + perShard.stream().map(Duration::toMillis).toList() + " ms");
            assertTrue(
                    worst < SANITY_BOUND.toMillis(),
                    "round " + round + ": crash to serving took " + worst + " ms, over the sanity bound");

            long restart = System.nanoTime();
            cluster.start(victim);
            Figures.record(
                    "FailoverIT",
                    "round " + round + ": " + victim.name() + " restarted and Up again in "
                            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restart) + " ms");
        }
        TimeUnit.SECONDS.sleep(2);
        load.stop();

        List<Long> sorted = new ArrayList<>(crashToServing);
        Collections.sort(sorted);
        Figures.record(
                "FailoverIT",
                "crash to serving over 3 kills (3 nodes, " + SHARDS + " shards, 4 writers): median " + sorted.get(1)
                        + " ms, worst " + sorted.get(2) + " ms, all " + crashToServing + " ms; " + writers.summary());

        recordShardRecoveries(cluster);

        load.verify(cluster);
        assertTrue(writers.acknowledgedCount() > 100, writers.summary());
    }
}

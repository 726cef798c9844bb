package io.lumadb.multijvm;

import io.lumadb.shards.Documents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Measures how long after a moment (a crash) every shard of a collection accepts a write again:
 * one prober per shard writes, through the up nodes in turn, a document whose id the server's own
 * hash ({@link Documents#shardOf}) puts on that shard, until one write is acknowledged. Probe
 * documents have ids starting with {@link #ID_PREFIX}.
 */
final class ServingProbe {

    static final String ID_PREFIX = "probe-";

    /** Per probe request: short, so that a shard that comes back is seen soon after. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

    private ServingProbe() {}

    /** An id that {@code shards} shards put on shard {@code shard}. */
    static String idOnShard(int shard, int shards) {
        for (int k = 0; ; k++) {
            String id = ID_PREFIX + shard + "-" + k;
            if (Documents.shardOf(id, shards) == shard) {
                return id;
            }
        }
    }

    /**
     * From {@code sinceNanos} ({@link System#nanoTime}), the time until each shard of {@code
     * db/coll} acknowledged a write, by shard; fails if some shard did not within {@code bound}.
     */
    static List<Duration> untilEveryShardWrites(
            TestCluster cluster, String db, String coll, int shards, long sinceNanos, Duration bound) throws Exception {
        long deadline = sinceNanos + bound.toNanos();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Duration>> probes = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                String url = "/api/v1/" + db + "/" + coll + "/" + idOnShard(s, shards);
                int shard = s;
                probes.add(pool.submit(() -> probe(cluster, url, shard, sinceNanos, deadline)));
            }
            List<Duration> out = new ArrayList<>();
            for (Future<Duration> f : probes) {
                out.add(f.get());
            }
            return out;
        }
    }

    private static Duration probe(TestCluster cluster, String path, int shard, long since, long deadline)
            throws InterruptedException {
        int next = shard;
        String last = "nothing";
        while (System.nanoTime() < deadline) {
            List<ClusterNode> up = cluster.upNodes();
            if (up.isEmpty()) {
                TimeUnit.MILLISECONDS.sleep(50);
                continue;
            }
            ClusterNode node = up.get(Math.floorMod(next++, up.size()));
            Http.Outcome outcome = Http.put(node.url(path), "{\"probe\":" + next + "}", REQUEST_TIMEOUT);
            if (outcome instanceof Http.Answered a
                    && (a.response().status() == 200 || a.response().status() == 201)) {
                return Duration.ofNanos(System.nanoTime() - since);
            }
            last = node.name() + ": " + outcome;
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("shard " + shard + " accepted no write within the bound; last attempt " + last);
    }
}

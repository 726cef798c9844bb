package io.lumadb.multijvm;

import io.lumadb.shards.Documents;
import io.lumadb.testkit.TestHttp;
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

    /** Per probe request; probes overlap, so this only bounds how many are open at once. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(12);

    /** How often a new probe request is sent: the resolution of the measurement. */
    private static final Duration PROBE_EVERY = Duration.ofMillis(200);

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

    /**
     * Sends a probe write every {@link #PROBE_EVERY}, each on its own, rather than one after
     * another: a request sent just before the shard came back may wait for its answer until the
     * server gives up, and the next one must not wait for that. The first acknowledgement ends it.
     */
    private static Duration probe(TestCluster cluster, String path, int shard, long since, long deadline)
            throws InterruptedException {
        java.util.concurrent.CompletableFuture<Duration> first = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.atomic.AtomicReference<String> last =
                new java.util.concurrent.atomic.AtomicReference<>("nothing");
        int next = shard;
        ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
        try {
            while (!first.isDone() && System.nanoTime() < deadline) {
                List<ClusterNode> up = cluster.upNodes();
                if (!up.isEmpty()) {
                    ClusterNode node = up.get(Math.floorMod(next++, up.size()));
                    String body = "{\"probe\":" + next + "}";
                    requests.submit(() -> {
                        TestHttp.Outcome outcome = TestHttp.attemptPut(node.url(path), body, REQUEST_TIMEOUT);
                        if (outcome instanceof TestHttp.Answered a
                                && (a.response().status() == 200 || a.response().status() == 201)) {
                            first.complete(Duration.ofNanos(System.nanoTime() - since));
                        } else {
                            last.set(node.name() + ": " + outcome);
                        }
                    });
                }
                try {
                    return first.get(PROBE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    // no acknowledgement yet: send the next probe
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new AssertionError(e);
                }
            }
            if (first.isDone()) {
                return first.join();
            }
            throw new AssertionError(
                    "shard " + shard + " accepted no write within the bound; last attempt " + last.get());
        } finally {
            // Probes still waiting are abandoned; their writes may still land, like any probe's.
            requests.shutdownNow();
        }
    }
}

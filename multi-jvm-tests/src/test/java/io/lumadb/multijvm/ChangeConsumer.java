package io.lumadb.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An event-sourced consumer of a collection's change stream over HTTP pull (NDJSON pages with
 * {@code LumaDB-Next-Token}, long-polling). Each page is asked of the next up node in turn with
 * the token of the previous page, so every page also checks that a token is good on any node;
 * a node that fails or is down is simply skipped, with the same token.
 *
 * <p>It records each change under its position (shard, seq, index) and reports a position
 * delivered twice (a duplicate; with different content, a conflict), and a gap in a shard's
 * sequence numbers or in the indexes of one event.
 */
final class ChangeConsumer implements AutoCloseable {

    /** One delivered change. */
    record Change(String id, long version, long n, String op) {}

    private static final int PAGE_LIMIT = 1000;
    private static final int WAIT_MILLIS = 1000;

    private final TestCluster cluster;
    private final String path;
    private final Map<String, Change> seen = new ConcurrentHashMap<>();
    private final List<String> duplicates = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
    private final AtomicLong pages = new AtomicLong();
    private volatile String token = "beginning";
    private volatile boolean running;
    private volatile Throwable crashed;
    private Thread thread;

    ChangeConsumer(TestCluster cluster, String db, String coll) {
        this.cluster = cluster;
        this.path = "/api/v1/" + db + "/" + coll + "/_changes";
    }

    void start() {
        running = true;
        thread = new Thread(this::run, "change-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.interrupt();
            thread.join(40_000);
        }
    }

    private void run() {
        int next = 0;
        try {
            while (running) {
                List<ClusterNode> up = cluster.upNodes();
                if (up.isEmpty()) {
                    TimeUnit.MILLISECONDS.sleep(100);
                    continue;
                }
                ClusterNode node = up.get(Math.floorMod(next++, up.size()));
                String url = node.url(
                        path + "?limit=" + PAGE_LIMIT + "&wait=" + WAIT_MILLIS + "&from=" + TestHttp.encode(token));
                TestHttp.Outcome outcome =
                        TestHttp.attemptGet(url, Duration.ofMillis(WAIT_MILLIS).plusSeconds(30));
                if (outcome instanceof TestHttp.Answered a && a.response().status() == 200) {
                    String nextToken = a.response().header("LumaDB-Next-Token");
                    if (nextToken == null) {
                        throw new AssertionError("a page from " + node.name() + " has no LumaDB-Next-Token");
                    }
                    for (String line : a.response().body().split("\n")) {
                        if (!line.isBlank()) {
                            record(line);
                        }
                    }
                    token = nextToken;
                    pages.incrementAndGet();
                } else {
                    String kind =
                            switch (outcome) {
                                case TestHttp.Answered a ->
                                    "status " + a.response().status();
                                case TestHttp.Refused r -> "refused";
                                case TestHttp.Lost l -> "lost";
                            };
                    failures.computeIfAbsent(node.name() + " " + kind, k -> new AtomicLong())
                            .incrementAndGet();
                    if (outcome instanceof TestHttp.Answered a && a.response().status() != 503) {
                        System.out.println("[consumer] " + node.name() + ": " + a.response());
                    }
                    TimeUnit.MILLISECONDS.sleep(200);
                }
            }
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            crashed = t;
        }
    }

    private void record(String line) throws IOException {
        JsonNode e = TestHttp.JSON.readTree(line);
        JsonNode source = e.path("source");
        String key = source.path("shard").asInt() + "/" + source.path("seq").asLong() + "/"
                + source.path("index").asInt();
        JsonNode after = e.path("after");
        Change change = new Change(
                source.path("id").asText(),
                source.path("version").asLong(),
                after.isObject() ? after.path("n").asLong(-1) : -1,
                e.path("op").asText());
        Change previous = seen.putIfAbsent(key, change);
        if (previous != null) {
            duplicates.add(key
                    + (previous.equals(change) ? " (same change)" : " (conflict: " + previous + " vs " + change + ")"));
        }
    }

    /** Changes delivered so far. */
    int size() {
        return seen.size();
    }

    /**
     * Waits until every acknowledged write of {@code writers} has been delivered (its id, version
     * and value); fails naming some that were not.
     */
    void awaitAll(Writers writers, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> missing;
        while (true) {
            if (crashed != null) {
                throw new AssertionError("the consumer failed", crashed);
            }
            missing = missing(writers);
            if (missing.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(250);
        }
        throw new AssertionError(missing.size() + " acknowledged writes never came on the change stream within "
                + timeout.toSeconds() + " s, e.g. " + missing.subList(0, Math.min(20, missing.size())) + "; "
                + summary());
    }

    private List<String> missing(Writers writers) {
        Map<String, Map<Long, Long>> delivered = new HashMap<>();
        for (Change c : seen.values()) {
            delivered.computeIfAbsent(c.id(), k -> new HashMap<>()).put(c.version(), c.n());
        }
        List<String> missing = new ArrayList<>();
        writers.acknowledged().forEach((id, acks) -> {
            for (Writers.Ack ack : acks) {
                Long n = delivered.getOrDefault(id, Map.of()).get(ack.version());
                if (n == null || n != ack.n()) {
                    missing.add(
                            id + "@" + ack.version() + " n=" + ack.n() + (n == null ? "" : " (delivered n=" + n + ")"));
                }
            }
        });
        return missing;
    }

    /** Duplicated positions, gaps in a shard's sequence numbers or an event's indexes; empty if none. */
    List<String> problems() {
        List<String> problems = new ArrayList<>(
                duplicates.stream().map(d -> "delivered twice: " + d).toList());
        Map<Integer, TreeMap<Long, TreeSet<Integer>>> perShard = new TreeMap<>();
        for (String key : seen.keySet()) {
            String[] p = key.split("/");
            perShard.computeIfAbsent(Integer.parseInt(p[0]), k -> new TreeMap<>())
                    .computeIfAbsent(Long.parseLong(p[1]), k -> new TreeSet<>())
                    .add(Integer.parseInt(p[2]));
        }
        perShard.forEach((shard, seqs) -> {
            long expected = 1;
            for (var entry : seqs.entrySet()) {
                if (entry.getKey() != expected) {
                    problems.add(
                            "shard " + shard + ": gap before seq " + entry.getKey() + " (expected " + expected + ")");
                }
                expected = entry.getKey() + 1;
                TreeSet<Integer> indexes = entry.getValue();
                if (indexes.first() != 0 || indexes.last() != indexes.size() - 1) {
                    problems.add("shard " + shard + " seq " + entry.getKey() + ": indexes " + indexes);
                }
            }
        });
        return problems;
    }

    String summary() {
        return "consumer: " + seen.size() + " changes in " + pages.get() + " pages, failed pulls "
                + new TreeMap<>(failures) + ", duplicates " + duplicates.size();
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code kill -9} during ingest loses no acknowledged point: concurrent writers post
 * line-protocol batches of distinct points to a time-series collection of four shards on the
 * embedded node while it is killed at seeded random moments and restarted on the same data
 * directory. Afterwards every point of every batch answered 204 must be there with its exact
 * values, and every point there must be one that was sent with those values (a batch whose
 * answer was lost in the crash may be stored, in part or not at all).
 *
 * <p>The kill moments come from a seed, printed; {@code -Dlumadb.crash.seed=<seed>} repeats them
 * (the threads' interleaving differs from run to run anyway).
 */
@Timeout(240)
class TimeSeriesCrashIT {

    private static final int WRITERS = 4;
    private static final int SERIES_PER_WRITER = 4;
    private static final int TIMES_PER_BATCH = 5;
    private static final int KILLS = 2;
    private static final long MILLI = 1_000_000L;

    /** A whole hour, two to three hours ago: the points lie in [T0, T0 + 1h). */
    private static final long T0 = Instant.now()
                    .truncatedTo(ChronoUnit.HOURS)
                    .minus(2, ChronoUnit.HOURS)
                    .getEpochSecond()
            * 1_000_000_000L;

    private static final long TO = T0 + TimeUnit.HOURS.toNanos(1);

    private Path dir;
    private NodeProcess server;

    /** The values sent for one point. */
    private record Sent(long v, double f) {}

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("lumadb-ts-crash-it");
        server = NodeProcess.builder(dir).name("time-series crash node").build();
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            server.close();
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    /** The key of a series: {@code w=<writer>,s=<series>}. */
    private static String series(int writer, int s) {
        return "w=" + writer + ",s=" + s;
    }

    @Test
    void aKill9DuringIngestLosesNoAcknowledgedPoint() throws Exception {
        long seed = Long.getLong("lumadb.crash.seed", System.nanoTime());
        System.out.println("TimeSeriesCrashIT seed " + seed + " (repeat with -Dlumadb.crash.seed=" + seed + ")");
        Random random = new Random(seed);

        TestHttp http = new TestHttp(server.port());
        assertEquals(201, http.method("PUT", "/api/v1/crash", null, null).status());
        TestHttp.Response created = http.put("/api/v1/crash/points", "{\"kind\":\"timeseries\",\"shards\":4}");
        assertEquals(201, created.status(), created.toString());

        // Per series: the values of every point sent (recorded before sending), and the times acknowledged.
        Map<String, Map<Long, Sent>> sent = new ConcurrentHashMap<>();
        Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
        for (int w = 0; w < WRITERS; w++) {
            for (int s = 0; s < SERIES_PER_WRITER; s++) {
                sent.put(series(w, s), new ConcurrentHashMap<>());
                acked.put(series(w, s), new ConcurrentSkipListSet<>());
            }
        }
        AtomicInteger ackedBatches = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger inDoubt = new AtomicInteger();
        Map<Integer, AtomicInteger> otherAnswers = new ConcurrentHashMap<>();
        List<String> wrongAnswers = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        URI write = URI.create(server.url("/api/v2/write?bucket=crash/points"));

        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            done.add(writers.submit(() -> {
                for (int batch = 0; running.get(); batch++) {
                    StringBuilder body = new StringBuilder();
                    List<long[]> points = new ArrayList<>();
                    for (int j = 0; j < TIMES_PER_BATCH; j++) {
                        int n = batch * TIMES_PER_BATCH + j;
                        long time = T0 + n * MILLI;
                        for (int s = 0; s < SERIES_PER_WRITER; s++) {
                            // Values that tell each point from every other: the writer, the series and the number.
                            long v = (long) writer << 40 | (long) s << 32 | n;
                            double f = n + s / 8.0 + writer * 1e6;
                            sent.get(series(writer, s)).put(time, new Sent(v, f));
                            points.add(new long[] {s, time});
                            body.append("ts,w=")
                                    .append(writer)
                                    .append(",s=")
                                    .append(s)
                                    .append(" v=")
                                    .append(v)
                                    .append("i,f=")
                                    .append(f)
                                    .append(' ')
                                    .append(time)
                                    .append('\n');
                        }
                    }
                    TestHttp.Outcome outcome = TestHttp.attempt(HttpRequest.newBuilder(write)
                            .timeout(Duration.ofSeconds(10))
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                            .build());
                    switch (outcome) {
                        case TestHttp.Answered a
                        when a.response().status() == 204 -> {
                            for (long[] p : points) {
                                acked.get(series(writer, (int) p[0])).add(p[1]);
                            }
                            ackedBatches.incrementAndGet();
                        }
                        case TestHttp.Answered a -> {
                            // A node still starting may say 503; anything else is a wrong answer to a good batch.
                            otherAnswers
                                    .computeIfAbsent(a.response().status(), x -> new AtomicInteger())
                                    .incrementAndGet();
                            if (a.response().status() != 503) {
                                wrongAnswers.add(a.response().toString());
                            }
                            sleep(50);
                        }
                        case TestHttp.Refused r -> {
                            refused.incrementAndGet();
                            sleep(50);
                        }
                        case TestHttp.Lost l -> {
                            inDoubt.incrementAndGet();
                            sleep(50);
                        }
                    }
                }
            }));
        }

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try {
            for (int kill = 1; kill <= KILLS; kill++) {
                int target = ackedBatches.get() + 20 + random.nextInt(60);
                while (ackedBatches.get() < target && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(ackedBatches.get() >= target, "the writers were not acknowledged in time: " + ackedBatches);
                Thread.sleep(random.nextInt(250));
                int before = ackedBatches.get();
                server.kill9();
                System.out.printf("TimeSeriesCrashIT: kill %d after %d acknowledged batches%n", kill, before);
                server.start();
            }
            // The restarted node takes writes again.
            int target = ackedBatches.get() + 20;
            while (ackedBatches.get() < target && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(ackedBatches.get() >= target, "no writes acknowledged after the last restart");
        } finally {
            running.set(false);
            writers.shutdown();
            assertTrue(writers.awaitTermination(60, TimeUnit.SECONDS));
        }
        for (Future<?> f : done) {
            f.get();
        }
        assertEquals(List.of(), wrongAnswers, "answers other than 204 or 503 to good batches");

        // The series there: only ours, each with as many points as its rows.
        JsonNode counts = query(
                http,
                "{\"from\":" + Long.MIN_VALUE / 2 + ",\"to\":" + Long.MAX_VALUE / 2
                        + ",\"groupBy\":\"*\",\"aggregates\":[\"count\"]}");
        Map<String, Long> countBySeries = new TreeMap<>();
        for (JsonNode group : counts.path("groups")) {
            assertEquals("ts", group.path("measurement").asText(), group.toString());
            JsonNode tags = group.path("tags");
            String key = "w=" + tags.path("w").asText() + ",s=" + tags.path("s").asText();
            assertEquals(2, tags.size(), group.toString());
            assertTrue(sent.containsKey(key), "a series never written: " + group);
            assertEquals(1, group.path("rows").size(), group.toString());
            JsonNode row = group.path("rows").get(0);
            long v = row.path("v").path("count").asLong();
            assertEquals(v, row.path("f").path("count").asLong(), group.toString());
            countBySeries.put(key, v);
        }

        long checked = 0;
        long extra = 0;
        for (var e : sent.entrySet()) {
            String key = e.getKey();
            Map<Long, Sent> values = e.getValue();
            Set<Long> present = new java.util.HashSet<>();
            for (JsonNode row : rows(http, key)) {
                long time = nanos(row);
                Sent s = values.get(time);
                assertNotNull(s, key + ": a point that was never sent: " + row);
                assertTrue(present.add(time), key + ": a point twice: " + row);
                assertTrue(row.path("v").isIntegralNumber(), key + ": " + row);
                assertEquals(s.v(), row.path("v").longValue(), key + ": " + row);
                assertEquals(s.f(), row.path("f").doubleValue(), key + ": " + row);
                assertEquals(Set.of("time", "measurement", "tags", "v", "f"), fieldNames(row), row.toString());
            }
            Set<Long> lost = new java.util.TreeSet<>(acked.get(key));
            lost.removeAll(present);
            assertTrue(
                    lost.isEmpty(),
                    key + " lost " + lost.size() + " acknowledged points, the first at "
                            + lost.stream()
                                    .findFirst()
                                    .map(t -> Instant.ofEpochSecond(0, t).toString())
                                    .orElse(""));
            assertEquals((long) present.size(), countBySeries.getOrDefault(key, 0L), key + ": count against rows");
            checked += acked.get(key).size();
            extra += present.size() - acked.get(key).size();
        }
        assertTrue(checked > 0);
        System.out.printf(
                "TimeSeriesCrashIT: %d kills, %d acknowledged batches (%d points) all present; %d points of"
                        + " unacknowledged batches present; %d requests lost in a crash, %d refused while down,"
                        + " other answers %s%n",
                KILLS, ackedBatches.get(), checked, extra, inDoubt.get(), refused.get(), otherAnswers);
    }

    private static JsonNode query(TestHttp http, String query) {
        TestHttp.Response r = http.method("POST", "/api/v1/crash/points/_tsquery", "application/json", query);
        assertEquals(200, r.status(), query + " -> " + r);
        return r.json();
    }

    /** Every row of one series, page by page (a page holds at most 10000 rows). */
    private static List<JsonNode> rows(TestHttp http, String key) {
        String[] tags = key.split(",");
        String w = tags[0].substring(2);
        String s = tags[1].substring(2);
        List<JsonNode> rows = new ArrayList<>();
        long from = T0;
        while (true) {
            JsonNode page = query(
                    http,
                    "{\"measurement\":\"ts\",\"from\":" + from + ",\"to\":" + TO + ",\"tags\":{\"w\":\"" + w
                            + "\",\"s\":\"" + s + "\"},\"limit\":10000}");
            List<JsonNode> got = new ArrayList<>();
            page.path("groups").forEach(g -> g.path("rows").forEach(got::add));
            rows.addAll(got);
            if (!page.path("truncated").asBoolean()) {
                return rows;
            }
            assertFalse(got.isEmpty(), page.toString());
            from = nanos(got.getLast()) + 1;
        }
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new java.util.HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static long nanos(JsonNode row) {
        Instant t = Instant.parse(row.path("time").asText());
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

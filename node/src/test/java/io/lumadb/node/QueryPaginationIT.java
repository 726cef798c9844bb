package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keyset pagination of queries under concurrent writes, on a real server: while writers insert,
 * delete and update documents, walking every page of a query returns no document twice, every
 * document that was not written during the walk exactly once, and the pages in sort order, whether
 * the query runs over an index, a scan or in {@code _id} order. Scores repeat about 60 times each,
 * so groups of equal scores cross page boundaries.
 */
@Timeout(60)
class QueryPaginationIT {

    private static final int DOCUMENTS = 3_000;
    private static final int SCORES = 50;
    private static final int MIN_SCORE = 10;
    private static final int LIMIT = 37;
    /** Inserts, deletes and patches in each bulk request of a writer. */
    private static final int WRITES_PER_KIND = 4;

    private static final String FILTER = "{\"score\":{\"$gte\":" + MIN_SCORE + "}}";

    private static InProcessServer server;
    private static TestHttp http;

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(Map.of());
        http = server.http();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** How the documents of the initial set are written while pages are walked. */
    private enum Role {
        /** Never written after loading. */
        STABLE,
        /** Deleted, each during one of the walks. */
        VOLATILE,
        /** Patched again and again, but never its score. */
        UPDATED
    }

    /** One walk: its request (without limit and after) and the order its pages must follow. */
    private record Walk(String name, String body, Comparator<Row> order, String expectedPlan) {}

    /** A returned document: its id and score. */
    private record Row(String id, int score) {}

    private static final Comparator<Row> BY_SCORE_THEN_ID =
            Comparator.comparingInt(Row::score).thenComparing(Row::id);
    private static final Comparator<Row> BY_ID = Comparator.comparing(Row::id);

    /** Every live document's score, as the writers leave it (the writers keep it current). */
    private final Map<String, Integer> live = new ConcurrentHashMap<>();

    private final Map<String, Role> roles = new HashMap<>();

    @Test
    void everyPageWalkReturnsEachStableMatchExactlyOnceInOrderDespiteConcurrentWrites() throws Exception {
        assertEquals(201, http.method("PUT", "/api/v1/pages", null, null).status());
        String c = "/api/v1/pages/scores";
        TestHttp.Response created = http.method("PUT", c, "application/json", "{\"shards\":4}");
        assertEquals(201, created.status(), created.toString());
        load(c);
        TestHttp.Response index = http.put(c + "/_indexes/by_score", "{\"fields\":[\"score\"]}");
        assertEquals(201, index.status(), index.toString());
        awaitReady(c, "by_score");

        String sorted = "{\"filter\":" + FILTER + ",\"sort\":[\"score\"]";
        List<Walk> walks = List.of(
                new Walk("planner's choice", sorted, BY_SCORE_THEN_ID, "index"),
                new Walk("hint scan", sorted + ",\"hint\":\"scan\"", BY_SCORE_THEN_ID, "scan"),
                new Walk("_id order", "{\"filter\":" + FILTER, BY_ID, null));

        List<String> volatileIds = new ArrayList<>();
        List<String> updatedIds = new ArrayList<>();
        roles.forEach((id, role) -> {
            if (role == Role.VOLATILE) {
                volatileIds.add(id);
            } else if (role == Role.UPDATED) {
                updatedIds.add(id);
            }
        });
        Collections.sort(volatileIds);
        Collections.sort(updatedIds);
        Collections.shuffle(volatileIds, new Random(42));
        int chunk = volatileIds.size() / walks.size();

        for (int w = 0; w < walks.size(); w++) {
            Walk walk = walks.get(w);
            // What must come back exactly once: every match that no writer touches during this walk,
            // including documents inserted during earlier walks.
            Map<String, Integer> before = new HashMap<>(live);
            List<String> toDelete = volatileIds.subList(w * chunk, (w + 1) * chunk);
            Set<String> untouched = new HashSet<>();
            before.forEach((id, score) -> {
                if (score >= MIN_SCORE && roles.get(id) != Role.UPDATED && !toDelete.contains(id)) {
                    untouched.add(id);
                }
            });
            Writers writers = new Writers(c, toDelete, updatedIds, "w" + w);
            List<Row> rows;
            long started = System.nanoTime();
            try {
                writers.start();
                rows = walk(c, walk);
                writers.assertWroteDuringTheWalk(walk.name());
            } finally {
                writers.stop();
            }
            writers.assertAllSucceeded();
            System.out.printf(
                    "%s: %d rows in %d ms, with %s%n",
                    walk.name(), rows.size(), (System.nanoTime() - started) / 1_000_000, writers);
            check(walk, rows, before, untouched, updatedIds, "nw" + w + "-");
        }

        // Quiet now: one more walk must return exactly the live matches, in order.
        List<Row> expected = live.entrySet().stream()
                .filter(e -> e.getValue() >= MIN_SCORE)
                .map(e -> new Row(e.getKey(), e.getValue()))
                .sorted(BY_SCORE_THEN_ID)
                .toList();
        assertEquals(expected, walk(c, walks.getFirst()), "a walk with no writes");
        assertEquals(
                expected.size(),
                query(c, "{\"filter\":" + FILTER + ",\"count\":true}")
                        .get("count")
                        .asInt());
    }

    private void check(
            Walk walk,
            List<Row> rows,
            Map<String, Integer> before,
            Set<String> untouched,
            List<String> updatedIds,
            String insertedNow) {
        Map<String, Integer> seen = new HashMap<>();
        for (Row row : rows) {
            seen.merge(row.id(), 1, Integer::sum);
            assertTrue(
                    before.containsKey(row.id()) || row.id().startsWith(insertedNow),
                    walk.name() + ": returned " + row + ", deleted before the walk began");
        }
        List<String> twice = seen.entrySet().stream()
                .filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
        assertEquals(List.of(), twice, walk.name() + ": ids returned more than once");
        List<String> missing =
                untouched.stream().filter(id -> !seen.containsKey(id)).sorted().toList();
        assertEquals(List.of(), missing, walk.name() + ": untouched matches never returned");
        // Patched documents kept their score, so their place in the order never moved either.
        List<String> missingUpdated = updatedIds.stream()
                .filter(id -> before.get(id) >= MIN_SCORE && !seen.containsKey(id))
                .toList();
        assertEquals(List.of(), missingUpdated, walk.name() + ": patched matches (score unchanged) never returned");
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            assertTrue(row.score() >= MIN_SCORE, walk.name() + ": returned a non-match " + row);
            if (i > 0) {
                assertTrue(
                        walk.order().compare(rows.get(i - 1), row) < 0,
                        walk.name() + ": out of order at " + i + ": " + rows.get(i - 1) + " then " + row);
            }
        }
        for (Row row : rows) {
            Integer scoreBefore = before.get(row.id());
            if (scoreBefore != null) {
                assertEquals(scoreBefore.intValue(), row.score(), walk.name() + ": no writer changes a score: " + row);
            }
        }
    }

    // ---- data

    private void load(String c) {
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < DOCUMENTS; i++) {
            String id = String.format("d%05d", i);
            int score = (i * 7) % SCORES;
            Role role = Role.values()[i % 3];
            roles.put(id, role);
            live.put(id, score);
            items.append(items.isEmpty() ? "[" : ",")
                    .append("{\"id\":\"")
                    .append(id)
                    .append("\",\"doc\":{\"score\":")
                    .append(score)
                    .append(",\"role\":\"")
                    .append(role.name().toLowerCase(java.util.Locale.ROOT))
                    .append("\",\"note\":0}}");
            if (i % 1000 == 999) {
                TestHttp.Response r = http.method(
                        "POST",
                        c + "/_bulk",
                        "application/json",
                        items.append(']').toString());
                assertEquals(200, r.status(), r.toString());
                assertFalse(r.json().get("errors").asBoolean(), r.toString());
                items.setLength(0);
            }
        }
        assertEquals(DOCUMENTS, http.get(c).json().get("documentCount").asInt());
    }

    private static void awaitReady(String c, String index) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            TestHttp.Response r = http.get(c + "/_indexes/" + index);
            assertEquals(200, r.status(), r.toString());
            String state = r.json().get("state").asText();
            if (state.equals("ready")) {
                return;
            }
            assertEquals("building", state, r.toString());
            if (System.nanoTime() > deadline) {
                fail("index " + index + " not ready after 30 s: " + r);
            }
            Thread.sleep(50);
        }
    }

    // ---- walking

    private static JsonNode query(String c, String body) {
        TestHttp.Response r = http.method("POST", c + "/_query", "application/json", body);
        assertEquals(200, r.status(), body + " -> " + r);
        return r.json();
    }

    /** Every page of {@code walk}, {@link #LIMIT} at a time, following {@code next}. */
    private static List<Row> walk(String c, Walk walk) {
        List<Row> rows = new ArrayList<>();
        String after = null;
        for (int page = 0; ; page++) {
            assertTrue(page < 1_000, walk.name() + ": too many pages");
            String body = walk.body() + ",\"limit\":" + LIMIT + ",\"explain\":true"
                    + (after == null ? "" : ",\"after\":" + TestHttp.JSON.valueToTree(after)) + "}";
            JsonNode answer = query(c, body);
            JsonNode documents = answer.get("documents");
            assertTrue(documents.size() <= LIMIT, walk.name() + ": page over the limit: " + documents.size());
            for (JsonNode d : documents) {
                JsonNode score = d.get("score");
                assertNotNull(score, walk.name() + ": no score in " + d);
                rows.add(new Row(d.get("_id").asText(), score.asInt()));
            }
            if (walk.expectedPlan() != null) {
                for (JsonNode shard : answer.get("explain").get("shards")) {
                    assertEquals(
                            walk.expectedPlan(),
                            shard.get("plan").asText(),
                            walk.name() + ": " + answer.get("explain"));
                }
            }
            JsonNode next = answer.get("next");
            if (next.isNull()) {
                return rows;
            }
            after = next.asText();
        }
    }

    // ---- writers

    /**
     * Three threads that, until stopped, each insert new documents, delete their share of {@code
     * toDelete} and patch random documents of {@code updated} (never their score), keeping {@link
     * #live} current. Every write must succeed.
     */
    private final class Writers {
        private final String c;
        private final List<String> toDelete;
        private final List<String> updated;
        private final String prefix;
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final AtomicLong inserts = new AtomicLong();
        private final AtomicLong deletes = new AtomicLong();
        private final AtomicLong patches = new AtomicLong();
        private final AtomicInteger nextDelete = new AtomicInteger();
        private final ExecutorService pool = Executors.newFixedThreadPool(3);
        private final List<Future<?>> running = new ArrayList<>();

        Writers(String c, List<String> toDelete, List<String> updated, String prefix) {
            this.c = c;
            this.toDelete = List.copyOf(toDelete);
            this.updated = List.copyOf(updated);
            this.prefix = prefix;
        }

        void start() {
            for (int t = 0; t < 3; t++) {
                int thread = t;
                running.add(pool.submit(() -> run(thread)));
            }
        }

        /** Each round is one bulk request of a few inserts, deletes and patches, so writes are many and mixed. */
        private void run(int thread) {
            Random random = new Random(thread * 7919L + prefix.hashCode());
            int k = 0;
            while (!stopping.get()) {
                StringBuilder items = new StringBuilder("[");
                Map<String, Integer> inserted = new HashMap<>();
                List<String> deleted = new ArrayList<>();
                for (int n = 0; n < WRITES_PER_KIND; n++) {
                    // Inserted ids sort after the initial ones ("n" > "d"), so the _id walk meets them too.
                    String id = "n" + prefix + "-" + thread + "-" + k++;
                    int score = random.nextInt(SCORES);
                    inserted.put(id, score);
                    items.append(items.length() > 1 ? "," : "")
                            .append("{\"op\":\"create\",\"id\":\"")
                            .append(id)
                            .append("\",\"doc\":{\"score\":")
                            .append(score)
                            .append(",\"role\":\"inserted\",\"note\":0}}");
                    int d = nextDelete.getAndIncrement();
                    if (d < toDelete.size()) {
                        deleted.add(toDelete.get(d));
                        items.append(",{\"op\":\"delete\",\"id\":\"")
                                .append(toDelete.get(d))
                                .append("\"}");
                    }
                    items.append(",{\"op\":\"patch\",\"id\":\"")
                            .append(updated.get(random.nextInt(updated.size())))
                            .append("\",\"doc\":{\"note\":")
                            .append(k)
                            .append(",\"extra\":\"")
                            .append("x".repeat(random.nextInt(50)))
                            .append("\"}}");
                }
                TestHttp.Response r = http.method(
                        "POST",
                        c + "/_bulk",
                        "application/json",
                        items.append(']').toString());
                if (r.status() != 200 || r.json().get("errors").asBoolean()) {
                    failures.add(r.toString());
                    stopping.set(true);
                    return;
                }
                live.putAll(inserted);
                deleted.forEach(live::remove);
                inserts.addAndGet(inserted.size());
                deletes.addAndGet(deleted.size());
                patches.addAndGet(WRITES_PER_KIND);
            }
        }

        void assertWroteDuringTheWalk(String walk) {
            assertTrue(
                    inserts.get() > 0 && deletes.get() > 0 && patches.get() > 0,
                    walk + ": the writers did not write during the walk: " + inserts + " inserts, " + deletes
                            + " deletes, " + patches + " patches");
        }

        /** Stops the writers and waits for them. */
        void stop() throws Exception {
            stopping.set(true);
            try {
                for (Future<?> f : running) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }

        void assertAllSucceeded() {
            assertEquals(List.of(), List.copyOf(failures), "writes that failed");
        }

        @Override
        public String toString() {
            return inserts + " inserts, " + deletes + " deletes, " + patches + " patches";
        }
    }
}

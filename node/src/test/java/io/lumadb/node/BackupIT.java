package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Online backup and (point-in-time) restore on real node processes: a backup taken under a write
 * load, downloaded over HTTP and checked against its manifest, restored into a fresh data
 * directory, must hold exactly the fold of the original node's change stream up to the
 * manifest's tokens, and a restore to a token or a time exactly the fold up to that point.
 */
@Timeout(240)
class BackupIT {

    private static final String DB = "/api/v1/bk";
    private static final String A = DB + "/a"; // 3 shards, secondary index on n
    private static final String B = DB + "/b"; // 2 shards
    private static final int THREADS = 3;

    private Path root;
    private final List<NodeProcess> nodes = new ArrayList<>();
    private final HttpClient raw =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** An acknowledged write: when it was acknowledged, and the version it got (-1 for deletes). */
    private record Acked(long ackedAtNanos, String coll, String id, String op, long version) {}

    /** One change of a change stream. */
    private record Change(
            int shard, long seq, long tsMs, String id, String op, long version, JsonNode after, String token) {}

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createTempDirectory("lumadb-backup-it");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (NodeProcess node : nodes) {
                node.close();
            }
        } finally {
            TestFiles.deleteRecursively(root);
        }
    }

    private NodeProcess node(String name) throws Exception {
        NodeProcess node = NodeProcess.builder(Files.createDirectories(root.resolve(name)))
                .name(name)
                .build();
        nodes.add(node);
        return node;
    }

    @Test
    void aBackupUnderLoadRestoresExactlyItsPositionAndPointsInTimeExactlyTheirs() throws Exception {
        NodeProcess original = node("original");
        original.start();
        TestHttp http = new TestHttp(original.port());
        assertEquals(201, http.method("PUT", DB, null, null).status());
        assertEquals(201, http.put(A, "{\"shards\":3}").status());
        assertEquals(201, http.put(B, "{\"shards\":2}").status());
        assertEquals(201, http.put(A + "/_indexes/by_n", "{\"fields\":[\"n\"]}").status());

        // ---- the load, with the backup in the middle
        ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> load = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            load.add(clients.submit(() -> write(http, thread, running, acked)));
        }
        awaitAcked(acked, 80, Duration.ofSeconds(30));
        long backupStart = System.nanoTime();
        TestHttp.Response created = http.method("POST", "/api/v1/_backups", null, null);
        assertEquals(201, created.status(), created.toString());
        ObjectNode manifest = (ObjectNode) created.json();
        awaitAcked(acked, acked.size() + 40, Duration.ofSeconds(20));
        running.set(false);
        clients.shutdown();
        assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));
        for (Future<?> f : load) {
            f.get();
        }
        assertTrue(acked.size() >= 120, "only " + acked.size() + " writes were acknowledged");

        assertEquals("lumadb-backup", manifest.get("format").asText());
        assertEquals(1, manifest.get("version").asInt());
        assertEquals("embedded", manifest.get("mode").asText());
        String id = manifest.get("id").asText();
        assertEquals(manifest, http.get("/api/v1/_backups/" + id).json());
        assertEquals(
                id,
                http.get("/api/v1/_backups")
                        .json()
                        .get("backups")
                        .get(0)
                        .get("id")
                        .asText());
        assertTrue(manifest.get("position").get("ordering").asLong() > 0, manifest.toString());
        Instant.parse(manifest.get("position").get("timestamp").asText());

        // ---- the original change streams, whole
        Map<String, List<Change>> streams = Map.of(A, changes(http, A), B, changes(http, B));

        // ---- download, verify, and the path rules
        Path download = Files.createDirectories(root.resolve("download"));
        long bytes = 0;
        for (JsonNode file : manifest.get("files")) {
            String path = file.get("path").asText();
            HttpResponse<byte[]> r = raw.send(
                    HttpRequest.newBuilder(URI.create(http.url("/api/v1/_backups/" + id + "/files/" + path)))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(
                    200, r.statusCode(), path + ": " + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(
                    "application/octet-stream",
                    r.headers().firstValue("Content-Type").orElse(""));
            assertEquals(
                    file.get("size").asLong(),
                    r.headers().firstValueAsLong("Content-Length").orElse(-1));
            assertEquals(file.get("sha256").asText(), sha256(r.body()), path);
            Path target = download.resolve(path);
            Files.createDirectories(target.getParent());
            Files.write(target, r.body());
            bytes += r.body().length;
        }
        assertTrue(bytes > 0);
        assertTrue(
                manifest.get("files").findValuesAsText("path").stream().anyMatch(p -> p.equals("rocksdb/CURRENT")),
                manifest.toString());
        assertProblem(http.get("/api/v1/_backups/" + id + "/files/../manifest.json"), 400, "invalid-backup-path");
        assertProblem(
                http.get("/api/v1/_backups/" + id + "/files/rocksdb/%2e%2e/%2e%2e/rocksdb/CURRENT"),
                400,
                "invalid-backup-path");
        assertProblem(
                http.get("/api/v1/_backups/" + id + "/files/rocksdb/LOCK-not-there"), 404, "backup-file-not-found");
        assertProblem(http.get("/api/v1/_backups/no-such-backup"), 404, "backup-not-found");
        original.stop(Duration.ofSeconds(20));

        // ---- a full restore: exactly the fold up to the manifest's tokens
        JsonNode tokens = manifest.get("position").get("collections");
        NodeProcess restored = restoredNode("restored", download, null);
        TestHttp r1 = new TestHttp(restored.port());
        for (String coll : List.of(A, B)) {
            ResumeToken token = ResumeToken.decode(tokens.get("bk/" + coll.substring(coll.lastIndexOf('/') + 1))
                    .asText());
            Predicate<Change> upTo = c -> c.seq() <= token.seqs()[c.shard()];
            Map<String, Change> expected = fold(streams.get(coll), upTo);
            assertEquals(summary(expected), summary(documents(r1, coll)), coll + " after a restore of the backup");
            // Every write acknowledged before the backup was asked for is in it.
            for (Acked a : acked) {
                if (a.coll().equals(coll) && a.ackedAtNanos() < backupStart) {
                    assertTrue(
                            streams.get(coll).stream()
                                    .filter(upTo)
                                    .anyMatch(c -> c.id().equals(a.id())
                                            && (a.version() < 0 ? c.op().equals("d") : c.version() == a.version())),
                            a + " was acknowledged before the backup but is not in it");
                }
            }
        }
        assertIndexAnswers(
                r1,
                fold(
                        streams.get(A),
                        c -> c.seq()
                                <= ResumeToken.decode(tokens.get("bk/a").asText())
                                        .seqs()[c.shard()]));
        restored.stop(Duration.ofSeconds(20));

        // ---- to a token in the middle of a's stream: the token of a change that ends an event (no
        // skips) and lies within the backup, the nearest such to the middle of the stream
        List<Change> aStream = streams.get(A);
        ResumeToken backedUpA = ResumeToken.decode(tokens.get("bk/a").asText());
        String middle = null;
        int best = Integer.MAX_VALUE;
        for (int i = 0; i < aStream.size(); i++) {
            ResumeToken t = ResumeToken.decode(aStream.get(i).token());
            boolean usable = true;
            for (int n = 0; n < t.shards(); n++) {
                usable &= t.skips()[n] == 0 && t.seqs()[n] <= backedUpA.seqs()[n];
            }
            if (usable && Math.abs(i - aStream.size() / 2) < best) {
                best = Math.abs(i - aStream.size() / 2);
                middle = aStream.get(i).token();
            }
        }
        assertNotNull(middle, "no token at an event boundary in the middle of the stream");
        ResumeToken mid = ResumeToken.decode(middle);
        NodeProcess toToken = restoredNode(
                "to-token", download, "{\"toToken\":{\"collection\":\"bk/a\",\"token\":\"" + middle + "\"}}");
        TestHttp r2 = new TestHttp(toToken.port());
        Map<String, Change> atToken = fold(aStream, c -> c.seq() <= mid.seqs()[c.shard()]);
        assertEquals(summary(atToken), summary(documents(r2, A)), "a after a restore to " + middle);
        assertIndexAnswers(r2, atToken);
        Path done = toToken.dataDir().resolve("restore-done.json");
        JsonNode summaryFile = TestHttp.JSON.readTree(Files.readString(done));
        assertEquals(
                "bk/a",
                summaryFile.get("target").get("toToken").get("collection").asText());
        assertFalse(Files.exists(toToken.dataDir().resolve("restore-target.json")));
        // A restart does not apply it again; putting the target back is refused.
        toToken.stop(Duration.ofSeconds(20));
        toToken.start();
        assertEquals(summary(atToken), summary(documents(new TestHttp(toToken.port()), A)));
        assertEquals(summaryFile, TestHttp.JSON.readTree(Files.readString(done)));
        toToken.stop(Duration.ofSeconds(20));
        Files.writeString(toToken.dataDir().resolve("restore-target.json"), "{\"toTime\":\"2020-01-01T00:00:00Z\"}");
        assertRefusesToStart(toToken, "restored already");

        // ---- to a time in the middle: every shard keeps its events up to the time
        long time = aStream.get(aStream.size() / 3).tsMs();
        NodeProcess toTime = restoredNode("to-time", download, "{\"toTime\":\"" + Instant.ofEpochMilli(time) + "\"}");
        TestHttp r3 = new TestHttp(toTime.port());
        for (String coll : List.of(A, B)) {
            ResumeToken backedUp = ResumeToken.decode(tokens.get("bk/" + coll.substring(coll.lastIndexOf('/') + 1))
                    .asText());
            Map<Integer, Boolean> passed = new HashMap<>();
            Map<String, Change> expected = fold(streams.get(coll), c -> {
                if (c.seq() > backedUp.seqs()[c.shard()] || passed.getOrDefault(c.shard(), false)) {
                    return false;
                }
                if (c.tsMs() > time) {
                    passed.put(c.shard(), true);
                    return false;
                }
                return true;
            });
            assertEquals(summary(expected), summary(documents(r3, coll)), coll + " after a restore to " + time);
        }
        toTime.stop(Duration.ofSeconds(20));

        // ---- a malformed target stops the start with a clear message
        NodeProcess malformed = node("malformed");
        copy(download, malformed.dataDir());
        Files.writeString(malformed.dataDir().resolve("restore-target.json"), "{\"toTime\": 5}");
        assertRefusesToStart(malformed, "restore-target.json");

        // ---- the node's copy can be deleted
        NodeProcess again = nodes.getFirst();
        again.start();
        TestHttp h = new TestHttp(again.port());
        assertEquals(204, h.delete("/api/v1/_backups/" + id).status());
        assertProblem(h.get("/api/v1/_backups/" + id), 404, "backup-not-found");
        assertEquals(0, h.get("/api/v1/_backups").json().get("backups").size());
    }

    /** Waits until {@code count} writes were acknowledged (the machine may be slow), at most {@code timeout}. */
    private static void awaitAcked(ConcurrentLinkedQueue<Acked> acked, int count, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acked.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** PUTs, merge-patches and deletes over 60 ids per collection until told to stop. */
    private static void write(TestHttp http, int thread, AtomicBoolean running, ConcurrentLinkedQueue<Acked> acked) {
        Random random = new Random(thread);
        int i = 0;
        while (running.get()) {
            i++;
            String coll = random.nextBoolean() ? A : B;
            String id = "d" + random.nextInt(60);
            int roll = random.nextInt(10);
            TestHttp.Response r;
            String op;
            if (roll < 6) {
                op = "put";
                r = http.put(
                        coll + "/" + id, "{\"n\":" + random.nextInt(20) + ",\"t\":" + thread + ",\"i\":" + i + "}");
            } else if (roll < 8) {
                op = "patch";
                r = http.method("PATCH", coll + "/" + id, "application/merge-patch+json", "{\"p\":" + i + "}");
            } else {
                op = "delete";
                r = http.delete(coll + "/" + id);
            }
            boolean deleted = op.equals("delete") && (r.status() == 200 || r.status() == 204);
            if (deleted) {
                acked.add(new Acked(System.nanoTime(), coll, id, op, -1));
            } else if (r.status() == 200 || r.status() == 201) {
                acked.add(new Acked(
                        System.nanoTime(),
                        coll,
                        id,
                        op,
                        r.json().get("_version").asLong()));
            } else {
                assertEquals(404, r.status(), r.toString());
            }
        }
    }

    /** The whole change stream of {@code coll}, pulled page by page from the beginning. */
    private static List<Change> changes(TestHttp http, String coll) throws Exception {
        List<Change> out = new ArrayList<>();
        String from = "beginning";
        while (true) {
            TestHttp.Response page = http.get(coll + "/_changes?limit=500&from=" + TestHttp.encode(from));
            assertEquals(200, page.status(), page.toString());
            String next = page.header("LumaDB-Next-Token");
            assertNotNull(next);
            if (page.body().isBlank()) {
                return out;
            }
            for (String line : page.body().split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode e = TestHttp.JSON.readTree(line);
                JsonNode source = e.get("source");
                out.add(new Change(
                        source.get("shard").asInt(),
                        source.get("seq").asLong(),
                        source.get("ts_ms").asLong(), // the commit time; the top-level ts_ms is when it was sent
                        source.get("id").asText(),
                        e.get("op").asText(),
                        source.path("version").asLong(),
                        e.get("after"),
                        e.get("token").asText()));
            }
            from = next;
        }
    }

    /** The documents of the stream's changes that {@code include} accepts, folded in stream order. */
    private static Map<String, Change> fold(List<Change> stream, Predicate<Change> include) {
        Map<String, Change> state = new TreeMap<>();
        for (Change c : stream) {
            if (!include.test(c)) {
                continue;
            }
            if (c.op().equals("d")) {
                state.remove(c.id());
            } else {
                state.put(c.id(), c);
            }
        }
        return state;
    }

    /** id -> version and body (without _id and _version), for comparison. */
    private static Map<String, String> summary(Map<String, ?> documents) {
        Map<String, String> out = new TreeMap<>();
        documents.forEach((id, d) -> {
            long version;
            JsonNode body;
            if (d instanceof Change c) {
                version = c.version();
                body = c.after();
            } else {
                body = (JsonNode) d;
                version = body.get("_version").asLong();
            }
            ObjectNode copy = ((ObjectNode) body).deepCopy();
            copy.remove("_id");
            copy.remove("_version");
            out.put(id, version + " " + new TreeMap<>(TestHttp.JSON.convertValue(copy, Map.class)));
        });
        return out;
    }

    /** Every document of {@code coll} as the node lists it. */
    private static Map<String, JsonNode> documents(TestHttp http, String coll) {
        TestHttp.Response r = http.get(coll + "/_docs?limit=1000");
        assertEquals(200, r.status(), r.toString());
        Map<String, JsonNode> out = new TreeMap<>();
        r.json().get("docs").forEach(d -> out.put(d.get("_id").asText(), d));
        return out;
    }

    /** The index of a is back and ready, and a query on it answers what the fold says. */
    private static void assertIndexAnswers(TestHttp http, Map<String, Change> expectedA) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            TestHttp.Response index = http.get(A + "/_indexes/by_n");
            assertEquals(200, index.status(), index.toString());
            if (index.json().get("state").asText().equals("ready")) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "index not ready: " + index);
            Thread.sleep(100);
        }
        for (int n : new int[] {3, 7, 11}) {
            TestHttp.Response q = http.method(
                    "POST", A + "/_query", "application/json", "{\"filter\":{\"n\":" + n + "},\"limit\":1000}");
            assertEquals(200, q.status(), q.toString());
            List<String> ids = new ArrayList<>();
            q.json().get("documents").forEach(d -> ids.add(d.get("_id").asText()));
            List<String> expected = new ArrayList<>();
            expectedA.forEach((id, c) -> {
                if (c.after().path("n").asInt(-1) == n) {
                    expected.add(id);
                }
            });
            ids.sort(null);
            assertEquals(expected, ids, "query n = " + n);
        }
    }

    /** A node on a copy of the downloaded backup, with {@code target} as restore-target.json (null: none). */
    private NodeProcess restoredNode(String name, Path download, String target) throws Exception {
        NodeProcess node = node(name);
        copy(download, node.dataDir());
        if (target != null) {
            Files.writeString(node.dataDir().resolve("restore-target.json"), target);
        }
        node.start();
        return node;
    }

    private static void copy(Path from, Path to) throws Exception {
        try (var files = Files.walk(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                Files.createDirectories(target.getParent());
                Files.copy(f, target);
            }
        }
    }

    private static void assertRefusesToStart(NodeProcess node, String message) throws Exception {
        node.launch(List.of());
        int exit = node.awaitExit(60);
        assertNotEquals(0, exit);
        String log = Files.readString(node.log());
        assertTrue(log.contains(message), "no '" + message + "' in the log:\n" + log);
    }

    private static void assertProblem(TestHttp.Response r, int status, String type) {
        assertEquals(status, r.status(), r.toString());
        assertTrue(r.json().get("type").asText().endsWith(":" + type), r.toString());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}

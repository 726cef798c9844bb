package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The change stream and live queries over real HTTP: SSE with Last-Event-ID resume, NDJSON pull
 * pages, live queries under a running writer, and overflow. Every delivered change is checked
 * against the shard's sequence: per shard, the (sequence number, index) pairs delivered must be
 * exactly the written ones, each once.
 */
@Timeout(240)
class ChangeStreamIT {

    private static InProcessServer server;
    private static TestHttp http;

    @BeforeAll
    static void start() throws Exception {
        // A small subscriber buffer, so that a consumer that does not read overflows quickly.
        // Pull pages of at most 1 MiB: a change with a large document and its pre-image is bigger.
        server = new InProcessServer(Map.of(
                "lumadb.cdc.buffer-size", 4, "lumadb.cdc.heartbeat", "1s", "lumadb.cdc.max-pull-bytes", "1 MiB"));
        http = server.http();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static String collection(String prefix, int shards) {
        return http.freshCollection(prefix, shards);
    }

    private static void put(String path, String id, String body) {
        http.putDocument(path, id, body);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Adds one delivered change to {@code seen}: key shard/seq/index; fails on a duplicate. */
    static JsonNode record(Map<String, String> seen, String data) throws Exception {
        JsonNode e = TestHttp.JSON.readTree(data);
        JsonNode source = e.get("source");
        String key = source.get("shard").asInt() + "/" + source.get("seq").asLong() + "/"
                + source.get("index").asInt();
        String previous = seen.put(
                key, source.get("id").asText() + "@" + source.get("version").asLong());
        assertEquals(null, previous, "delivered twice: " + key);
        return e;
    }

    /** The collection's current position: the token a caught-up subscriber's heartbeat carries. */
    static String position(TestHttp http, String coll) {
        TestHttp.Response now = http.get(coll + "/_changes?from=now&limit=1");
        assertEquals(200, now.status(), now.toString());
        return now.header("LumaDB-Next-Token");
    }

    /** Per shard, sequence numbers must run 1..n without a gap. */
    static void assertContiguous(Map<String, String> seen) {
        Map<Integer, TreeMap<Long, Integer>> perShard = new HashMap<>();
        for (String key : seen.keySet()) {
            String[] p = key.split("/");
            perShard.computeIfAbsent(Integer.parseInt(p[0]), k -> new TreeMap<>())
                    .merge(Long.parseLong(p[1]), 1, Integer::sum);
        }
        perShard.forEach((shard, seqs) -> {
            long expected = 1;
            for (long seq : seqs.keySet()) {
                assertEquals(expected++, seq, "gap in shard " + shard + ": " + seqs.keySet());
            }
        });
    }

    @Test
    void sseResumesAfterADroppedConnectionWithExactlyTheMissedChanges() throws Exception {
        String coll = collection("sse", 4);
        for (int i = 0; i < 40; i++) {
            put(coll, "d" + i, "{\"n\":" + i + "}");
        }
        Map<String, String> seen = new HashMap<>();
        String lastId;
        try (SseClient sse = new SseClient(http.url(coll + "/_changes?from=beginning"), null)) {
            assertEquals(200, sse.status());
            assertTrue(sse.contentType().startsWith("text/event-stream"), sse.contentType());
            SseClient.Event subscribed = sse.next();
            assertEquals("subscribed", subscribed.type());
            for (int i = 0; i < 25; i++) {
                SseClient.Event e = sse.nextNonHeartbeat();
                assertEquals("change", e.type());
                JsonNode change = record(seen, e.data());
                assertEquals("c", change.get("op").asText());
                assertEquals(e.id(), change.get("token").asText(), "the SSE id is the change's token");
            }
            lastId = sse.lastId();
        } // the connection drops here
        // While nobody listens: updates and deletes of some, new documents.
        for (int i = 0; i < 10; i++) {
            put(coll, "d" + i, "{\"n\":" + (100 + i) + "}");
            assertEquals(200, http.delete(coll + "/d" + (39 - i)).status());
            put(coll, "e" + i, "{\"n\":" + i + "}");
        }
        int total = 40 + 30;
        try (SseClient sse = new SseClient(http.url(coll + "/_changes"), lastId)) {
            assertEquals("subscribed", sse.next().type());
            while (seen.size() < total) {
                SseClient.Event e = sse.nextNonHeartbeat();
                assertNotNull(e, "stream ended early");
                assertEquals("change", e.type(), e.data());
                record(seen, e.data());
            }
            // Nothing more: the next item is a heartbeat carrying the same position.
            SseClient.Event quiet = sse.next();
            assertEquals("heartbeat", quiet.type(), quiet.data());
            assertEquals(
                    sse.lastId(),
                    TestHttp.JSON.readTree(quiet.data()).get("token").asText());
        }
        assertEquals(total, seen.size());
        assertContiguous(seen);
    }

    @Test
    void pullPagesWalkTheWholeStream() throws Exception {
        String coll = collection("pull", 3);
        for (int i = 0; i < 30; i++) {
            put(coll, "d" + i, "{\"n\":" + i + "}");
        }
        Map<String, String> seen = new HashMap<>();
        String token = "beginning";
        int pages = 0;
        while (true) {
            TestHttp.Response page = http.get(coll + "/_changes?limit=7&from=" + enc(token));
            assertEquals(200, page.status(), page.toString());
            assertTrue(page.contentType().startsWith("application/x-ndjson"), page.contentType());
            String next = page.header("LumaDB-Next-Token");
            assertNotNull(next);
            List<String> lines =
                    page.body().isEmpty() ? List.of() : List.of(page.body().split("\n"));
            assertTrue(lines.size() <= 7);
            for (String line : lines) {
                record(seen, line);
            }
            token = next;
            if (lines.isEmpty()) {
                break;
            }
            pages++;
        }
        assertEquals(30, seen.size());
        assertTrue(pages >= 5, "pages: " + pages);
        assertContiguous(seen);
    }

    @Test
    void pullPagesAreBoundedInBytesAndStillSkipNothing() throws Exception {
        String coll = http.freshDatabase("bytes") + "/c";
        assertEquals(201, http.put(coll, "{\"shards\":2,\"preImages\":true}").status());
        String big = "x".repeat(150_000);
        for (int i = 0; i < 12; i++) {
            put(coll, "d" + i, "{\"v\":1,\"s\":\"" + big + "\"}");
            put(coll, "d" + i, "{\"v\":2,\"s\":\"" + big + "\"}"); // an update: before and after
        }
        // One change bigger than a page: a 700 kB document replaced, with its pre-image.
        String huge = "y".repeat(700_000);
        put(coll, "huge", "{\"s\":\"" + huge + "\"}");
        put(coll, "huge", "{\"t\":\"" + huge + "\"}");
        long maxPage = 1024 * 1024;
        Map<String, String> seen = new HashMap<>();
        String token = "beginning";
        int pages = 0;
        boolean aloneOnItsPage = false;
        while (true) {
            TestHttp.Response page = http.get(coll + "/_changes?limit=100&from=" + enc(token));
            assertEquals(200, page.status(), page.toString());
            List<String> lines =
                    page.body().isEmpty() ? List.of() : List.of(page.body().split("\n"));
            long bytes = page.body().getBytes(StandardCharsets.UTF_8).length;
            assertTrue(
                    bytes <= maxPage || lines.size() == 1,
                    "a page of " + lines.size() + " changes and " + bytes + " bytes");
            aloneOnItsPage |= bytes > maxPage;
            JsonNode last = null;
            for (String line : lines) {
                last = record(seen, line);
            }
            String next = page.header("LumaDB-Next-Token");
            if (last != null) {
                assertEquals(last.get("token").asText(), next, "the next token is right after the last change");
            }
            if (lines.isEmpty()) {
                assertEquals(token.equals("beginning") ? next : token, next);
                break;
            }
            token = next;
            pages++;
        }
        assertEquals(26, seen.size(), "every change once");
        assertContiguous(seen);
        assertTrue(aloneOnItsPage, "the change larger than a page came alone");
        assertTrue(pages >= 5, "pages: " + pages);
    }

    /** Reads events until one that is not a heartbeat, for at most 20 s; null at the end of the stream. */
    private static SseClient.Event nextEvent(SseClient sse) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            SseClient.Event e = sse.next();
            if (e == null || !e.type().equals("heartbeat")) {
                return e;
            }
            assertTrue(System.nanoTime() < deadline, "only heartbeats for 20 s");
        }
    }

    /** Drops a collection or a database (its API path). */
    static void drop(TestHttp http, String path) {
        TestHttp.Response r = http.delete(path);
        assertEquals(200, r.status(), r.toString());
    }

    @Test
    void subscribersOfADroppedCollectionAreToldAndEndedOnEveryHttpTransport() throws Exception {
        String coll = collection("drop", 2);
        for (int i = 0; i < 3; i++) {
            put(coll, "d" + i, "{\"n\":" + i + "}");
        }
        String now = position(http, coll);
        try (SseClient changes = new SseClient(http.url(coll + "/_changes?from=beginning"), null);
                SseClient live = new SseClient(http.url(coll + "/_live"), null)) {
            assertEquals("subscribed", changes.next().type());
            for (int i = 0; i < 3; i++) {
                assertEquals("change", nextEvent(changes).type());
            }
            assertEquals("subscribed", live.next().type());
            for (int i = 0; i < 3; i++) {
                assertEquals("result", live.next().type());
            }
            assertEquals("ready", live.next().type());
            CompletableFuture<TestHttp.Response> longPoll =
                    CompletableFuture.supplyAsync(() -> http.get(coll + "/_changes?wait=25000&from=" + enc(now)));
            Thread.sleep(300);

            drop(http, coll);

            SseClient.Event dropped = nextEvent(changes);
            assertNotNull(dropped, "the change stream ended without a word");
            assertEquals("dropped", dropped.type(), dropped.data());
            JsonNode what = TestHttp.JSON.readTree(dropped.data());
            assertEquals(coll.split("/")[4], what.get("collection").asText());
            assertEquals(coll.split("/")[3], what.get("db").asText());
            assertEquals(null, changes.next(), "the stream ends after dropped");
            SseClient.Event liveDropped = nextEvent(live);
            assertNotNull(liveDropped, "the live query ended without a word");
            assertEquals("dropped", liveDropped.type(), liveDropped.data());
            assertEquals(null, live.next());
            TestHttp.Response poll = longPoll.get();
            assertEquals(410, poll.status(), poll.toString());
            assertTrue(poll.json().get("type").asText().endsWith(":collection-dropped"), poll.toString());
        }
        // The next page of a pull consumer: the collection is gone.
        TestHttp.Response gone = http.get(coll + "/_changes?from=" + enc(now));
        assertEquals(404, gone.status(), gone.toString());
        // Created again under the same name: the old position resumes nothing, on any transport.
        assertEquals(201, http.put(coll, "{\"shards\":2}").status());
        put(coll, "new", "{\"n\":1}");
        TestHttp.Response stale = http.get(coll + "/_changes?from=" + enc(now));
        assertEquals(410, stale.status(), stale.toString());
        assertTrue(stale.json().get("type").asText().endsWith(":collection-dropped"), stale.toString());
        try (SseClient again = new SseClient(http.url(coll + "/_changes"), now)) {
            assertEquals(410, again.status());
        }

        // Dropping the database ends its collections' subscribers too.
        String other = collection("dropdb", 1);
        put(other, "a", "{\"n\":1}");
        try (SseClient changes = new SseClient(http.url(other + "/_changes?from=now"), null)) {
            assertEquals("subscribed", changes.next().type());
            drop(http, other.substring(0, other.lastIndexOf('/')));
            SseClient.Event dropped = nextEvent(changes);
            assertNotNull(dropped);
            assertEquals("dropped", dropped.type(), dropped.data());
        }
    }

    @Test
    void aLongPollWaitsForTheNextChange() throws Exception {
        String coll = collection("poll", 2);
        put(coll, "early", "{\"n\":0}");
        String from = http.get(coll + "/_changes?from=beginning").header("LumaDB-Next-Token");
        // Longer than the server's default request timeout (20 s): the route extends it.
        CompletableFuture<TestHttp.Response> waiting =
                CompletableFuture.supplyAsync(() -> http.get(coll + "/_changes?wait=25000&from=" + enc(from)));
        Thread.sleep(300);
        put(coll, "late", "{\"n\":-1}");
        TestHttp.Response page = waiting.get();
        assertEquals(200, page.status(), page.toString());
        JsonNode change = TestHttp.JSON.readTree(page.body().split("\n")[0]);
        assertEquals("late", change.get("after").get("_id").asText());
        assertEquals(change.get("token").asText(), page.header("LumaDB-Next-Token"));
        // Nothing comes: the wait runs out and the page is empty, at the same position.
        TestHttp.Response quiet = http.get(coll + "/_changes?wait=300&from=" + enc(page.header("LumaDB-Next-Token")));
        assertEquals("", quiet.body());
        assertEquals(page.header("LumaDB-Next-Token"), quiet.header("LumaDB-Next-Token"));
    }

    @Test
    void aFilterSelectsChangesButThePositionStillAdvances() throws Exception {
        String coll = collection("filter", 2);
        for (int i = 0; i < 20; i++) {
            put(coll, "d" + i, "{\"n\":" + i + "}");
        }
        // Non-matching changes after the last matching one on every shard: the page's position
        // must be past them too, or the unfiltered read below would return them.
        for (int i = 0; i < 10; i++) {
            put(coll, "e" + i, "{\"n\":-1}");
        }
        String filter = enc("{\"n\":{\"$gte\":15}}");
        TestHttp.Response page = http.get(coll + "/_changes?from=beginning&limit=100&filter=" + filter);
        assertEquals(200, page.status(), page.toString());
        String[] lines = page.body().split("\n");
        assertEquals(5, lines.length, page.body());
        // From the returned position nothing is left, filtered or not.
        TestHttp.Response rest = http.get(coll + "/_changes?from=" + enc(page.header("LumaDB-Next-Token")));
        assertEquals("", rest.body());
    }

    @Test
    void badPositionsAndFiltersAreRefusedWithAPointer() throws Exception {
        String coll = collection("bad", 2);
        String other = collection("other", 2);
        TestHttp.Response garbage = http.get(coll + "/_changes?from=notatoken");
        assertEquals(400, garbage.status(), garbage.toString());
        assertTrue(garbage.json().get("type").asText().endsWith(":invalid-stream-request"), garbage.toString());
        String foreign = http.get(other + "/_changes").header("LumaDB-Next-Token");
        TestHttp.Response wrong = http.get(coll + "/_changes?from=" + enc(foreign));
        assertEquals(400, wrong.status(), wrong.toString());
        TestHttp.Response badFilter = http.get(coll + "/_changes?filter=" + enc("{\"n\":{\"$bogus\":1}}"));
        assertEquals(400, badFilter.status(), badFilter.toString());
        TestHttp.Response missing = http.get(coll + "x/_changes");
        assertEquals(404, missing.status(), missing.toString());
        TestHttp.Response liveWithoutSse = http.get(coll + "/_live");
        assertEquals(406, liveWithoutSse.status(), liveWithoutSse.toString());
    }

    @Test
    void anOverflowingSubscriberGetsItsTokenAndResumesWithoutLoss() throws Exception {
        String coll = collection("slow", 2);
        String big = "{\"pad\":\"" + "x".repeat(200_000) + "\"}";
        Map<String, String> seen = new HashMap<>();
        SseClient.Event overflow = null;
        try (SseClient slow = new SseClient(http.url(coll + "/_changes"), null)) {
            assertEquals("subscribed", slow.next().type());
            // The client reads nothing while 60 large changes are written: the socket fills, the
            // server's stream stops pulling, the subscriber's buffer (4 events) overflows.
            for (int i = 0; i < 60; i++) {
                put(coll, "d" + i, big);
            }
            SseClient.Event e;
            while ((e = slow.nextNonHeartbeat()) != null) {
                if (e.type().equals("overflow")) {
                    overflow = e;
                    break;
                }
                assertEquals("change", e.type());
                record(seen, e.data());
            }
            assertNotNull(overflow, "no overflow after " + seen.size() + " changes");
            assertEquals(null, slow.next(), "the stream ends after overflow");
        }
        String token = TestHttp.JSON.readTree(overflow.data()).get("token").asText();
        try (SseClient again = new SseClient(http.url(coll + "/_changes?from=" + enc(token)), null)) {
            assertEquals("subscribed", again.next().type());
            while (seen.size() < 60) {
                SseClient.Event e = again.nextNonHeartbeat();
                assertEquals("change", e.type(), e.data());
                record(seen, e.data());
            }
        }
        assertContiguous(seen);
        Set<String> ids = new HashSet<>();
        seen.values().forEach(v -> ids.add(v.split("@")[0]));
        assertEquals(60, ids.size());
    }

    @Test
    void aLiveQueryUnderAWriterSeesEveryMatchingChangeExactlyOnceFromItsSnapshot() throws Exception {
        String coll = collection("live", 4);
        RandomWriter writer = RandomWriter.start(http, coll, 7, 60, 5, 200);
        Thread.sleep(500);
        String filter = enc("{\"n\":{\"$gte\":50}}");
        LiveModel clientModel = new LiveModel();
        Map<String, Long> model = clientModel.documents;
        try (SseClient live = new SseClient(http.url(coll + "/_live?filter=" + filter), null)) {
            assertEquals(200, live.status());
            assertEquals("subscribed", live.next().type());
            SseClient.Event e;
            while (!(e = live.next()).type().equals("ready")) {
                assertEquals("result", e.type());
                JsonNode doc = TestHttp.JSON.readTree(e.data());
                assertTrue(doc.get("n").asInt() >= 50);
                model.put(doc.get("_id").asText(), doc.get("_version").asLong());
            }
            assertEquals(
                    model.size(), TestHttp.JSON.readTree(e.data()).get("count").asInt());
            Thread.sleep(1000);
            writer.stop();
            // Read until caught up: a heartbeat at the collection's position once the writer is done
            // (an earlier heartbeat only means the writer paused).
            String end = position(http, coll);
            while (!(e = live.next()).type().equals("heartbeat")
                    || !TestHttp.JSON.readTree(e.data()).get("token").asText().equals(end)) {
                if (e.type().equals("heartbeat")) {
                    continue;
                }
                clientModel.apply(e.type(), TestHttp.JSON.readTree(e.data()));
            }
        }
        // The client's model equals the collection's result now.
        TestHttp.Response now = http.method(
                "POST", coll + "/_query", "application/json", "{\"filter\":{\"n\":{\"$gte\":50}},\"limit\":1000}");
        Map<String, Long> expected = new HashMap<>();
        now.json()
                .get("documents")
                .forEach(d ->
                        expected.put(d.get("_id").asText(), d.get("_version").asLong()));
        assertEquals(expected, model);
        assertTrue(!expected.isEmpty());
    }

    @Test
    void resumeAfterARestartDeliversExactlyTheMissedChanges() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-restart");
        try {
            String token;
            Map<String, String> seen = new HashMap<>();
            String coll;
            try (InProcessServer first = InProcessServer.on(dir, Map.of())) {
                TestHttp h = first.http();
                coll = h.freshDatabase("restart") + "/c";
                assertEquals(201, h.put(coll, "{\"shards\":2}").status());
                for (int i = 0; i < 10; i++) {
                    assertEquals(
                            201, h.put(coll + "/d" + i, "{\"n\":" + i + "}").status());
                }
                TestHttp.Response page = h.get(coll + "/_changes?from=beginning&limit=6");
                for (String line : page.body().split("\n")) {
                    record(seen, line);
                }
                token = page.header("LumaDB-Next-Token");
            }
            try (InProcessServer second = InProcessServer.on(dir, Map.of())) {
                TestHttp h = second.http();
                for (int i = 10; i < 15; i++) {
                    assertEquals(
                            201, h.put(coll + "/d" + i, "{\"n\":" + i + "}").status());
                }
                TestHttp.Response page = h.get(coll + "/_changes?limit=100&from=" + enc(token));
                assertEquals(200, page.status(), page.toString());
                for (String line : page.body().split("\n")) {
                    record(seen, line);
                }
            }
            assertEquals(15, seen.size());
            assertContiguous(seen);
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    /** The changes of one pull page, recorded into {@code seen}; returns the page's next token. */
    private static String pullInto(String url, Map<String, String> seen, Set<Integer> shards) throws Exception {
        TestHttp.Response page = http.get(url);
        assertEquals(200, page.status(), page.toString());
        for (String line : page.body().split("\n")) {
            if (!line.isBlank()) {
                shards.add(record(seen, line).get("source").get("shard").asInt());
            }
        }
        return page.header("LumaDB-Next-Token");
    }

    private static void commit(String coll, String group, String body) {
        TestHttp.Response r = http.method("POST", coll + "/_changes/groups/" + group, "application/json", body);
        assertEquals(200, r.status(), r.toString());
    }

    @Test
    void consumerGroupMembersSplitTheShardsAndResumeFromTheirCommittedPositions() throws Exception {
        String coll = collection("groups", 4);
        for (int i = 0; i < 40; i++) {
            put(coll, "d" + i, "{\"n\":" + i + "}");
        }
        assertEquals(
                "null",
                http.get(coll + "/_changes/groups/g1").json().get("token").toString(),
                "no commit yet");
        Map<String, String> seen = new HashMap<>();
        Set<Integer> shards0 = new HashSet<>();
        Set<Integer> shards1 = new HashSet<>();
        String t0 = pullInto(coll + "/_changes?group=g1&member=0&members=2&limit=1000", seen, shards0);
        String t1 = pullInto(coll + "/_changes?group=g1&member=1&members=2&limit=1000", seen, shards1);
        assertEquals(Set.of(0, 2), shards0);
        assertEquals(Set.of(1, 3), shards1);
        assertEquals(40, seen.size(), "the members' shares make up the collection, each change once");
        commit(coll, "g1", "{\"token\":\"" + t0 + "\",\"member\":0,\"members\":2}");
        commit(coll, "g1", "{\"token\":\"" + t1 + "\",\"member\":1,\"members\":2}");

        for (int i = 0; i < 20; i++) {
            put(coll, "e" + i, "{\"n\":" + i + "}");
        }
        // Without a position, each member resumes at the group's committed one: only the new changes.
        shards0.clear();
        shards1.clear();
        t0 = pullInto(coll + "/_changes?group=g1&member=0&members=2&limit=1000", seen, shards0);
        t1 = pullInto(coll + "/_changes?group=g1&member=1&members=2&limit=1000", seen, shards1);
        assertEquals(60, seen.size());
        assertTrue(Set.of(0, 2).containsAll(shards0) && Set.of(1, 3).containsAll(shards1), shards0 + " " + shards1);
        assertContiguous(seen);
        commit(coll, "g1", "{\"token\":\"" + t0 + "\",\"member\":0,\"members\":2}");
        commit(coll, "g1", "{\"token\":\"" + t1 + "\",\"member\":1,\"members\":2}");
        // The whole group is now caught up: a consumer of the whole group gets nothing.
        String position =
                http.get(coll + "/_changes/groups/g1").json().get("token").asText();
        assertEquals(position(http, coll), position);
        TestHttp.Response rest = http.get(coll + "/_changes?group=g1");
        assertEquals("", rest.body().strip(), rest.toString());

        // Bad requests.
        String[][] bad = {
            {"GET", coll + "/_changes?member=0&members=2", null},
            {"GET", coll + "/_changes?group=g1&member=2&members=2", null},
            {"GET", coll + "/_changes?group=a%20b", null},
            {"POST", coll + "/_changes/groups/g1", "{\"token\":\"AAAA\"}", "/token"},
            {"POST", coll + "/_changes/groups/g1", "{\"token\":\"" + t0 + "\",\"extra\":1}"},
            {"POST", coll + "/_changes/groups/g1", "{\"member\":0}"},
            {"POST", coll + "/_changes/groups/-g", "{\"token\":\"" + t0 + "\"}"},
        };
        for (String[] b : bad) {
            TestHttp.Response r = http.method(b[0], b[1], b[2] == null ? null : "application/json", b[2]);
            assertEquals(400, r.status(), b[1] + " " + b[2] + " -> " + r);
            assertEquals(
                    "urn:lumadb:problem:invalid-stream-request",
                    r.json().get("type").asText(),
                    r.toString());
            if (b.length > 3) {
                assertEquals(b[3], r.json().path("field").asText(), "the problem points at the field: " + r);
            }
        }
    }

    @Test
    void preImagesAreACollectionSettingThatSubscribersMayTurnOff() throws Exception {
        String with = http.freshDatabase("pre") + "/with";
        TestHttp.Response created = http.put(with, "{\"shards\":1,\"preImages\":true}");
        assertEquals(201, created.status(), created.toString());
        assertTrue(created.json().get("preImages").asBoolean());
        assertEquals(409, http.put(with, "{\"preImages\":false}").status(), "fixed at creation");
        put(with, "a", "{\"n\":1}");
        put(with, "a", "{\"n\":2}");
        String[] lines =
                http.get(with + "/_changes?from=beginning").body().strip().split("\n");
        assertEquals("null", TestHttp.JSON.readTree(lines[0]).get("before").toString(), "a create has none");
        assertEquals(1, TestHttp.JSON.readTree(lines[1]).get("before").get("n").asInt());
        String off = http.get(with + "/_changes?from=beginning&before=false")
                .body()
                .strip()
                .split("\n")[1];
        assertEquals("null", TestHttp.JSON.readTree(off).get("before").toString());

        String without = http.freshDatabase("nopre") + "/without";
        assertEquals(201, http.put(without, "{\"shards\":1}").status());
        assertTrue(!http.get(without).json().get("preImages").asBoolean());
        put(without, "a", "{\"n\":1}");
        put(without, "a", "{\"n\":2}");
        String update =
                http.get(without + "/_changes?from=beginning").body().strip().split("\n")[1];
        assertEquals("null", TestHttp.JSON.readTree(update).get("before").toString());
        TestHttp.Response refused = http.get(without + "/_changes?from=beginning&before=true");
        assertEquals(400, refused.status(), refused.toString());
        assertTrue(refused.json().get("detail").asText().contains("preImages"), refused.toString());
        assertEquals(
                400,
                http.put(http.freshDatabase("badpre") + "/c", "{\"preImages\":1}")
                        .status());
    }

    /** Subscribes to a limited live query and loads its initial window into {@code model}. */
    private static SseClient openWindow(String url, LiveModel model) throws Exception {
        SseClient live = new SseClient(url, null);
        assertEquals(200, live.status());
        assertEquals("subscribed", live.next().type());
        model.documents.clear();
        SseClient.Event e;
        while (!(e = live.next()).type().equals("ready")) {
            model.result(TestHttp.JSON.readTree(e.data()));
        }
        assertEquals(5, model.documents.size());
        return live;
    }

    @Test
    void aLiveQueryWithSortAndLimitKeepsTheClientsWindowEqualToTheQuery() throws Exception {
        String coll = collection("window", 4);
        for (int i = 0; i < 40; i++) {
            put(coll, "d" + i, "{\"n\":" + i + "}");
        }
        RandomWriter writer = RandomWriter.start(http, coll, 17, 40, 6, 300);
        String query = "{\"filter\":{\"n\":{\"$gte\":20}},\"sort\":[\"-n\"],\"limit\":5}";
        JsonNode q = TestHttp.JSON.readTree(query);
        String params = "filter=" + enc(q.get("filter").toString()) + "&sort="
                + enc(q.get("sort").toString()) + "&limit=5";
        LiveModel windowModel = new LiveModel();
        Map<String, Long> window = windowModel.documents;
        int events = 0;
        int overflows = 0;
        SseClient live = openWindow(http.url(coll + "/_live?" + params), windowModel);
        try {
            Thread.sleep(1500);
            writer.stop();
            String end = position(http, coll);
            SseClient.Event e;
            while (!(e = live.next()).type().equals("heartbeat")
                    || !TestHttp.JSON.readTree(e.data()).get("token").asText().equals(end)) {
                if (e.type().equals("heartbeat")) {
                    continue;
                }
                if (e.type().equals("overflow")) {
                    // This server's buffers are tiny (4 shard events) and a refill pauses the stream:
                    // a client then subscribes again, and a limited query starts with a fresh window.
                    overflows++;
                    live.close();
                    live = openWindow(http.url(coll + "/_live?" + params), windowModel);
                    continue;
                }
                windowModel.apply(e.type(), TestHttp.JSON.readTree(e.data()));
                assertTrue(window.size() <= 5, "the window never holds more than the limit: " + window);
                events++;
            }
        } finally {
            live.close();
        }
        assertTrue(overflows < 20, "overflowed " + overflows + " times");
        Map<String, Long> expected = new HashMap<>();
        http.method("POST", coll + "/_query", "application/json", query)
                .json()
                .get("documents")
                .forEach(d ->
                        expected.put(d.get("_id").asText(), d.get("_version").asLong()));
        assertEquals(expected, window);
        assertTrue(events > 10, "the window moved while the writer ran: " + events);
    }
}

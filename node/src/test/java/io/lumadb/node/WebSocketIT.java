package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The multiplexed WebSocket {@code /api/v1/_ws} with the JDK's WebSocket client: change
 * streams, live queries and topics on one connection, resume from a token on a new connection,
 * a slow socket that overflows its subscriptions (never the writers), and the protocol's errors.
 */
@Timeout(240)
class WebSocketIT {

    private static final int BULKS = 40;
    private static InProcessServer server;
    private static TestHttp http;

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(Map.of(
                "lumadb.cdc.buffer-size",
                16,
                "lumadb.cdc.heartbeat",
                "1s",
                "lumadb.metrics.shard-sample-interval",
                "200ms"));
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

    /** "/api/v1/db/c" → {"db":"db","collection":"c"} fields of a subscribe message. */
    private static String target(String path) {
        String[] p = path.split("/");
        return "\"db\":\"" + p[3] + "\",\"collection\":\"" + p[4] + "\"";
    }

    private static void put(String path, String id, String body) {
        http.putDocument(path, id, body);
    }

    private static String event(JsonNode m) {
        return m.path("event").asText();
    }

    @Test
    void oneConnectionCarriesAChangeStreamALiveQueryAndATopic() throws Exception {
        String coll = collection("ws", 3);
        for (int i = 0; i < 10; i++) {
            put(coll, "d" + i, "{\"n\":" + i + "}");
        }
        try (WsClient ws = new WsClient(server.port())) {
            ws.send("{\"op\":\"subscribe\",\"sub\":\"c\",\"type\":\"changes\"," + target(coll)
                    + ",\"from\":\"beginning\"}");
            ws.send("{\"op\":\"subscribe\",\"sub\":\"l\",\"type\":\"live\"," + target(coll)
                    + ",\"filter\":{\"n\":{\"$gte\":5}}}");
            ws.send("{\"op\":\"subscribe\",\"sub\":\"t\",\"type\":\"topic\",\"topic\":\"ws-news\"}");
            assertEquals("subscribed", event(ws.next("c")));
            assertEquals("subscribed", event(ws.next("l")));
            JsonNode topicSubscribed = ws.next("t");
            assertEquals("subscribed", event(topicSubscribed), topicSubscribed.toString());

            LiveModel liveModel = new LiveModel();
            Map<String, Long> model = liveModel.documents;
            JsonNode m;
            while (!event(m = ws.next("l")).equals("ready")) {
                assertEquals("result", event(m));
                liveModel.result(m.get("document"));
            }
            assertEquals(5, model.size());
            assertEquals(5, m.get("count").asInt());

            // A writer and a publisher while all three subscriptions run.
            for (int i = 0; i < 10; i++) {
                put(coll, "d" + i, "{\"n\":" + (i + 3) + "}"); // d2..d9 now match, d0, d1 do not
                ws.send("{\"op\":\"publish\",\"topic\":\"ws-news\",\"message\":{\"k\":" + i + "}}");
            }
            assertEquals(200, http.delete(coll + "/d9").status());
            for (int k = 0; k < 10; k++) {
                assertEquals("published", event(ws.next(null)));
            }
            TestHttp.Response published =
                    http.method("POST", "/api/v1/_topics/ws-news", "application/json", "{\"k\":10}");
            assertEquals(202, published.status(), published.toString());

            Map<String, String> seen = new HashMap<>();
            while (seen.size() < 21) {
                m = ws.nextEvent("c");
                assertEquals("change", event(m), m.toString());
                JsonNode envelope = ChangeStreamIT.record(seen, m.get("data").toString());
                assertEquals(m.get("token").asText(), envelope.get("token").asText());
            }
            ChangeStreamIT.assertContiguous(seen);

            java.util.Set<String> finalIds = java.util.Set.of("d2", "d3", "d4", "d5", "d6", "d7", "d8");
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!model.keySet().equals(finalIds)) {
                assertTrue(System.nanoTime() < deadline, "the live model " + model + " never became " + finalIds);
                m = ws.nextEvent("l");
                liveModel.apply(event(m), m);
            }
            for (int k = 0; k <= 10; k++) {
                m = ws.nextEvent("t");
                assertEquals("message", event(m), m.toString());
                assertEquals(k, m.get("data").get("k").asInt());
            }

            ws.send("{\"op\":\"unsubscribe\",\"sub\":\"c\"}");
            while (!event(m = ws.next("c")).equals("closed")) {
                assertTrue(event(m).equals("heartbeat"), m.toString());
            }
            assertEquals("unsubscribed", m.get("reason").asText());
            // The other subscriptions go on; the id is free again.
            put(coll, "d0", "{\"n\":50}");
            m = ws.nextEvent("l");
            assertEquals("added", event(m));
            assertEquals("d0", m.get("id").asText());
            ws.send("{\"op\":\"subscribe\",\"sub\":\"c\",\"type\":\"topic\",\"topic\":\"ws-news\"}");
            assertEquals("subscribed", event(ws.next("c")));
        }
    }

    @Test
    void aChangeStreamResumesOnANewConnectionWithExactlyTheMissedChanges() throws Exception {
        String coll = collection("wsresume", 2);
        Map<String, String> seen = new HashMap<>();
        String token;
        try (WsClient ws = new WsClient(server.port())) {
            ws.send("{\"op\":\"subscribe\",\"sub\":\"s\",\"type\":\"changes\"," + target(coll) + ",\"from\":\"now\"}");
            assertEquals("subscribed", event(ws.next("s")));
            for (int i = 0; i < 20; i++) {
                put(coll, "d" + i, "{\"n\":" + i + "}");
            }
            JsonNode m = null;
            for (int i = 0; i < 12; i++) {
                m = ws.nextEvent("s");
                ChangeStreamIT.record(seen, m.get("data").toString());
            }
            token = m.get("token").asText();
            ws.abort(); // the connection drops without a goodbye
        }
        for (int i = 0; i < 20; i++) {
            put(coll, "e" + i, "{\"n\":" + i + "}");
        }
        try (WsClient ws = new WsClient(server.port())) {
            ws.send("{\"op\":\"subscribe\",\"sub\":\"s\",\"type\":\"changes\"," + target(coll) + ",\"from\":\"" + token
                    + "\"}");
            assertEquals("subscribed", event(ws.next("s")));
            while (seen.size() < 40) {
                JsonNode m = ws.nextEvent("s");
                assertEquals("change", event(m), m.toString());
                ChangeStreamIT.record(seen, m.get("data").toString());
            }
            JsonNode quiet = ws.next("s", Duration.ofSeconds(5));
            assertEquals("heartbeat", event(quiet), "nothing after the 40 changes: " + quiet);
        }
        ChangeStreamIT.assertContiguous(seen);
    }

    @Test
    void aSocketThatIsNotReadOverflowsItsSubscriptionsAndNeverSlowsTheWriter() throws Exception {
        String coll = collection("wsslow", 1);
        List<String> tokens = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        try (WsClient ws = new WsClient(server.port(), true)) {
            ws.send("{\"op\":\"subscribe\",\"sub\":\"s\",\"type\":\"changes\"," + target(coll) + ",\"from\":\"now\"}");
            Thread.sleep(500);
            // Big bulk writes, acknowledged while the client reads nothing: several MB of
            // changes fill the socket, then the subscription's buffer (4 shard events).
            StringBuilder filler = new StringBuilder("x".repeat(2000));
            for (int b = 0; b < BULKS; b++) {
                StringBuilder bulk = new StringBuilder();
                for (int i = 0; i < 400; i++) {
                    bulk.append("{\"op\":\"put\",\"id\":\"b")
                            .append(b)
                            .append('-')
                            .append(i)
                            .append("\",\"doc\":{\"f\":\"")
                            .append(filler)
                            .append("\"}}\n");
                }
                TestHttp.Response r = http.method("POST", coll + "/_bulk", "application/x-ndjson", bulk.toString());
                assertEquals(200, r.status(), r.toString());
            }
            // Every write was acknowledged although nobody read. The node reports the overflow in
            // its metrics; only then does the client start reading.
            awaitOverflowMetric();
            ws.resume();
            assertEquals("subscribed", event(ws.next("s")));
            JsonNode m;
            // Heartbeats (every second here) may come between changes while the writes are slow.
            while (!event(m = nextEventWithin(ws, "s")).equals("overflow")) {
                assertEquals("change", event(m), m.toString());
                ChangeStreamIT.record(seen, m.get("data").toString());
                tokens.add(m.get("token").asText());
            }
            assertEquals("overflow", event(m), m.toString());
            assertTrue(seen.size() < BULKS * 400, "overflowed before all changes were sent: " + seen.size());
            String resumeAt = m.get("token").asText();
            assertEquals(tokens.isEmpty() ? resumeAt : tokens.getLast(), resumeAt);
            assertEquals("closed", event(ws.next("s")));
            // Resume on the same connection from the overflow's token: nothing lost, nothing twice.
            ws.send("{\"op\":\"subscribe\",\"sub\":\"s2\",\"type\":\"changes\"," + target(coll) + ",\"from\":\""
                    + resumeAt + "\"}");
            assertEquals("subscribed", event(ws.next("s2")));
            while (seen.size() < BULKS * 400) {
                m = ws.nextEvent("s2");
                assertEquals("change", event(m), m.toString());
                ChangeStreamIT.record(seen, m.get("data").toString());
            }
        }
        ChangeStreamIT.assertContiguous(seen);
    }

    /** Waits until {@code GET /metrics} shows a change-stream subscriber closed for overflowing. */
    private static void awaitOverflowMetric() throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (String line : http.get("/metrics").body().split("\n")) {
                if (line.startsWith("lumadb_cdc_overflows ")
                        && Double.parseDouble(line.substring(line.indexOf(' ') + 1)) >= 1) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("lumadb_cdc_overflows never reached 1");
    }

    @Test
    void subscriptionsOfADroppedCollectionGetDroppedThenClosed() throws Exception {
        String coll = collection("wsdrop", 2);
        put(coll, "a", "{\"n\":1}");
        try (WsClient ws = new WsClient(server.port())) {
            ws.send("{\"op\":\"subscribe\",\"sub\":\"c\",\"type\":\"changes\"," + target(coll) + "}");
            ws.send("{\"op\":\"subscribe\",\"sub\":\"l\",\"type\":\"live\"," + target(coll) + "}");
            ws.send("{\"op\":\"subscribe\",\"sub\":\"w\",\"type\":\"live\"," + target(coll)
                    + ",\"sort\":[\"n\"],\"limit\":5}");
            assertEquals("subscribed", event(ws.next("c")));
            for (String live : List.of("l", "w")) {
                assertEquals("subscribed", event(ws.next(live)));
                assertEquals("result", event(ws.next(live)));
                assertEquals("ready", event(ws.next(live)));
            }
            ChangeStreamIT.drop(http, coll);
            for (String sub : List.of("c", "l", "w")) {
                JsonNode dropped = nextEventWithin(ws, sub);
                assertEquals("dropped", event(dropped), dropped.toString());
                assertEquals(coll.split("/")[4], dropped.get("collection").asText());
                JsonNode closed = ws.next(sub);
                assertEquals("closed", event(closed), closed.toString());
            }
            // The connection goes on; the same name created again is a new collection.
            assertEquals(201, http.put(coll, "{\"shards\":2}").status());
            ws.send("{\"op\":\"subscribe\",\"sub\":\"c\",\"type\":\"changes\"," + target(coll) + "}");
            assertEquals("subscribed", event(ws.next("c")));
            put(coll, "b", "{\"n\":2}");
            JsonNode change = ws.nextEvent("c");
            assertEquals("change", event(change), change.toString());
            assertEquals("b", change.get("data").get("source").get("id").asText());
        }
    }

    /** The next message of {@code sub} that is not a heartbeat, within 20 s (heartbeats come every second). */
    private static JsonNode nextEventWithin(WsClient ws, String sub) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            JsonNode m = ws.next(sub);
            if (!event(m).equals("heartbeat")) {
                return m;
            }
            assertTrue(System.nanoTime() < deadline, "only heartbeats for 20 s on " + sub);
        }
    }

    /** The value of gauge {@code name} in {@code GET /metrics}. */
    private static double metric(String name) {
        for (String line : http.get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }

    private static void awaitMetric(String name, java.util.function.DoublePredicate test, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!test.test(metric(name))) {
            assertTrue(System.nanoTime() < deadline, what + ": " + name + " stayed at " + metric(name));
            Thread.sleep(200);
        }
    }

    @Test
    void aClientThatSendsRequestsWithoutReadingTheRepliesIsDisconnectedWithAnErrorCode() throws Exception {
        String coll = collection("wsdeaf", 1);
        // Tests run one at a time: once the earlier ones' subscriptions have closed, this one's is the only one.
        awaitMetric("lumadb_cdc_subscriptions", v -> v == 0, "earlier subscriptions did not close");
        java.util.concurrent.CompletableFuture<Integer> closeCode = new java.util.concurrent.CompletableFuture<>();
        java.net.http.WebSocket socket = java.net.http.HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .buildAsync(
                        java.net.URI.create("ws://127.0.0.1:" + server.port() + "/api/v1/_ws"),
                        new java.net.http.WebSocket.Listener() {
                            @Override
                            public void onOpen(java.net.http.WebSocket webSocket) {
                                // No request(n): nothing is read until the test asks.
                            }

                            @Override
                            public java.util.concurrent.CompletionStage<?> onClose(
                                    java.net.http.WebSocket webSocket, int statusCode, String reason) {
                                closeCode.complete(statusCode);
                                return null;
                            }

                            @Override
                            public void onError(java.net.http.WebSocket webSocket, Throwable error) {
                                closeCode.completeExceptionally(error);
                            }
                        })
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
        try {
            socket.sendText("{\"op\":\"subscribe\",\"sub\":\"c\",\"type\":\"changes\"," + target(coll) + "}", true)
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            awaitMetric("lumadb_cdc_subscriptions", v -> v == 1, "the subscription never opened");
            // Pings with a 64 kB ref: the pongs fill the socket, then the server's reply queue.
            String ping = "{\"op\":\"ping\",\"ref\":\"" + "r".repeat(64_000) + "\"}";
            Thread sender = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 3000; i++) {
                    try {
                        socket.sendText(ping, true).get(60, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        return; // the server closed the connection
                    }
                }
            });
            // The server gives up on the connection: its subscription ends although the client is
            // still connected and reads nothing.
            awaitMetric("lumadb_cdc_subscriptions", v -> v == 0, "the connection's subscription was not freed");
            socket.request(Long.MAX_VALUE); // now read: pongs, then the close frame
            assertEquals(1011, closeCode.get(30, java.util.concurrent.TimeUnit.SECONDS));
            sender.join(60_000);
        } finally {
            socket.abort();
        }
        // The node serves other connections as before.
        try (WsClient ws = new WsClient(server.port())) {
            ws.send("{\"op\":\"ping\",\"ref\":\"p\"}");
            assertEquals("pong", event(ws.next("p")));
        }
    }

    @Test
    void badRequestsGetErrorEventsAndTheConnectionStaysUsable() throws Exception {
        String coll = collection("wsbad", 1);
        TestHttp.Response plain = http.get("/api/v1/_ws");
        assertEquals(426, plain.status(), plain.toString());
        assertEquals("upgrade-required", plain.json().get("type").asText().replace("urn:lumadb:problem:", ""));
        try (WsClient ws = new WsClient(server.port())) {
            String[][] cases = {
                {"not json", null, "invalid-json"},
                {"[1]", null, "not-an-object"},
                {"{\"op\":\"dance\",\"sub\":\"x\"}", "x", "invalid-ws-message"},
                {"{\"sub\":\"x\"}", "x", "invalid-ws-message"},
                {"{\"op\":\"subscribe\",\"type\":\"changes\"}", null, "invalid-ws-message"},
                {"{\"op\":\"subscribe\",\"sub\":\"x\",\"type\":\"movies\"}", "x", "invalid-ws-message"},
                {"{\"op\":\"subscribe\",\"sub\":\"x\",\"type\":\"changes\"}", "x", "invalid-ws-message"},
                {
                    "{\"op\":\"subscribe\",\"sub\":\"x\",\"type\":\"changes\",\"db\":\"nope\",\"collection\":\"c\"}",
                    "x",
                    "database-not-found"
                },
                {
                    "{\"op\":\"subscribe\",\"sub\":\"x\",\"type\":\"changes\"," + target(coll) + ",\"from\":\"AAAA\"}",
                    "x",
                    "invalid-stream-request"
                },
                {
                    "{\"op\":\"subscribe\",\"sub\":\"x\",\"type\":\"live\"," + target(coll)
                            + ",\"filter\":{\"$bad\":1}}",
                    "x",
                    "invalid-stream-request"
                },
                {"{\"op\":\"subscribe\",\"sub\":\"x\",\"type\":\"topic\",\"topic\":\"a/b\"}", "x", "invalid-topic"},
                {"{\"op\":\"publish\",\"topic\":\"t\"}", null, "invalid-ws-message"},
                {"{\"op\":\"unsubscribe\",\"sub\":\"ghost\"}", "ghost", "subscription-not-found"},
            };
            for (String[] c : cases) {
                ws.send(c[0]);
                JsonNode m = ws.next(c[1]);
                assertEquals("error", event(m), c[0] + " -> " + m);
                assertEquals(c[2], m.get("type").asText().replace("urn:lumadb:problem:", ""), c[0] + " -> " + m);
                assertFalse(m.get("detail").asText().isBlank());
            }
            ws.send("{\"op\":\"subscribe\",\"sub\":\"dup\",\"type\":\"topic\",\"topic\":\"t\"}");
            assertEquals("subscribed", event(ws.next("dup")));
            ws.send("{\"op\":\"subscribe\",\"sub\":\"dup\",\"type\":\"topic\",\"topic\":\"t\"}");
            JsonNode dup = ws.next("dup");
            assertEquals("error", event(dup));
            assertTrue(dup.get("detail").asText().contains("already exists"), dup.toString());
            ws.send("{\"op\":\"ping\",\"ref\":\"p\"}");
            assertEquals("pong", event(ws.next("p")));
        }
    }

    @Test
    void aLiveQueryOverWebSocketUnderAWriterEndsEqualToTheQuery() throws Exception {
        String coll = collection("wslive", 4);
        RandomWriter writer = RandomWriter.start(http, coll, 11, 50, 5, 200);
        Thread.sleep(300);
        LiveModel liveModel = new LiveModel();
        Map<String, Long> model = liveModel.documents;
        try (WsClient ws = new WsClient(server.port())) {
            ws.send("{\"op\":\"subscribe\",\"sub\":\"l\",\"type\":\"live\"," + target(coll)
                    + ",\"filter\":{\"n\":{\"$lt\":30}}}");
            assertEquals("subscribed", event(ws.next("l")));
            JsonNode m;
            while (!event(m = ws.next("l")).equals("ready")) {
                liveModel.result(m.get("document"));
            }
            Thread.sleep(800);
            writer.stop();
            // Until caught up: a heartbeat at the collection's position (earlier ones: the writer paused).
            String end = ChangeStreamIT.position(http, coll);
            while (!event(m = ws.next("l")).equals("heartbeat")
                    || !m.get("token").asText().equals(end)) {
                if (event(m).equals("heartbeat")) {
                    continue;
                }
                liveModel.apply(event(m), m);
            }
        }
        Map<String, Long> expected = new HashMap<>();
        http.method("POST", coll + "/_query", "application/json", "{\"filter\":{\"n\":{\"$lt\":30}},\"limit\":1000}")
                .json()
                .get("documents")
                .forEach(d ->
                        expected.put(d.get("_id").asText(), d.get("_version").asLong()));
        assertEquals(expected, model);
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Journal retention: with {@code delete-events-on-snapshot}, a position whose events were
 * deleted is answered with {@code history lost} on every transport (HTTP 410 on pull, an {@code
 * error} event on SSE and WebSocket), never skipped; {@code from=beginning} starts at the oldest
 * kept event.
 */
@Timeout(180)
class RetentionIT {

    private static InProcessServer server;
    private static TestHttp http;

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(Map.of(
                "lumadb.shards.snapshot-every", 5,
                "lumadb.shards.delete-events-on-snapshot", "on",
                "lumadb.cdc.heartbeat", "1s"));
        http = server.http();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static String token(TestHttp.Response page) {
        assertEquals(200, page.status(), page.toString());
        return page.header("LumaDB-Next-Token");
    }

    @Test
    void aPositionWhoseEventsWereDeletedIsReportedAsHistoryLostOnEveryTransport() throws Exception {
        String coll = http.freshDatabase("retain") + "/c";
        assertEquals(201, http.put(coll, "{\"shards\":1}").status());
        assertEquals(201, http.put(coll + "/d0", "{\"n\":0}").status());
        String afterFirst = token(http.get(coll + "/_changes?from=beginning&limit=1"));
        for (int i = 1; i <= 40; i++) {
            assertEquals(201, http.put(coll + "/d" + i, "{\"n\":" + i + "}").status());
        }
        // Snapshots every 5 events delete those older than the two newest snapshots, in the background.
        long deadline = System.nanoTime() + 30_000_000_000L;
        long oldest;
        do {
            TestHttp.Response first = http.get(coll + "/_changes?from=beginning&limit=1");
            assertEquals(200, first.status(), first.toString());
            oldest = TestHttp.JSON
                    .readTree(first.body())
                    .get("source")
                    .get("seq")
                    .asLong();
            if (oldest > 2) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "events were never deleted");
            Thread.sleep(200);
        } while (true);
        assertTrue(oldest > 25 && oldest <= 32, "kept between 2 and 3 snapshots' worth: oldest " + oldest);

        // Pull: 410 with a problem that says what to do.
        TestHttp.Response pull = http.get(coll + "/_changes?from=" + afterFirst);
        assertEquals(410, pull.status(), pull.toString());
        assertEquals("urn:lumadb:problem:history-lost", pull.json().get("type").asText());
        assertTrue(pull.json().get("detail").asText().contains("retention"), pull.toString());

        // SSE: subscribed, then an error event, and the stream ends; nothing is delivered.
        try (SseClient sse = new SseClient(http.url(coll + "/_changes"), afterFirst)) {
            assertEquals("subscribed", sse.next().type());
            SseClient.Event error = sse.nextNonHeartbeat();
            assertEquals("error", error.type(), error.toString());
            JsonNode data = TestHttp.JSON.readTree(error.data());
            assertEquals("urn:lumadb:problem:history-lost", data.get("type").asText());
            assertEquals(410, data.get("status").asInt());
            assertEquals(null, sse.next(), "the stream ends after history-lost");
        }

        // WebSocket: the same error event, then the subscription closes.
        try (WsClient ws = new WsClient(server.port())) {
            String[] p = coll.split("/");
            ws.send("{\"op\":\"subscribe\",\"sub\":\"s\",\"type\":\"changes\",\"db\":\"" + p[3]
                    + "\",\"collection\":\"c\",\"from\":\"" + afterFirst + "\"}");
            assertEquals("subscribed", ws.next("s").get("event").asText());
            JsonNode error = ws.nextEvent("s");
            assertEquals("error", error.get("event").asText(), error.toString());
            assertEquals("urn:lumadb:problem:history-lost", error.get("type").asText());
            assertEquals("closed", ws.next("s").get("event").asText());
        }

        // from=beginning starts at the oldest kept event and runs without a gap to the newest.
        TestHttp.Response all = http.get(coll + "/_changes?from=beginning&limit=100");
        String[] lines = all.body().strip().split("\n");
        long expected = oldest;
        for (String line : lines) {
            assertEquals(
                    expected++,
                    TestHttp.JSON.readTree(line).get("source").get("seq").asLong());
        }
        assertEquals(42, expected, "through the newest event (seq 41)");
    }
}

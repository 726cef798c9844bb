package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.WsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A live window query over SSE (and the WebSocket) across a {@code kill -9} of the node: the subscriber resumes from
 * the token of the last window it saw and gets, from the restarted node, the update of that window
 * (a late point written before the crash) and every window that closed while it was away, with
 * the points acknowledged before the crash in them.
 */
@Timeout(180)
class TimeSeriesLiveIT {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final String QUERY =
            "{\"measurement\":\"m\",\"fields\":[\"v\"],\"window\":\"1s\"," + "\"aggregates\":[\"sum\",\"count\"]}";

    @Test
    void aLiveWindowSubscriptionResumesAcrossAKill9() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-ts-live");
        NodeProcess node = NodeProcess.builder(dir).build();
        try {
            node.start();
            run(node);
        } finally {
            try {
                node.close();
            } finally {
                TestFiles.deleteRecursively(dir);
            }
        }
    }

    private static void write(TestHttp http, String lines) {
        TestHttp.Response r = http.method("POST", "/api/v2/write?bucket=live/m&precision=ns", "text/plain", lines);
        assertEquals(204, r.status(), r.toString());
    }

    private static String live(TestHttp http) {
        return http.url("/api/v1/live/m/_tsquery/live?grace=300ms&query=" + TestHttp.encode(QUERY));
    }

    /** The next event of {@code type} for the window starting at {@code start}, skipping others. */
    private static JsonNode await(SseClient sse, String type, long start) throws Exception {
        String wanted = io.lumadb.timeseries.query.TsTime.format(start);
        for (int i = 0; i < 200; i++) {
            SseClient.Event e = sse.nextNonHeartbeat();
            assertFalse(e.type().equals("error"), e.toString());
            JsonNode data = TestHttp.JSON.readTree(e.data());
            if (e.type().equals(type) && data.path("start").asText().equals(wanted)) {
                assertEquals(e.id(), data.path("token").asText());
                return data;
            }
        }
        throw new AssertionError("no " + type + " for the window at " + wanted);
    }

    private static double sum(JsonNode window) {
        assertEquals(1, window.path("groups").size(), window.toString());
        return window.at("/groups/0/values/v/sum").asDouble();
    }

    private void run(NodeProcess node) throws Exception {
        TestHttp http = new TestHttp(node.port());
        assertEquals(201, http.method("PUT", "/api/v1/live", null, null).status());
        assertEquals(
                201,
                http.put("/api/v1/live/m", "{\"kind\":\"timeseries\",\"shards\":2}")
                        .status());

        String token;
        long w;
        try (SseClient sse = new SseClient(live(http), null)) {
            assertEquals(200, sse.status());
            assertEquals("subscribed", sse.next().type());
            // A window two seconds ahead, so it has not closed when its points arrive.
            w = (System.currentTimeMillis() * 1_000_000L / SECOND + 2) * SECOND;
            write(http, "m,host=a v=1 " + (w + 1) + "\nm,host=b v=2 " + (w + 2) + "\nm,host=a v=3 " + (w + 3));
            JsonNode first = await(sse, "window", w);
            assertEquals(3, first.at("/groups/0/values/v/count").asInt(), first.toString());
            assertEquals(6.0, sum(first));
            token = first.path("token").asText();
        }
        // Away from here: a late point for the window seen, and points for a window ahead.
        write(http, "m,host=c v=4 " + (w + 500_000_000L));
        long ahead = w + 2 * SECOND;
        write(http, "m,host=a v=10 " + ahead);
        node.kill9();
        node.start();
        http = new TestHttp(node.port());

        try (SseClient sse = new SseClient(live(http), token)) {
            assertEquals(200, sse.status());
            assertEquals("subscribed", sse.next().type());
            JsonNode update = await(sse, "update", w);
            assertEquals(10.0, sum(update), "the late point acknowledged before the crash is in the update");
            assertEquals(4, update.at("/groups/0/values/v/count").asInt());
            JsonNode missed = await(sse, "window", ahead);
            assertEquals(10.0, sum(missed));
            assertTrue(node.starts() >= 2);
        }

        // The same query over the WebSocket, resumed from the same token: the same deliveries.
        try (WsClient ws = new WsClient(node.port())) {
            ws.send("{\"op\":\"subscribe\",\"sub\":\"w\",\"type\":\"windows\",\"db\":\"live\","
                    + "\"collection\":\"m\",\"grace\":\"300ms\",\"query\":" + QUERY + ",\"from\":\"" + token
                    + "\"}");
            assertEquals(
                    "subscribed",
                    ws.next("w", Duration.ofSeconds(30)).path("event").asText());
            JsonNode update = awaitWs(ws, "update", w);
            assertEquals(10.0, sum(update));
            assertEquals(10.0, sum(awaitWs(ws, "window", ahead)));
            // A query that cannot be live is refused on the subscription, with its pointer.
            ws.send("{\"op\":\"subscribe\",\"sub\":\"bad\",\"type\":\"windows\",\"db\":\"live\","
                    + "\"collection\":\"m\",\"query\":{\"window\":\"1s\",\"aggregates\":[\"mean\"],"
                    + "\"fill\":\"linear\"}}");
            JsonNode refused = ws.next("bad", Duration.ofSeconds(30));
            assertEquals("error", refused.path("event").asText(), refused.toString());
            assertTrue(refused.toString().contains("fill"), refused.toString());
        }
    }

    /** Like {@link #await} over the WebSocket subscription {@code w}. */
    private static JsonNode awaitWs(WsClient ws, String type, long start) throws Exception {
        String wanted = io.lumadb.timeseries.query.TsTime.format(start);
        for (int i = 0; i < 200; i++) {
            JsonNode m = ws.next("w", Duration.ofSeconds(30));
            assertFalse(m.path("event").asText().equals("error"), m.toString());
            if (m.path("event").asText().equals(type)
                    && m.path("start").asText().equals(wanted)) {
                return m;
            }
        }
        throw new AssertionError("no " + type + " for the window at " + wanted + " over the WebSocket");
    }
}

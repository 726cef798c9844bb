package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestHttp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.sse.EventSource;
import okhttp3.sse.EventSourceListener;
import okhttp3.sse.EventSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pub/sub topics over HTTP: POST publishes, SSE subscribes (read here with OkHttp's SSE client,
 * an independent implementation of the EventSource protocol).
 */
@Timeout(180)
class TopicsIT {

    private static final int BUFFER = 32;
    private static InProcessServer server;
    private static TestHttp http;
    private static OkHttpClient okhttp;

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(Map.of(
                "lumadb.topics.buffer-size", BUFFER,
                "lumadb.topics.max-message-bytes", "64KiB",
                "lumadb.topics.heartbeat", "1s"));
        http = server.http();
        okhttp = new OkHttpClient.Builder().readTimeout(0, TimeUnit.SECONDS).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (okhttp != null) {
            okhttp.dispatcher().executorService().shutdownNow();
            okhttp.connectionPool().evictAll();
        }
        if (server != null) {
            server.close();
        }
    }

    /** One event as OkHttp delivered it; type "closed" or "failure" at the end. */
    record Event(String type, String data) {}

    /** An SSE subscription whose listener may be made to stall (then OkHttp stops reading). */
    static final class Subscriber implements AutoCloseable {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final CountDownLatch stall;
        final EventSource source;

        Subscriber(String topic, CountDownLatch stall) {
            this.stall = stall;
            Request request = new Request.Builder()
                    .url(http.url("/api/v1/_topics/" + topic))
                    .header("Accept", "text/event-stream")
                    .build();
            source = EventSources.createFactory(okhttp).newEventSource(request, new EventSourceListener() {
                @Override
                public void onEvent(EventSource es, String id, String type, String data) {
                    events.add(new Event(type, data));
                    if (type.equals("message") && stall != null) {
                        try {
                            stall.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }

                @Override
                public void onClosed(EventSource es) {
                    events.add(new Event("closed", ""));
                }

                @Override
                public void onFailure(EventSource es, Throwable t, Response response) {
                    events.add(new Event(
                            "failure",
                            (response == null ? "" : response.code() + " ") + (t == null ? "" : t.toString())));
                }
            });
        }

        Event next() throws InterruptedException {
            Event e = events.poll(20, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("no event within 20 s");
            }
            return e;
        }

        Event nextNonHeartbeat() throws InterruptedException {
            Event e;
            while ((e = next()).type().equals("heartbeat")) {
                // quiet
            }
            return e;
        }

        @Override
        public void close() {
            source.cancel();
        }
    }

    private static void publish(String topic, String json) {
        TestHttp.Response r = http.method("POST", "/api/v1/_topics/" + topic, "application/json", json);
        assertEquals(202, r.status(), r.toString());
    }

    @Test
    void subscribedMeansListening() throws Exception {
        // Publishing right after `subscribed` must reach the subscriber, every time.
        for (int round = 0; round < 20; round++) {
            String topic = "ready-" + round;
            try (Subscriber s = new Subscriber(topic, null)) {
                Event subscribed = s.next();
                assertEquals("subscribed", subscribed.type(), subscribed.toString());
                assertEquals("{\"topic\":\"" + topic + "\"}", subscribed.data());
                publish(topic, "{\"round\":" + round + "}");
                assertEquals(new Event("message", "{\"round\":" + round + "}"), s.nextNonHeartbeat());
            }
        }
    }

    @Test
    void everySubscriberGetsEveryMessageInPublishOrder() throws Exception {
        List<Subscriber> subscribers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Subscriber s = new Subscriber("fanout", null);
                subscribers.add(s);
                assertEquals("subscribed", s.next().type());
            }
            for (int n = 0; n < 100; n++) {
                publish("fanout", "{\"n\": " + n + ", \"text\": \"caf\\u00e9\"}");
            }
            for (Subscriber s : subscribers) {
                for (int n = 0; n < 100; n++) {
                    assertEquals(new Event("message", "{\"n\":" + n + ",\"text\":\"café\"}"), s.nextNonHeartbeat());
                }
            }
        } finally {
            subscribers.forEach(Subscriber::close);
        }
    }

    @Test
    void aStalledSubscriberOverflowsWhileTheOthersGetEverything() throws Exception {
        CountDownLatch stall = new CountDownLatch(1);
        int messages = 300;
        String filler = "y".repeat(60_000);
        try (Subscriber slow = new Subscriber("flood", stall);
                Subscriber fast = new Subscriber("flood", null)) {
            assertEquals("subscribed", slow.next().type());
            assertEquals("subscribed", fast.next().type());
            for (int n = 0; n < messages; n++) {
                publish("flood", "{\"n\":" + n + ",\"f\":\"" + filler + "\"}");
            }
            for (int n = 0; n < messages; n++) {
                Event e = fast.nextNonHeartbeat();
                assertEquals("message", e.type());
                assertTrue(e.data().startsWith("{\"n\":" + n + ","), e.data().substring(0, 20));
            }
            stall.countDown();
            int received = 0;
            Event e;
            while ((e = slow.nextNonHeartbeat()).type().equals("message")) {
                assertTrue(e.data().startsWith("{\"n\":" + received + ","), "in order, without gaps until overflow");
                received++;
            }
            assertEquals("overflow", e.type(), e.toString());
            assertTrue(e.data().contains("lumadb.topics.buffer-size"), e.data());
            assertTrue(received < messages, "the stalled subscriber cannot have received all " + received);
            assertEquals("closed", slow.next().type());
        }
    }

    @Test
    void badRequestsAreRefusedWithProblems() {
        TestHttp.Response notSse = http.get("/api/v1/_topics/t");
        assertEquals(406, notSse.status(), notSse.toString());
        assertEquals("not-acceptable", notSse.json().get("type").asText().replace("urn:lumadb:problem:", ""));
        TestHttp.Response badName = http.method("POST", "/api/v1/_topics/a%20b", "application/json", "1");
        assertEquals(400, badName.status(), badName.toString());
        assertEquals("invalid-topic", badName.json().get("type").asText().replace("urn:lumadb:problem:", ""));
        TestHttp.Response badGet = http.method("GET", "/api/v1/_topics/-x", null, null, "Accept", "text/event-stream");
        assertEquals(400, badGet.status(), badGet.toString());
        assertEquals("invalid-topic", badGet.json().get("type").asText().replace("urn:lumadb:problem:", ""));
        TestHttp.Response notJson = http.method("POST", "/api/v1/_topics/t", "application/json", "{\"a\":");
        assertEquals(400, notJson.status(), notJson.toString());
        assertEquals("invalid-topic", notJson.json().get("type").asText().replace("urn:lumadb:problem:", ""));
        assertTrue(notJson.json().get("detail").asText().contains("not JSON"), notJson.toString());
        TestHttp.Response text = http.method("POST", "/api/v1/_topics/t", "text/plain", "hi");
        assertEquals(415, text.status(), text.toString());
        TestHttp.Response big =
                http.method("POST", "/api/v1/_topics/t", "application/json", "\"" + "z".repeat(70_000) + "\"");
        assertEquals(413, big.status(), big.toString());
        TestHttp.Response put = http.method("PUT", "/api/v1/_topics/t", "application/json", "1");
        assertEquals(405, put.status(), put.toString());
    }
}

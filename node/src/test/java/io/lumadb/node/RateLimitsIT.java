package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.WsClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rate limits on a real node with security on and small budgets: a principal's 429 with
 * Retry-After and its recovery, the failed-login budget of an address, and the streams one user
 * may hold open (SSE and WebSocket), given back when a stream closes.
 */
@Timeout(120)
class RateLimitsIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";
    private static InProcessServer node;
    private static TestHttp admin;
    private static String collection;

    @BeforeAll
    static void start() throws Exception {
        Map<String, Object> s = new HashMap<>();
        s.put("lumadb.security.enabled", true);
        s.put("lumadb.security.admin-password", ADMIN_PASSWORD);
        s.put("lumadb.security.password-hash.memory", "1 MiB");
        s.put("lumadb.security.password-hash.iterations", 1);
        // The test's requests all come from 127.0.0.1.
        s.put("lumadb.http.rate-limits.limit-loopback", true);
        s.put("lumadb.http.rate-limits.per-principal.requests-per-second", 2);
        s.put("lumadb.http.rate-limits.per-principal.burst", 6);
        s.put("lumadb.http.rate-limits.failed-logins.per-minute", 30);
        s.put("lumadb.http.rate-limits.failed-logins.burst", 2);
        s.put("lumadb.http.rate-limits.max-subscriptions-per-principal", 2);
        // A client that went away is noticed when the server next writes to it: a heartbeat.
        s.put("lumadb.cdc.heartbeat", "500ms");
        node = new InProcessServer(s);
        admin = node.http().asUser("admin", ADMIN_PASSWORD);
        collection = "/api/v1/rl/c";
        assertEquals(201, admin.put("/api/v1/rl", "{}").status());
        assertEquals(201, admin.put(collection, "{\"shards\":1}").status());
        for (String user : new String[] {"ada", "watcher"}) {
            assertEquals(
                    201,
                    admin.put(
                                    "/api/v1/_security/users/" + user,
                                    "{\"password\":\"" + user + "-pw-1234\",\"roles\":[\"read\"]}")
                            .status());
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    private static long retryAfter(TestHttp.Response r) {
        return Long.parseLong(r.header("Retry-After"));
    }

    @Test
    void aPrincipalOverItsBudgetGets429WithRetryAfterAndRecoversAfterWaiting() throws Exception {
        TestHttp ada = node.http().asUser("ada", "ada-pw-1234");
        TestHttp.Response r;
        int answered = 0;
        while ((r = ada.get(collection + "/_docs")).status() == 200) {
            answered++;
            assertTrue(answered <= 10, "the budget of 6 (and 2 a second) ran out");
        }
        assertTrue(answered >= 6, "the burst was served first: " + answered);
        assertEquals(429, r.status(), r.toString());
        assertEquals("urn:lumadb:problem:rate-limited", r.json().path("type").asText());
        assertTrue(r.json().path("detail").asText().contains("user 'ada'"), r.toString());
        assertEquals(1, retryAfter(r), "a token every half second: rounded up, 1 s");
        assertEquals(
                200,
                node.http()
                        .asUser("watcher", "watcher-pw-1234")
                        .get(collection + "/_docs")
                        .status(),
                "another user has a budget of its own");
        Thread.sleep(retryAfter(r) * 1000);
        assertEquals(200, ada.get(collection + "/_docs").status(), "after Retry-After it is served again");
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!admin.get("/metrics").body().contains("lumadb_http_rate_limited_total{kind=\"principal\"}")) {
            assertTrue(System.nanoTime() < until, "/metrics counts the refusal");
            Thread.sleep(500);
        }
    }

    @Test
    void failedLoginsOfAnAddressAreBudgetedAndRecover() throws Exception {
        TestHttp wrong = node.http().asUser("ada", "not-her-password");
        assertEquals(401, wrong.get(collection + "/_docs").status());
        assertEquals(401, wrong.get(collection + "/_docs").status());
        TestHttp.Response refused = node.http().asUser("ada", "ada-pw-1234").get(collection + "/_docs");
        assertEquals(429, refused.status(), "even the right password waits: " + refused);
        assertEquals(
                "urn:lumadb:problem:too-many-failed-logins",
                refused.json().path("type").asText());
        long wait = retryAfter(refused);
        assertTrue(wait >= 1 && wait <= 2, "30 a minute: a token every 2 s; Retry-After " + wait);
        assertEquals(200, node.http().get("/health").status(), "requests without credentials go on");
        Thread.sleep(wait * 1000);
        assertEquals(
                200,
                node.http()
                        .asUser("ada", "ada-pw-1234")
                        .get(collection + "/_docs")
                        .status());
    }

    @Test
    void oneStreamTooManyIsRefusedUntilOneOfTheFirstCloses() throws Exception {
        String watcher = TestHttp.basic("watcher", "watcher-pw-1234");
        Stream first = Stream.open(node.http().url(collection + "/_changes"), watcher);
        Stream second = Stream.open(node.http().url(collection + "/_changes"), watcher);
        try {
            assertEquals(200, first.status());
            assertEquals(200, second.status());
            Stream third = Stream.open(node.http().url(collection + "/_changes"), watcher);
            third.close();
            assertEquals(429, third.status());
            assertTrue(third.body.contains("urn:lumadb:problem:too-many-subscriptions"), third.body);
            assertEquals("1", third.retryAfter);
            ExecutionException ws =
                    assertThrows(ExecutionException.class, () -> new WsClient(node.port(), false, watcher).close());
            assertEquals(
                    429,
                    assertInstanceOf(WebSocketHandshakeException.class, ws.getCause())
                            .getResponse()
                            .statusCode(),
                    "a WebSocket counts too");

            first.close();
            Stream again = openWhenFree(watcher);
            again.close();
            // Now a WebSocket takes the freed slot, and gives it back when it closes.
            WsClient socket = openWebSocketWhenFree(watcher);
            Stream blocked = Stream.open(node.http().url(collection + "/_changes"), watcher);
            blocked.close();
            assertEquals(429, blocked.status(), blocked.body);
            socket.close();
            openWhenFree(watcher).close();
        } finally {
            first.close();
            second.close();
        }
    }

    /** Opens a change stream, retrying while the closed one's slot is not back yet. */
    private static Stream openWhenFree(String authorization) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            Stream s = Stream.open(node.http().url(collection + "/_changes"), authorization);
            if (s.status() == 200) {
                return s;
            }
            s.close();
            assertEquals(429, s.status(), s.body);
            assertTrue(System.nanoTime() < until, "the slot never came back: " + s.body);
            Thread.sleep(200);
        }
    }

    private static WsClient openWebSocketWhenFree(String authorization) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try {
                return new WsClient(node.port(), false, authorization);
            } catch (ExecutionException e) {
                assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
                assertTrue(System.nanoTime() < until, "the slot never came back");
                Thread.sleep(200);
            }
        }
    }

    /** An SSE request whose body is left open (the stream) or read whole (a refusal). */
    private static final class Stream implements AutoCloseable {
        private final HttpResponse<InputStream> response;
        private final String body;
        private final String retryAfter;

        private Stream(HttpResponse<InputStream> response) throws IOException {
            this.response = response;
            this.retryAfter = response.headers().firstValue("Retry-After").orElse(null);
            if (response.statusCode() == 200) {
                // The first frame: the subscription is running on the server.
                BufferedReader reader =
                        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
                String line = reader.readLine();
                this.body = line;
            } else {
                this.body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            }
        }

        static Stream open(String url, String authorization) throws Exception {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                    .header("Accept", "text/event-stream")
                    .header("Authorization", authorization)
                    .timeout(Duration.ofSeconds(30))
                    .GET()
                    .build();
            return new Stream(HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream()));
        }

        int status() {
            return response.statusCode();
        }

        @Override
        public void close() throws IOException {
            response.body().close();
        }
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The change stream in a real browser. Headless Chromium loads a page from another origin (a
 * page server on another port) that writes one document with a conditional {@code fetch} (a
 * request the browser preflights), then follows the collection's change stream with {@code
 * EventSource}, listening for the named {@code change} events, and reports everything back to
 * the page server. The browser must receive exactly the written changes, in order, with the
 * server's resume tokens as event ids. When the node restarts, EventSource's own reconnect
 * (which sends {@code Last-Event-ID}) must deliver exactly the changes it missed. A frame on an
 * origin that is not allowed must be able to write and receive nothing.
 */
@Tag("services")
class BrowserEventSourceIT {

    // Bounds, not expectations: with other builds running on two cores (load 9), the test took
    // 43 s; at load 15 a cold browser needed 35 s for its first page and the test 2 minutes.

    /** The first page load starts the browser. */
    private static final Duration FIRST_WAIT = Duration.ofSeconds(60);

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static final long STARTED = System.nanoTime();

    private static Path chromium;

    @BeforeAll
    static void findChromium() throws Exception {
        // Not under the test's timeout: on a fresh machine this may install Chromium first.
        chromium = HeadlessChromium.locate();
    }

    @Test
    @Timeout(240)
    void aPageOnAnotherOriginFollowsTheChangeStreamAndResumesAfterARestart() throws Exception {
        Path data = Files.createTempDirectory("lumadb-browser");
        PageServer pages = null;
        InProcessServer node = null;
        HeadlessChromium browser = null;
        try {
            pages = PageServer.start();
            Map<String, Object> settings = new HashMap<>();
            settings.put("lumadb.http.cors.allowed-origins", List.of(pages.origin()));
            // A heartbeat after the last change shows that nothing else is on its way.
            settings.put("lumadb.cdc.heartbeat", "1s");
            node = InProcessServer.on(data, settings);
            Map<String, Object> samePort = new HashMap<>(settings);
            samePort.put("lumadb.http.port", node.port());
            log("node started");

            // One shard: the collection's changes have one order, the order of the writes.
            String coll = node.http().freshDatabase("browser") + "/c";
            assertEquals(201, node.http().put(coll, "{\"shards\":1}").status());
            pages.follow(node.http().url(coll));
            browser = HeadlessChromium.open(chromium, pages.origin() + "/");
            PageServer p = pages;
            p.await(
                    "the page's first subscription",
                    FIRST_WAIT,
                    () -> p.events("main", "subscribed").size() == 1);
            log("the page subscribed");

            // The page wrote its document before it subscribed, after a preflight, and could read
            // the ETag of the answer.
            JsonNode write = p.all("main").getFirst();
            assertEquals("write", write.get("kind").asText(), "the page's preflighted write: " + write);
            assertEquals(201, write.get("status").asInt(), write.toString());
            assertEquals("\"1\"", write.get("etag").asText(), write.toString());

            // Written while the page is connected: delivered live. (The waits take "at least": the
            // exact comparisons after them tell a duplicate from a miss.)
            TestHttp http = node.http();
            put(http, coll, "a1", 1);
            put(http, coll, "a2", 2);
            put(http, coll, "a3", 3);
            put(http, coll, "a4", 4);
            patch(http, coll, "a1", 10);
            delete(http, coll, "a2");
            p.await("7 changes in the browser", WAIT, () -> p.changes().size() >= 7);
            assertChangesAre(pages, List.of("c main", "c a1", "c a2", "c a3", "c a4", "u a1", "d a2"), http, coll);

            // The node stops: the browser's connection drops, and EventSource keeps trying to
            // reconnect by itself.
            int before = p.all("main").size();
            long stopping = System.nanoTime();
            node.close(); // returns once the node has terminated: RocksDB closed, port free
            node = null;
            log("node stopped in " + millisSince(stopping) + " ms");
            p.await("the browser to notice the dropped connection", WAIT, () -> p.all("main").stream()
                    .skip(before)
                    .anyMatch(r -> r.get("kind").asText().equals("error")));
            JsonNode drop = p.all("main").stream()
                    .skip(before)
                    .filter(r -> r.get("kind").asText().equals("error"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(0, drop.get("readyState").asInt(), "EventSource must be reconnecting (CONNECTING)");
            String lastIdBeforeDrop = lastEventId(p.all("main"), drop.get("seq").asLong());

            // Changes the browser misses: written on the same data through another port, while
            // the browser's port has no server.
            try (InProcessServer aside = InProcessServer.on(data, settings)) {
                put(aside.http(), coll, "b1", 5);
                put(aside.http(), coll, "a3", 30);
                delete(aside.http(), coll, "a4");
            }
            assertEquals(1, p.events("main", "open").size(), "the browser cannot have reconnected yet");

            // The node comes back on the browser's port: EventSource reconnects with Last-Event-ID
            // and must get exactly the missed changes, from the journal.
            long starting = System.nanoTime();
            node = restart(data, samePort);
            log("node restarted in " + millisSince(starting) + " ms");
            http = node.http();
            long reconnecting = System.nanoTime();
            p.await(
                    "the browser to reconnect",
                    WAIT,
                    () -> p.events("main", "open").size() == 2);
            log("the browser reconnected " + millisSince(reconnecting) + " ms after the restart");
            p.await("10 changes in the browser", WAIT, () -> p.changes().size() >= 10);

            // Written after the reconnect: delivered live again.
            put(http, coll, "c1", 6);
            patch(http, coll, "b1", 50);
            p.await(
                    "12 changes in the browser, then a heartbeat",
                    WAIT,
                    () -> p.changes().size() >= 12
                            && p.all("main").getLast().get("kind").asText().equals("heartbeat"));

            List<JsonNode> subscribed = p.events("main", "subscribed");
            assertEquals(2, subscribed.size(), "one subscription, one resumption");
            assertEquals(
                    lastIdBeforeDrop,
                    subscribed.get(1).get("data").get("token").asText(),
                    "the reconnect must resume from the Last-Event-ID the browser sent");
            assertChangesAre(
                    pages,
                    List.of(
                            "c main", "c a1", "c a2", "c a3", "c a4", "u a1", "d a2", "c b1", "u a3", "d a4", "c c1",
                            "u b1"),
                    http,
                    coll);
            assertEquals(2, p.events("main", "open").size(), p.describe());
            assertEquals(List.of(), p.events("main", "message"), "every event is named; onmessage gets none");
            assertEquals(List.of(), p.events("main", "js-error"));

            // The frame on the other origin: its write was refused at the preflight and wrote
            // nothing, its EventSource was refused by the browser, and it received nothing.
            List<JsonNode> denied = p.all("denied");
            assertEquals(
                    List.of("write-refused", "error"),
                    denied.stream().map(r -> r.get("kind").asText()).toList(),
                    denied.toString());
            assertEquals(2, denied.get(1).get("readyState").asInt(), "EventSource must give up (CLOSED)");
            assertEquals(404, http.get(coll + "/denied").status(), "a refused preflight must write nothing");
            assertPreflights(http, coll, pages);
        } catch (AssertionError | Exception e) {
            String context = (pages == null ? "" : "\n\n" + pages.describe())
                    + (browser == null ? "" : "\n\n" + browser.output());
            throw new AssertionError(e.getMessage() + context, e);
        } finally {
            // Closed in reverse order: the browser first (it would reconnect), then the node, then the pages.
            try (AutoCloseable s = pages;
                    AutoCloseable n = node;
                    AutoCloseable b = browser) {
                // only closing
            } finally {
                TestFiles.deleteRecursively(data);
            }
        }
    }

    /** The server answers the preflights themselves, as the browser needs them. */
    private static void assertPreflights(TestHttp http, String coll, PageServer pages) {
        TestHttp.Response allowed = http.method(
                "OPTIONS",
                coll + "/_changes",
                null,
                null,
                "Origin",
                pages.origin(),
                "Access-Control-Request-Method",
                "GET",
                "Access-Control-Request-Headers",
                "last-event-id");
        assertEquals(204, allowed.status(), allowed.toString());
        assertEquals(pages.origin(), allowed.header("Access-Control-Allow-Origin"));
        assertTrue(
                allowed.header("Access-Control-Allow-Headers").contains("Last-Event-ID"),
                allowed.header("Access-Control-Allow-Headers"));
        TestHttp.Response refused = http.method(
                "OPTIONS",
                coll + "/_changes",
                null,
                null,
                "Origin",
                pages.otherOrigin(),
                "Access-Control-Request-Method",
                "GET");
        assertEquals(403, refused.status(), refused.toString());
        assertEquals(
                "urn:lumadb:problem:cors-origin-not-allowed",
                refused.json().get("type").asText());
        assertEquals(null, refused.header("Access-Control-Allow-Origin"));
    }

    /**
     * The browser's changes are exactly the collection's change stream as the server pages it
     * out (same envelopes, in the same order, each once), each event's id is its change's
     * token, and they are the expected operations on the expected documents.
     */
    private static void assertChangesAre(PageServer pages, List<String> expected, TestHttp http, String coll) {
        List<JsonNode> received = pages.changes();
        List<JsonNode> envelopes = new ArrayList<>();
        List<String> summary = new ArrayList<>();
        for (JsonNode r : received) {
            JsonNode envelope = r.get("data");
            envelopes.add(withoutDeliveryTime(envelope));
            summary.add(envelope.get("op").asText() + " "
                    + envelope.get("source").get("id").asText());
            assertEquals(envelope.get("token").asText(), r.get("lastEventId").asText(), "event id of " + envelope);
        }
        assertEquals(expected, summary, "the changes the browser received");
        TestHttp.Response page = http.get(coll + "/_changes?from=beginning&limit=1000");
        assertEquals(200, page.status(), page.toString());
        List<JsonNode> stream = new ArrayList<>();
        for (String line : page.body().split("\n")) {
            try {
                stream.add(withoutDeliveryTime(TestHttp.JSON.readTree(line)));
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + line, e);
            }
        }
        assertEquals(stream, envelopes, "the browser's changes vs the server's change stream");
    }

    /** The envelope without its top-level {@code ts_ms}: when it was sent, which differs per read. */
    private static JsonNode withoutDeliveryTime(JsonNode envelope) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = envelope.deepCopy();
        copy.remove("ts_ms");
        return copy;
    }

    /** The id of the last event with one before report {@code seq} (EventSource's last event id then). */
    private static String lastEventId(List<JsonNode> reports, long seq) {
        String id = "";
        for (JsonNode r : reports) {
            if (r.get("seq").asLong() < seq && r.hasNonNull("lastEventId")) {
                id = r.get("lastEventId").asText();
            }
        }
        assertTrue(!id.isEmpty(), "no event id before the drop: " + reports);
        return id;
    }

    /** Starts the node again on its data and port; the old one's port may take a moment to be free. */
    private static InProcessServer restart(Path data, Map<String, Object> settings) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return InProcessServer.on(data, settings);
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                log("restart failed, retrying: " + e.getMessage());
                Thread.sleep(200);
            }
        }
    }

    private static void put(TestHttp http, String coll, String id, int n) {
        TestHttp.Response r = http.put(coll + "/" + id, "{\"n\":" + n + "}");
        assertTrue(r.status() == 200 || r.status() == 201, r.toString());
    }

    private static void patch(TestHttp http, String coll, String id, int n) {
        TestHttp.Response r =
                http.method("PATCH", coll + "/" + id, "application/merge-patch+json", "{\"n\":" + n + "}");
        assertEquals(200, r.status(), r.toString());
    }

    private static void delete(TestHttp http, String coll, String id) {
        TestHttp.Response r = http.delete(coll + "/" + id);
        assertEquals(200, r.status(), r.toString());
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static void log(String message) {
        System.out.println("BrowserEventSourceIT: +" + millisSince(STARTED) + " ms " + message);
    }

    /**
     * Serves the page (at {@code /} on {@link #origin}, and as the denied frame at {@code /denied}
     * on {@link #otherOrigin}, the same server under another host name) and collects the reports
     * the pages POST to {@code /report}: one JSON object per EventSource event, numbered per frame.
     */
    private static final class PageServer implements AutoCloseable {

        private final HttpServer server;
        private final ExecutorService executor = Executors.newFixedThreadPool(4);
        private final Map<String, TreeMap<Long, JsonNode>> reports = new HashMap<>();
        private volatile String collectionUrl;

        private PageServer() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(executor);
            server.createContext("/", this::page);
            server.createContext("/report", this::report);
            server.start();
        }

        static PageServer start() throws IOException {
            return new PageServer();
        }

        String origin() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        /** Another origin for the same server: the host name differs. */
        String otherOrigin() {
            return "http://localhost:" + server.getAddress().getPort();
        }

        /** What the pages write into and follow: a collection's absolute URL. */
        void follow(String collection) {
            this.collectionUrl = collection;
        }

        private void page(HttpExchange exchange) throws IOException {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                if (!exchange.getRequestMethod().equals("GET") || !(path.equals("/") || path.equals("/denied"))) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] html = html(path.equals("/") ? "main" : "denied").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                exchange.sendResponseHeaders(200, html.length);
                exchange.getResponseBody().write(html);
            }
        }

        /** The page, named {@code frame}: the id of the document it writes and the name in its reports. */
        private String html(String frame) throws IOException {
            String script = """
                    (() => {
                      const frame = %s;
                      let seq = 0;
                      const report = (kind, fields) => fetch('/report', {
                        method: 'POST',
                        body: JSON.stringify(Object.assign({frame: frame, seq: seq++, kind: kind}, fields))
                      });
                      const collection = %s;
                      window.addEventListener('error', e => report('js-error', {message: String(e.message)}));
                      // A create-only JSON write: not a simple request, so the browser preflights it.
                      const write = async () => {
                        try {
                          const r = await fetch(collection + '/' + frame, {
                            method: 'PUT',
                            headers: {'Content-Type': 'application/json', 'If-None-Match': '*'},
                            body: JSON.stringify({written: 'by the page'})
                          });
                          await report('write', {status: r.status, etag: r.headers.get('ETag')});
                        } catch (e) {
                          await report('write-refused', {message: String(e)});
                        }
                      };
                      const follow = () => {
                        const source = new EventSource(collection + '/_changes?from=beginning');
                        source.addEventListener('open', () => report('open', {}));
                        source.addEventListener('error', () => report('error', {readyState: source.readyState}));
                        // The server names every event; plain 'message' listeners get nothing.
                        source.onmessage = e => report('message', {lastEventId: e.lastEventId, data: e.data});
                        for (const name of ['subscribed', 'heartbeat', 'change']) {
                          source.addEventListener(name, e => report(name, {
                            lastEventId: e.lastEventId,
                            data: JSON.parse(e.data)
                          }));
                        }
                      };
                      write().then(follow);
                    })();
                    """.formatted(
                            TestHttp.JSON.writeValueAsString(frame), TestHttp.JSON.writeValueAsString(collectionUrl));
            String deniedFrame = frame.equals("main") ? "<iframe src=\"" + otherOrigin() + "/denied\"></iframe>" : "";
            return "<!doctype html><html><head><meta charset=\"utf-8\"><title>LumaDB changes</title></head><body>"
                    + deniedFrame + "<script>" + script + "</script></body></html>";
        }

        private void report(HttpExchange exchange) throws IOException {
            try (exchange) {
                JsonNode report = TestHttp.JSON.readTree(exchange.getRequestBody());
                synchronized (reports) {
                    reports.computeIfAbsent(report.get("frame").asText(), f -> new TreeMap<>())
                            .put(report.get("seq").asLong(), report);
                }
                exchange.sendResponseHeaders(204, -1);
            }
        }

        /**
         * A frame's reports in the order the page made them, up to the first one not yet arrived
         * (each is its own request, so they may arrive out of order).
         */
        List<JsonNode> all(String frame) {
            List<JsonNode> out = new ArrayList<>();
            synchronized (reports) {
                long next = 0;
                for (var e : reports.getOrDefault(frame, new TreeMap<>()).entrySet()) {
                    if (e.getKey() != next++) {
                        break;
                    }
                    out.add(e.getValue());
                }
            }
            return out;
        }

        List<JsonNode> events(String frame, String kind) {
            return all(frame).stream()
                    .filter(r -> r.get("kind").asText().equals(kind))
                    .toList();
        }

        List<JsonNode> changes() {
            return events("main", "change");
        }

        void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!condition.getAsBoolean()) {
                if (events("main", "error").stream()
                        .anyMatch(r -> r.get("readyState").asInt() == 2)) {
                    fail("waiting for " + what + ", the page's EventSource gave up (CLOSED): the browser refused"
                            + " a response (CORS headers missing, or a status other than 200)");
                }
                if (System.nanoTime() > deadline) {
                    fail("waited " + timeout.toSeconds() + " s for " + what);
                }
                Thread.sleep(50);
            }
        }

        /** Every report so far, for failure messages. */
        String describe() {
            StringBuilder s = new StringBuilder("The pages reported:");
            synchronized (reports) {
                if (reports.isEmpty()) {
                    s.append(" nothing");
                }
                reports.forEach((frame, list) ->
                        list.values().forEach(r -> s.append("\n  ").append(r)));
            }
            return s.toString();
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}

package io.lumadb.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The response parser and the load loops against real sockets: a JDK HttpServer and a raw one. */
class HttpConnectionTest {

    private static final byte[] BIG = new byte[1 << 20];
    private static HttpServer server;
    private static ExecutorService pool;
    private static InetSocketAddress address;
    private static String host;
    private static final AtomicInteger hits = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        new Random(1).nextBytes(BIG);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/hello", ex -> send(ex, 200, "hello"));
        server.createContext("/missing", ex -> send(ex, 404, "{\"title\":\"Not found\"}"));
        server.createContext("/nocontent", ex -> {
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.createContext("/empty", ex -> {
            ex.sendResponseHeaders(200, -1); // Content-Length: 0
            ex.close();
        });
        server.createContext("/chunked", ex -> {
            ex.sendResponseHeaders(200, 0); // 0 means: unknown length, chunked
            try (OutputStream out = ex.getResponseBody()) {
                out.write("abc".getBytes(StandardCharsets.UTF_8));
            }
        });
        server.createContext("/big", ex -> {
            ex.sendResponseHeaders(200, BIG.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(BIG);
            }
        });
        server.createContext("/headers", ex -> {
            for (int i = 0; i < 300; i++) {
                ex.getResponseHeaders().add("X-Filler-" + i, "v".repeat(100)); // ~33 KB of headers
            }
            send(ex, 200, "after headers");
        });
        server.createContext("/echo", ex -> {
            byte[] in = ex.getRequestBody().readAllBytes();
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            send(
                    ex,
                    201,
                    ex.getRequestMethod() + " " + type + " " + in.length + " "
                            + new String(in, StandardCharsets.UTF_8));
        });
        server.createContext("/close", ex -> {
            ex.getResponseHeaders().add("Connection", "close");
            send(ex, 200, "bye");
        });
        server.createContext("/slow", ex -> {
            try {
                Thread.sleep(400);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            send(ex, 200, "late");
        });
        server.createContext("/count", ex -> {
            hits.incrementAndGet();
            send(ex, 200, "ok");
        });
        pool = Executors.newFixedThreadPool(8);
        server.setExecutor(pool);
        server.start();
        address = server.getAddress();
        host = "127.0.0.1:" + address.getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        pool.shutdownNow();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private static byte[] get(String path) {
        return RequestBytes.request("GET", host, path);
    }

    @Test
    void readsStatusAndBodyAndKeepsTheConnectionAlive() throws IOException {
        try (HttpConnection c = new HttpConnection(address, 5000)) {
            for (int i = 0; i < 50; i++) {
                assertEquals(200, c.exchange(get("/hello")));
                assertEquals("hello", c.bodyString());
            }
            assertEquals(404, c.exchange(get("/missing")));
            assertEquals("{\"title\":\"Not found\"}", c.bodyString());
            assertEquals(204, c.exchange(get("/nocontent")));
            assertEquals(0, c.bodyLength());
            assertEquals(200, c.exchange(get("/empty")));
            assertEquals(0, c.bodyLength());
            assertEquals(200, c.exchange(get("/hello")));
            assertEquals("hello", c.bodyString());
            assertEquals(1, c.connects(), "every exchange must reuse the one keep-alive connection");
        }
    }

    @Test
    void readsLargeBodiesAndLargeHeaderBlocksExactly() throws IOException {
        try (HttpConnection c = new HttpConnection(address, 5000)) {
            assertEquals(200, c.exchange(get("/big")));
            assertEquals(BIG.length, c.bodyLength());
            assertArrayEquals(BIG, java.util.Arrays.copyOf(c.body(), c.bodyLength()));
            assertEquals(200, c.exchange(get("/headers")));
            assertEquals("after headers", c.bodyString());
            assertEquals(200, c.exchange(get("/hello")));
            assertEquals("hello", c.bodyString());
            assertEquals(1, c.connects());
        }
    }

    @Test
    void encodesBodiesWithTheirLength() throws IOException {
        try (HttpConnection c = new HttpConnection(address, 5000)) {
            byte[] body = "{\"k\":\"välue\"}".getBytes(StandardCharsets.UTF_8);
            assertEquals(201, c.exchange(RequestBytes.request("PUT", host, "/echo", "application/json", body)));
            assertEquals("PUT application/json " + body.length + " {\"k\":\"välue\"}", c.bodyString());
            RequestBytes r = new RequestBytes(8);
            r.appendHead("POST", host, "/echo", "application/x-ndjson", 7)
                    .append("a\n")
                    .append(-123)
                    .append("\n");
            assertEquals(201, c.exchange(r.array(), 0, r.length()));
            assertEquals("POST application/x-ndjson 7 a\n-123\n", c.bodyString());
            assertEquals(1, c.connects());
        }
    }

    @Test
    void readsChunkedResponses() throws IOException {
        try (HttpConnection c = new HttpConnection(address, 5000)) {
            assertEquals(200, c.exchange(get("/chunked")));
            assertEquals("abc", c.bodyString());
            assertEquals(200, c.exchange(get("/hello")));
            assertEquals(1, c.connects(), "a chunked response keeps the connection alive");
        }
    }

    @Test
    void reconnectsAfterConnectionClose() throws IOException {
        try (HttpConnection c = new HttpConnection(address, 5000)) {
            assertEquals(200, c.exchange(get("/close")));
            assertEquals("bye", c.bodyString());
            assertEquals(200, c.exchange(get("/hello")));
            assertEquals(2, c.connects());
        }
    }

    @Test
    void parsesResponsesThatArriveByteByByte() throws Exception {
        try (RawServer s = new RawServer(
                        true,
                        "HTTP/1.1 200 OK\r\ncontent-LENGTH:   5  \r\nX-A: b\r\n\r\nhello",
                        "HTTP/1.1 503 \r\nContent-Length: 2\r\n\r\nno",
                        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
                HttpConnection c = new HttpConnection(s.address(), 5000)) {
            assertEquals(200, c.exchange(get("/a")));
            assertEquals("hello", c.bodyString());
            assertEquals(503, c.exchange(get("/b")));
            assertEquals("no", c.bodyString());
            assertEquals(200, c.exchange(get("/c")), "an interim 100 response is skipped");
            assertEquals("x", c.bodyString());
            assertEquals(1, c.connects());
        }
    }

    @Test
    void failsClearlyOnTruncatedOrMalformedResponses() throws Exception {
        try (RawServer s = new RawServer(false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
                HttpConnection c = new HttpConnection(s.address(), 5000)) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> c.exchange(get("/")));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
        try (RawServer s = new RawServer(false, "HTTP/1.1 200 OK\r\nContent-Le");
                HttpConnection c = new HttpConnection(s.address(), 5000)) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> c.exchange(get("/")));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
        try (RawServer s = new RawServer(false, "SMTP ready\r\n\r\n");
                HttpConnection c = new HttpConnection(s.address(), 5000)) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> c.exchange(get("/")));
            assertTrue(e.getMessage().contains("malformed"), e.getMessage());
        }
        try (RawServer s = new RawServer(false, "");
                HttpConnection c = new HttpConnection(s.address(), 5000)) {
            EOFException e = assertThrows(EOFException.class, () -> c.exchange(get("/")));
            assertTrue(e.getMessage().contains("before a complete response"), e.getMessage());
        }
    }

    @Test
    void readsABodyFramedByTheConnectionsCloseAndThenReconnects() throws Exception {
        try (RawServer s = new RawServer(false, "HTTP/1.1 200 OK\r\n\r\nabc");
                HttpConnection c = new HttpConnection(s.address(), 5000)) {
            assertEquals(200, c.exchange(get("/")));
            assertEquals("abc", c.bodyString());
            assertEquals(1, c.connects());
        }
    }

    @Test
    void closedLoopCountsSuccessesAndNothingElse() throws Exception {
        hits.set(0);
        HttpLoad.Request r = HttpLoad.Request.of(get("/count"));
        HttpLoad.Result res = HttpLoad.run(
                new HttpLoad.Options(
                        "t", address, 2, Duration.ofMillis(100), Duration.ofMillis(300), 0, Duration.ofSeconds(5)),
                i -> () -> r,
                HttpLoad.ANY_2XX);
        assertFalse(res.failed(), res.summary());
        assertTrue(res.requests() > 10, res.summary());
        assertTrue(hits.get() >= res.requests(), "cannot have recorded more responses than the server sent");
        assertEquals(2, res.connects());
        for (int i = 1; i < res.latencies().length; i++) {
            assertTrue(res.latencies()[i - 1] <= res.latencies()[i]);
        }
        assertTrue(res.latencyMillis(50) > 0 && res.latencyMillis(50) <= res.latencyMillis(100));
    }

    @Test
    void theWindowIsToldWhenTheMeasuredWindowOpensAndCloses() throws Exception {
        hits.set(0);
        HttpLoad.Request r = HttpLoad.Request.of(get("/count"));
        long[] at = new long[2];
        int[] hitsAt = new int[2];
        long before = System.nanoTime();
        HttpLoad.Result res = HttpLoad.run(
                new HttpLoad.Options(
                        "t", address, 2, Duration.ofMillis(200), Duration.ofMillis(400), 0, Duration.ofSeconds(5)),
                i -> () -> r,
                HttpLoad.ANY_2XX,
                new HttpLoad.Window() {
                    @Override
                    public void opened() {
                        at[0] = System.nanoTime();
                        hitsAt[0] = hits.get();
                    }

                    @Override
                    public void closed() {
                        at[1] = System.nanoTime();
                        hitsAt[1] = hits.get();
                    }
                });
        assertFalse(res.failed(), res.summary());
        // Only lower bounds: the callbacks may run late on a busy machine (each may be late by a
        // different amount), never early.
        assertTrue(at[0] - before >= Duration.ofMillis(200).toNanos(), "opened after the warm-up");
        assertTrue(
                at[1] - before >= Duration.ofMillis(600).toNanos(),
                "closed after the warm-up and the measured window: " + (at[1] - before) / 1_000_000 + " ms");
        assertTrue(at[1] > at[0], "closed after it opened");
        assertTrue(hitsAt[0] > 0, "the warm-up's requests came before the window opened");
        // The server counts a request as it answers; the client records it a little later.
        int inWindow = hitsAt[1] - hitsAt[0];
        assertTrue(
                Math.abs(inWindow - res.requests()) <= 2 + res.requests() / 10,
                "requests the server answered in the window (" + inWindow + ") against those measured ("
                        + res.requests() + ")");
    }

    @Test
    void non2xxIsAnErrorWithTheExactRequest() throws Exception {
        HttpLoad.Request r = HttpLoad.Request.of(get("/missing"));
        HttpLoad.Result res = HttpLoad.run(
                new HttpLoad.Options("t", address, 1, Duration.ZERO, Duration.ofMillis(200), 0, Duration.ofSeconds(5)),
                i -> () -> r,
                HttpLoad.ANY_2XX);
        assertTrue(res.failed());
        assertEquals(0, res.requests(), "failures must not count as throughput");
        assertTrue(res.errors() > 0);
        assertEquals(res.errors() + res.warmupErrors(), res.errorKinds().get("HTTP 404"));
        assertTrue(
                res.errorSamples().getFirst().contains("GET /missing HTTP/1.1"),
                res.errorSamples().getFirst());
        assertTrue(
                res.errorSamples().getFirst().contains("Not found"),
                res.errorSamples().getFirst());
    }

    @Test
    void aWindowWithoutAnyResponseIsAFailureNotAZero() throws Exception {
        HttpLoad.Request r = HttpLoad.Request.of(get("/slow"));
        HttpLoad.Result res = HttpLoad.run(
                new HttpLoad.Options("t", address, 1, Duration.ZERO, Duration.ofMillis(150), 0, Duration.ofSeconds(5)),
                i -> () -> r,
                HttpLoad.ANY_2XX);
        assertEquals(0, res.errors());
        assertEquals(0, res.requests());
        assertTrue(res.failed(), "a run that measured nothing must not pass");
        assertTrue(res.summary().contains("NO successful response"), res.summary());
    }

    @Test
    void openLoopSendsAtTheRequestedRate() throws Exception {
        hits.set(0);
        HttpLoad.Request r = HttpLoad.Request.of(get("/count"));
        HttpLoad.Result res = HttpLoad.run(
                new HttpLoad.Options(
                        "t", address, 2, Duration.ofMillis(100), Duration.ofMillis(500), 400, Duration.ofSeconds(5)),
                i -> () -> r,
                HttpLoad.ANY_2XX);
        assertFalse(res.failed(), res.summary());
        // 400/s for 0.5 s: exactly the requests due in the window are measured (no more, no fewer).
        assertEquals(200, res.requests(), 2, res.summary());
        assertEquals(240, hits.get(), 3);
        assertEquals(res.requests(), res.sendLags().length + res.queued());
    }

    /** Accepts one connection and answers its i-th request with the i-th fixed response. */
    private static final class RawServer implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread thread;

        RawServer(boolean byteByByte, String... responses) throws IOException {
            socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                try (Socket s = socket.accept()) {
                    s.setTcpNoDelay(true);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    for (String response : responses) {
                        readRequest(in);
                        byte[] b = response.getBytes(StandardCharsets.US_ASCII);
                        for (int i = 0; i < b.length; i++) {
                            out.write(b[i]);
                            if (byteByByte) {
                                // Separate segments, with pauses, so the client sees partial lines and headers.
                                out.flush();
                                if (i % 7 == 0) {
                                    Thread.sleep(1);
                                }
                            }
                        }
                        out.flush();
                    }
                } catch (IOException | InterruptedException ignored) {
                    // The test is over or the client hung up.
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        private static void readRequest(InputStream in) throws IOException {
            int state = 0;
            while (state < 4) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                        ? state + 1
                        : 0;
            }
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.RawHttp;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The HTTP edge of a real node, spoken to over plain sockets so that malformed HTTP can be sent:
 * malformed chunked bodies, bodies that are not UTF-8 JSON, charset parameters, a doubled
 * Content-Length, requests Pekko's parser refuses, slow request heads, connections over the
 * per-address limit and the request timeout. Every refusal must be a 4xx (or the documented
 * 503) {@code application/problem+json}, and none may log an error.
 */
@Timeout(120)
class HttpEdgeIT {

    private static InProcessServer server;
    private static TestHttp http;
    private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(Map.of("lumadb.http.header-timeout", "2s"));
        http = server.http();
        LOG.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(LOG);
    }

    @AfterAll
    static void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOG);
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void clearLog() {
        LOG.list.clear();
    }

    /** A client's mistake never logs an error or a stack trace. */
    @AfterEach
    void noErrorLogged() throws InterruptedException {
        Thread.sleep(100); // Pekko's log events arrive asynchronously
        for (ILoggingEvent e : new ArrayList<>(LOG.list)) {
            if (e.getLevel().isGreaterOrEqual(Level.ERROR) || e.getThrowableProxy() != null) {
                fail("logged " + e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage());
            }
        }
    }

    // ---- raw HTTP

    private static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Sends {@code request} as it is on a new connection and reads one answer. */
    private static RawHttp.Answer exchange(int port, byte[] request) {
        RawHttp.Answer a = new RawHttp(port).exchange(request, 20_000);
        if (a.status() < 0) {
            throw new AssertionError("the connection was closed without an answer");
        }
        return a;
    }

    private static RawHttp.Answer exchange(byte[] request) {
        return exchange(server.port(), request);
    }

    /** A request with a body of exactly these bytes. */
    private static byte[] request(String method, String path, String contentType, byte[] body) {
        return concat(
                bytes(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                        + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                        + "Content-Length: " + body.length + "\r\n\r\n"),
                body);
    }

    private static RawHttp.Answer send(String method, String path, String contentType, byte[] body) throws IOException {
        return exchange(request(method, path, contentType, body));
    }

    /** A JSON body around bad bytes, where it is sent, and the field its problem must name. */
    private record BadBody(String method, String path, String contentType, String before, String after, String field) {}

    private static JsonNode assertProblem(RawHttp.Answer a, int status, String type, String field) {
        assertEquals(status, a.status(), a.toString());
        assertNotNull(a.headers().get("content-type"), a.toString());
        assertTrue(a.headers().get("content-type").startsWith("application/problem+json"), a.toString());
        JsonNode p = a.json();
        if (type != null) {
            assertEquals("urn:lumadb:problem:" + type, p.path("type").asText(), a.toString());
        }
        if (field != null) {
            assertEquals(field, p.path("field").asText(), a.toString());
        }
        assertEquals(status, p.path("status").asInt(), a.toString());
        return p;
    }

    private static String collection() {
        return http.freshCollection("edge", 2);
    }

    // ---- 1. chunked bodies

    @Test
    void malformedChunkedBodiesAreClearProblems() throws IOException {
        String c = collection();
        Map<String, Integer> cases = new LinkedHashMap<>();
        cases.put("zz\r\n{}\r\n0\r\n\r\n", 400); // not a hex size
        cases.put("FFFFFFFFFF\r\n{}\r\n0\r\n\r\n", 413); // beyond Integer.MAX_VALUE
        cases.put("200000\r\n{}\r\n0\r\n\r\n", 413); // 2 MiB, over the chunk size limit
        cases.put("2;" + "x".repeat(1000) + "\r\n{}\r\n0\r\n\r\n", 400); // huge chunk extension
        cases.put("2\r\n{}\r\n0\r\n" + "X-T: 1\r\n".repeat(200) + "\r\n", 400); // too many trailers
        cases.put("2\r\n{}XX0\r\n\r\n", 400); // no CRLF after the chunk data
        cases.put("2\r\n{}\r\n0\r\nX-T: " + "a".repeat(20_000) + "\r\n\r\n", 400); // huge trailer
        for (var e : cases.entrySet()) {
            RawHttp.Answer a = exchange(concat(
                    bytes("PUT " + c + "/d1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n"),
                    bytes(e.getKey())));
            JsonNode p = assertProblem(a, e.getValue(), null, "body");
            assertTrue(
                    Set.of("urn:lumadb:problem:malformed-body", "urn:lumadb:problem:chunk-too-large")
                            .contains(p.path("type").asText()),
                    a.toString());
        }
        assertEquals(404, http.get(c + "/d1").status());
    }

    // ---- 2. NDJSON lines of NUL and control bytes

    @Test
    void ndjsonLinesOfNulAndControlBytesNameTheLine() throws IOException {
        String c = collection();
        for (String bad : List.of(
                "\0 ", " \0", "\0\t", "\0\0\0 ", "\0\0\0", "\0", "\u0001\u0002\u0003", "\0{\"id\":\"b\",\"doc\":{}}")) {
            byte[] body = bytes("{\"id\":\"a\",\"doc\":{\"x\":1}}\n" + bad + "\n");
            RawHttp.Answer a = send("POST", c + "/_bulk", "application/x-ndjson", body);
            assertProblem(a, 400, null, "/1");
        }
        assertEquals(404, http.get(c + "/a").status());
    }

    // ---- 3 and 4. encodings and the charset parameter

    @Test
    void utf16AndUtf32BodiesAreRefused() throws IOException {
        String c = collection();
        String json = "{\"a\":1}";
        for (String cs : List.of("UTF-16LE", "UTF-16BE", "UTF-16", "UTF-32LE", "UTF-32BE", "UTF-32")) {
            byte[] body = json.getBytes(Charset.forName(cs));
            assertProblem(send("PUT", c + "/d", "application/json", body), 400, "invalid-encoding", "body");
            assertProblem(
                    send("POST", c + "/_bulk", "application/json", ("[" + json + "]").getBytes(Charset.forName(cs))),
                    400,
                    "invalid-encoding",
                    "body");
        }
        // A byte order mark, even before UTF-8.
        assertProblem(
                send(
                        "PUT",
                        c + "/d",
                        "application/json",
                        concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, bytes(json))),
                400,
                "invalid-encoding",
                "body");
        assertEquals(404, http.get(c + "/d").status());
    }

    @Test
    void charsetParameterIsHonoured() throws IOException {
        String c = collection();
        byte[] json = bytes("{\"a\":1}");
        for (String ct : List.of(
                "application/json; charset=utf-16",
                "application/json; charset=ISO-8859-1",
                "application/json;charset=utf-32",
                "application/merge-patch+json; charset=utf-16")) {
            String method = ct.contains("merge-patch") ? "PATCH" : "PUT";
            assertProblem(send(method, c + "/d", ct, json), 415, null, "Content-Type");
        }
        assertProblem(
                send(
                        "POST",
                        c + "/_bulk",
                        "application/x-ndjson; charset=latin1",
                        bytes("{\"id\":\"x\",\"doc\":{}}\n")),
                415,
                null,
                "Content-Type");
        assertEquals(404, http.get(c + "/d").status());
        assertEquals(
                201,
                send("PUT", c + "/d", "application/json; charset=UTF-8", json).status());
        assertEquals(
                200,
                send("PUT", c + "/d", "application/json; charset=utf-8", json).status());
        assertEquals(
                200,
                send("PUT", c + "/d", "application/json;charset=\"utf-8\"", json)
                        .status());
    }

    // ---- 5. malformed UTF-8 inside JSON

    private static final Map<String, byte[]> BAD_UTF8 = Map.of(
            "overlong /", new byte[] {(byte) 0xC0, (byte) 0xAF},
            "overlong 3-byte", new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
            "surrogate", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            "beyond U+10FFFF", new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            "truncated", new byte[] {(byte) 0xE2, (byte) 0x82},
            "lone continuation", new byte[] {(byte) 0x80},
            "F5", new byte[] {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80});

    /** {@code prefix + bad + suffix}: the bad bytes inside a JSON string. */
    private static byte[] with(String prefix, byte[] bad, String suffix) {
        return concat(bytes(prefix), bad, bytes(suffix));
    }

    @Test
    void malformedUtf8IsRefusedWhereverJsonIsRead() throws IOException {
        String c = collection();
        http.putDocument(c, "old", "{\"v\":1}");
        for (var e : BAD_UTF8.entrySet()) {
            byte[] bad = e.getValue();
            String what = e.getKey();
            for (BadBody body : List.of(
                    new BadBody("PUT", c + "/n", "application/json", "{\"s\":\"", "\"}", "body"),
                    new BadBody("PUT", c + "/n", "application/json", "{\"", "\":1}", "body"),
                    new BadBody("PATCH", c + "/old", "application/merge-patch+json", "{\"s\":\"", "\"}", "body"),
                    new BadBody(
                            "POST",
                            c + "/_bulk",
                            "application/json",
                            "[{\"id\":\"n\",\"doc\":{\"s\":\"",
                            "\"}}]",
                            "body"),
                    new BadBody(
                            "POST",
                            c + "/_bulk",
                            "application/x-ndjson",
                            "{\"id\":\"m\",\"doc\":{}}\n{\"id\":\"n\",\"doc\":{\"s\":\"",
                            "\"}}\n",
                            "/1"),
                    new BadBody("POST", c + "/_query", "application/json", "{\"filter\":{\"s\":\"", "\"}}", "body"),
                    new BadBody(
                            "PUT", c + "/_indexes/i", "application/json", "{\"fields\":[{\"path\":\"", "\"}]}", "body"),
                    new BadBody("POST", c + "/_changes/groups/g", "application/json", "{\"token\":\"", "\"}", "body"),
                    new BadBody("POST", "/api/v1/_topics/edge-topic", "application/json", "{\"s\":\"", "\"}", "body"),
                    new BadBody("PUT", c, "application/json", "{\"", "\":1}", "body"))) {
                assertProblem(
                        send(body.method(), body.path(), body.contentType(), with(body.before(), bad, body.after())),
                        400,
                        "invalid-encoding",
                        body.field());
            }
            assertEquals(404, http.get(c + "/n").status(), what);
            assertEquals(404, http.get(c + "/m").status(), what);
            JsonNode old = http.get(c + "/old").json();
            assertEquals(1, old.path("v").asInt(), what);
            assertTrue(!old.has("s"), what);
        }
        // Valid 4-byte UTF-8 (an emoji) and other valid sequences pass and read back as sent.
        String fine = "\uD83D\uDE00 \u00E9 \u20AC \uFFFD \uD800\uDC00 \uDBFF\uDFFF";
        RawHttp.Answer ok = send(
                "PUT", c + "/e", "application/json", ("{\"s\":\"" + fine + "\"}").getBytes(StandardCharsets.UTF_8));
        assertEquals(201, ok.status(), ok.toString());
        assertEquals(fine, http.get(c + "/e").json().path("s").asText());
        RawHttp.Answer bulk = send(
                "POST",
                c + "/_bulk",
                "application/x-ndjson",
                ("{\"id\":\"f\",\"doc\":{\"s\":\"" + fine + "\"}}\n").getBytes(StandardCharsets.UTF_8));
        assertEquals(200, bulk.status(), bulk.toString());
        assertEquals(fine, http.get(c + "/f").json().path("s").asText());
    }

    // ---- 6. Content-Length

    @Test
    void contentLengthWithInnerSpaceIsRefused() throws IOException {
        String c = collection();
        for (String length : List.of("7 7", "7,7", "+7", "0x7")) {
            RawHttp.Answer a =
                    exchange(bytes("PUT " + c + "/d HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + length + "\r\n\r\n{\"a\":1}" + "x".repeat(70)));
            assertProblem(a, 400, null, "Content-Length");
        }
        assertEquals(404, http.get(c + "/d").status());
    }

    // ---- 7. Pekko's own answers

    @Test
    void requestsThePekkoParserRefusesAreProblems() throws IOException {
        assertProblem(exchange(bytes("GET /api/v1/%zz HTTP/1.1\r\nHost: localhost\r\n\r\n")), 400, null, null);
        assertProblem(exchange(bytes("GET /api/v1/a b HTTP/1.1\r\nHost: localhost\r\n\r\n")), 400, null, null);
        assertProblem(
                exchange(bytes("GET /api/v1 HTTP/1.1\r\nHost: localhost\r\nBad Header: y\r\n\r\n")), 400, null, null);
        assertProblem(
                exchange(bytes("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n")), 414, null, null);
        assertProblem(
                exchange(bytes("GET /api/v1 HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")),
                431,
                null,
                null);
        assertProblem(exchange(bytes("GET /api/v1 HTTP/1.1\r\n\r\n")), 400, null, null); // no Host
        assertProblem(exchange(bytes("BREW /api/v1 HTTP/1.1\r\nHost: localhost\r\n\r\n")), 405, null, null);
        assertProblem(exchange(bytes("GET /api/v1 HTTP/1.7\r\nHost: localhost\r\n\r\n")), 400, null, null);
        // Pekko waits for more of this head; the header timeout answers it.
        RawHttp.Answer garbage = exchange(bytes("\u0001\u0002\u0003\r\n\r\n"));
        assertProblem(garbage, garbage.status() == 408 ? 408 : 400, null, null);
    }

    // ---- 9. header timeout

    @Test
    void aRequestHeadThatDoesNotArriveInTimeIsAnswered408() throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(bytes("GET /health HTTP/1.1\r\nHost: loc"));
            s.getOutputStream().flush();
            assertProblem(RawHttp.read(s.getInputStream()), 408, "header-timeout", null);
            assertEquals(-1, s.getInputStream().read(), "the connection is closed after the 408");
        }
        // A kept-alive connection: the timeout starts again with the bytes of the next request.
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(bytes("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
            assertEquals(200, RawHttp.read(s.getInputStream()).status());
            s.getOutputStream().write(bytes("GET /health HTTP/1.1\r\nHo"));
            assertProblem(RawHttp.read(s.getInputStream()), 408, "header-timeout", null);
        }
    }

    @Test
    void slowClientsCannotHoldAllConnections() throws Exception {
        int max = 4;
        try (InProcessServer small = new InProcessServer(
                Map.of("pekko.http.server.max-connections", max, "lumadb.http.header-timeout", "2s"))) {
            List<Socket> slow = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread dribbler = new Thread(() -> {
                byte[] head = bytes("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(1000));
                for (int i = 0; !stop.get() && i < head.length; i++) {
                    for (Socket s : slow) {
                        try {
                            s.getOutputStream().write(head[i]);
                            s.getOutputStream().flush();
                        } catch (IOException closed) {
                            // the server gave up on it: what the test expects
                        }
                    }
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            try {
                for (int i = 0; i < max + 2; i++) {
                    Socket s = new Socket("127.0.0.1", small.port());
                    s.setSoTimeout(20_000);
                    slow.add(s);
                }
                dribbler.start();
                Thread.sleep(500);
                // A normal request: served once the header timeout frees a connection.
                RawHttp.Answer a = exchange(
                        small.port(), bytes("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
                assertEquals(200, a.status(), a.toString());
                for (Socket s : slow.subList(0, max)) {
                    assertProblem(RawHttp.read(s.getInputStream()), 408, "header-timeout", null);
                }
            } finally {
                stop.set(true);
                dribbler.interrupt();
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }

    @Test
    void connectionsOverThePerAddressLimitAreRefusedWithAnAnswer() throws Exception {
        try (InProcessServer limited = new InProcessServer(
                Map.of("lumadb.http.max-connections-per-address", 2, "lumadb.http.limit-loopback-connections", true))) {
            try (Socket a = new Socket("127.0.0.1", limited.port());
                    Socket b = new Socket("127.0.0.1", limited.port())) {
                a.setSoTimeout(20_000);
                a.getOutputStream().write(bytes("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
                assertEquals(200, RawHttp.read(a.getInputStream()).status());
                RawHttp.Answer refused =
                        exchange(limited.port(), bytes("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
                assertProblem(refused, 503, "too-many-connections", null);
                assertEquals("close", refused.headers().get("connection"));
                b.setSoTimeout(20_000);
                b.getOutputStream().write(bytes("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
                assertEquals(200, RawHttp.read(b.getInputStream()).status());
            }
            // Closed connections no longer count.
            RawHttp.Answer again = null;
            for (int i = 0; i < 50; i++) {
                again = exchange(
                        limited.port(), bytes("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
                if (again.status() == 200) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(200, again.status(), again.toString());
        }
    }

    // ---- 8. the request timeout

    @Test
    void aResponseLaterThanTheRequestTimeoutIsA503Problem() throws Exception {
        // The collection exists, so the bulk really writes 10,000 documents (a request for a missing
        // database could be answered within the 1 ms): made by a node with the usual timeout first.
        Path dir = Files.createTempDirectory("lumadb-timeout");
        try {
            try (InProcessServer patient = InProcessServer.on(dir, Map.of())) {
                assertEquals(201, patient.http().put("/api/v1/slow1", "").status());
                assertEquals(201, patient.http().put("/api/v1/slow1/c", "").status());
            }
            writeTooSlowly(dir);
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    private void writeTooSlowly(Path dir) throws Exception {
        try (InProcessServer hasty = InProcessServer.on(
                dir, Map.of("pekko.http.server.request-timeout", "1ms", "lumadb.query.timeout", "1ms"))) {
            StringBuilder items = new StringBuilder("[");
            for (int i = 0; i < 10_000; i++) {
                items.append(i == 0 ? "" : ",")
                        .append("{\"id\":\"d")
                        .append(i)
                        .append("\",\"doc\":{\"v\":\"")
                        .append("x".repeat(200))
                        .append("\"}}");
            }
            items.append(']');
            RawHttp.Answer a = exchange(
                    hasty.port(),
                    request("POST", "/api/v1/slow1/c/_bulk", "application/json", bytes(items.toString())));
            assertProblem(a, 503, "response-timeout", null);
        }
    }
}

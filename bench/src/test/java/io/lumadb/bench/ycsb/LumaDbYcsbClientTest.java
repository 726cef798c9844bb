package io.lumadb.bench.ycsb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lumadb.bench.RequestBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Vector;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DBException;
import site.ycsb.Status;

class LumaDbYcsbClientTest {

    @Test
    void scanCursorSortsJustBelowTheStartKey() {
        for (String key : List.of("user5", "user10", "a", "k\u00e9", "x\uD83D\uDE00", "0")) {
            String cursor = LumaDbYcsbClient.cursorBefore(key);
            assertTrue(LumaDbYcsbClient.compareUtf8(cursor, key) < 0, cursor + " < " + key);
            // The key's predecessors that real workloads have (shorter keys, smaller last digits) stay below it.
            String shorter = key.substring(0, key.offsetByCodePoints(key.length(), -1));
            assertTrue(LumaDbYcsbClient.compareUtf8(shorter, cursor) <= 0 || shorter.isEmpty(), shorter);
        }
        assertEquals("user4\uDBFF\uDFFF", LumaDbYcsbClient.cursorBefore("user5"));
        assertNull(LumaDbYcsbClient.cursorBefore(""));
        assertNull(LumaDbYcsbClient.cursorBefore("\u0000"));
        assertEquals("ab", LumaDbYcsbClient.cursorBefore("ab\u0000"));
        // U+E000 - 1 is a surrogate, which UTF-8 cannot carry: the cursor skips below the surrogates.
        assertEquals("a\uD7FF\uDBFF\uDFFF", LumaDbYcsbClient.cursorBefore("a\uE000"));
    }

    @Test
    void comparesInUtf8ByteOrderNotUtf16Order() {
        // U+FFFD sorts below U+1F600 in UTF-8 (EF.. < F0..) but above its surrogates in UTF-16.
        String bmp = "\uFFFD";
        String supplementary = "\uD83D\uDE00";
        assertTrue(bmp.compareTo(supplementary) > 0);
        assertTrue(LumaDbYcsbClient.compareUtf8(bmp, supplementary) < 0);
        assertTrue(LumaDbYcsbClient.compareUtf8("user1", "user10") < 0);
        assertTrue(LumaDbYcsbClient.compareUtf8("user2", "user10") > 0);
        assertEquals(0, LumaDbYcsbClient.compareUtf8("same", "same"));
    }

    @Test
    void percentEncodesEverythingButUnreservedCharacters() {
        assertEquals("user123", LumaDbHttp.encode("user123"));
        assertEquals("a%20b%2Fc%3F%25", LumaDbHttp.encode("a b/c?%"));
        assertEquals("k%C3%A9", LumaDbHttp.encode("k\u00e9"));
        assertEquals("x%F4%8F%BF%BF", LumaDbHttp.encode("x\uDBFF\uDFFF"));
        assertEquals("~a-b_c.d%2A%2B", LumaDbHttp.encode("~a-b_c.d*+"));
    }

    @Test
    void valuesOfEveryByteRoundTripThroughJson() throws Exception {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LumaDbYcsbClient.writeJson(out, Map.of("field0", new ByteArrayByteIterator(all)));
        String json = out.toString(StandardCharsets.UTF_8);
        assertTrue(json.chars().allMatch(c -> c >= 0x20 && c <= 0x7F), "the JSON text is ASCII: " + json);
        try (JsonParser p = new JsonFactory().createParser(out.toByteArray())) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            assertEquals("field0", p.nextFieldName());
            assertEquals(JsonToken.VALUE_STRING, p.nextToken());
            assertArrayEquals(all, Binding.bytes(p.getText()));
        }
    }

    @Test
    void sendsTheAuthorizationHeaderWithEveryRequestOnlyWhenConfigured() throws Exception {
        assertEquals(List.of("none"), authorizationHeadersOfEveryOperation(null));
        assertEquals(List.of("Bearer luma_k1_s3cret"), authorizationHeadersOfEveryOperation("Bearer luma_k1_s3cret"));
        assertEquals(List.of("Basic YmVuY2g6cHc="), authorizationHeadersOfEveryOperation("  Basic YmVuY2g6cHc=  "));
    }

    @Test
    void refusesAnAuthorizationValueThatWouldEndTheHeader() {
        LumaDbYcsbClient client = new LumaDbYcsbClient();
        Properties p = new Properties();
        p.setProperty(LumaDbYcsbClient.URL_PROPERTY, "http://127.0.0.1:9");
        p.setProperty(LumaDbYcsbClient.AUTHORIZATION_PROPERTY, "Bearer x\r\nX-Evil: 1");
        client.setProperties(p);
        DBException e = org.junit.jupiter.api.Assertions.assertThrows(DBException.class, client::init);
        assertTrue(e.getMessage().contains(LumaDbYcsbClient.AUTHORIZATION_PROPERTY), e.getMessage());
    }

    @Test
    void requestsWithoutExtraHeadersAreTheSameBytesAsBefore() {
        assertArrayEquals(RequestBytes.request("GET", "h:1", "/p"), RequestBytes.request("GET", "h:1", "/p", ""));
        assertArrayEquals(RequestBytes.request("POST", "h:1", "/p"), RequestBytes.request("POST", "h:1", "/p", ""));
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        assertEquals(
                "PUT /p HTTP/1.1\r\nHost: h:1\r\nUser-Agent: lumadb-bench\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 2\r\n\r\n{}",
                new String(
                        RequestBytes.request("PUT", "h:1", "/p", "application/json", body), StandardCharsets.US_ASCII));
        assertEquals("", LumaDbHttp.authorizationLine(null));
        assertEquals("", LumaDbHttp.authorizationLine(" "));
        assertEquals("Authorization: Bearer a\r\n", LumaDbHttp.authorizationLine("Bearer a"));
    }

    /**
     * Runs init, insert, read, update, scan and delete of a binding configured with {@code
     * authorization} against a real HTTP server that answers like LumaDB, and returns the distinct
     * Authorization headers the server saw ("none" for a request without one).
     */
    private static List<String> authorizationHeadersOfEveryOperation(String authorization) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            String header = ex.getRequestHeaders().getFirst("Authorization");
            seen.add(header == null ? "none" : header);
            ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getPath();
            switch (ex.getRequestMethod()) {
                case "PUT" -> answer(ex, 201, "{\"_id\":\"k\",\"_version\":1,\"result\":\"created\"}");
                case "PATCH" -> answer(ex, 200, "{\"_id\":\"k\",\"_version\":2}");
                case "DELETE" -> {
                    ex.sendResponseHeaders(204, -1);
                    ex.close();
                }
                default ->
                    answer(
                            ex,
                            200,
                            path.endsWith("/_docs")
                                    ? "{\"docs\":[{\"_id\":\"k\",\"_version\":1,\"f\":\"v\"}]}"
                                    : path.endsWith("/usertable")
                                            ? "{}"
                                            : "{\"_id\":\"k\",\"_version\":1,\"f\":\"v\"}");
            }
        });
        server.start();
        LumaDbYcsbClient client = new LumaDbYcsbClient();
        try {
            Properties p = new Properties();
            p.setProperty(
                    LumaDbYcsbClient.URL_PROPERTY,
                    "http://127.0.0.1:" + server.getAddress().getPort());
            if (authorization != null) {
                p.setProperty(LumaDbYcsbClient.AUTHORIZATION_PROPERTY, authorization);
            }
            client.setProperties(p);
            client.init();
            Map<String, ByteIterator> values =
                    Map.of("f", new ByteArrayByteIterator("v".getBytes(StandardCharsets.UTF_8)));
            assertEquals(Status.OK, client.insert("usertable", "k", values));
            assertEquals(Status.OK, client.read("usertable", "k", null, new HashMap<>()));
            assertEquals(Status.OK, client.update("usertable", "k", values));
            assertEquals(Status.OK, client.scan("usertable", "k", 1, null, new Vector<>()));
            assertEquals(Status.OK, client.delete("usertable", "k"));
        } finally {
            client.cleanup();
            server.stop(0);
        }
        assertEquals(6, seen.size(), seen.toString());
        return seen.stream().distinct().toList();
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}

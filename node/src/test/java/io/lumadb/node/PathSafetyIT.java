package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.RawHttp;
import io.lumadb.testkit.TestHttp;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request targets are routed as sent: dot segments (plain or percent-encoded) and trailing
 * slashes never widen a request to the collection or database above it, ids that could not be
 * addressed again are refused on every write path, and WebSocket upgrades and requests from
 * other sites (cross-site WebSocket hijacking, DNS rebinding) are refused.
 */
@Timeout(120)
class PathSafetyIT {

    private static InProcessServer server;
    private static TestHttp http;
    private static RawHttp raw;

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(Map.of());
        http = server.http();
        raw = new RawHttp(server.port());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** A fresh collection holding one document, {@code keep}. */
    private static String collectionWithDocument() {
        String c = http.freshCollection("paths", 2);
        http.putDocument(c, "keep", "{\"a\":1}");
        return c;
    }

    private static void assertIntact(String collection) {
        assertEquals(200, http.get(collection + "/keep").status(), "the document must survive");
        String db = collection.substring(0, collection.lastIndexOf('/'));
        assertEquals(200, http.get(db).status(), "the database must survive");
    }

    @Test
    void dotSegmentsNeverReachTheDatabaseOrCollection() {
        String c = collectionWithDocument();
        for (String dots : List.of("..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", ".", "%2e", "%2E")) {
            for (String method : List.of("DELETE", "GET", "PUT")) {
                RawHttp.Answer a = raw.send(
                        method,
                        c + "/" + dots,
                        method.equals("PUT") ? "{}" : null,
                        method.equals("PUT") ? "Content-Type: application/json" : "X-Nothing: 1");
                assertEquals(400, a.status(), method + " " + dots + ": " + a);
                assertTrue(a.isProblem(), a.toString());
                assertEquals(
                        "urn:lumadb:problem:invalid-name", a.json().path("type").asText(), a.toString());
                assertEquals("_id", a.json().path("field").asText(), a.toString());
                assertIntact(c);
            }
        }
        // Dot segments elsewhere in the target do not resolve either.
        String db = c.substring(0, c.lastIndexOf('/'));
        for (String target : List.of(db + "/c/keep/..", c + "/keep/../..", db + "/x/../c", db + "/c/%2e%2e/c")) {
            int status = raw.send("DELETE", target, null).status();
            assertTrue(status >= 400 && status < 500, target + ": " + status);
        }
        assertIntact(c);
    }

    @Test
    void trailingSlashesNeverWidenTheTarget() {
        String c = collectionWithDocument();
        String db = c.substring(0, c.lastIndexOf('/'));
        for (String target : List.of(c + "/", c + "//", db + "/", db + "//", c + "/keep/", db + "//c")) {
            RawHttp.Answer a = raw.send("DELETE", target, null);
            assertEquals(404, a.status(), target + ": " + a);
            assertEquals(
                    "urn:lumadb:problem:route-not-found", a.json().path("type").asText(), a.toString());
            assertIntact(c);
        }
        assertEquals(404, raw.send("GET", c + "/", null).status());
        // Without the slash the same requests mean what they say.
        assertEquals(200, raw.send("GET", c, null).status());
    }

    @Test
    void idsThatCannotBeAddressedAreRefusedInBulk() {
        String c = collectionWithDocument();
        for (String id : List.of(".", "..")) {
            TestHttp.Response array = http.method(
                    "POST",
                    c + "/_bulk",
                    "application/json",
                    "[{\"id\":\"ok1\",\"doc\":{}},{\"id\":\"" + id + "\",\"doc\":{}}]");
            assertEquals(400, array.status(), array.toString());
            assertEquals("/1/id", array.json().path("field").asText(), array.toString());
            TestHttp.Response byDoc =
                    http.method("POST", c + "/_bulk", "application/x-ndjson", "{\"doc\":{\"_id\":\"" + id + "\"}}\n");
            assertEquals(400, byDoc.status(), byDoc.toString());
            assertEquals("/0/doc/_id", byDoc.json().path("field").asText(), byDoc.toString());
        }
        // Nothing from the refused requests was written.
        assertEquals(404, http.get(c + "/ok1").status());
        assertEquals(1, http.get(c).json().path("documentCount").asLong());
    }

    @Test
    void webSocketUpgradesFromOtherSitesAreRefused() {
        String upgrade = "Upgrade: websocket";
        String[] handshake = {
            upgrade, "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"
        };
        RawHttp.Answer hostile = raw.send("GET", "/api/v1/_ws", null, with(handshake, "Origin: https://evil.example"));
        assertEquals(403, hostile.status(), hostile.toString());
        assertEquals(
                "urn:lumadb:problem:websocket-origin-not-allowed",
                hostile.json().path("type").asText(),
                hostile.toString());
        // The node's own pages (same origin) and clients that are not browsers (no Origin) connect.
        RawHttp.Answer same =
                raw.send("GET", "/api/v1/_ws", null, with(handshake, "Origin: http://127.0.0.1:" + server.port()));
        assertEquals(101, same.status(), same.toString());
        RawHttp.Answer plain = raw.send("GET", "/api/v1/_ws", null, handshake);
        assertEquals(101, plain.status(), plain.toString());
    }

    @Test
    void requestsForAnotherHostNameAreRefused() {
        String c = collectionWithDocument();
        // DNS rebinding: a page of rebound.example whose name now points at this node.
        RawHttp.Answer rebound = raw.send("GET", c + "/keep", null, "Host: rebound.example:" + server.port());
        assertEquals(421, rebound.status(), rebound.toString());
        assertEquals(
                "urn:lumadb:problem:host-not-allowed",
                rebound.json().path("type").asText());
        assertEquals("Host", rebound.json().path("field").asText());
        RawHttp.Answer drop = raw.send("DELETE", c, null, "Host: rebound.example");
        assertEquals(421, drop.status(), drop.toString());
        assertIntact(c);
        for (String host : List.of("localhost:" + server.port(), "127.0.0.1", "[::1]:" + server.port(), "LOCALHOST")) {
            assertEquals(
                    200, raw.send("GET", c + "/keep", null, "Host: " + host).status(), host);
        }
    }

    private static String[] with(String[] lines, String line) {
        String[] out = java.util.Arrays.copyOf(lines, lines.length + 1);
        out[lines.length] = line;
        return out;
    }
}

package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.SseRecorder;
import io.lumadb.testkit.TestCertificates;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestKeys;
import io.lumadb.testkit.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two node processes with security on and TLS between them: the nodes speak only TLS 1.3 with
 * mutual authentication on their cluster port, and a key revoked or a role changed through one
 * node reaches the subscriptions open on the other: the revoked key's stream ends with {@code
 * unauthorized} and the other node refuses the key from then on; a narrowed read rule ends the
 * live query with {@code access-changed} and the change stream goes on under the new rule,
 * delivering nothing the new rule forbids. Both nodes encrypt what they write to the shared
 * journal, and exchange the encrypted types between them.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@Tag("services")
class SecuredClusterIT {

    private static final String ADMIN_PASSWORD = "cluster-admin-pw-1";
    private static final String DOCS = "/api/v1/sec/orders";
    private static final String MARKER = "cluster-marker-" + java.util.UUID.randomUUID();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    @TempDir
    Path certificates;

    @Test
    void revocationAndRuleChangesReachSubscriptionsOnAnotherNodeOverTls() throws Exception {
        TestCertificates ca = TestCertificates.authority(certificates, "LumaDB cluster test CA");
        TestCertificates.Issued member = ca.issue(
                certificates, "member", "lumadb-member", TestCertificates.KeyType.RSA, TestCertificates.KeyForm.PKCS8);
        Path other = Files.createDirectories(certificates.resolve("other"));
        TestCertificates.Issued stranger = TestCertificates.authority(other, "Another CA")
                .issue(
                        other,
                        "stranger",
                        "lumadb-member",
                        TestCertificates.KeyType.RSA,
                        TestCertificates.KeyForm.PKCS8);
        Path keyFile = TestKeys.keyFile(certificates, 1);
        Map<String, String> secured = new java.util.HashMap<>();
        secured.put("lumadb.security.enabled", "on");
        secured.put("lumadb.security.admin-password", ADMIN_PASSWORD);
        // Cheap hashes: this test is about what reaches the other node, not about Argon2.
        secured.put("lumadb.security.password-hash.memory", "1 MiB");
        secured.put("lumadb.security.password-hash.iterations", "1");
        secured.put("lumadb.cluster.tls.enabled", "on");
        secured.put("lumadb.cluster.tls.certificate", member.certificate().toString());
        secured.put("lumadb.cluster.tls.private-key", member.privateKey().toString());
        secured.put("lumadb.cluster.tls.ca-certificate", ca.caFile().toString());
        secured.put("lumadb.encryption.enabled", "on");
        secured.put("lumadb.encryption.key-file", keyFile.toString());
        TestCluster cluster = resources.add(TestCluster.create("secured", 2, 1, false, secured));
        cluster.startAll();
        ClusterNode a = cluster.node(0);
        ClusterNode b = cluster.node(1);

        // The cluster formed over TLS: each cluster port speaks TLS 1.3 to a member of the CA,
        // and refuses TLS 1.2 and a certificate of another CA.
        for (ClusterNode n : List.of(a, b)) {
            assertEquals("TLSv1.3", handshake(ca.clientContext(member), n.clusterPort(), "TLSv1.3"), n.toString());
            assertThrows(
                    SSLException.class,
                    () -> handshake(ca.clientContext(member), n.clusterPort(), "TLSv1.2"),
                    "TLS 1.2 on the cluster port of " + n);
            assertThrows(
                    IOException.class,
                    () -> handshake(ca.clientContext(stranger), n.clusterPort(), "TLSv1.3"),
                    "a certificate of another CA on the cluster port of " + n);
        }

        TestHttp adminA = a.http().asUser("admin", ADMIN_PASSWORD);
        assertEquals(401, b.http().get(DOCS + "/x").status(), "anonymous on the other node");
        created(adminA.method("PUT", "/api/v1/sec", null, null));
        // One shard: its changes reach every stream in one order, so "nothing after" is checkable.
        created(adminA.put(DOCS, "{\"shards\":1}"));
        ok(adminA.put("/api/v1/_security/roles/ownOrders", ownOrders("{\"owner\":\"$claims.sub\"}")));
        ok(adminA.put("/api/v1/_security/users/cy", "{\"password\":\"cy-password-1\",\"roles\":[\"ownOrders\"]}"));
        TestHttp.Response key = adminA.method(
                "POST",
                "/api/v1/_security/keys",
                "application/json",
                "{\"name\":\"feed\",\"roles\":[{\"role\":\"read\",\"database\":\"sec\"}]}");
        assertEquals(201, key.status(), key.toString());
        String keyAuth = "Bearer " + key.json().path("secret").asText();
        String cyAuth = TestHttp.basic("cy", "cy-password-1");

        // Node B learns of the user and the key through the catalog; then the subscriptions open there.
        awaitStatus(b.http().as(keyAuth), DOCS + "/none", 404, "node B knows the key");
        awaitStatus(b.http().as(cyAuth), DOCS + "/none", 404, "node B knows cy");
        try (Stream keyStream = new Stream(b.url(DOCS + "/_changes?from=now"), keyAuth);
                Stream cyStream = new Stream(b.url(DOCS + "/_changes?from=now"), cyAuth);
                Stream cyLive = new Stream(b.url(DOCS + "/_live"), cyAuth)) {
            await(() -> cyLive.has("ready"), "cy's live query is ready");
            write(adminA, "o1", "{\"owner\":\"cy\",\"total\":5,\"margin\":2}");
            write(adminA, "o2", "{\"owner\":\"ada\",\"total\":9,\"margin\":3,\"note\":\"" + MARKER + "\"}");
            await(() -> keyStream.changedIds().equals(List.of("o1", "o2")), "the key's stream has o1 and o2");
            await(() -> cyStream.changedIds().equals(List.of("o1")), "cy's stream has o1 only");
            await(() -> cyLive.rows("added").equals(List.of("o1")), "cy's live query adds o1 only");
            JsonNode o1 = cyStream.changes().getFirst().path("after");
            assertFalse(o1.has("margin"), "a hidden field travelled: " + o1);

            // The key is revoked through node A: its stream on node B ends, and B refuses the key.
            String keyId = key.json().path("id").asText();
            ok(adminA.delete("/api/v1/_security/keys/" + keyId));
            await(() -> keyStream.has("unauthorized"), "the revoked key's stream on node B ends with unauthorized");
            assertEquals(
                    401,
                    b.http().as(keyAuth).get(DOCS + "/o1").status(),
                    "node B ended the key's stream, so it refuses the key too");
            int keyEvents = keyStream.events().size();

            // cy's rule is narrowed through node A: the live query on B ends with access-changed,
            // and the change stream goes on under the new rule.
            ok(adminA.put(
                    "/api/v1/_security/roles/ownOrders", ownOrders("{\"owner\":\"$claims.sub\",\"status\":\"open\"}")));
            await(() -> cyLive.has("access-changed"), "cy's live query on node B ends with access-changed");
            write(adminA, "o3", "{\"owner\":\"cy\",\"total\":1}"); // cy's, but not open: not sent
            write(adminA, "o1", "{\"owner\":\"cy\",\"total\":5,\"margin\":2,\"status\":\"open\"}"); // enters
            write(adminA, "o4", "{\"owner\":\"ada\",\"status\":\"open\"}"); // not cy's
            write(adminA, "o5", "{\"owner\":\"cy\",\"status\":\"open\"}"); // the last write
            await(() -> cyStream.changedIds().contains("o5"), "cy's stream reaches o5");
            assertEquals(List.of("o1", "o1", "o5"), cyStream.changedIds(), "cy's stream under the new rule");
            assertEquals("c", cyStream.changes().get(1).path("op").asText(), "o1 entering the view is a create");
            for (JsonNode change : cyStream.changes()) {
                assertFalse(change.path("after").has("margin"), "a hidden field travelled: " + change);
            }
            assertEquals(keyEvents, keyStream.events().size(), "the revoked key's stream stays ended");
            assertTrue(
                    keyStream.changedIds().equals(List.of("o1", "o2")),
                    "nothing reached the revoked key after its revocation: " + keyStream.changedIds());
        }

        // Encryption at rest on both nodes: the shared journal in PostgreSQL holds neither the
        // document's marker nor the security catalog's role name, while both nodes read o2 back.
        assertTrue(journalRows(cluster) > 0, "the journal has rows");
        assertEquals(
                0,
                TestPostgres.journalRowsHolding(cluster.database(), MARKER),
                "journal or snapshot rows holding the marker in clear");
        assertEquals(
                0,
                TestPostgres.journalRowsHolding(cluster.database(), "ownOrders"),
                "journal or snapshot rows holding a role name in clear");
        for (ClusterNode n : List.of(a, b)) {
            TestHttp.Response o2 = n.http().asUser("admin", ADMIN_PASSWORD).get(DOCS + "/o2");
            assertEquals(MARKER, o2.json().path("note").asText(), n + ": " + o2);
        }
    }

    private static long journalRows(TestCluster cluster) throws SQLException {
        try (Connection c = TestPostgres.connect(cluster.database());
                ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM event_journal")) {
            r.next();
            return r.getLong(1);
        }
    }

    private static String ownOrders(String readRule) {
        return "{\"grants\":[{\"resource\":\"db:sec/orders\",\"actions\":[\"read\",\"query\",\"subscribe\"]}],"
                + "\"rules\":[{\"resource\":\"db:sec/orders\",\"read\":" + readRule + ",\"hide\":[\"margin\"]}]}";
    }

    /** The protocol a TLS handshake with {@code port} on loopback settles on, offering only {@code protocol}. */
    private static String handshake(SSLContext context, int port, String protocol) throws IOException {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {protocol});
            socket.startHandshake();
            // TLS 1.3 reports a refused client certificate only after the handshake: read to see it.
            socket.getOutputStream().write(new byte[] {0});
            socket.getOutputStream().flush();
            try {
                socket.setSoTimeout(1_000);
                if (socket.getInputStream().read() < 0) {
                    throw new SSLException("the server closed the connection after the handshake");
                }
            } catch (java.net.SocketTimeoutException quiet) {
                // accepted: Artery waits for a well-formed stream header
            }
            return socket.getSession().getProtocol();
        }
    }

    private static void write(TestHttp http, String id, String json) {
        TestHttp.Response r = http.put(DOCS + "/" + id, json);
        assertTrue(r.status() == 200 || r.status() == 201, "PUT " + id + ": " + r);
    }

    private static void created(TestHttp.Response r) {
        assertEquals(201, r.status(), r.toString());
    }

    private static void ok(TestHttp.Response r) {
        assertTrue(r.status() == 200 || r.status() == 201, r.toString());
    }

    private static void awaitStatus(TestHttp http, String path, int status, String what) throws InterruptedException {
        TestHttp.Response[] last = {null};
        try {
            await(() -> (last[0] = http.get(path)).status() == status, what);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last answer: " + last[0], e);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what);
            }
            Thread.sleep(100);
        }
    }

    /** One SSE subscription, read in the background, and what the test reads of its events. */
    private static final class Stream implements AutoCloseable {
        private final SseRecorder recorder;

        Stream(String url, String authorization) throws Exception {
            recorder = new SseRecorder(url, authorization);
        }

        List<SseClient.Event> events() {
            return recorder.events();
        }

        boolean has(String type) {
            return recorder.has(type);
        }

        List<JsonNode> changes() {
            return events().stream()
                    .filter(e -> e.type().equals("change"))
                    .map(e -> json(e.data()))
                    .toList();
        }

        List<String> changedIds() {
            return changes().stream()
                    .map(c -> (c.path("after").isObject() ? c.path("after") : c.path("before"))
                            .path("_id")
                            .asText())
                    .toList();
        }

        /** The ids of the live query's {@code type} events ({@code added}, {@code removed}...). */
        List<String> rows(String type) {
            return events().stream()
                    .filter(e -> e.type().equals(type))
                    .map(e -> json(e.data()).path("document").path("_id").asText())
                    .toList();
        }

        @Override
        public void close() throws IOException {
            recorder.close();
        }
    }

    private static JsonNode json(String text) {
        try {
            return TestHttp.JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}

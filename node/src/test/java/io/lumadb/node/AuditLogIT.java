package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.TestHttp;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The audit log on a real node with security on: failed logins, denials and administrative
 * changes land in {@code system/audit}, where an admin queries and subscribes to them; nobody
 * changes them through the API; retention deletes old entries.
 */
@Timeout(180)
class AuditLogIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";
    private static final String AUDIT = "/api/v1/system/audit";

    private static Map<String, Object> secured() {
        Map<String, Object> s = InProcessServer.secured(ADMIN_PASSWORD);
        return s;
    }

    /** The entries matching {@code filter}, polled until there are some (or 20 s passed). */
    private static JsonNode entries(TestHttp admin, String filter) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            var r = admin.method("POST", AUDIT + "/_query", "application/json", "{\"filter\":" + filter + "}");
            if (r.status() == 200 && !r.json().path("documents").isEmpty()) {
                return r.json().path("documents");
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no audit entry matches " + filter + "; last answer " + r);
            }
            Thread.sleep(100);
        }
    }

    private static long count(TestHttp admin, String filter) {
        var r = admin.method(
                "POST", AUDIT + "/_query", "application/json", "{\"count\":true,\"filter\":" + filter + "}");
        assertEquals(200, r.status(), r.toString());
        return r.json().path("count").asLong();
    }

    @Test
    void loginsDenialsAndChangesAreEntriesAdminsQueryAndSubscribeToButNobodyChanges() throws Exception {
        try (InProcessServer node = new InProcessServer(secured())) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            // A started node has its audit log: the first look at it finds the collection.
            var first = admin.get(AUDIT);
            assertEquals(200, first.status(), first.toString());
            assertEquals(
                    401,
                    node.http().asUser("mallory", "guessed-pw-1").get("/api/v1").status());
            var created = admin.put(
                    "/api/v1/_security/users/walt", "{\"password\":\"walt-secret-pw\",\"roles\":[\"readWrite\"]}");
            assertEquals(201, created.status(), created.toString());
            assertEquals(201, admin.method("PUT", "/api/v1/shop", null, null).status());
            TestHttp walt = node.http().asUser("walt", "walt-secret-pw");
            assertEquals(
                    201, walt.put("/api/v1/shop/orders/o1", "{\"total\":3}").status());
            assertEquals(403, walt.get(AUDIT + "/_docs").status(), "readWrite everywhere does not reach the audit log");

            JsonNode failed = entries(admin, "{\"kind\":\"login-failed\",\"principal.name\":\"mallory\"}")
                    .get(0);
            assertEquals("failure", failed.path("outcome").asText());
            assertEquals("basic", failed.path("details").path("scheme").asText());
            assertEquals(
                    "wrong user name or password",
                    failed.path("details").path("reason").asText());
            assertEquals("127.0.0.1", failed.path("client").asText(), failed.toString());
            assertTrue(
                    Pattern.matches(
                            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z",
                            failed.path("time").asText()),
                    failed.toString());
            assertFalse(failed.path("node").asText().isEmpty(), failed.toString());
            assertFalse(failed.toString().contains("guessed-pw-1"), "never a password: " + failed);

            JsonNode denied = entries(admin, "{\"kind\":\"denied\",\"principal.name\":\"walt\"}")
                    .get(0);
            assertEquals("read", denied.path("details").path("permission").asText());
            assertEquals(
                    "db:system/audit", denied.path("details").path("resource").asText());
            assertEquals(
                    "GET /api/v1/{db}/{collection}/_docs",
                    denied.path("details").path("route").asText());
            assertEquals("user", denied.path("principal").path("kind").asText());

            JsonNode user = entries(
                            admin,
                            "{\"kind\":\"security-change\",\"details.operation\":\"create-user\",\"details.user\":\"walt\"}")
                    .get(0);
            assertEquals("admin", user.path("principal").path("name").asText());
            assertEquals("readWrite", user.path("details").path("roles").path(0).asText());
            assertTrue(user.path("details").path("passwordSet").asBoolean());
            assertFalse(user.toString().contains("walt-secret-pw"), "never a password: " + user);
            assertFalse(user.toString().contains("argon2"), "never a hash: " + user);

            JsonNode db = entries(
                            admin,
                            "{\"kind\":\"data-definition\",\"details.operation\":\"create-database\",\"details.database\":\"shop\"}")
                    .get(0);
            assertEquals("admin", db.path("principal").path("name").asText());
            assertEquals("127.0.0.1", db.path("client").asText());

            entries(admin, "{\"kind\":\"login\",\"principal.name\":\"walt\"}");
            assertEquals(
                    1,
                    count(admin, "{\"kind\":\"login\",\"principal.name\":\"admin\"}"),
                    "a login is recorded once per credential, not on every request");

            // Nobody changes the audit log through the API, not even an admin.
            String someId = db.path("_id").asText();
            assertEquals(
                    403, admin.put(AUDIT + "/forged", "{\"kind\":\"login\"}").status());
            assertEquals(403, admin.delete(AUDIT + "/" + someId).status());
            assertEquals(
                    403,
                    admin.method("PATCH", AUDIT + "/" + someId, "application/merge-patch+json", "{\"kind\":\"x\"}")
                            .status());
            assertEquals(
                    403,
                    admin.method("POST", AUDIT + "/_bulk", "application/json", "[{\"doc\":{\"_id\":\"f\"}}]")
                            .status());
            assertEquals(
                    403,
                    admin.put(AUDIT + "/_indexes/by_kind", "{\"fields\":[\"kind\"]}")
                            .status());
            assertEquals(403, admin.delete(AUDIT).status());
            assertEquals(403, admin.delete("/api/v1/system").status());
            assertEquals(
                    403, admin.method("PUT", "/api/v1/system/other", null, null).status());
            assertEquals(200, admin.get(AUDIT + "/" + someId).status(), "the entry is still there");
            assertEquals(
                    403,
                    walt.method("POST", AUDIT + "/_query", "application/json", "{}")
                            .status());

            // An admin subscribes like to any collection, and sees the next denial arrive.
            try (SseClient changes = new SseClient(
                    node.http().url(AUDIT + "/_changes?from=now"), null, TestHttp.basic("admin", ADMIN_PASSWORD))) {
                assertEquals(200, changes.status());
                assertEquals("subscribed", changes.nextNonHeartbeat().type());
                assertEquals(403, walt.delete("/api/v1/shop").status());
                JsonNode after = null;
                while (after == null) {
                    SseClient.Event e = changes.nextNonHeartbeat();
                    if (e.type().equals("change")) {
                        JsonNode doc = TestHttp.JSON.readTree(e.data()).path("after");
                        if (doc.path("kind").asText().equals("denied")
                                && doc.path("details").path("resource").asText().equals("db:shop")) {
                            after = doc;
                        }
                    }
                }
                assertEquals("walt", after.path("principal").path("name").asText());
                assertEquals(
                        "manage-databases",
                        after.path("details").path("permission").asText());
                assertEquals(
                        "DELETE /api/v1/{db}",
                        after.path("details").path("route").asText());
            }
        }
    }

    @Test
    void retentionDeletesEntriesOlderThanItKeeps() throws Exception {
        Map<String, Object> settings = secured();
        settings.put("lumadb.security.audit.retention", "3s");
        settings.put("lumadb.security.audit.retention-interval", "200ms");
        try (InProcessServer node = new InProcessServer(settings)) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            assertEquals(
                    401,
                    node.http()
                            .asUser("old-timer", "whatever-pw")
                            .get("/api/v1")
                            .status());
            String old = "{\"principal.name\":\"old-timer\"}";
            entries(admin, old);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (count(admin, old) > 0) {
                assertTrue(System.nanoTime() < deadline, "the old entry is deleted within 30 s");
                Thread.sleep(200);
            }
            assertEquals(
                    401,
                    node.http().asUser("newcomer", "whatever-pw").get("/api/v1").status());
            entries(admin, "{\"principal.name\":\"newcomer\"}");
        }
    }

    @Test
    void aBadAuditSettingStopsTheNodeNamingIt() {
        Map<String, Object> settings = secured();
        settings.put("lumadb.security.audit.queue-size", 0);
        var e = assertThrows(RuntimeException.class, () -> new InProcessServer(settings).close());
        assertTrue(e.getMessage().contains("lumadb.security.audit.queue-size"), e.getMessage());
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.SseRecorder;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Row- and field-level rules against a brute-force model, on a real node. Documents get random
 * owners and tenants, then random writes, ownership and tenant changes and deletes; four callers
 * with different rules watch throughout (a change stream and a live query over SSE, a live query
 * over WebSocket), and at the end every read path (GET, {@code _docs}, {@code _query}, count,
 * aggregate, distinct) must show exactly what filtering the true documents by each caller's rule
 * allows, with hidden fields gone. Halfway a role's rule changes and an API key is revoked:
 * nothing the new rule forbids, and nothing at all for the key, is delivered after that.
 *
 * <p>Seeded: {@code -Drls.seed=<n>} reruns one case; a failure names its seed.
 */
@Timeout(300)
class RowRulesIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";
    private static final String DOCS = "/api/v1/rls/docs";
    private static final List<String> OWNERS = List.of("alice", "bob", "dave", "zed");
    private static final List<String> TENANTS = List.of("a", "b", "c");

    /** One watching caller: its rule over a document (by op number for the rule change) and its hidden fields. */
    private record Caller(String name, TestHttp http, Set<String> hidden) {}

    private static Map<String, Object> secured() {
        Map<String, Object> s = InProcessServer.secured(ADMIN_PASSWORD);
        return s;
    }

    @Test
    void everyReadPathShowsExactlyWhatEachCallersRuleAllows() throws Exception {
        long seed = Long.getLong("rls.seed", 20261202L);
        try {
            run(seed);
        } catch (AssertionError e) {
            throw new AssertionError("seed " + seed + " (rerun with -Drls.seed=" + seed + "): " + e.getMessage(), e);
        }
    }

    private void run(long seed) throws Exception {
        Random random = new Random(seed);
        try (InProcessServer node = new InProcessServer(secured())) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/rls", null, null).status());
            assertEquals(201, admin.put(DOCS, "{\"shards\":3}").status());
            String grants = "[{\"resource\":\"db:rls\",\"actions\":[\"read\",\"query\",\"subscribe\"]}]";
            ok(
                    admin.put(
                            "/api/v1/_security/roles/own",
                            "{\"grants\":" + grants
                                    + ",\"rules\":[{\"resource\":\"db:rls/docs\",\"read\":{\"owner\":\"$claims.sub\"},\"hide\":[\"secret\"]}]}"));
            ok(admin.put("/api/v1/_security/roles/tenant", tenantRole(grants, "a")));
            Map<String, Caller> callers = new TreeMap<>();
            for (var u : Map.of(
                            "alice", "\"own\"", "bob", "\"own\"", "carol", "\"tenant\"", "dave", "\"own\",\"tenant\"")
                    .entrySet()) {
                ok(admin.put(
                        "/api/v1/_security/users/" + u.getKey(),
                        "{\"password\":\"" + u.getKey() + "-pw-12\",\"roles\":[" + u.getValue() + "]}"));
                Set<String> hidden =
                        u.getKey().equals("alice") || u.getKey().equals("bob") ? Set.of("secret") : Set.of();
                callers.put(
                        u.getKey(),
                        new Caller(u.getKey(), node.http().asUser(u.getKey(), u.getKey() + "-pw-12"), hidden));
            }
            var key = admin.method(
                    "POST",
                    "/api/v1/_security/keys",
                    "application/json",
                    "{\"name\":\"erin\",\"roles\":[\"own\"],\"owner\":\"alice\"}");
            assertEquals(201, key.status(), key.toString());
            String keyAuth = "Bearer " + key.json().path("secret").asText();

            // Everyone watches from before the first write.
            Map<String, SseRecorder> changes = new TreeMap<>();
            Map<String, SseRecorder> lives = new TreeMap<>();
            Map<String, WsClient> sockets = new TreeMap<>();
            for (Caller c : callers.values()) {
                String auth = TestHttp.basic(c.name(), c.name() + "-pw-12");
                changes.put(c.name(), new SseRecorder(node.http().url(DOCS + "/_changes?from=now"), auth));
                lives.put(c.name(), new SseRecorder(node.http().url(DOCS + "/_live"), auth));
                WsClient ws = new WsClient(node.port(), false, auth);
                ws.send(
                        "{\"op\":\"subscribe\",\"sub\":\"l\",\"type\":\"live\",\"db\":\"rls\",\"collection\":\"docs\"}");
                sockets.put(c.name(), ws);
            }
            SseRecorder keyStream = new SseRecorder(node.http().url(DOCS + "/_changes?from=now"), keyAuth);
            WsClient keySocket = new WsClient(node.port(), false, keyAuth);
            keySocket.send("{\"op\":\"subscribe\",\"sub\":\"c\",\"type\":\"changes\",\"db\":\"rls\","
                    + "\"collection\":\"docs\",\"from\":\"now\"}");
            try {
                assertEquals("subscribed", keySocket.next("c").path("event").asText());
                for (var l : lives.values()) {
                    await(() -> l.events().stream().anyMatch(e -> e.type().equals("ready")), "live query ready");
                }
                for (var ws : sockets.values()) {
                    assertEquals("subscribed", ws.next("l").path("event").asText());
                    assertEquals("ready", ws.next("l").path("event").asText());
                }

                int total = 160;
                int revokeAt = total / 3;
                int ruleChangeAt = total / 2;
                List<String> live = new ArrayList<>();
                int created = 0;
                for (int n = 1; n <= total; n++) {
                    double r = random.nextDouble();
                    if (live.isEmpty() || r < 0.45) {
                        String id = "d" + (created++);
                        ok(admin.put(DOCS + "/" + id, doc(random, n)));
                        live.add(id);
                    } else if (r < 0.8) {
                        String id = live.get(random.nextInt(live.size()));
                        String field = random.nextBoolean() ? "owner" : "tenant";
                        String value = field.equals("owner")
                                ? OWNERS.get(random.nextInt(OWNERS.size()))
                                : TENANTS.get(random.nextInt(TENANTS.size()));
                        ok(admin.method(
                                "PATCH",
                                DOCS + "/" + id,
                                "application/merge-patch+json",
                                "{\"" + field + "\":\"" + value + "\",\"n\":" + n + ",\"secret\":\"s" + n + "\"}"));
                    } else {
                        String id = live.remove(random.nextInt(live.size()));
                        ok(admin.delete(DOCS + "/" + id));
                    }
                    if (n == revokeAt) {
                        ok(admin.delete("/api/v1/_security/keys/"
                                + key.json().path("id").asText()));
                    }
                    if (n == ruleChangeAt) {
                        ok(admin.put("/api/v1/_security/roles/tenant", tenantRole(grants, "b")));
                    }
                }

                // The truth, as the admin (no rules) reads it.
                Map<String, JsonNode> truth = new TreeMap<>();
                for (JsonNode d : admin.method("POST", DOCS + "/_query", "application/json", "{\"limit\":10000}")
                        .json()
                        .path("documents")) {
                    truth.put(d.path("_id").asText(), d);
                }
                Map<String, Predicate<JsonNode>> rule = Map.of(
                        "alice", d -> is(d, "owner", "alice"),
                        "bob", d -> is(d, "owner", "bob"),
                        "carol", d -> is(d, "tenant", "b"),
                        "dave", d -> is(d, "owner", "dave") || is(d, "tenant", "b"));
                Map<String, Predicate<JsonNode>> oldRule = Map.of(
                        "alice",
                        rule.get("alice"),
                        "bob",
                        rule.get("bob"),
                        "carol",
                        d -> is(d, "tenant", "a"),
                        "dave",
                        d -> is(d, "owner", "dave") || is(d, "tenant", "a"));

                for (Caller c : callers.values()) {
                    Map<String, JsonNode> expected = new TreeMap<>();
                    truth.forEach((id, d) -> {
                        if (rule.get(c.name()).test(d)) {
                            expected.put(id, strip(d, c.hidden()));
                        }
                    });
                    checkReads(c, expected, created, truth);

                    // Streams: nothing forbidden, no hidden field, ever.
                    int ruleChange = c.name().equals("carol") || c.name().equals("dave") ? ruleChangeAt : 0;
                    Predicate<JsonNode> allowed = d -> rule.get(c.name()).test(d)
                            || (d.path("n").asInt() <= ruleChange
                                    && oldRule.get(c.name()).test(d));
                    if (ruleChange == 0) {
                        // Rules unchanged: the stream replayed is exactly the caller's view, and the
                        // live queries end on it too.
                        await(
                                () -> replayChanges(changes.get(c.name()).events(), allowed, c)
                                        .equals(expected),
                                c.name() + "'s change stream replays to its view");
                        await(
                                () -> replayLive(lives.get(c.name()).events(), allowed, c)
                                        .equals(expected),
                                c.name() + "'s live query (SSE) ends on its view");
                        Map<String, JsonNode> wsModel = new TreeMap<>();
                        await(
                                () -> drainWs(sockets.get(c.name()), wsModel, allowed, c)
                                        .equals(expected),
                                c.name() + "'s live query (WebSocket) ends on its view");
                    } else {
                        Thread.sleep(1500);
                        replayChanges(changes.get(c.name()).events(), allowed, null);
                        // Its access changed: the live queries end with access-changed; run afresh they
                        // start from exactly the new view.
                        await(
                                () -> lives.get(c.name()).events().stream()
                                        .anyMatch(e -> e.type().equals("access-changed")),
                                c.name() + "'s SSE live query ends with access-changed");
                        for (SseClient.Event e : lives.get(c.name()).events()) {
                            if (e.type().equals("added") || e.type().equals("changed")) {
                                JsonNode d = json(e.data()).path("document");
                                assertTrue(allowed.test(d), c.name() + " got a forbidden live row " + d);
                            }
                        }
                        JsonNode closing = null;
                        for (int i = 0; i < 1000 && closing == null; i++) {
                            JsonNode m = sockets.get(c.name()).next("l", Duration.ofSeconds(20));
                            if (m.path("event").asText().equals("error")) {
                                closing = m;
                            } else if (m.path("event").asText().equals("added")
                                    || m.path("event").asText().equals("changed")) {
                                assertTrue(allowed.test(m.path("document")), c.name() + " WS row " + m);
                            }
                        }
                        assertTrue(String.valueOf(closing).contains("access-changed"), String.valueOf(closing));
                        SseRecorder fresh = new SseRecorder(
                                node.http().url(DOCS + "/_live"), TestHttp.basic(c.name(), c.name() + "-pw-12"));
                        try {
                            await(
                                    () -> fresh.events().stream()
                                            .anyMatch(e -> e.type().equals("ready")),
                                    "ready");
                            Map<String, JsonNode> result = new TreeMap<>();
                            for (SseClient.Event e : fresh.events()) {
                                if (e.type().equals("result")) {
                                    JsonNode d = json(e.data());
                                    result.put(d.path("_id").asText(), d);
                                }
                            }
                            assertEquals(expected, result, c.name() + "'s fresh live query");
                        } finally {
                            fresh.close();
                        }
                    }
                }

                // The revoked key: its stream ended with unauthorized, and carried nothing written after.
                await(
                        () -> keyStream.events().stream().anyMatch(e -> e.type().equals("unauthorized")),
                        "the revoked key's stream ends with unauthorized");
                for (SseClient.Event e : keyStream.events()) {
                    if (e.type().equals("change")) {
                        JsonNode env = json(e.data());
                        JsonNode d = env.path("after").isObject() ? env.path("after") : env.path("before");
                        assertTrue(d.path("n").asInt() <= revokeAt, "delivered after the revocation: " + env);
                        assertTrue(!d.has("secret"), "hidden field delivered: " + env);
                    }
                }
                assertEquals(401, node.http().as(keyAuth).get(DOCS + "/d0").status());
                // The same key's change stream over WebSocket: changes up to the revocation, then an
                // unauthorized error, then closed; the connection itself stays.
                JsonNode m;
                while (!(m = keySocket.next("c", Duration.ofSeconds(20)))
                        .path("event")
                        .asText()
                        .equals("error")) {
                    if (m.path("event").asText().equals("heartbeat")) {
                        continue;
                    }
                    assertEquals("change", m.path("event").asText(), m.toString());
                    JsonNode env = m.path("data");
                    JsonNode d = env.path("after").isObject() ? env.path("after") : env.path("before");
                    assertTrue(d.path("n").asInt() <= revokeAt, "delivered after the revocation: " + env);
                    assertTrue(!d.has("secret"), "hidden field delivered: " + env);
                }
                assertTrue(m.toString().contains("unauthorized"), m.toString());
                JsonNode closed = keySocket.next("c", Duration.ofSeconds(20));
                assertEquals("closed", closed.path("event").asText(), closed.toString());
                assertEquals("ended", closed.path("reason").asText(), closed.toString());
            } finally {
                keySocket.close();
                for (var c : changes.values()) {
                    c.close();
                }
                for (var c : lives.values()) {
                    c.close();
                }
                for (var ws : sockets.values()) {
                    ws.close();
                }
                keyStream.close();
            }
        }
    }

    @Test
    void writeRulesCheckTheDocumentBeforeAndAfterEveryWrite() throws Exception {
        try (InProcessServer node = new InProcessServer(secured())) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/rls", null, null).status());
            ok(admin.put(
                    "/api/v1/_security/roles/ownWrite",
                    "{\"grants\":[{\"resource\":\"db:rls/docs\",\"actions\":"
                            + "[\"read\",\"query\",\"write\",\"delete\"]}],\"rules\":[{\"resource\":\"db:rls/docs\","
                            + "\"read\":{\"$or\":[{\"owner\":\"$claims.sub\"},{\"public\":true}]},"
                            + "\"write\":{\"owner\":\"$claims.sub\"}}]}"));
            ok(admin.put("/api/v1/_security/users/cy", "{\"password\":\"cy-password-1\",\"roles\":[\"ownWrite\"]}"));
            TestHttp cy = node.http().asUser("cy", "cy-password-1");
            ok(admin.put(DOCS + "/mine", "{\"owner\":\"cy\",\"v\":1}"));
            ok(admin.put(DOCS + "/shared", "{\"owner\":\"ada\",\"public\":true,\"v\":1}"));
            ok(admin.put(DOCS + "/hidden", "{\"owner\":\"ada\",\"v\":1}"));

            // After the write: a new document must be the caller's.
            ok(cy.put(DOCS + "/new", "{\"owner\":\"cy\"}"));
            assertEquals(403, cy.put(DOCS + "/gift", "{\"owner\":\"ada\"}").status());
            assertEquals(404, admin.get(DOCS + "/gift").status(), "a refused write writes nothing");
            // A patch giving its own document away is refused; one keeping it is fine.
            assertEquals(
                    403,
                    cy.method("PATCH", DOCS + "/mine", "application/merge-patch+json", "{\"owner\":\"ada\"}")
                            .status());
            ok(cy.method("PATCH", DOCS + "/mine", "application/merge-patch+json", "{\"v\":2}"));
            // Before the write: a document it sees but does not own is 403, one it cannot see 404.
            assertEquals(403, cy.put(DOCS + "/shared", "{\"owner\":\"cy\"}").status());
            assertEquals(403, cy.delete(DOCS + "/shared").status());
            assertEquals(404, cy.put(DOCS + "/hidden", "{\"owner\":\"cy\"}").status());
            assertEquals(404, cy.delete(DOCS + "/hidden").status());
            assertEquals("ada", admin.get(DOCS + "/shared").json().path("owner").asText(), "unchanged");
            assertEquals(1, admin.get(DOCS + "/hidden").json().path("v").asInt(), "unchanged");
            ok(cy.delete(DOCS + "/new"));
            // Bulk: each item is judged alone; refused items fail with 403 and write nothing.
            var bulk = cy.method(
                    "POST",
                    DOCS + "/_bulk",
                    "application/x-ndjson",
                    "{\"doc\":{\"_id\":\"b1\",\"owner\":\"cy\"}}\n{\"doc\":{\"_id\":\"b2\",\"owner\":\"ada\"}}\n"
                            + "{\"op\":\"delete\",\"id\":\"shared\"}\n");
            assertEquals(200, bulk.status(), bulk.toString());
            JsonNode items = bulk.json().path("items");
            assertEquals(201, items.get(0).path("status").asInt(), bulk.toString());
            assertEquals(403, items.get(1).path("status").asInt(), bulk.toString());
            assertEquals(403, items.get(2).path("status").asInt(), bulk.toString());
            assertEquals(404, admin.get(DOCS + "/b2").status());
            assertEquals(200, admin.get(DOCS + "/shared").status());
            // The admin has no rule: it writes anything.
            ok(admin.put(DOCS + "/gift", "{\"owner\":\"ada\"}"));
        }
    }

    @Test
    void writesByACallerWithHiddenFieldsNeitherDropNorTouchNorLeakThem() throws Exception {
        try (InProcessServer node = new InProcessServer(secured())) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/rls", null, null).status());
            assertEquals(201, admin.put(DOCS, "{\"shards\":1}").status());
            // No write rule: the caller's writes would go to the shard in one step but for the hidden fields.
            ok(admin.put(
                    "/api/v1/_security/roles/staff",
                    "{\"grants\":[{\"resource\":\"db:rls/docs\",\"actions\":"
                            + "[\"read\",\"query\",\"write\",\"delete\",\"subscribe\"]}],"
                            + "\"rules\":[{\"resource\":\"db:rls/docs\",\"hide\":[\"salary\",\"comp.bonus\"]}]}"));
            ok(admin.put("/api/v1/_security/users/eve", "{\"password\":\"eve-password-1\",\"roles\":[\"staff\"]}"));
            TestHttp eve = node.http().asUser("eve", "eve-password-1");
            String full = "{\"name\":\"a\",\"salary\":100,\"comp\":{\"base\":1,\"bonus\":7}}";
            ok(admin.put(DOCS + "/e1", full));
            assertEquals(json("{\"name\":\"a\",\"comp\":{\"base\":1}}"), content(eve.get(DOCS + "/e1")));

            // A replace keeps what the caller cannot see, and its answer shows none of it.
            var replaced = eve.put(DOCS + "/e1", "{\"name\":\"b\",\"comp\":{\"base\":2}}");
            ok(replaced);
            noHidden(replaced);
            assertEquals(
                    json("{\"name\":\"b\",\"comp\":{\"base\":2,\"bonus\":7},\"salary\":100}"),
                    content(admin.get(DOCS + "/e1")));
            // So does a replace naming neither comp nor anything else.
            ok(eve.put(DOCS + "/e1", "{\"name\":\"c\"}"));
            assertEquals(
                    json("{\"name\":\"c\",\"salary\":100,\"comp\":{\"bonus\":7}}"), content(admin.get(DOCS + "/e1")));

            // Naming a hidden field, to set it or remove it, is refused and writes nothing.
            long version = admin.get(DOCS + "/e1").json().path("_version").asLong();
            String patch = "application/merge-patch+json";
            for (var refused : List.of(
                    eve.put(DOCS + "/e1", "{\"name\":\"d\",\"salary\":1}"),
                    eve.put(DOCS + "/e1", "{\"name\":\"d\",\"comp\":{\"bonus\":0}}"),
                    eve.put(DOCS + "/e1", "{\"name\":\"d\",\"comp\":5}"),
                    eve.method("PATCH", DOCS + "/e1", patch, "{\"salary\":null}"),
                    eve.method("PATCH", DOCS + "/e1", patch, "{\"salary\":1000}"),
                    eve.method("PATCH", DOCS + "/e1", patch, "{\"comp\":{\"bonus\":null}}"),
                    eve.method("PATCH", DOCS + "/e1", patch, "{\"comp\":\"flat\"}"),
                    eve.put(DOCS + "/e9", "{\"name\":\"new\",\"salary\":1}"))) {
                hiddenField(refused);
            }
            assertEquals(
                    version, admin.get(DOCS + "/e1").json().path("_version").asLong(), "nothing written");
            assertEquals(404, admin.get(DOCS + "/e9").status(), "nothing created");

            // A patch removing what the caller sees of comp keeps the hidden part; its answer hides it.
            var patched = eve.method("PATCH", DOCS + "/e1", patch, "{\"comp\":null,\"name\":\"e\"}");
            ok(patched);
            noHidden(patched);
            assertEquals("e", patched.json().path("name").asText(), patched.toString());
            assertEquals(
                    json("{\"name\":\"e\",\"salary\":100,\"comp\":{\"bonus\":7}}"), content(admin.get(DOCS + "/e1")));

            // Preconditions: a replace at the right version keeps the hidden fields; a stale one is 412
            // and tells nothing hidden.
            version = eve.get(DOCS + "/e1").json().path("_version").asLong();
            ok(eve.method(
                    "PUT", DOCS + "/e1", "application/json", "{\"name\":\"f\"}", "If-Match", "\"" + version + "\""));
            var stale = eve.method(
                    "PUT", DOCS + "/e1", "application/json", "{\"name\":\"g\"}", "If-Match", "\"" + version + "\"");
            assertEquals(412, stale.status(), stale.toString());
            noHidden(stale);
            assertEquals(
                    json("{\"name\":\"f\",\"salary\":100,\"comp\":{\"bonus\":7}}"), content(admin.get(DOCS + "/e1")));

            // Bulk: an item naming a hidden field fails alone; a replace keeps them; no result shows them.
            var bulk = eve.method(
                    "POST",
                    DOCS + "/_bulk",
                    "application/x-ndjson",
                    "{\"doc\":{\"_id\":\"b1\",\"name\":\"x\"}}\n{\"doc\":{\"_id\":\"b2\",\"salary\":5}}\n"
                            + "{\"op\":\"put\",\"id\":\"e1\",\"doc\":{\"name\":\"h\"}}\n"
                            + "{\"op\":\"patch\",\"id\":\"e1\",\"doc\":{\"salary\":null}}\n");
            assertEquals(200, bulk.status(), bulk.toString());
            noHidden(bulk);
            JsonNode items = bulk.json().path("items");
            assertEquals(201, items.get(0).path("status").asInt(), bulk.toString());
            assertEquals(403, items.get(1).path("status").asInt(), bulk.toString());
            assertEquals(
                    "urn:lumadb:problem:hidden-field",
                    items.get(1).path("error").path("type").asText(),
                    bulk.toString());
            assertEquals(200, items.get(2).path("status").asInt(), bulk.toString());
            assertEquals(403, items.get(3).path("status").asInt(), bulk.toString());
            assertEquals(404, admin.get(DOCS + "/b2").status());
            assertEquals(
                    json("{\"name\":\"h\",\"salary\":100,\"comp\":{\"bonus\":7}}"), content(admin.get(DOCS + "/e1")));

            // Queries and subscriptions cannot filter, sort, project, aggregate or distinct on a hidden field.
            for (String query : List.of(
                    "{\"filter\":{\"salary\":{\"$gt\":50}},\"count\":true}",
                    "{\"sort\":[\"-salary\"]}",
                    "{\"sort\":[\"comp.bonus\"]}",
                    "{\"fields\":[\"comp\"]}",
                    "{\"distinct\":\"comp.bonus\"}",
                    "{\"aggregate\":{\"metrics\":{\"top\":{\"$max\":\"salary\"}}}}")) {
                hiddenField(eve.method("POST", DOCS + "/_query", "application/json", query));
            }
            String salaryFilter = TestHttp.encode("{\"salary\":100}");
            try (SseClient live = new SseClient(
                    node.http().url(DOCS + "/_live?filter=" + salaryFilter),
                    null,
                    TestHttp.basic("eve", "eve-password-1"))) {
                assertEquals(403, live.status(), "a live query filtering on a hidden field");
            }
            try (SseClient live = new SseClient(
                    node.http().url(DOCS + "/_live?sort=" + TestHttp.encode("[\"-salary\"]")),
                    null,
                    TestHttp.basic("eve", "eve-password-1"))) {
                assertEquals(403, live.status(), "a live query sorted by a hidden field");
            }
            hiddenField(eve.get(DOCS + "/_changes?from=beginning&filter=" + salaryFilter));
            try (WsClient ws = new WsClient(node.port(), false, TestHttp.basic("eve", "eve-password-1"))) {
                ws.send("{\"op\":\"subscribe\",\"sub\":\"l\",\"type\":\"live\",\"db\":\"rls\",\"collection\":\"docs\","
                        + "\"filter\":{\"salary\":100}}");
                JsonNode answer = ws.next("l");
                assertEquals("error", answer.path("event").asText(), answer.toString());
                assertTrue(answer.toString().contains("urn:lumadb:problem:hidden-field"), answer.toString());
            }

            // A replace racing with the admin's raises of the salary never puts an older salary back:
            // every write judges the document at one version and writes only if it is still there.
            ok(admin.put(DOCS + "/e3", "{\"name\":\"r\",\"salary\":0}"));
            int raises = 60;
            List<String> raiseFailures = Collections.synchronizedList(new ArrayList<>());
            Thread raiser = new Thread(() -> {
                for (int i = 1; i <= raises; i++) {
                    var r = admin.method("PATCH", DOCS + "/e3", patch, "{\"salary\":" + i + "}");
                    if (r.status() != 200) {
                        raiseFailures.add(r.toString());
                    }
                }
            });
            raiser.start();
            int conflicts = 0;
            for (int i = 0; i < 60; i++) {
                var r = eve.put(DOCS + "/e3", "{\"name\":\"r" + i + "\"}");
                if (r.status() == 409) {
                    conflicts++;
                    assertTrue(r.body().contains("write-conflict"), r.toString());
                } else {
                    ok(r);
                }
            }
            raiser.join(60_000);
            assertEquals(List.of(), raiseFailures);
            assertEquals(raises, content(admin.get(DOCS + "/e3")).path("salary").asInt());
            assertTrue(conflicts < 60, "every replace lost the race");
            List<Integer> salaries = new ArrayList<>();
            String token = "beginning";
            while (true) {
                var page = admin.get(DOCS + "/_changes?limit=500&from=" + TestHttp.encode(token));
                assertEquals(200, page.status(), page.toString());
                token = page.header("LumaDB-Next-Token");
                if (page.body().isEmpty()) {
                    break;
                }
                for (String line : page.body().split("\n")) {
                    JsonNode change = json(line);
                    if (change.path("source").path("id").asText().equals("e3")
                            && change.path("after").isObject()) {
                        salaries.add(change.path("after").path("salary").asInt(-1));
                    }
                }
            }
            for (int i = 1; i < salaries.size(); i++) {
                assertTrue(salaries.get(i) >= salaries.get(i - 1), "the salary went back: " + salaries);
            }
            assertEquals(raises, salaries.getLast(), salaries.toString());
        }
    }

    /** A document as read, without its system fields. */
    private static JsonNode content(TestHttp.Response r) {
        assertEquals(200, r.status(), r.toString());
        ObjectNode d = ((ObjectNode) r.json()).deepCopy();
        d.remove("_id");
        d.remove("_version");
        return d;
    }

    private static void noHidden(TestHttp.Response r) {
        assertTrue(
                !r.body().contains("salary")
                        && !r.body().contains("bonus")
                        && !r.body().contains("100"),
                "a hidden field in an answer: " + r);
    }

    private static void hiddenField(TestHttp.Response r) {
        assertEquals(403, r.status(), r.toString());
        assertEquals("urn:lumadb:problem:hidden-field", r.json().path("type").asText(), r.toString());
    }

    private static String tenantRole(String grants, String tenant) {
        return "{\"grants\":" + grants + ",\"rules\":[{\"resource\":\"db:rls/docs\",\"read\":{\"tenant\":\"" + tenant
                + "\"}}]}";
    }

    private static String doc(Random random, int n) {
        return "{\"owner\":\"" + OWNERS.get(random.nextInt(OWNERS.size())) + "\",\"tenant\":\""
                + TENANTS.get(random.nextInt(TENANTS.size())) + "\",\"secret\":\"s" + n + "\",\"n\":" + n + "}";
    }

    private static void checkReads(Caller c, Map<String, JsonNode> expected, int created, Map<String, JsonNode> truth) {
        String who = c.name() + ": ";
        for (int i = 0; i < created; i++) {
            String id = "d" + i;
            var r = c.http().get(DOCS + "/" + id);
            if (expected.containsKey(id)) {
                assertEquals(200, r.status(), who + "GET " + id);
                assertEquals(expected.get(id), r.json(), who + "GET " + id);
            } else {
                assertEquals(404, r.status(), who + "GET " + id + " (exists: " + truth.containsKey(id) + ")");
            }
        }
        Map<String, JsonNode> listed = new TreeMap<>();
        String after = null;
        do {
            var page = c.http().get(DOCS + "/_docs?limit=7" + (after == null ? "" : "&after=" + after));
            assertEquals(200, page.status(), who + page);
            page.json().path("docs").forEach(d -> listed.put(d.path("_id").asText(), d));
            after = page.json().path("next").isNull()
                    ? null
                    : page.json().path("next").asText();
        } while (after != null);
        assertEquals(expected, listed, who + "_docs");

        Map<String, JsonNode> queried = new TreeMap<>();
        var q = c.http().method("POST", DOCS + "/_query", "application/json", "{\"limit\":10000}");
        q.json().path("documents").forEach(d -> queried.put(d.path("_id").asText(), d));
        assertEquals(expected, queried, who + "_query");
        var count = c.http().method("POST", DOCS + "/_query", "application/json", "{\"count\":true}");
        assertEquals(expected.size(), count.json().path("count").asInt(), who + "count " + count);
        var filtered = c.http()
                .method("POST", DOCS + "/_query", "application/json", "{\"filter\":{\"tenant\":\"c\"},\"count\":true}");
        assertEquals(
                expected.values().stream().filter(d -> is(d, "tenant", "c")).count(),
                filtered.json().path("count").asLong(),
                who + "filtered count");
        var agg = c.http()
                .method(
                        "POST",
                        DOCS + "/_query",
                        "application/json",
                        "{\"aggregate\":{\"groupBy\":[\"tenant\"],\"metrics\":{\"n\":{\"$count\":{}}}}}");
        Map<String, Integer> groups = new TreeMap<>();
        agg.json()
                .path("groups")
                .forEach(g -> groups.put(
                        g.path("key").path("tenant").asText(), g.path("n").asInt()));
        Map<String, Integer> expectedGroups = new TreeMap<>();
        expected.values().forEach(d -> expectedGroups.merge(d.path("tenant").asText(), 1, Integer::sum));
        assertEquals(expectedGroups, groups, who + "aggregate " + agg);
        var distinct = c.http().method("POST", DOCS + "/_query", "application/json", "{\"distinct\":\"owner\"}");
        Set<String> owners = new TreeSet<>();
        distinct.json().path("values").forEach(v -> owners.add(v.asText()));
        Set<String> expectedOwners = new TreeSet<>();
        expected.values().forEach(d -> expectedOwners.add(d.path("owner").asText()));
        assertEquals(expectedOwners, owners, who + "distinct");
        if (c.hidden().contains("secret")) {
            assertEquals(
                    403,
                    c.http()
                            .method("POST", DOCS + "/_query", "application/json", "{\"distinct\":\"secret\"}")
                            .status(),
                    who + "a query naming a hidden field");
        }
    }

    /** The caller's view rebuilt from its change stream, checking each change as it goes. */
    private static Map<String, JsonNode> replayChanges(
            List<SseClient.Event> events, Predicate<JsonNode> allowed, Caller exact) {
        Map<String, JsonNode> model = new TreeMap<>();
        for (SseClient.Event e : events) {
            if (!e.type().equals("change")) {
                continue;
            }
            JsonNode env = json(e.data());
            String id = env.path("source").path("id").asText();
            String op = env.path("op").asText();
            if (op.equals("d")) {
                if (exact != null) {
                    assertTrue(
                            model.containsKey(id), exact.name() + " got a delete of " + id + " it never saw: " + env);
                }
                model.remove(id);
            } else {
                JsonNode after = env.path("after");
                assertTrue(allowed.test(after), "a forbidden document was delivered: " + env);
                assertTrue(
                        !after.has("secret") || exact == null || !exact.hidden().contains("secret"),
                        "a hidden field was delivered: " + env);
                if (exact != null && op.equals("c")) {
                    assertTrue(!model.containsKey(id), exact.name() + " got a create of " + id + " it already saw");
                }
                model.put(id, after);
            }
        }
        return model;
    }

    private static Map<String, JsonNode> replayLive(
            List<SseClient.Event> events, Predicate<JsonNode> allowed, Caller c) {
        Map<String, JsonNode> model = new TreeMap<>();
        for (SseClient.Event e : events) {
            JsonNode data = e.data() == null || e.data().isEmpty() ? null : json(e.data());
            switch (e.type()) {
                case "added", "changed" -> {
                    JsonNode d = data.path("document");
                    assertTrue(allowed.test(d), c.name() + " got a forbidden live row " + d);
                    assertTrue(c.hidden().stream().noneMatch(d::has), c.name() + " got a hidden field " + d);
                    model.put(data.path("id").asText(), d);
                }
                case "removed" -> {
                    assertTrue(
                            model.containsKey(data.path("id").asText()),
                            c.name() + " got a removal of a row it never had: " + data);
                    model.remove(data.path("id").asText());
                }
                default -> {}
            }
        }
        return model;
    }

    private static Map<String, JsonNode> drainWs(
            WsClient ws, Map<String, JsonNode> model, Predicate<JsonNode> allowed, Caller c) {
        while (true) {
            JsonNode m;
            try {
                m = ws.next("l", Duration.ofMillis(200));
            } catch (AssertionError quiet) {
                return model;
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            switch (m.path("event").asText()) {
                case "added", "changed" -> {
                    JsonNode d = m.path("document");
                    assertTrue(allowed.test(d), c.name() + " got a forbidden WebSocket row " + d);
                    assertTrue(c.hidden().stream().noneMatch(d::has), c.name() + " got a hidden field " + d);
                    model.put(m.path("id").asText(), d);
                }
                case "removed" -> {
                    assertTrue(model.containsKey(m.path("id").asText()), c.name() + " removal of unseen " + m);
                    model.remove(m.path("id").asText());
                }
                default -> {}
            }
        }
    }

    private static boolean is(JsonNode d, String field, String value) {
        return d.path(field).asText("").equals(value);
    }

    private static JsonNode strip(JsonNode d, Set<String> hidden) {
        ObjectNode copy = ((ObjectNode) d).deepCopy();
        hidden.forEach(copy::remove);
        return copy;
    }

    private static JsonNode json(String text) {
        try {
            return TestHttp.JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static void ok(TestHttp.Response r) {
        assertTrue(r.status() >= 200 && r.status() < 300, r.toString());
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        AssertionError last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.holds()) {
                    return;
                }
                last = null;
            } catch (AssertionError e) {
                last = e;
                // a check inside fails only on what was delivered: no point waiting
                throw e;
            }
            Thread.sleep(100);
        }
        throw last != null ? last : new AssertionError("timed out: " + what);
    }
}

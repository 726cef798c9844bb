package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
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
        Map<String, Object> s = new HashMap<>();
        s.put("lumadb.security.enabled", true);
        s.put("lumadb.security.admin-password", ADMIN_PASSWORD);
        s.put("lumadb.security.password-hash.memory", "1 MiB");
        s.put("lumadb.security.password-hash.iterations", 1);
        return s;
    }

    /** A background reader of one SSE stream. */
    private static final class Collector implements AutoCloseable {
        final List<SseClient.Event> events = Collections.synchronizedList(new ArrayList<>());
        final SseClient client;
        final Thread thread;

        Collector(String url, String authorization) throws Exception {
            client = new SseClient(url, null, authorization);
            assertEquals(200, client.status(), url);
            thread = new Thread(() -> {
                try {
                    SseClient.Event e;
                    while ((e = client.next()) != null) {
                        events.add(e);
                    }
                } catch (Exception ended) {
                    // closed by the test
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        List<SseClient.Event> snapshot() {
            synchronized (events) {
                return new ArrayList<>(events);
            }
        }

        @Override
        public void close() throws Exception {
            client.close();
        }
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
            Map<String, Collector> changes = new TreeMap<>();
            Map<String, Collector> lives = new TreeMap<>();
            Map<String, WsClient> sockets = new TreeMap<>();
            for (Caller c : callers.values()) {
                String auth = TestHttp.basic(c.name(), c.name() + "-pw-12");
                changes.put(c.name(), new Collector(node.http().url(DOCS + "/_changes?from=now"), auth));
                lives.put(c.name(), new Collector(node.http().url(DOCS + "/_live"), auth));
                WsClient ws = new WsClient(node.port(), false, auth);
                ws.send(
                        "{\"op\":\"subscribe\",\"sub\":\"l\",\"type\":\"live\",\"db\":\"rls\",\"collection\":\"docs\"}");
                sockets.put(c.name(), ws);
            }
            Collector keyStream = new Collector(node.http().url(DOCS + "/_changes?from=now"), keyAuth);
            try {
                for (var l : lives.values()) {
                    await(() -> l.snapshot().stream().anyMatch(e -> e.type().equals("ready")), "live query ready");
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
                                () -> replayChanges(changes.get(c.name()).snapshot(), allowed, c)
                                        .equals(expected),
                                c.name() + "'s change stream replays to its view");
                        await(
                                () -> replayLive(lives.get(c.name()).snapshot(), allowed, c)
                                        .equals(expected),
                                c.name() + "'s live query (SSE) ends on its view");
                        Map<String, JsonNode> wsModel = new TreeMap<>();
                        await(
                                () -> drainWs(sockets.get(c.name()), wsModel, allowed, c)
                                        .equals(expected),
                                c.name() + "'s live query (WebSocket) ends on its view");
                    } else {
                        Thread.sleep(1500);
                        replayChanges(changes.get(c.name()).snapshot(), allowed, null);
                        // Its access changed: the live queries end with access-changed; run afresh they
                        // start from exactly the new view.
                        await(
                                () -> lives.get(c.name()).snapshot().stream()
                                        .anyMatch(e -> e.type().equals("access-changed")),
                                c.name() + "'s SSE live query ends with access-changed");
                        for (SseClient.Event e : lives.get(c.name()).snapshot()) {
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
                        Collector fresh = new Collector(
                                node.http().url(DOCS + "/_live"), TestHttp.basic(c.name(), c.name() + "-pw-12"));
                        try {
                            await(
                                    () -> fresh.snapshot().stream()
                                            .anyMatch(e -> e.type().equals("ready")),
                                    "ready");
                            Map<String, JsonNode> result = new TreeMap<>();
                            for (SseClient.Event e : fresh.snapshot()) {
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
                        () -> keyStream.snapshot().stream()
                                .anyMatch(e -> e.type().equals("unauthorized")),
                        "the revoked key's stream ends with unauthorized");
                for (SseClient.Event e : keyStream.snapshot()) {
                    if (e.type().equals("change")) {
                        JsonNode env = json(e.data());
                        JsonNode d = env.path("after").isObject() ? env.path("after") : env.path("before");
                        assertTrue(d.path("n").asInt() <= revokeAt, "delivered after the revocation: " + env);
                        assertTrue(!d.has("secret"), "hidden field delivered: " + env);
                    }
                }
                assertEquals(401, node.http().as(keyAuth).get(DOCS + "/d0").status());
            } finally {
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

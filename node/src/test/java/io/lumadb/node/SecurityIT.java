package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.lumadb.http.ApiContext;
import io.lumadb.http.ApiHandler;
import io.lumadb.http.HttpSettings;
import io.lumadb.http.RequestObserver;
import io.lumadb.http.Route;
import io.lumadb.http.WebSocketSettings;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.security.Security;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.WsClient;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Security on a real node: the first admin, the authorization matrix over every route of the
 * route table (each refusal also an audit entry), API keys and their revocation, and the
 * WebSocket's per-operation checks.
 */
@Timeout(240)
class SecurityIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";

    /** Security on, with a cheap password hash so the test does not wait on Argon2id. */
    private static Map<String, Object> secured(String adminPassword) {
        Map<String, Object> s = InProcessServer.secured(adminPassword);
        return s;
    }

    // ---- the authorization matrix

    private enum Caller {
        ANONYMOUS,
        READER,
        WRITER,
        /** readWrite in the database "other" only. */
        OTHER_DB,
        ADMIN
    }

    /**
     * What each caller may do, written out independently of the security code: the built-in
     * roles as the README describes them.
     */
    private static boolean expectedAllowed(Caller who, Permission p, String db) {
        if (p.action() == Action.NONE) {
            return true;
        }
        if (who == Caller.ANONYMOUS) {
            return false;
        }
        if (p.action() == Action.SIGNED_IN || who == Caller.ADMIN) {
            return true;
        }
        Set<Action> read = EnumSet.of(Action.READ, Action.QUERY, Action.SUBSCRIBE);
        Set<Action> readWrite = EnumSet.of(
                Action.READ, Action.WRITE, Action.DELETE, Action.QUERY, Action.SUBSCRIBE, Action.PUBLISH, Action.INDEX);
        return switch (who) {
            case READER -> read.contains(p.action());
            case WRITER -> readWrite.contains(p.action());
            case OTHER_DB ->
                readWrite.contains(p.action())
                        && (p.scope() == Scope.DATABASE || p.scope() == Scope.COLLECTION)
                        && db.equals("other");
            default -> throw new IllegalStateException();
        };
    }

    private static List<Route> routeTable() {
        var config = LumaDbServer.config(ConfigFactory.empty());
        ApiContext api = new ApiContext(
                null,
                null,
                null,
                null,
                null,
                null,
                HttpSettings.from(config),
                WebSocketSettings.from(config),
                () -> "",
                Security.off());
        return new ApiHandler(api, RequestObserver.NONE).routes().routes();
    }

    private static final Pattern PARAMETER = Pattern.compile("\\{([a-zA-Z]+)(?:\\.\\.\\.)?}");

    private static String path(String template, String db) {
        Map<String, String> values = Map.ofEntries(
                Map.entry("db", db),
                Map.entry("collection", "users"),
                Map.entry("id", "d1"),
                Map.entry("name", "ix"),
                Map.entry("topic", "t1"),
                Map.entry("group", "g1"),
                Map.entry("user", "zed"),
                Map.entry("role", "zrole"),
                Map.entry("key", "nokey"),
                Map.entry("backup", "nobackup"),
                Map.entry("path", "rocksdb/CURRENT"));
        Matcher m = PARAMETER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new AssertionError("the matrix has no value for {" + m.group(1) + "} of " + template);
            }
            m.appendReplacement(out, value);
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The status of one request; streaming answers are closed as soon as their head arrived. */
    private static int status(HttpClient client, int port, String method, String path, String authorization)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (method.equals("GET") || method.equals("DELETE")) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", method.equals("PATCH") ? "application/merge-patch+json" : "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString("{}"));
        }
        HttpResponse<InputStream> r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = r.body()) {
            if (!r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
                body.readAllBytes();
            }
        }
        return r.statusCode();
    }

    @Test
    void everyRouteAnswersEachCallerAsItsPermissionSays() throws Exception {
        try (InProcessServer node = new InProcessServer(secured(ADMIN_PASSWORD));
                HttpClient client = HttpClient.newHttpClient()) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            for (String db : List.of("shop", "other")) {
                assertEquals(
                        201, admin.method("PUT", "/api/v1/" + db, null, null).status());
                admin.putDocument("/api/v1/" + db + "/users", "d1", "{\"owner\":\"x\"}");
            }
            Map<Caller, String> auth = new HashMap<>();
            auth.put(Caller.ANONYMOUS, null);
            auth.put(Caller.ADMIN, TestHttp.basic("admin", ADMIN_PASSWORD));
            for (var user : List.of(
                    List.of("reader", "\"read\"", Caller.READER.name()),
                    List.of("writer", "\"readWrite\"", Caller.WRITER.name()),
                    List.of("otherdb", "{\"role\":\"readWrite\",\"database\":\"other\"}", Caller.OTHER_DB.name()))) {
                var created = admin.put(
                        "/api/v1/_security/users/" + user.get(0),
                        "{\"password\":\"" + user.get(0) + "-pw-1\",\"roles\":[" + user.get(1) + "]}");
                assertEquals(201, created.status(), created.toString());
                auth.put(Caller.valueOf(user.get(2)), TestHttp.basic(user.get(0), user.get(0) + "-pw-1"));
            }

            // Deletes last, so the admin's drops do not take the other rows' resources away.
            List<Route> routes = new ArrayList<>(routeTable());
            routes.sort(Comparator.comparing(r -> r.method().equals("DELETE")));
            assertTrue(routes.size() > 40, "the whole route table: " + routes.size());
            List<String> wrong = new ArrayList<>();
            Set<String> deniedExpected = new TreeSet<>();
            int checked = 0;
            for (Caller who : Caller.values()) {
                for (Route route : routes) {
                    for (String db : route.template().contains("{db}") ? List.of("shop", "other") : List.of("-")) {
                        String path = path(route.template(), db);
                        int status = status(client, node.port(), route.method(), path, auth.get(who));
                        boolean allowed = expectedAllowed(who, route.permission(), db);
                        int unauthorized = who == Caller.ANONYMOUS ? 401 : 403;
                        boolean ok = allowed ? status != 401 && status != 403 : status == unauthorized;
                        if (!ok || status >= 500) {
                            wrong.add(who + " " + route.method() + " " + path + " (" + route.permission() + "): "
                                    + status + ", expected " + (allowed ? "allowed" : unauthorized));
                        }
                        if (!allowed && who != Caller.ANONYMOUS) {
                            deniedExpected.add(denial(auth.get(who), route, db));
                        }
                        checked++;
                    }
                }
            }
            assertEquals(List.of(), wrong, "of " + checked + " requests");

            // Every 403 is a denial in the audit log, naming the caller, the route and the resource.
            assertTrue(
                    deniedExpected.stream().anyMatch(d -> d.contains("/api/v1/_security/")),
                    "the matrix denies some security routes");
            Set<String> missing = new TreeSet<>(deniedExpected);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                var r = admin.method(
                        "POST",
                        "/api/v1/system/audit/_query",
                        "application/json",
                        "{\"filter\":{\"kind\":\"denied\"},\"limit\":10000}");
                assertEquals(200, r.status(), r.toString());
                for (JsonNode e : r.json().path("documents")) {
                    missing.remove(e.path("principal").path("name").asText() + " "
                            + e.path("details").path("route").asText() + " "
                            + e.path("details").path("resource").asText() + " "
                            + e.path("details").path("permission").asText());
                }
                Thread.sleep(200);
            }
            assertEquals(Set.of(), missing, "denials without an audit entry, of " + deniedExpected.size());
        }
    }

    /** A denial as the audit log records it: caller, route, resource and permission. */
    private static String denial(String authorization, Route route, String db) {
        String basic = new String(
                java.util.Base64.getDecoder().decode(authorization.substring("Basic ".length())),
                java.nio.charset.StandardCharsets.UTF_8);
        String resource =
                switch (route.permission().scope()) {
                    case CLUSTER -> "cluster";
                    case DATABASE -> "db:" + db;
                    case COLLECTION -> "db:" + db + "/users";
                    case TOPIC -> "topic:t1";
                };
        return basic.substring(0, basic.indexOf(':')) + " " + route.method() + " " + route.template() + " " + resource
                + " " + route.permission().action().jsonName();
    }

    // ---- the first admin

    @Test
    void aFreshNodeCreatesAdminWithAGeneratedPasswordItKeepsInAPrivateFile() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-security");
        try {
            String password;
            try (InProcessServer node = InProcessServer.on(dir, secured(""))) {
                Path file = dir.resolve("initial-admin-password");
                assertTrue(Files.exists(file), "the generated password is written down");
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
                password = Files.readString(file).strip();
                assertTrue(password.length() >= 20, password);
                assertEquals(401, node.http().get("/api/v1").status());
                var whoami = node.http().asUser("admin", password).get("/api/v1/_security/whoami");
                assertEquals(200, whoami.status(), whoami.toString());
                assertEquals("admin", whoami.json().path("name").asText());
                assertEquals(
                        401,
                        node.http()
                                .asUser("admin", "wrong-password")
                                .get("/api/v1")
                                .status());
            }
            Files.delete(dir.resolve("initial-admin-password"));
            // A restart finds the admin: no new password, the old one still works.
            try (InProcessServer node = InProcessServer.on(dir, secured(""))) {
                assertFalse(Files.exists(dir.resolve("initial-admin-password")));
                assertEquals(
                        200,
                        node.http().asUser("admin", password).get("/api/v1").status());
            }
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }

    // ---- API keys, problems, WebSocket

    @Test
    void apiKeysAreShownOnceWorkAndStopAtOnceWhenRevoked() throws Exception {
        try (InProcessServer node = new InProcessServer(secured(ADMIN_PASSWORD))) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/shop", null, null).status());
            var created = admin.method(
                    "POST",
                    "/api/v1/_security/keys",
                    "application/json",
                    "{\"name\":\"ingest\",\"roles\":[{\"role\":\"readWrite\",\"database\":\"shop\"}],\"expires\":\"P30D\"}");
            assertEquals(201, created.status(), created.toString());
            String secret = created.json().path("secret").asText();
            String id = created.json().path("id").asText();
            assertTrue(secret.startsWith("luma_" + id + "_"), secret);
            var listed = admin.get("/api/v1/_security/keys/" + id);
            assertEquals(200, listed.status());
            assertFalse(listed.body().contains(secret.substring(18)), "the secret is never shown again");

            TestHttp key = node.http().as("Bearer " + secret);
            assertEquals(201, key.put("/api/v1/shop/orders/o1", "{\"total\":3}").status());
            var denied = key.put("/api/v1/other", "{}");
            assertEquals(403, denied.status());
            assertEquals(
                    "urn:lumadb:problem:forbidden", denied.json().path("type").asText());
            assertTrue(denied.json().path("detail").asText().contains(id), denied.toString());

            assertEquals(200, admin.delete("/api/v1/_security/keys/" + id).status());
            var refused = key.get("/api/v1/shop/orders/o1");
            assertEquals(401, refused.status(), "revocation applies to the very next request");
            assertTrue(refused.header("WWW-Authenticate").contains("Basic"), refused.toString());
            assertEquals(
                    "urn:lumadb:problem:unauthorized",
                    refused.json().path("type").asText());
        }
    }

    @Test
    void badSecurityRequestsAre400sAndChangeNothing() throws Exception {
        try (InProcessServer node = new InProcessServer(secured(ADMIN_PASSWORD))) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            Map<String, String> bodies = Map.of(
                    "{\"password\":\"short\",\"roles\":[]}", "/password",
                    "{\"password\":\"long-enough-1\",\"roles\":[\"nope\"]}", "/roles",
                    "{\"password\":\"long-enough-1\",\"roles\":[{\"role\":\"read\",\"database\":\"_x\"}]}",
                            "/roles/0/database",
                    "{\"password\":\"long-enough-1\",\"roles\":[],\"admin\":true}", "/admin",
                    "{\"password\":12345678,\"roles\":[]}", "/password",
                    "[]", "");
            for (var e : bodies.entrySet()) {
                var r = admin.put("/api/v1/_security/users/mallory", e.getKey());
                assertEquals(400, r.status(), e.getKey() + " -> " + r);
                assertEquals(e.getValue(), r.json().path("field").asText(e.getValue()), r.toString());
            }
            assertEquals(404, admin.get("/api/v1/_security/users/mallory").status(), "nothing was created");
            var role = admin.put(
                    "/api/v1/_security/roles/r1", "{\"grants\":[{\"resource\":\"db:shop\",\"actions\":[\"fly\"]}]}");
            assertEquals(400, role.status());
            assertEquals("/grants/0/actions/0", role.json().path("field").asText());
            assertEquals(
                    409,
                    admin.put("/api/v1/_security/roles/read", "{\"grants\":[]}").status());
            assertEquals(409, admin.delete("/api/v1/_security/users/admin").status(), "the last admin stays");
            assertEquals(
                    400,
                    admin.put("/api/v1/_security/users/bad%20name", "{\"roles\":[]}")
                            .status());
        }
    }

    @Test
    void theWebSocketChecksEveryOperationOfItsCaller() throws Exception {
        try (InProcessServer node = new InProcessServer(secured(ADMIN_PASSWORD))) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/shop", null, null).status());
            admin.putDocument("/api/v1/shop/users", "d1", "{}");
            assertEquals(
                    201,
                    admin.put("/api/v1/_security/users/reader", "{\"password\":\"reader-pw-1\",\"roles\":[\"read\"]}")
                            .status());
            assertThrows(Exception.class, () -> new WsClient(node.port(), false, null).close(), "anonymous: 401");
            try (WsClient ws = new WsClient(node.port(), false, TestHttp.basic("reader", "reader-pw-1"))) {
                ws.send(
                        "{\"op\":\"subscribe\",\"sub\":\"s1\",\"type\":\"changes\",\"db\":\"shop\",\"collection\":\"users\"}");
                JsonNode subscribed = ws.next("s1", Duration.ofSeconds(10));
                assertEquals("subscribed", subscribed.path("event").asText(), subscribed.toString());
                ws.send("{\"op\":\"publish\",\"sub\":\"p1\",\"topic\":\"t1\",\"message\":1}");
                JsonNode error = ws.next("p1", Duration.ofSeconds(10));
                assertEquals("error", error.path("event").asText(), error.toString());
                assertTrue(error.toString().contains("forbidden"), error.toString());
            }
            assertNotEquals(null, admin.get("/api/v1/_security/whoami").json());
        }
    }
}

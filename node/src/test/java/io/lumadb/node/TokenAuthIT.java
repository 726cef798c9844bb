package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bearer tokens on a real node, over HTTP as a client would use them: sign in at {@code
 * POST /api/v1/_auth/token}, call the API with the access token, refresh, present the old refresh
 * token again (the whole sign-in ends), see an expired access token refused, sign out at {@code
 * POST /api/v1/_auth/revoke}, and rotate the signing key at {@code POST
 * /api/v1/_security/signing-keys/_rotate}, with the audit entries of both.
 */
@Timeout(180)
class TokenAuthIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";

    private static Map<String, Object> secured() {
        return secured("3s");
    }

    /** Security on, access tokens living {@code accessTokenLifetime}, no clock skew. */
    private static Map<String, Object> secured(String accessTokenLifetime) {
        Map<String, Object> s = InProcessServer.secured(ADMIN_PASSWORD);
        s.put("lumadb.security.jwt.access-token-lifetime", accessTokenLifetime);
        s.put("lumadb.security.jwt.clock-skew", "0s");
        return s;
    }

    private static TestHttp.Response token(TestHttp http, String json) {
        return http.method("POST", "/api/v1/_auth/token", "application/json", json);
    }

    private static void problem(TestHttp.Response r, int status, String slug, String detail) {
        assertEquals(status, r.status(), r.toString());
        assertEquals("urn:lumadb:problem:" + slug, r.json().path("type").asText(), r.toString());
        assertTrue(r.json().path("detail").asText().contains(detail), r.toString());
        assertTrue(!r.body().contains("Exception") && !r.body().contains("\tat "), "no stack traces: " + r.body());
    }

    @Test
    void signInUseRefreshAndAReusedRefreshTokenEndsTheSignIn() throws Exception {
        try (InProcessServer node = new InProcessServer(secured())) {
            TestHttp anonymous = node.http();
            TestHttp admin = anonymous.asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/shop", null, null).status());
            assertEquals(
                    201,
                    admin.put(
                                    "/api/v1/_security/users/tess",
                                    "{\"password\":\"tess-pw-123\",\"roles\":[{\"role\":\"readWrite\",\"database\":\"shop\"}]}")
                            .status());

            // Sign in.
            var signIn = token(
                    anonymous, "{\"grant_type\":\"password\",\"username\":\"tess\",\"password\":\"tess-pw-123\"}");
            assertEquals(200, signIn.status(), signIn.toString());
            assertEquals("no-store", signIn.header("Cache-Control"));
            JsonNode first = signIn.json();
            assertEquals("Bearer", first.path("token_type").asText());
            assertEquals(3, first.path("expires_in").asInt());
            assertTrue(first.path("refresh_token_expires_in").asLong() > 29L * 24 * 3600, first.toString());
            String access1 = first.path("access_token").asText();
            String refresh1 = first.path("refresh_token").asText();
            JsonNode payload = TestHttp.JSON.readTree(Base64.getUrlDecoder().decode(access1.split("\\.")[1]));
            assertEquals("tess", payload.path("sub").asText());
            assertEquals("lumadb", payload.path("iss").asText());

            // Use it: the user's roles apply.
            TestHttp tess = anonymous.as("Bearer " + access1);
            assertEquals(
                    201, tess.put("/api/v1/shop/orders/o1", "{\"total\":3}").status());
            assertEquals(403, tess.method("PUT", "/api/v1/other", null, null).status());
            JsonNode whoami = tess.get("/api/v1/_security/whoami").json();
            assertEquals("tess", whoami.path("name").asText());
            assertEquals("token", whoami.path("kind").asText());

            // Refresh (form-encoded, as RFC 6749 writes it): a new pair, and both work.
            var refreshed = anonymous.method(
                    "POST",
                    "/api/v1/_auth/token",
                    "application/x-www-form-urlencoded",
                    "grant_type=refresh_token&refresh_token=" + refresh1);
            assertEquals(200, refreshed.status(), refreshed.toString());
            String access2 = refreshed.json().path("access_token").asText();
            String refresh2 = refreshed.json().path("refresh_token").asText();
            assertNotEquals(refresh1, refresh2);
            assertEquals(
                    200,
                    anonymous
                            .as("Bearer " + access2)
                            .get("/api/v1/shop/orders/o1")
                            .status());

            // The first refresh token again: refused, and the whole sign-in ends with it.
            problem(
                    token(anonymous, "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"" + refresh1 + "\"}"),
                    400,
                    "invalid-grant",
                    "used before");
            problem(
                    token(anonymous, "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"" + refresh2 + "\"}"),
                    400,
                    "invalid-grant",
                    "revoked");
            var ended = anonymous.as("Bearer " + access2).get("/api/v1/shop/orders/o1");
            problem(ended, 401, "unauthorized", "sign-in has ended");
            assertTrue(ended.header("WWW-Authenticate").contains("Bearer"), ended.toString());

            // Wrong credentials and forged tokens.
            problem(
                    token(anonymous, "{\"grant_type\":\"password\",\"username\":\"tess\",\"password\":\"nope-nope\"}"),
                    400,
                    "invalid-grant",
                    "wrong user name or password");
            String none = b64("{\"alg\":\"none\"}") + "." + access1.split("\\.")[1] + ".";
            problem(anonymous.as("Bearer " + none).get("/api/v1/shop/orders/o1"), 401, "unauthorized", "alg: none");
            problem(
                    anonymous.as("Bearer not.a.jwt").get("/api/v1/shop/orders/o1"),
                    401,
                    "unauthorized",
                    "well-formed JWT");
        }
    }

    @Test
    void anExpiredAccessTokenIsRefusedAndARefreshGivesAWorkingOne() throws Exception {
        try (InProcessServer node = new InProcessServer(secured())) {
            TestHttp anonymous = node.http();
            var signIn = token(
                    anonymous,
                    "{\"grant_type\":\"password\",\"username\":\"admin\",\"password\":\"" + ADMIN_PASSWORD + "\"}");
            assertEquals(200, signIn.status(), signIn.toString());
            TestHttp admin =
                    anonymous.as("Bearer " + signIn.json().path("access_token").asText());
            assertEquals(200, admin.get("/api/v1").status());
            Thread.sleep(4_000);
            problem(admin.get("/api/v1"), 401, "unauthorized", "expired");
            var refreshed = token(
                    anonymous,
                    "{\"grant_type\":\"refresh_token\",\"refresh_token\":\""
                            + signIn.json().path("refresh_token").asText() + "\"}");
            assertEquals(200, refreshed.status(), refreshed.toString());
            assertEquals(
                    200,
                    anonymous
                            .as("Bearer "
                                    + refreshed.json().path("access_token").asText())
                            .get("/api/v1")
                            .status());
        }
    }

    private static final String REVOKE = "/api/v1/_auth/revoke";
    private static final String ROTATE = "/api/v1/_security/signing-keys/_rotate";
    private static final String AUDIT_QUERY = "/api/v1/system/audit/_query";

    private static JsonNode password(TestHttp http, String user, String password) {
        var r = token(
                http, "{\"grant_type\":\"password\",\"username\":\"" + user + "\",\"password\":\"" + password + "\"}");
        assertEquals(200, r.status(), r.toString());
        return r.json();
    }

    private static JsonNode refresh(TestHttp http, JsonNode tokens) {
        var r = token(
                http,
                "{\"grant_type\":\"refresh_token\",\"refresh_token\":\""
                        + tokens.path("refresh_token").asText() + "\"}");
        assertEquals(200, r.status(), r.toString());
        return r.json();
    }

    private static TestHttp bearer(TestHttp http, JsonNode tokens) {
        return http.as("Bearer " + tokens.path("access_token").asText());
    }

    /** The sign-in of a refresh token: {@code lumart_<family>_<secret>}. */
    private static String family(JsonNode tokens) {
        return tokens.path("refresh_token").asText().split("_")[1];
    }

    private static JsonNode header(JsonNode tokens) throws Exception {
        String jwt = tokens.path("access_token").asText();
        return TestHttp.JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]));
    }

    private static void signedOut(TestHttp.Response r) {
        assertEquals(200, r.status(), r.toString());
        assertEquals("{}", r.json().toString(), "the same answer whether a sign-in ended or not");
        assertEquals("no-store", r.header("Cache-Control"));
    }

    /** The audit entries matching {@code filter} once there are {@code expected} of them (or 20 s passed). */
    private static JsonNode audited(TestHttp admin, String filter, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            var r = admin.method("POST", AUDIT_QUERY, "application/json", "{\"filter\":" + filter + "}");
            assertEquals(200, r.status(), r.toString());
            JsonNode documents = r.json().path("documents");
            if (documents.size() >= expected || System.nanoTime() > deadline) {
                assertEquals(expected, documents.size(), "audit entries matching " + filter + ": " + documents);
                return documents;
            }
            Thread.sleep(100);
        }
    }

    @Test
    void signingOutEndsTheWholeSignInAtOnceAndIsAudited() throws Exception {
        try (InProcessServer node = new InProcessServer(secured("10m"))) {
            TestHttp anonymous = node.http();
            TestHttp admin = anonymous.asUser("admin", ADMIN_PASSWORD);
            assertEquals(
                    201,
                    admin.put("/api/v1/_security/users/tess", "{\"password\":\"tess-pw-123\",\"roles\":[\"read\"]}")
                            .status());
            JsonNode first = password(anonymous, "tess", "tess-pw-123");
            JsonNode second = refresh(anonymous, first);
            JsonNode other = password(anonymous, "tess", "tess-pw-123");
            assertEquals(200, bearer(anonymous, second).get("/api/v1").status());

            // Sign out with the newest refresh token, form-encoded as RFC 7009 writes it.
            signedOut(anonymous.method(
                    "POST",
                    REVOKE,
                    "application/x-www-form-urlencoded",
                    "token=" + second.path("refresh_token").asText() + "&token_type_hint=refresh_token"));
            // Its refresh tokens, the newest and the replaced one, are refused like any bad grant ...
            problem(
                    token(
                            anonymous,
                            "{\"grant_type\":\"refresh_token\",\"refresh_token\":\""
                                    + second.path("refresh_token").asText() + "\"}"),
                    400,
                    "invalid-grant",
                    "revoked");
            problem(
                    token(
                            anonymous,
                            "{\"grant_type\":\"refresh_token\",\"refresh_token\":\""
                                    + first.path("refresh_token").asText() + "\"}"),
                    400,
                    "invalid-grant",
                    "revoked");
            // ... and so are its access tokens, from the next request on, long before they expire
            // (they name the sign-in in sid, and every request checks that it still exists).
            problem(bearer(anonymous, second).get("/api/v1"), 401, "unauthorized", "sign-in has ended");
            problem(bearer(anonymous, first).get("/api/v1"), 401, "unauthorized", "sign-in has ended");

            // The user's other sign-in is untouched. Signing out with a refresh token it already
            // replaced (a client that missed a renewal) ends it too, including the later tokens.
            JsonNode otherNext = refresh(anonymous, other);
            assertEquals(200, bearer(anonymous, otherNext).get("/api/v1").status());
            signedOut(anonymous.method(
                    "POST",
                    REVOKE,
                    "application/json",
                    "{\"token\":\"" + other.path("refresh_token").asText() + "\"}"));
            problem(
                    token(
                            anonymous,
                            "{\"grant_type\":\"refresh_token\",\"refresh_token\":\""
                                    + otherNext.path("refresh_token").asText() + "\"}"),
                    400,
                    "invalid-grant",
                    "revoked");
            problem(bearer(anonymous, otherNext).get("/api/v1"), 401, "unauthorized", "sign-in has ended");

            // Nothing left to end, or never anything: the same 200 (RFC 7009 2.2).
            signedOut(anonymous.method(
                    "POST",
                    REVOKE,
                    "application/x-www-form-urlencoded",
                    "token=" + second.path("refresh_token").asText()));
            signedOut(anonymous.method(
                    "POST",
                    REVOKE,
                    "application/x-www-form-urlencoded",
                    "token=lumart_0123456789abcdef_" + "A".repeat(43)));
            signedOut(anonymous.method("POST", REVOKE, "application/json", "{\"token\":\"not-a-token\"}"));
            // A malformed request, or a token of a kind not revoked here, is a 400.
            problem(
                    anonymous.method("POST", REVOKE, "application/json", "{}"),
                    400,
                    "invalid-request",
                    "token is missing");
            problem(
                    anonymous.method(
                            "POST",
                            REVOKE,
                            "application/x-www-form-urlencoded",
                            "token=" + first.path("access_token").asText()),
                    400,
                    "unsupported-token-type",
                    "revoke the refresh token");

            // Each ended sign-in is one audit entry, naming the user and the sign-in, never a token.
            JsonNode entries = audited(admin, "{\"details.operation\":\"sign-out\"}", 2);
            for (JsonNode e : entries) {
                assertEquals("security-change", e.path("kind").asText(), e.toString());
                assertEquals("tess", e.path("principal").path("name").asText(), e.toString());
                assertEquals("refresh-token", e.path("principal").path("kind").asText(), e.toString());
                assertEquals("127.0.0.1", e.path("client").asText(), e.toString());
                assertFalse(e.toString().contains("lumart_"), "never a token: " + e);
            }
            assertEquals(
                    Set.of(family(first), family(other)),
                    Set.of(
                            entries.get(0).path("details").path("sid").asText(),
                            entries.get(1).path("details").path("sid").asText()));
            Thread.sleep(500);
            audited(admin, "{\"details.operation\":\"sign-out\"}", 2);
        }
    }

    @Test
    void aRotatedSigningKeySignsNewTokensWhileTheOldKeysTokensStillVerify() throws Exception {
        try (InProcessServer node = new InProcessServer(secured("10m"))) {
            TestHttp anonymous = node.http();
            TestHttp admin = anonymous.asUser("admin", ADMIN_PASSWORD);
            assertEquals(
                    201,
                    admin.put(
                                    "/api/v1/_security/users/tess",
                                    "{\"password\":\"tess-pw-123\",\"roles\":[\"readWrite\"]}")
                            .status());
            JsonNode before = password(anonymous, "admin", ADMIN_PASSWORD);
            String oldKid = header(before).path("kid").asText();
            assertFalse(oldKid.isEmpty(), header(before).toString());

            // Only an administrator rotates; a refusal is a denial in the audit log.
            problem(
                    anonymous.asUser("tess", "tess-pw-123").method("POST", ROTATE, null, null),
                    403,
                    "forbidden",
                    "manage-users");
            problem(anonymous.method("POST", ROTATE, null, null), 401, "unauthorized", "");
            JsonNode denied = audited(admin, "{\"kind\":\"denied\",\"principal.name\":\"tess\"}", 1)
                    .get(0);
            assertEquals(
                    "manage-users", denied.path("details").path("permission").asText(), denied.toString());
            assertEquals("cluster", denied.path("details").path("resource").asText(), denied.toString());
            assertEquals("POST " + ROTATE, denied.path("details").path("route").asText(), denied.toString());

            // An admin rotates, with its access token: the answer names the keys, never a secret.
            var rotated = bearer(anonymous, before).method("POST", ROTATE, null, null);
            assertEquals(200, rotated.status(), rotated.toString());
            JsonNode r = rotated.json();
            String newKid = r.path("kid").asText();
            assertFalse(newKid.isEmpty() || newKid.equals(oldKid), r.toString());
            assertEquals(Set.of("kid", "created", "previous"), fieldNames(r));
            assertEquals(oldKid, r.path("previous").path("kid").asText(), r.toString());
            assertEquals(Set.of("kid", "verifiesUntil"), fieldNames(r.path("previous")));
            Instant verifiesUntil =
                    Instant.parse(r.path("previous").path("verifiesUntil").asText());
            assertEquals(
                    Duration.ofMinutes(10),
                    Duration.between(Instant.parse(r.path("created").asText()), verifiesUntil),
                    "one access-token lifetime (no clock skew here)");

            // The old key's token still works; new tokens, renewed or new sign-ins, carry the new kid.
            assertEquals(200, bearer(anonymous, before).get("/api/v1").status());
            JsonNode renewed = refresh(anonymous, before);
            assertEquals(newKid, header(renewed).path("kid").asText());
            JsonNode tess = password(anonymous, "tess", "tess-pw-123");
            assertEquals(newKid, header(tess).path("kid").asText());
            assertEquals(200, bearer(anonymous, tess).get("/api/v1").status());

            // A token naming a key the catalog does not have is refused, even with good claims.
            String payload = tess.path("access_token").asText().split("\\.")[1];
            byte[] randomKey = new byte[32];
            new SecureRandom().nextBytes(randomKey);
            String unknownKid =
                    hs256(b64("{\"alg\":\"HS256\",\"kid\":\"kunknown0000\",\"typ\":\"JWT\"}"), payload, randomKey);
            problem(
                    anonymous.as("Bearer " + unknownKid).get("/api/v1"),
                    401,
                    "unauthorized",
                    "'kunknown0000' is unknown");
            // Nor does the new key's id help a token signed with another secret.
            String wrongSecret =
                    hs256(b64("{\"alg\":\"HS256\",\"kid\":\"" + newKid + "\",\"typ\":\"JWT\"}"), payload, randomKey);
            problem(
                    anonymous.as("Bearer " + wrongSecret).get("/api/v1"),
                    401,
                    "unauthorized",
                    "signature is not valid");

            // Rotating again drops the first key: its tokens are refused at once (a leaked key's
            // retirement), while the second key's still work.
            var again = admin.method("POST", ROTATE, "application/json", "{}");
            assertEquals(200, again.status(), again.toString());
            assertEquals(newKid, again.json().path("previous").path("kid").asText(), again.toString());
            problem(bearer(anonymous, before).get("/api/v1"), 401, "unauthorized", "'" + oldKid + "' is unknown");
            assertEquals(200, bearer(anonymous, tess).get("/api/v1").status());

            // Both rotations are in the audit log, with the key ids and who rotated.
            JsonNode entries =
                    audited(admin, "{\"kind\":\"security-change\",\"details.operation\":\"rotate-signing-key\"}", 2);
            Map<String, String> previousByKid = new HashMap<>();
            for (JsonNode e : entries) {
                assertEquals("admin", e.path("principal").path("name").asText(), e.toString());
                previousByKid.put(
                        e.path("details").path("kid").asText(),
                        e.path("details").path("previousKid").asText());
            }
            assertEquals(oldKid, previousByKid.get(newKid), entries.toString());
            assertEquals(newKid, previousByKid.get(again.json().path("kid").asText()), entries.toString());
            assertEquals(
                    Set.of("token", "user"),
                    Set.of(
                            entries.get(0).path("principal").path("kind").asText(),
                            entries.get(1).path("principal").path("kind").asText()),
                    "the first rotation with a token, the second with a password");
        }
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A JWS signed with HS256 by {@code key}. */
    private static String hs256(String header, String payload, byte[] key) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        byte[] signature = mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
        return header + "." + payload + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}

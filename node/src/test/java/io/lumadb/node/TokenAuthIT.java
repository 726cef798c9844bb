package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bearer tokens on a real node, over HTTP as a client would use them: sign in at {@code
 * POST /api/v1/_auth/token}, call the API with the access token, refresh, present the old refresh
 * token again (the whole sign-in ends), and see an expired access token refused.
 */
@Timeout(180)
class TokenAuthIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";

    private static Map<String, Object> secured() {
        Map<String, Object> s = new HashMap<>();
        s.put("lumadb.security.enabled", true);
        s.put("lumadb.security.admin-password", ADMIN_PASSWORD);
        s.put("lumadb.security.password-hash.memory", "1 MiB");
        s.put("lumadb.security.password-hash.iterations", 1);
        s.put("lumadb.security.jwt.access-token-lifetime", "3s");
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

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}

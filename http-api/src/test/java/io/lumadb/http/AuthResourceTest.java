package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Security;
import io.lumadb.shards.model.DocumentJson;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/v1/_auth/token} and {@code /_auth/revoke} through the real dispatcher, without
 * a node: the request's shape (JSON or form-encoded, grant types, parameters) is checked before
 * any grant or revocation, and each refusal is a problem with the RFCs' error code as its slug. The grants themselves are tested
 * on a real catalog ({@code TokenGrantTest}) and a real node ({@code TokenAuthIT}).
 */
class AuthResourceTest {

    private static ActorSystem system;
    private static ApiHandler handler;

    @BeforeAll
    static void start() {
        system = ActorSystem.create("auth-resource-test");
        var config = TestApi.config();
        handler = new ApiHandler(
                new ApiContext(
                        system,
                        null,
                        null,
                        null,
                        null,
                        null,
                        HttpSettings.from(config),
                        WebSocketSettings.from(config),
                        () -> "",
                        Security.off()),
                RequestObserver.NONE);
    }

    @AfterAll
    static void stop() throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpResponse post(ContentType type, String body) throws Exception {
        return post("/api/v1/_auth/token", type, body);
    }

    private static HttpResponse revoke(ContentType type, String body) throws Exception {
        return post("/api/v1/_auth/revoke", type, body);
    }

    private static HttpResponse post(String target, ContentType type, String body) throws Exception {
        HttpRequest request = HttpRequest.create(target)
                .withMethod(HttpMethods.POST)
                .addHeader(RawRequestURI.create(target))
                .withEntity(type, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return handler.apply(request).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static JsonNode body(HttpResponse r) throws Exception {
        return DocumentJson.mapper()
                .readTree(r.entity()
                        .toStrict(5_000, system)
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS)
                        .getData()
                        .toArray());
    }

    private static JsonNode problem(HttpResponse r, int status, String slug, String field) throws Exception {
        JsonNode body = body(r);
        assertEquals(status, r.status().intValue(), body.toString());
        assertEquals("urn:lumadb:problem:" + slug, body.path("type").asText(), body.toString());
        if (field != null) {
            assertEquals(field, body.path("field").asText(), body.toString());
        }
        return body;
    }

    private static final ContentType JSON = ContentTypes.APPLICATION_JSON;
    private static final ContentType FORM = ContentTypes.APPLICATION_X_WWW_FORM_URLENCODED;

    @Test
    void theGrantTypeMustBeOneOfTheTwo() throws Exception {
        problem(post(JSON, "{\"grant_type\":\"client_credentials\"}"), 400, "unsupported-grant-type", "/grant_type");
        problem(post(FORM, "grant_type=implicit"), 400, "unsupported-grant-type", "/grant_type");
        problem(post(JSON, "{}"), 400, "invalid-request", "/grant_type");
        problem(post(JSON, "{\"grant_type\":7}"), 400, "invalid-request", "/grant_type");
    }

    @Test
    void eachGrantNeedsItsParameters() throws Exception {
        problem(post(JSON, "{\"grant_type\":\"password\",\"username\":\"ada\"}"), 400, "invalid-request", "/password");
        problem(post(FORM, "grant_type=password&password=x"), 400, "invalid-request", "/username");
        problem(post(FORM, "grant_type=refresh_token"), 400, "invalid-request", "/refresh_token");
        problem(post(FORM, "grant_type=password&grant_type=password"), 400, "invalid-request", "/grant_type");
    }

    @Test
    void badBodiesAreRefused() throws Exception {
        problem(post(ContentTypes.TEXT_PLAIN_UTF8, "grant_type=password"), 415, "unsupported-media-type", null);
        problem(post(JSON, "[1]"), 400, "not-an-object", null);
        problem(post(JSON, "{\"grant_type\":"), 400, "invalid-json", null);
        problem(post(FORM, "grant_type=%zz"), 400, "invalid-request", "body");
    }

    @Test
    void withSecurityOffNoTokenIsIssued() throws Exception {
        JsonNode p =
                problem(post(FORM, "grant_type=password&username=ada&password=secret-pw"), 400, "invalid-grant", null);
        assertEquals(true, p.path("detail").asText().contains("security is off"), p.toString());
    }

    // ---- signing out

    @Test
    void aRevocationNeedsTheTokenAsAString() throws Exception {
        problem(revoke(JSON, "{}"), 400, "invalid-request", "/token");
        problem(revoke(JSON, "{\"token\":\"\"}"), 400, "invalid-request", "/token");
        problem(revoke(JSON, "{\"token\":[\"lumart_x\"]}"), 400, "invalid-request", "/token");
        problem(
                revoke(JSON, "{\"token\":\"lumart_x\",\"token_type_hint\":1}"),
                400,
                "invalid-request",
                "/token_type_hint");
        problem(revoke(FORM, "token_type_hint=refresh_token"), 400, "invalid-request", "/token");
        problem(revoke(FORM, "token=a&token=b"), 400, "invalid-request", "/token");
        problem(revoke(FORM, "token=%zz"), 400, "invalid-request", "body");
        problem(revoke(ContentTypes.TEXT_PLAIN_UTF8, "token=x"), 415, "unsupported-media-type", null);
        problem(revoke(JSON, "[\"token\"]"), 400, "not-an-object", null);
        problem(revoke(JSON, "{\"token\":"), 400, "invalid-json", null);
    }

    @Test
    void accessTokensAndApiKeysAreNotRevokedHere() throws Exception {
        String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl";
        JsonNode p = problem(revoke(FORM, "token=" + jwt), 400, "unsupported-token-type", "/token");
        assertTrue(p.path("detail").asText().contains("revoke the refresh token"), p.toString());
        p = problem(
                revoke(JSON, "{\"token\":\"luma_abcdefghijkl_" + "A".repeat(43) + "\"}"),
                400,
                "unsupported-token-type",
                "/token");
        assertTrue(p.path("detail").asText().contains("/api/v1/_security/keys/{key}"), p.toString());
    }

    @Test
    void withSecurityOffThereIsNoSignInToEndAndNoKeyToRotate() throws Exception {
        // RFC 7009 2.2: an unknown token is answered like a revoked one.
        for (HttpResponse r : List.of(
                revoke(FORM, "token=lumart_0123456789abcdef_" + "A".repeat(43) + "&token_type_hint=refresh_token"),
                revoke(JSON, "{\"token\":\"whatever\",\"other\":7}"))) {
            assertEquals(200, r.status().intValue());
            assertEquals("{}", body(r).toString());
            assertEquals("no-store", r.getHeader("Cache-Control").orElseThrow().value());
        }
        JsonNode p = problem(post("/api/v1/_security/signing-keys/_rotate", JSON, ""), 409, "security-off", null);
        assertTrue(p.path("detail").asText().contains("security is off"), p.toString());
    }
}

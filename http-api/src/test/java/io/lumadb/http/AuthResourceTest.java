package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Security;
import io.lumadb.shards.model.DocumentJson;
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
 * {@code POST /api/v1/_auth/token} through the real dispatcher, without a node: the request's
 * shape (JSON or form-encoded, grant types, parameters) is checked before any grant, and each
 * refusal is a problem with RFC 6749's error code as its slug. The grants themselves are tested
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
        String target = "/api/v1/_auth/token";
        HttpRequest request = HttpRequest.create(target)
                .withMethod(HttpMethods.POST)
                .addHeader(RawRequestURI.create(target))
                .withEntity(type, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return handler.apply(request).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static JsonNode problem(HttpResponse r, int status, String slug, String field) throws Exception {
        JsonNode body = DocumentJson.mapper()
                .readTree(r.entity()
                        .toStrict(5_000, system)
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS)
                        .getData()
                        .toArray());
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
}

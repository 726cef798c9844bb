package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Security;
import io.lumadb.shards.model.DocumentJson;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's static files through the dispatcher, over a small built console of the test's
 * own ({@code console-fixture/} on the test classpath): content types, the app's routes answered
 * with {@code index.html}, caching, the security headers, and 404 problems for missing or
 * unreachable files.
 */
class ConsoleResourceTest {

    private static final String FIXTURE = "io/lumadb/http/console-fixture/";

    private static ActorSystem system;
    private static ApiHandler handler;

    @BeforeAll
    static void start() {
        system = ActorSystem.create("console-resource-test");
        HttpSettings settings = TestApi.settings();
        handler = new ApiHandler(
                system,
                RouteTable.of(List.of(new ConsoleResource(FIXTURE))),
                settings,
                new Cors(settings.corsAllowedOrigins(), settings.corsMaxAge()),
                RequestObserver.NONE,
                Security.off());
    }

    @AfterAll
    static void stop() throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpResponse get(String target) throws Exception {
        HttpRequest request =
                HttpRequest.create(target).withMethod(HttpMethods.GET).addHeader(RawRequestURI.create(target));
        return handler.apply(request).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static String body(HttpResponse response) throws Exception {
        return response.entity()
                .toStrict(5_000, system)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .getData()
                .decodeString(StandardCharsets.UTF_8);
    }

    private static String header(HttpResponse response, String name) {
        return response.getHeader(name).map(HttpHeader::value).orElse(null);
    }

    private static void assertProblem(HttpResponse response, String path) throws Exception {
        assertEquals(404, response.status().intValue(), path);
        assertEquals(
                "application/problem+json",
                response.entity().getContentType().mediaType().toString(),
                path);
        JsonNode problem = DocumentJson.mapper().readTree(body(response));
        assertEquals(
                "urn:lumadb:problem:console-file-not-found",
                problem.path("type").asText(),
                path);
    }

    @Test
    void theConsoleIsPublic() {
        for (Route route : new ConsoleResource(FIXTURE).routes()) {
            assertEquals(Permission.PUBLIC, route.permission(), route.toString());
            assertEquals("GET", route.method());
        }
    }

    @Test
    void servesIndexHtmlUncachedWithAStrictContentSecurityPolicy() throws Exception {
        HttpResponse index = get("/console");
        assertEquals(200, index.status().intValue());
        assertEquals("text/html; charset=UTF-8", index.entity().getContentType().toString());
        assertTrue(body(index).contains("console fixture"));
        assertEquals("no-cache", header(index, "Cache-Control"));
        String csp = header(index, "Content-Security-Policy");
        assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self';"), csp);
        assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
        assertTrue(csp.contains("frame-ancestors 'none'"), csp);
        assertEquals("nosniff", header(index, "X-Content-Type-Options"));
    }

    @Test
    void eachIndexHtmlCarriesAFreshNonceThatItsPolicyAllowsForStyles() throws Exception {
        Pattern meta = Pattern.compile("<meta name=\"lumadb-csp-nonce\" content=\"([A-Za-z0-9+/=]{24})\">");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse index = get("/console");
            Matcher m = meta.matcher(body(index));
            assertTrue(m.find(), "index.html holds its nonce");
            String nonce = m.group(1);
            assertTrue(seen.add(nonce), "a nonce is never reused: " + nonce);
            assertEquals(
                    ConsoleResource.CONTENT_SECURITY_POLICY.replace(
                            "style-src 'self';", "style-src 'self' 'nonce-" + nonce + "';"),
                    header(index, "Content-Security-Policy"));
        }
        // Other files carry the policy without a nonce.
        assertEquals(
                ConsoleResource.CONTENT_SECURITY_POLICY,
                header(get("/console/assets/app-1a2b3c.css"), "Content-Security-Policy"));
    }

    @Test
    void theAppsOwnRoutesGetIndexHtml() throws Exception {
        for (String route : List.of("/console/data", "/console/data/shop/orders", "/console/query")) {
            HttpResponse response = get(route);
            assertEquals(200, response.status().intValue(), route);
            assertTrue(body(response).contains("console fixture"), route);
            assertEquals("no-cache", header(response, "Cache-Control"), route);
        }
    }

    @Test
    void hashedAssetsAreCachedForAYearWithTheirContentTypes() throws Exception {
        HttpResponse js = get("/console/assets/app-1a2b3c.js");
        assertEquals(200, js.status().intValue());
        assertEquals(
                "text/javascript; charset=UTF-8", js.entity().getContentType().toString());
        assertEquals("console.log(\"app\");\n", body(js));
        assertEquals(ConsoleResource.IMMUTABLE, header(js, "Cache-Control"));
        assertEquals(ConsoleResource.CONTENT_SECURITY_POLICY, header(js, "Content-Security-Policy"));

        HttpResponse css = get("/console/assets/app-1a2b3c.css");
        assertEquals("text/css; charset=UTF-8", css.entity().getContentType().toString());

        HttpResponse svg = get("/console/favicon.svg");
        assertEquals(200, svg.status().intValue());
        assertEquals("image/svg+xml", svg.entity().getContentType().mediaType().toString());
        assertEquals("no-cache", header(svg, "Cache-Control"), "a file without a hash in its name is revalidated");
    }

    @Test
    void aMissingFileIsAProblemNotIndexHtml() throws Exception {
        assertProblem(get("/console/assets/app-000000.js"), "missing asset");
        assertProblem(get("/console/assets/chunk"), "an assets path without extension is a file, not a route");
        assertProblem(get("/console/missing.png"), "missing file");
    }

    @Test
    void nothingOutsideTheConsoleFolderIsReachable() throws Exception {
        // openapi.json sits one folder above the fixture on the classpath.
        assertProblem(get("/console/..%2Fopenapi.json"), "an encoded dot-dot segment");
        assertProblem(get("/console/assets/..%2F..%2Fopenapi.json"), "an encoded dot-dot segment deeper");
        assertProblem(get("/console/.hidden.js"), "a hidden file");
        assertFalse(ConsoleResource.readable("../openapi.json"));
        assertFalse(ConsoleResource.readable("assets/./x.js"));
        assertFalse(ConsoleResource.readable("a\\b.js"));
        assertTrue(ConsoleResource.readable("assets/app-1a2b3c.js"));
    }

    @Test
    void aBuildWithoutTheConsoleSaysSo() throws Exception {
        HttpSettings settings = TestApi.settings();
        ApiHandler empty = new ApiHandler(
                system,
                RouteTable.of(List.of(new ConsoleResource("io/lumadb/http/no-console/"))),
                settings,
                new Cors(settings.corsAllowedOrigins(), settings.corsMaxAge()),
                RequestObserver.NONE,
                Security.off());
        HttpResponse response = empty.apply(HttpRequest.create("/console").addHeader(RawRequestURI.create("/console")))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals(404, response.status().intValue());
        assertTrue(body(response).contains("not part of this build"));
    }
}

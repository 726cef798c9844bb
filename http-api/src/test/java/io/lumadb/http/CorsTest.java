package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.lumadb.shards.model.DocumentJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

class CorsTest {

    private static final String PAGE = "http://app.example.test:3000";
    private static final String PATH = "/api/v1/shop/orders/_changes";

    private static Cors allowing(String... origins) {
        return new Cors(List.of(origins), Duration.ofMinutes(10));
    }

    private static HttpRequest preflight(String origin, String method, String headers) {
        HttpRequest r = HttpRequest.create(PATH)
                .withMethod(HttpMethods.OPTIONS)
                .addHeader(RawHeader.create("Origin", origin))
                .addHeader(RawHeader.create("Access-Control-Request-Method", method));
        return headers == null ? r : r.addHeader(RawHeader.create("Access-Control-Request-Headers", headers));
    }

    private static HttpRequest get(String origin) {
        HttpRequest r = HttpRequest.GET(PATH);
        return origin == null ? r : r.addHeader(RawHeader.create("Origin", origin));
    }

    private static HttpResponse ok() {
        return HttpResponse.create().addHeader(RawHeader.create("ETag", "\"7\""));
    }

    private static String header(HttpResponse r, String name) {
        return r.getHeader(name).map(HttpHeader::value).orElse(null);
    }

    private static List<String> all(HttpResponse r, String name) {
        List<String> values = new ArrayList<>();
        for (HttpHeader h : r.getHeaders()) {
            if (h.is(name.toLowerCase(Locale.ROOT))) {
                values.add(h.value());
            }
        }
        return values;
    }

    /** A comma-separated header value as a set of lowercase tokens, as browsers compare them. */
    private static Set<String> tokens(String value) {
        assertNotNull(value);
        Set<String> out = new TreeSet<>();
        Arrays.stream(value.split(","))
                .map(s -> s.strip().toLowerCase(Locale.ROOT))
                .forEach(out::add);
        return out;
    }

    private static boolean hasCorsHeader(HttpResponse r) {
        for (HttpHeader h : r.getHeaders()) {
            if (h.lowercaseName().startsWith("access-control-")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void offByDefaultAndThenChangesNothing() {
        Cors off = new Cors(List.of(), Duration.ofMinutes(10));
        assertNull(off.preflight(preflight(PAGE, "GET", "last-event-id")), "OPTIONS must be routed (405)");
        HttpResponse response = ok();
        assertSame(response, off.decorate(get(PAGE), response));
        assertTrue(HttpSettings.from(ConfigFactory.load()).corsAllowedOrigins().isEmpty());
    }

    @Test
    void answersAPreflightFromAnAllowedOriginWithWhatAnEventSourceAndAWriteNeed() {
        HttpResponse r = allowing(PAGE).preflight(preflight(PAGE, "PUT", "content-type,if-match,last-event-id"));
        assertNotNull(r);
        assertEquals(204, r.status().intValue());
        assertEquals(PAGE, header(r, "Access-Control-Allow-Origin"));
        assertTrue(
                tokens(header(r, "Access-Control-Allow-Methods")).containsAll(Set.of("get", "put", "patch", "delete")),
                header(r, "Access-Control-Allow-Methods"));
        assertTrue(
                tokens(header(r, "Access-Control-Allow-Headers"))
                        .containsAll(
                                Set.of("content-type", "if-match", "if-none-match", "last-event-id", "authorization")),
                header(r, "Access-Control-Allow-Headers"));
        assertEquals("600", header(r, "Access-Control-Max-Age"));
        assertEquals(List.of("Origin"), all(r, "Vary"));
        assertNull(header(r, "Access-Control-Allow-Credentials"));
    }

    @Test
    void refusesAPreflightFromAnotherOriginWithAProblem() throws Exception {
        HttpResponse r = allowing(PAGE).preflight(preflight("http://evil.example.test", "GET", null));
        assertNotNull(r);
        assertEquals(403, r.status().intValue());
        assertTrue(r.entity().getContentType().toString().startsWith("application/problem+json"));
        assertTrue(!hasCorsHeader(r), r.getHeaders().toString());
        JsonNode problem = DocumentJson.mapper()
                .readTree(((HttpEntity.Strict) r.entity()).getData().utf8String());
        assertEquals(
                "urn:lumadb:problem:cors-origin-not-allowed",
                problem.get("type").asText());
        assertEquals(403, problem.get("status").asInt());
        assertEquals("Origin", problem.get("field").asText());
        assertEquals(PATH, problem.get("instance").asText());
        assertTrue(problem.get("detail").asText().contains("http://evil.example.test"), problem.toString());
    }

    @Test
    void anOptionsRequestThatIsNoPreflightIsRouted() {
        Cors cors = allowing(PAGE);
        HttpRequest noMethod =
                HttpRequest.create(PATH).withMethod(HttpMethods.OPTIONS).addHeader(RawHeader.create("Origin", PAGE));
        assertNull(cors.preflight(noMethod));
        HttpRequest noOrigin = HttpRequest.create(PATH)
                .withMethod(HttpMethods.OPTIONS)
                .addHeader(RawHeader.create("Access-Control-Request-Method", "GET"));
        assertNull(cors.preflight(noOrigin));
        assertNull(cors.preflight(get(PAGE)));
    }

    @Test
    void allowsAnAllowedOriginToReadTheResponseAndItsHeaders() {
        HttpResponse r = allowing("http://other.test", PAGE).decorate(get(PAGE), ok());
        assertEquals(PAGE, header(r, "Access-Control-Allow-Origin"));
        assertEquals(List.of("Origin"), all(r, "Vary"));
        assertTrue(
                tokens(header(r, "Access-Control-Expose-Headers"))
                        .containsAll(Set.of("etag", "location", "lumadb-next-token")),
                header(r, "Access-Control-Expose-Headers"));
        assertEquals("\"7\"", header(r, "ETag"), "the response's own headers stay");
    }

    @Test
    void givesAnotherOriginNoCorsHeadersButStillVariesOnOrigin() {
        Cors cors = allowing(PAGE);
        HttpResponse other = cors.decorate(get("http://evil.example.test"), ok());
        assertTrue(!hasCorsHeader(other), other.getHeaders().toString());
        assertEquals(List.of("Origin"), all(other, "Vary"));
        HttpResponse sameOrigin = cors.decorate(get(null), ok());
        assertTrue(!hasCorsHeader(sameOrigin), sameOrigin.getHeaders().toString());
        assertEquals(List.of("Origin"), all(sameOrigin, "Vary"));
        // A port is part of the origin.
        assertTrue(!hasCorsHeader(cors.decorate(get("http://app.example.test:3001"), ok())));
        assertTrue(!hasCorsHeader(cors.decorate(get("https://app.example.test:3000"), ok())));
    }

    @Test
    void aStarAllowsAnyOriginAndNamesIt() {
        Cors any = allowing("*");
        HttpResponse r = any.decorate(get("https://anywhere.test"), ok());
        assertEquals("https://anywhere.test", header(r, "Access-Control-Allow-Origin"));
        HttpResponse pre = any.preflight(preflight("https://anywhere.test", "GET", "last-event-id"));
        assertEquals(204, pre.status().intValue());
        assertEquals("https://anywhere.test", header(pre, "Access-Control-Allow-Origin"));
    }

    @Test
    void comparesSchemeAndHostWithoutRegardToCase() {
        HttpResponse r = allowing("HTTP://App.Example.TEST:3000").decorate(get(PAGE), ok());
        assertEquals(PAGE, header(r, "Access-Control-Allow-Origin"));
    }

    @Test
    void refusesSomethingThatIsNoOriginNamingIt() {
        for (String bad : List.of("https://app.example.test/", "app.example.test", "https://app.example.test/x", "")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Cors.checkOrigins(List.of(bad)), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Cors(List.of(PAGE), Duration.ofSeconds(-1)));
    }

    @Test
    void readsItsSettingsAlsoFromIndexedSystemProperties() {
        HttpSettings s = HttpSettings.from(ConfigFactory.parseMap(Map.of(
                        "lumadb.http.cors.allowed-origins.0", PAGE,
                        "lumadb.http.cors.allowed-origins.1", "https://b.test",
                        "lumadb.http.cors.max-age", "1h"))
                .withFallback(ConfigFactory.load()));
        assertEquals(List.of(PAGE, "https://b.test"), s.corsAllowedOrigins());
        assertEquals(Duration.ofHours(1), s.corsMaxAge());
        assertEquals(
                Duration.ofMinutes(10), HttpSettings.from(ConfigFactory.load()).corsMaxAge());
        ConfigException.BadValue bad = assertThrows(
                ConfigException.BadValue.class,
                () -> HttpSettings.from(
                        ConfigFactory.parseMap(Map.of("lumadb.http.cors.allowed-origins", List.of("https://b.test/")))
                                .withFallback(ConfigFactory.load())));
        assertTrue(bad.getMessage().contains("lumadb.http.cors.allowed-origins"), bad.getMessage());
    }
}

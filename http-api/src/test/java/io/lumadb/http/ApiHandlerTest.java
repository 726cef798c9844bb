package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Security;
import io.lumadb.shards.NotFoundException;
import io.lumadb.shards.model.DocumentJson;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher over a table of its own: 404, 405 with {@code Allow}, HEAD, failures mapped to
 * problems, and every request recorded under its route template. No node, no socket.
 */
class ApiHandlerTest {

    private static ActorSystem system;
    private static ApiHandler handler;
    private static final List<String> recorded = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        system = ActorSystem.create("api-handler-test");
        HttpSettings settings = TestApi.settings();
        Route.Handler echo = call -> CompletableFuture.completedFuture(JsonResponses.json(
                org.apache.pekko.http.javadsl.model.StatusCodes.OK,
                JsonResponses.object().put("id", call.id()).put("method", call.method())));
        RouteTable table = RouteTable.of(List.<Resource>of(() -> List.of(
                Route.get("/t/{db}/{collection}/{id}", "getThing", Permission.PUBLIC, echo),
                Route.put("/t/{db}/{collection}/{id}", "putThing", Permission.PUBLIC, call -> {
                    throw new ApiException(409, "conflict", "Conflict", "taken", "/x");
                }),
                Route.post(
                        "/t/{db}/{collection}/{id}",
                        "postThing",
                        Permission.PUBLIC,
                        call -> CompletableFuture.failedFuture(new NotFoundException("document", call.id()))),
                Route.delete("/t/{db}/{collection}/{id}", "deleteThing", Permission.PUBLIC, call -> {
                    throw new IllegalStateException("a bug");
                }))));
        handler = new ApiHandler(
                system,
                table,
                settings,
                new Cors(settings.corsAllowedOrigins(), settings.corsMaxAge()),
                (route, method, status, nanos) -> recorded.add(method + " " + route + " " + status),
                Security.off());
    }

    @AfterAll
    static void stop() throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpResponse send(org.apache.pekko.http.javadsl.model.HttpMethod method, String target)
            throws Exception {
        HttpRequest request = HttpRequest.create(target).withMethod(method).addHeader(RawRequestURI.create(target));
        return handler.apply(request).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static JsonNode json(HttpResponse response) throws Exception {
        return DocumentJson.mapper()
                .readTree(response.entity()
                        .toStrict(5_000, system)
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS)
                        .getData()
                        .toArray());
    }

    @Test
    void runsTheMatchedRouteWithItsParameters() throws Exception {
        recorded.clear();
        HttpResponse ok = send(HttpMethods.GET, "/t/db/c/a%20b");
        assertEquals(200, ok.status().intValue());
        assertEquals("a b", json(ok).path("id").asText());
        assertEquals(List.of("GET /t/{db}/{collection}/{id} 200"), recorded);
    }

    @Test
    void headRunsTheGetRoute() throws Exception {
        HttpResponse head = send(HttpMethods.HEAD, "/t/db/c/a");
        assertEquals(200, head.status().intValue());
        assertEquals("HEAD", json(head).path("method").asText());
    }

    @Test
    void noRouteIs404AndRecordedAsUnmatched() throws Exception {
        recorded.clear();
        HttpResponse missing = send(HttpMethods.GET, "/t/db/c/a/");
        assertEquals(404, missing.status().intValue());
        assertEquals(
                ContentTypes.parse("application/problem+json"), missing.entity().getContentType());
        JsonNode problem = json(missing);
        assertEquals("urn:lumadb:problem:route-not-found", problem.path("type").asText());
        assertTrue(problem.path("detail").asText().contains("no trailing slash"), problem.toString());
        assertEquals(List.of("GET unmatched 404"), recorded);
    }

    @Test
    void aMethodTheRouteDoesNotHaveIs405WithAllow() throws Exception {
        recorded.clear();
        HttpResponse wrong = send(HttpMethods.PATCH, "/t/db/c/a");
        assertEquals(405, wrong.status().intValue());
        assertEquals(
                "DELETE, GET, HEAD, POST, PUT",
                wrong.getHeader("Allow").orElseThrow().value());
        assertEquals(5, json(wrong).path("allowed").size());
        assertEquals(List.of("PATCH /t/{db}/{collection}/{id} 405"), recorded);
    }

    @Test
    void failuresBecomeProblems() throws Exception {
        HttpResponse thrown = send(HttpMethods.PUT, "/t/db/c/a");
        assertEquals(409, thrown.status().intValue());
        assertEquals("/x", json(thrown).path("field").asText());
        HttpResponse failed = send(HttpMethods.POST, "/t/db/c/a");
        assertEquals(404, failed.status().intValue());
        assertEquals(
                "urn:lumadb:problem:document-not-found",
                json(failed).path("type").asText());
        HttpResponse bug = send(HttpMethods.DELETE, "/t/db/c/a");
        assertEquals(500, bug.status().intValue());
        assertEquals("urn:lumadb:problem:internal", json(bug).path("type").asText());
        HttpResponse badName = send(HttpMethods.GET, "/t/db/c/..");
        assertEquals(400, badName.status().intValue());
        assertEquals(
                "urn:lumadb:problem:invalid-name", json(badName).path("type").asText());
    }

    @Test
    void anUnknownHostIs421() throws Exception {
        HttpRequest request = HttpRequest.create("/t/db/c/a")
                .addHeader(RawRequestURI.create("/t/db/c/a"))
                .addHeader(RawHeader.create("Host", "attacker.example"));
        HttpResponse refused = handler.apply(request).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(421, refused.status().intValue());
    }
}

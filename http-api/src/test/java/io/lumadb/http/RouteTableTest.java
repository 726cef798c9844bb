package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Matching requests to routes, with LumaDB's real table and with small tables of its own. */
class RouteTableTest {

    private static final RouteTable API = TestApi.routeTable();
    private static final Route.Handler NONE = call -> null;

    private static RouteTable.Match match(String method, String path) {
        return API.match(method, RequestTarget.segments(path));
    }

    private static String operation(String method, String path) {
        return assertInstanceOf(RouteTable.Match.Found.class, match(method, path), method + " " + path)
                .route()
                .operationId();
    }

    @Test
    void everyRouteDeclaresAPermissionAndOnlyHealthReadinessTheDescriptionSignInSignOutAndTheConsoleArePublic() {
        List<String> publicRoutes = new ArrayList<>();
        for (Route route : TestApi.routeTable().routes()) {
            assertNotNull(route.permission(), route.toString());
            if (route.permission().action() == Permission.Action.NONE) {
                publicRoutes.add(route.operationId());
            }
            if (route.template().startsWith("/api/v1/_security")
                    && !route.operationId().equals("whoAmI")) {
                assertEquals(Permission.Action.MANAGE_USERS, route.permission().action(), route.toString());
            }
        }
        assertEquals(
                List.of(
                        "getHealth",
                        "getReady",
                        "getOpenApi",
                        "issueToken",
                        "revokeToken",
                        "getConsole",
                        "getConsoleFile"),
                publicRoutes);
    }

    @Test
    void matchesEveryFamilyToItsOperation() {
        assertEquals("getHealth", operation("GET", "/health"));
        assertEquals("listDatabases", operation("GET", "/api/v1"));
        assertEquals("getOpenApi", operation("GET", "/api/v1/openapi.json"));
        assertEquals("createDatabase", operation("PUT", "/api/v1/shop"));
        assertEquals("dropCollection", operation("DELETE", "/api/v1/shop/orders"));
        assertEquals("patchDocument", operation("PATCH", "/api/v1/shop/orders/o1"));
        assertEquals("listDocuments", operation("GET", "/api/v1/shop/orders/_docs"));
        assertEquals("bulkWrite", operation("POST", "/api/v1/shop/orders/_bulk"));
        assertEquals("query", operation("POST", "/api/v1/shop/orders/_query"));
        assertEquals("createIndex", operation("PUT", "/api/v1/shop/orders/_indexes/by_total"));
        assertEquals("changes", operation("GET", "/api/v1/shop/orders/_changes"));
        assertEquals("commitConsumerGroup", operation("POST", "/api/v1/shop/orders/_changes/groups/billing"));
        assertEquals("liveQuery", operation("GET", "/api/v1/shop/orders/_live"));
        assertEquals("publishTopic", operation("POST", "/api/v1/_topics/news"));
        assertEquals("webSocket", operation("GET", "/api/v1/_ws"));
        assertEquals("clusterStatus", operation("GET", "/api/v1/_cluster"));
    }

    @Test
    void givesTheParametersAsSentAndDecoded() {
        var found = assertInstanceOf(RouteTable.Match.Found.class, match("GET", "/api/v1/shop/orders/a%2Fb%20c?x=1"));
        assertEquals(Map.of("db", "shop", "collection", "orders", "id", "a/b c"), found.parameters());
    }

    @Test
    void headIsAnsweredByGet() {
        assertEquals("getDocument", operation("HEAD", "/api/v1/shop/orders/o1"));
    }

    @Test
    void aMethodThePathDoesNotHaveIs405WithTheAllowedOnes() {
        var wrong = assertInstanceOf(RouteTable.Match.MethodNotAllowed.class, match("POST", "/api/v1/shop/orders/o1"));
        assertEquals("/api/v1/{db}/{collection}/{id}", wrong.template());
        assertEquals(List.of("DELETE", "GET", "HEAD", "PATCH", "PUT"), wrong.allowed());
        var docs = assertInstanceOf(RouteTable.Match.MethodNotAllowed.class, match("DELETE", "/api/v1/shop/c/_docs"));
        assertEquals(List.of("GET", "HEAD"), docs.allowed());
        // An unknown method is not taken for GET.
        assertInstanceOf(RouteTable.Match.MethodNotAllowed.class, match("BREW", "/api/v1/shop/orders/o1"));
    }

    @Test
    void namesNeverStartWithAnUnderscoreSoSuchSegmentsAreLumaDbsOwn() {
        assertInstanceOf(RouteTable.Match.NotFound.class, match("GET", "/api/v1/shop/orders/_chnages"));
        assertInstanceOf(RouteTable.Match.NotFound.class, match("GET", "/api/v1/_system"));
        assertInstanceOf(RouteTable.Match.NotFound.class, match("GET", "/api/v1/shop/_orders"));
        assertInstanceOf(RouteTable.Match.NotFound.class, match("GET", "/api/v1/shop/_x/_changes"));
        // Topic, group and index names are checked by their own rules, not by the matcher.
        assertEquals("subscribeTopic", operation("GET", "/api/v1/_topics/_x"));
        assertEquals("getIndex", operation("GET", "/api/v1/shop/orders/_indexes/_x"));
    }

    @Test
    void anEmptySegmentMatchesNothing() {
        for (String path : List.of("/api/v1/shop/", "/api/v1//orders", "/api/v1/shop/orders/o1/", "/health/")) {
            assertInstanceOf(RouteTable.Match.NotFound.class, match("GET", path), path);
        }
        assertInstanceOf(RouteTable.Match.NotFound.class, match("GET", "/"));
        assertInstanceOf(RouteTable.Match.NotFound.class, match("GET", "/api/v2"));
        assertInstanceOf(RouteTable.Match.NotFound.class, match("GET", "/api/v1/shop/orders/o1/extra"));
    }

    @Test
    void aLiteralSegmentWinsOverAParameter() {
        RouteTable table = RouteTable.of(List.<Resource>of(() -> List.of(
                Route.get("/x/{a}/{b}", "params", Permission.PUBLIC, NONE),
                Route.get("/x/{a}/lit", "literal", Permission.PUBLIC, NONE),
                Route.get("/x/lit/{b}", "leftLiteral", Permission.PUBLIC, NONE))));
        assertEquals("literal", found(table, "/x/1/lit"));
        assertEquals("leftLiteral", found(table, "/x/lit/lit"));
        assertEquals("params", found(table, "/x/1/2"));
    }

    private static String found(RouteTable table, String path) {
        return assertInstanceOf(RouteTable.Match.Found.class, table.match("GET", RequestTarget.segments(path)))
                .route()
                .operationId();
    }

    @Test
    void refusesRoutesThatCannotBeToldApart() {
        var twice = assertThrows(
                IllegalArgumentException.class,
                () -> RouteTable.of(List.<Resource>of(() -> List.of(
                        Route.get("/a/{x}", "one", Permission.PUBLIC, NONE),
                        Route.get("/a/{x}", "two", Permission.PUBLIC, NONE)))));
        assertTrue(twice.getMessage().contains("two routes for GET /a/{x}"), twice.getMessage());
        var alike = assertThrows(
                IllegalArgumentException.class,
                () -> RouteTable.of(List.<Resource>of(() -> List.of(
                        Route.get("/a/{x}", "one", Permission.PUBLIC, NONE),
                        Route.put("/a/{y}", "two", Permission.PUBLIC, NONE)))));
        assertTrue(alike.getMessage().contains("match the same paths"), alike.getMessage());
    }

    @Test
    void refusesMalformedRoutes() {
        for (String template : List.of("a", "/a/", "//a", "/a/{}", "/a/x{y}", "/a/{x}/{x}", "/a/{X-y}")) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> RouteTable.of(
                            List.<Resource>of(() -> List.of(Route.get(template, "op", Permission.PUBLIC, NONE)))),
                    template);
        }
        assertThrows(IllegalArgumentException.class, () -> new Route("HEAD", "/a", "op", Permission.PUBLIC, NONE));
        assertThrows(IllegalArgumentException.class, () -> new Route("get", "/a", "op", Permission.PUBLIC, NONE));
        assertThrows(IllegalArgumentException.class, () -> Route.get("/a", "op", null, NONE));
        assertThrows(IllegalArgumentException.class, () -> Route.get("/a", " ", Permission.PUBLIC, NONE));
    }

    @Test
    void aScopedPermissionNeedsTheParametersThatNameItsResource() {
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> RouteTable.of(List.<Resource>of(() -> List.of(
                        Route.get("/api/v1/{db}/x", "op", Permission.of(Action.READ, Scope.COLLECTION), NONE)))));
        assertTrue(e.getMessage().contains("{collection}"), e.getMessage());
    }

    @Test
    void everyRouteOfTheApiDeclaresItsPermissionAndOnlyProbesArePublic() {
        for (Route route : API.routes()) {
            boolean probe = List.of(
                            "getHealth",
                            "getReady",
                            "getOpenApi",
                            "issueToken",
                            "revokeToken",
                            "getConsole",
                            "getConsoleFile")
                    .contains(route.operationId());
            assertEquals(probe, route.permission().equals(Permission.PUBLIC), route.toString());
        }
        assertEquals(
                Permission.of(Action.WRITE, Scope.COLLECTION),
                assertInstanceOf(RouteTable.Match.Found.class, match("PUT", "/api/v1/shop/orders/o1"))
                        .route()
                        .permission());
    }
}

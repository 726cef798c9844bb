package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code openapi.json} true to the code: it must describe exactly the routes and methods
 * the {@link RouteTable} serves and every problem type the module can answer, and be self-consistent.
 * Routes come from the table and problem types from the sources, so adding one without documenting it
 * fails here.
 */
class OpenApiTest {

    private static final Set<String> HTTP_METHODS =
            Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    private static final Pattern API_EXCEPTION =
            Pattern.compile("new\\s+ApiException\\(\\s*(\\d{3})\\s*,\\s*\"([^\"]+)\"\\s*,\\s*\"([^\"]*)\"");
    private static final Pattern BAD_REQUEST = Pattern.compile("\\bbadRequest\\(\\s*\"([^\"]+)\"\\s*,\\s*\"([^\"]*)\"");
    private static final Pattern NOT_FOUND = Pattern.compile("\\bnotFound\\(\\s*\"([^\"]+)\"");
    private static final Pattern NOT_FOUND_EXCEPTION = Pattern.compile("new\\s+NotFoundException\\(\\s*\"([^\"]+)\"");

    private static JsonNode doc;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = OpenApiTest.class.getResourceAsStream("openapi.json")) {
            assertNotNull(in, "openapi.json is not on the classpath next to ApiHandler");
            doc = DocumentJson.mapper().readTree(in);
        }
    }

    // ---- the document itself

    @Test
    void isOpenApi31() {
        assertTrue(doc.path("openapi").asText().startsWith("3.1."), "openapi must be 3.1.x: " + doc.path("openapi"));
        assertFalse(doc.path("info").path("title").asText().isBlank(), "info.title");
        assertFalse(doc.path("info").path("version").asText().isBlank(), "info.version");
        assertTrue(doc.path("paths").isObject(), "paths");
    }

    @Test
    void everyRefResolves() {
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertFalse(refs.isEmpty(), "no $ref found at all");
        for (String ref : refs) {
            assertTrue(ref.startsWith("#/"), "only local $refs are expected: " + ref);
            assertFalse(doc.at(ref.substring(1)).isMissingNode(), "$ref does not resolve: " + ref);
        }
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            for (var field : node.properties()) {
                if (field.getKey().equals("$ref") && field.getValue().isTextual()) {
                    refs.add(field.getValue().textValue());
                } else {
                    collectRefs(field.getValue(), refs);
                }
            }
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(n, refs));
        }
    }

    @Test
    void operationIdsAreUniqueAndEveryOperationAnswers() {
        Set<String> ids = new HashSet<>();
        for (var path : doc.path("paths").properties()) {
            for (var op : path.getValue().properties()) {
                if (!HTTP_METHODS.contains(op.getKey())) {
                    continue;
                }
                String where = op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey();
                String id = op.getValue().path("operationId").asText();
                assertFalse(id.isEmpty(), "operationId missing on " + where);
                assertTrue(ids.add(id), "duplicate operationId " + id);
                JsonNode responses = op.getValue().path("responses");
                assertTrue(responses.isObject() && !responses.isEmpty(), "no responses on " + where);
            }
        }
    }

    @Test
    void pathParametersMatchTheTemplates() {
        Pattern placeholder = Pattern.compile("\\{([^}.]+)(?:\\.\\.\\.)?}");
        for (var path : doc.path("paths").properties()) {
            Set<String> expected = new TreeSet<>();
            Matcher m = placeholder.matcher(path.getKey());
            while (m.find()) {
                expected.add(m.group(1));
            }
            List<JsonNode> shared = parameters(path.getValue().path("parameters"));
            for (var op : path.getValue().properties()) {
                if (!HTTP_METHODS.contains(op.getKey())) {
                    continue;
                }
                List<JsonNode> all = new ArrayList<>(shared);
                all.addAll(parameters(op.getValue().path("parameters")));
                Set<String> declared = new TreeSet<>();
                for (JsonNode p : all) {
                    if (p.path("in").asText().equals("path")) {
                        assertTrue(
                                p.path("required").asBoolean(),
                                "path parameter " + p.path("name") + " must be required");
                        declared.add(p.path("name").asText());
                    }
                }
                assertEquals(
                        expected,
                        declared,
                        "path parameters of " + op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }
    }

    private static List<JsonNode> parameters(JsonNode list) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : list) {
            out.add(p.has("$ref") ? doc.at(p.get("$ref").asText().substring(1)) : p);
        }
        return out;
    }

    // ---- routes, from the route table

    /**
     * The route table and {@code openapi.json} agree both ways: every route is documented with
     * its operation id, path parameters and permission ({@code x-permission}), and every
     * documented operation is served.
     */
    @Test
    void documentsExactlyTheRoutesOfTheRouteTable() {
        assertEquals(List.of(), disagreements(TestApi.routeTable(), doc), "route table vs openapi.json");
    }

    /** The check fails when either side is broken on purpose. */
    @Test
    void theRouteTableCheckFailsWhenEitherSideIsBroken() {
        RouteTable routes = TestApi.routeTable();

        com.fasterxml.jackson.databind.node.ObjectNode undocumented = doc.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) undocumented.path("paths")).remove("/api/v1/_cluster");
        assertEquals(
                List.of("GET /api/v1/_cluster (clusterStatus) is not documented"), disagreements(routes, undocumented));

        com.fasterxml.jackson.databind.node.ObjectNode unserved = doc.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) unserved.path("paths").path("/api/v1/_cluster"))
                .set("post", unserved.path("paths").path("/api/v1/_cluster").path("get"));
        assertEquals(List.of("POST /api/v1/_cluster is documented but not served"), disagreements(routes, unserved));

        com.fasterxml.jackson.databind.node.ObjectNode wrongParameter = doc.deepCopy();
        JsonNode topicParameters =
                wrongParameter.path("paths").path("/api/v1/_topics/{topic}").path("parameters");
        for (JsonNode p : topicParameters) {
            if (p.path("name").asText().equals("topic")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) p).put("name", "name");
            }
        }
        assertEquals(
                List.of(
                        "GET /api/v1/_topics/{topic} has path parameters [topic]; openapi.json documents [name]",
                        "POST /api/v1/_topics/{topic} has path parameters [topic]; openapi.json documents [name]"),
                disagreements(routes, wrongParameter));

        com.fasterxml.jackson.databind.node.ObjectNode wrongPermission = doc.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) wrongPermission
                        .path("paths")
                        .path("/api/v1/_auth/revoke")
                        .path("post"))
                .put("x-permission", "manage-users on cluster");
        assertEquals(
                List.of("POST /api/v1/_auth/revoke needs public; openapi.json says x-permission 'manage-users on"
                        + " cluster'"),
                disagreements(routes, wrongPermission));

        List<Route> renamed = new ArrayList<>();
        for (Route r : routes.routes()) {
            renamed.add(
                    r.template().endsWith("/_indexes/{name}")
                            ? new Route(
                                    r.method(),
                                    "/api/v1/{db}/{collection}/_indexes/{index}",
                                    r.operationId(),
                                    r.permission(),
                                    r.handler())
                            : r);
        }
        RouteTable misnamed = RouteTable.of(List.<Resource>of(() -> renamed));
        List<String> problems = disagreements(misnamed, doc);
        assertTrue(
                problems.contains("GET /api/v1/{db}/{collection}/_indexes/{index} (getIndex) is not documented"),
                problems.toString());
        assertTrue(
                problems.contains("GET /api/v1/{db}/{collection}/_indexes/{name} is documented but not served"),
                problems.toString());
        assertTrue(
                problems.contains("PUT /api/v1/{db}/{collection}/_indexes/{index} (createIndex) is not documented"),
                problems.toString());
    }

    /** What the table and the document disagree on, one line each; empty when they agree. */
    private static List<String> disagreements(RouteTable routes, JsonNode openApi) {
        List<String> out = new ArrayList<>();
        JsonNode paths = openApi.path("paths");
        Set<String> served = new HashSet<>();
        for (Route route : routes.routes()) {
            String where = route.method() + " " + route.template();
            served.add(where);
            JsonNode op = paths.path(route.template()).path(route.method().toLowerCase(Locale.ROOT));
            if (!op.isObject()) {
                out.add(where + " (" + route.operationId() + ") is not documented");
                continue;
            }
            if (!op.path("operationId").asText().equals(route.operationId())) {
                out.add(where + " is " + route.operationId() + " in the table and " + op.path("operationId")
                        + " in openapi.json");
            }
            String permission = op.path("x-permission").asText();
            if (!permission.equals(route.permission().toString())) {
                out.add(where + " needs " + route.permission() + "; openapi.json says x-permission '" + permission
                        + "'");
            }
            Set<String> documented = pathParameters(paths.path(route.template()), op);
            Set<String> declared =
                    new TreeSet<>(PathTemplate.parse(route.template()).parameters());
            if (!documented.equals(declared)) {
                out.add(where + " has path parameters " + declared + "; openapi.json documents " + documented);
            }
        }
        for (var path : paths.properties()) {
            for (var op : path.getValue().properties()) {
                if (!HTTP_METHODS.contains(op.getKey())) {
                    continue;
                }
                String method = op.getKey().toUpperCase(Locale.ROOT);
                // HEAD is answered wherever GET is; documenting it is optional.
                String servedAs = method.equals("HEAD") ? "GET" : method;
                if (!served.contains(servedAs + " " + path.getKey())) {
                    out.add(method + " " + path.getKey() + " is documented but not served");
                }
            }
        }
        return out;
    }

    private static Set<String> pathParameters(JsonNode pathItem, JsonNode op) {
        List<JsonNode> all = new ArrayList<>(parameters(pathItem.path("parameters")));
        all.addAll(parameters(op.path("parameters")));
        Set<String> names = new TreeSet<>();
        for (JsonNode p : all) {
            if (p.path("in").asText().equals("path")) {
                names.add(p.path("name").asText());
            }
        }
        return names;
    }

    // ---- problem types, from the module's sources

    private record Use(int status, String title) {}

    @Test
    void documentsEveryProblemType() throws IOException {
        Map<String, Set<Use>> used = new TreeMap<>();
        try (Stream<Path> files = Files.walk(source("ApiHandler.java").getParent())) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                scanProblems(Files.readString(file, StandardCharsets.UTF_8), used);
            }
        }
        // Problems maps the shards' NotFoundException to "<kind>-not-found"; its kinds live in that module.
        Path shards = moduleDir().resolve("../shards/src/main/java").normalize();
        if (Files.isDirectory(shards)) {
            try (Stream<Path> files = Files.walk(shards)) {
                for (Path file :
                        files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    scanNotFound(Files.readString(file, StandardCharsets.UTF_8), used);
                }
            }
        }
        for (String known :
                List.of("precondition-failed", "invalid-name", "document-not-found", "method-not-allowed")) {
            assertTrue(used.containsKey(known), "the source scan missed '" + known + "'; update this test's patterns");
        }

        JsonNode types = doc.path("components").path("schemas").path("Problem").path("x-problem-types");
        assertTrue(types.isObject(), "components.schemas.Problem.x-problem-types must list the problem types");
        String text = doc.toString();
        for (var e : used.entrySet()) {
            String slug = e.getKey();
            JsonNode entry = types.path(slug);
            assertTrue(entry.isObject(), "problem type '" + slug + "' is used in the code but not in x-problem-types");
            assertTrue(text.contains(slug), slug);
            Set<Integer> statuses = new TreeSet<>();
            Set<String> titles = new TreeSet<>();
            e.getValue().forEach(u -> {
                statuses.add(u.status());
                titles.add(u.title());
            });
            assertEquals(statuses, Set.of(entry.path("status").asInt()), "status of problem type '" + slug + "'");
            assertTrue(
                    titles.contains(entry.path("title").asText()),
                    "title of problem type '" + slug + "' is " + entry.path("title") + "; the code uses " + titles);
            assertFalse(entry.path("description").asText().isBlank(), "description of problem type '" + slug + "'");
        }
        for (var entry : types.properties()) {
            assertTrue(
                    used.containsKey(entry.getKey()),
                    "x-problem-types documents '" + entry.getKey() + "', which no code uses");
        }
    }

    private static void scanProblems(String source, Map<String, Set<Use>> used) {
        Matcher m = API_EXCEPTION.matcher(source);
        while (m.find()) {
            use(used, m.group(2), Integer.parseInt(m.group(1)), m.group(3));
        }
        m = BAD_REQUEST.matcher(source);
        while (m.find()) {
            use(used, m.group(1), 400, m.group(2));
        }
        m = NOT_FOUND.matcher(source);
        while (m.find()) {
            notFound(used, m.group(1));
        }
        scanNotFound(source, used);
    }

    private static void scanNotFound(String source, Map<String, Set<Use>> used) {
        Matcher m = NOT_FOUND_EXCEPTION.matcher(source);
        while (m.find()) {
            notFound(used, m.group(1));
        }
    }

    /** As {@link ApiException#notFound}: {@code "<what>-not-found"}, titled "<What> not found". */
    private static void notFound(Map<String, Set<Use>> used, String what) {
        use(used, what + "-not-found", 404, Character.toUpperCase(what.charAt(0)) + what.substring(1) + " not found");
    }

    private static void use(Map<String, Set<Use>> used, String slug, int status, String title) {
        if (!slug.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            fail("problem type '" + slug + "' is not a lowercase slug");
        }
        used.computeIfAbsent(slug, k -> new HashSet<>()).add(new Use(status, title));
    }

    // ---- sources

    /** The http-api module directory: Surefire runs in it; an IDE may run from the repository root. */
    private static Path moduleDir() {
        for (Path dir : List.of(Path.of(""), Path.of("http-api"))) {
            if (Files.isRegularFile(dir.resolve("src/main/java/io/lumadb/http/ApiHandler.java"))) {
                return dir.toAbsolutePath();
            }
        }
        throw new IllegalStateException(
                "cannot find the http-api sources from " + Path.of("").toAbsolutePath());
    }

    private static Path source(String name) {
        return moduleDir().resolve("src/main/java/io/lumadb/http").resolve(name);
    }
}

package io.lumadb.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.topics.Topics;
import io.lumadb.shards.Catalog;
import io.lumadb.shards.ClusterView;
import io.lumadb.shards.Documents;
import io.lumadb.shards.NotFoundException;
import io.lumadb.shards.Queries;
import io.lumadb.shards.Stages;
import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.catalog.DatabaseInfo;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.Names;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.store.IndexEntries;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;

/**
 * The REST/JSON API under {@code /api/v1}, plus {@code /health}, {@code /ready} and {@code
 * /metrics}. Thin: it validates input (names, sizes, content types, JSON shape, preconditions)
 * completely before it sends anything to a shard, so a bad request writes nothing, and maps
 * every failure to an {@code application/problem+json} answer.
 */
public final class ApiHandler implements Function<HttpRequest, CompletionStage<HttpResponse>> {

    private static final ContentType PROMETHEUS = ContentTypes.parse("text/plain; version=0.0.4; charset=UTF-8");
    private static final byte[] HEALTH = "{\"status\":\"up\"}".getBytes(StandardCharsets.UTF_8);
    private static final Map<WriteOutcome.Status, String> RESULT_NAMES = resultNames();
    private static final String GET = "GET";
    private static final String HEAD = "HEAD";
    private static final String PUT = "PUT";
    private static final String POST = "POST";
    private static final String PATCH = "PATCH";
    private static final String DELETE = "DELETE";

    private final ClassicActorSystemProvider system;
    private final Catalog catalog;
    private final Documents documents;
    private final Queries queries;
    private final HttpSettings settings;
    private final RequestObserver observer;
    private final Supplier<String> metrics;
    private final byte[] openApi;
    private final BulkItems bulkItems;
    private final ChangeRoutes changeRoutes;
    private final ChangeStreams changeStreams;
    private final Topics topics;
    private final TopicRoutes topicRoutes;
    private final WebSocketSettings webSocketSettings;
    private final Cors cors;
    private final HostCheck hosts;

    public ApiHandler(
            ClassicActorSystemProvider system,
            Catalog catalog,
            Documents documents,
            Queries queries,
            ChangeStreams changeStreams,
            Topics topics,
            HttpSettings settings,
            WebSocketSettings webSocketSettings,
            RequestObserver observer,
            Supplier<String> metrics) {
        this.system = system;
        this.catalog = catalog;
        this.documents = documents;
        this.queries = queries;
        this.settings = settings;
        this.observer = observer;
        this.metrics = metrics;
        this.openApi = resource("openapi.json");
        this.bulkItems = new BulkItems(settings.maxBulkItems(), settings.maxDocumentBytes());
        this.changeRoutes = new ChangeRoutes(system, changeStreams);
        this.changeStreams = changeStreams;
        this.topics = topics;
        this.topicRoutes = new TopicRoutes(topics);
        this.webSocketSettings = webSocketSettings;
        this.cors = new Cors(settings.corsAllowedOrigins(), settings.corsMaxAge());
        this.hosts = new HostCheck(settings.host(), settings.allowedHosts());
    }

    private static Map<WriteOutcome.Status, String> resultNames() {
        Map<WriteOutcome.Status, String> names = new java.util.EnumMap<>(WriteOutcome.Status.class);
        for (WriteOutcome.Status status : WriteOutcome.Status.values()) {
            names.put(status, status.name().toLowerCase(java.util.Locale.ROOT));
        }
        return names;
    }

    private static byte[] resource(String name) {
        try (InputStream in = ApiHandler.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- dispatch

    /** A matched route: its template (for metrics and 405s) and what runs it. */
    private record Route(String template, List<String> methods, Handler handler) {
        Route(String template, Set<String> methods, Handler handler) {
            this(template, allowed(methods), handler);
        }

        /** The methods in a stable order; HEAD wherever GET is. */
        private static List<String> allowed(Set<String> methods) {
            java.util.TreeSet<String> all = new java.util.TreeSet<>(methods);
            if (all.contains(GET)) {
                all.add(HEAD);
            }
            return List.copyOf(all);
        }
    }

    @FunctionalInterface
    private interface Handler {
        CompletionStage<HttpResponse> handle(HttpRequest request, List<String> path);
    }

    @Override
    public CompletionStage<HttpResponse> apply(HttpRequest request) {
        long start = System.nanoTime();
        if (!hosts.allows(request)) {
            request.discardEntityBytes(system);
            observer.record("unmatched", request.method().value(), 421, System.nanoTime() - start);
            return done(
                    Problems.response(hostNotAllowed(request), request.getUri().path()));
        }
        HttpResponse preflight = cors.preflight(request);
        if (preflight != null) {
            request.discardEntityBytes(system);
            observer.record("cors-preflight", "OPTIONS", preflight.status().intValue(), System.nanoTime() - start);
            return done(preflight);
        }
        String method = request.method().value();
        Route route = null;
        CompletionStage<HttpResponse> response;
        try {
            List<String> path = RequestTarget.segments(request);
            route = route(path);
            if (route == null) {
                response = fail(new ApiException(
                        404,
                        "route-not-found",
                        "Route not found",
                        "no route " + request.getUri().path() + "; the API lives under /api/v1"
                                + (path.contains("") ? " (paths have no empty segments and no trailing slash)" : ""),
                        null));
            } else if (!route.methods().contains(method)) {
                String allowed = String.join(", ", route.methods());
                response = done(Problems.response(
                                new ApiException(
                                        405,
                                        "method-not-allowed",
                                        "Method not allowed",
                                        method + " is not allowed on " + route.template() + "; allowed: " + allowed,
                                        null,
                                        Map.of("allowed", route.methods())),
                                request.getUri().path())
                        .addHeader(RawHeader.create("Allow", allowed)));
            } else {
                response = route.handler().handle(request, path);
            }
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        String template = route == null ? "unmatched" : route.template();
        return response.exceptionally(failure -> Problems.response(
                        Problems.classify(failure), request.getUri().path()))
                .thenApply(r -> {
                    // Whatever a handler did not read must still be drained, or the connection stalls.
                    request.discardEntityBytes(system);
                    observer.record(template, method, r.status().intValue(), System.nanoTime() - start);
                    return cors.decorate(request, r);
                });
    }

    private static ApiException hostNotAllowed(HttpRequest request) {
        return new ApiException(
                421,
                "host-not-allowed",
                "Host not allowed",
                "this node does not answer for host '"
                        + request.getHeader("Host").map(HttpHeader::value).orElse("")
                        + "'; list the names it is reached by in lumadb.http.allowed-hosts",
                "Host");
    }

    private static CompletionStage<HttpResponse> fail(ApiException e) {
        return CompletableFuture.failedFuture(e);
    }

    private Route route(List<String> p) {
        int n = p.size();
        if (p.contains("")) {
            // An empty segment (a trailing slash, or "//") names nothing; never a shorter path.
            return null;
        }
        if (n == 1) {
            return switch (p.get(0)) {
                case "health" -> new Route("/health", Set.of(GET), (r, x) -> done(json(StatusCodes.OK, HEALTH)));
                case "ready" -> new Route("/ready", Set.of(GET), (r, x) -> ready());
                case "metrics" -> new Route("/metrics", Set.of(GET), (r, x) -> prometheus());
                default -> null;
            };
        }
        if (n < 2 || !p.get(0).equals("api") || !p.get(1).equals("v1")) {
            return null;
        }
        if (n == 2) {
            return new Route("/api/v1", Set.of(GET), (r, x) -> listDatabases());
        }
        if (n == 3 && p.get(2).equals("openapi.json")) {
            return new Route("/api/v1/openapi.json", Set.of(GET), (r, x) -> done(json(StatusCodes.OK, openApi)));
        }
        if (p.get(2).startsWith("_")) {
            if (n == 3 && p.get(2).equals("_cluster")) {
                return new Route("/api/v1/_cluster", Set.of(GET), (r, x) -> clusterStatus());
            }
            if (n == 3 && p.get(2).equals("_ws")) {
                return new Route("/api/v1/_ws", Set.of(GET), (r, x) -> webSocket(r));
            }
            if (n == 4 && p.get(2).equals("_topics")) {
                return new Route("/api/v1/_topics/{topic}", Set.of(GET, POST), this::topic);
            }
            return null;
        }
        if (n == 3) {
            return new Route("/api/v1/{db}", Set.of(GET, PUT, DELETE), this::database);
        }
        if (p.get(3).startsWith("_")) {
            return null;
        }
        if (n == 4) {
            return new Route("/api/v1/{db}/{collection}", Set.of(GET, PUT, DELETE), this::collection);
        }
        if (n == 5) {
            return switch (p.get(4)) {
                case "_bulk" -> new Route("/api/v1/{db}/{collection}/_bulk", Set.of(POST), this::bulk);
                case "_docs" -> new Route("/api/v1/{db}/{collection}/_docs", Set.of(GET), this::listDocuments);
                case "_query" -> new Route("/api/v1/{db}/{collection}/_query", Set.of(POST), this::query);
                case "_indexes" -> new Route("/api/v1/{db}/{collection}/_indexes", Set.of(GET), this::listIndexes);
                case "_changes" ->
                    new Route(
                            "/api/v1/{db}/{collection}/_changes",
                            Set.of(GET),
                            (r, x) -> changeRoutes.changes(
                                    r, Names.checkDatabase(x.get(2)), Names.checkCollection(x.get(3))));
                case "_live" ->
                    new Route(
                            "/api/v1/{db}/{collection}/_live",
                            Set.of(GET),
                            (r, x) -> changeRoutes.live(
                                    r, Names.checkDatabase(x.get(2)), Names.checkCollection(x.get(3))));
                default ->
                    p.get(4).startsWith("_")
                            ? null
                            : new Route(
                                    "/api/v1/{db}/{collection}/{id}", Set.of(GET, PUT, PATCH, DELETE), this::document);
            };
        }
        if (n == 7 && p.get(4).equals("_changes") && p.get(5).equals("groups")) {
            return new Route(
                    "/api/v1/{db}/{collection}/_changes/groups/{group}", Set.of(GET, POST), this::consumerGroup);
        }
        if (n == 6 && p.get(4).equals("_indexes")) {
            return new Route("/api/v1/{db}/{collection}/_indexes/{name}", Set.of(GET, PUT, DELETE), this::index);
        }
        return null;
    }

    private CompletionStage<HttpResponse> consumerGroup(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        String collection = Names.checkCollection(p.get(3));
        if (request.method().value().equals(POST)) {
            return readBody(request, 64 * 1024, Set.of("application/json"))
                    .thenCompose(body -> changeRoutes.commit(db, collection, p.get(6), JsonBodies.parse(body, "body")));
        }
        return changeRoutes.group(db, collection, p.get(6));
    }

    // ---- WebSocket and topics

    private CompletionStage<HttpResponse> webSocket(HttpRequest request) {
        var upgrade = request.getAttribute(org.apache.pekko.http.javadsl.model.AttributeKeys.webSocketUpgrade);
        if (upgrade.isEmpty()) {
            return done(Problems.response(
                            new ApiException(
                                    426,
                                    "upgrade-required",
                                    "Upgrade required",
                                    "/api/v1/_ws is a WebSocket endpoint: connect with a WebSocket client"
                                            + " (Upgrade: websocket)",
                                    "Upgrade"),
                            request.getUri().path())
                    .addHeader(RawHeader.create("Upgrade", "websocket")));
        }
        if (!HostCheck.allowsWebSocketOrigin(request, cors)) {
            return done(Problems.response(
                    new ApiException(
                            403,
                            "websocket-origin-not-allowed",
                            "WebSocket origin not allowed",
                            "pages of origin '"
                                    + request.getHeader("Origin")
                                            .map(HttpHeader::value)
                                            .orElse("")
                                    + "' may not open a WebSocket to this node; allow the origin in"
                                    + " lumadb.http.cors.allowed-origins",
                            "Origin"),
                    request.getUri().path()));
        }
        WebSocketSession session = new WebSocketSession(system, changeStreams, topics, webSocketSettings);
        return done(upgrade.get().handleMessagesWith(session.flow()));
    }

    private CompletionStage<HttpResponse> topic(HttpRequest request, List<String> p) {
        String topic = p.get(3);
        Topics.validateName(topic);
        if (request.method().value().equals(POST)) {
            return readBody(request, topics.settings().maxMessageBytes(), Set.of("application/json"))
                    .thenApply(body -> topicRoutes.publish(topic, body));
        }
        return topicRoutes.subscribe(request, topic);
    }

    // ---- health, readiness, metrics, cluster

    private CompletionStage<HttpResponse> clusterStatus() {
        var typed = org.apache.pekko.actor.typed.javadsl.Adapter.toTyped(system.classicSystem());
        return ClusterView.status(typed, java.time.Duration.ofSeconds(3))
                .thenApply(status -> json(
                        StatusCodes.OK, DocumentJson.bytes(DocumentJson.mapper().valueToTree(status))));
    }

    /**
     * 200 once the catalog answers and the storage can make writes durable; else 503 {@code
     * storage-unavailable} (naming the condition, e.g. {@code no-space}) or {@code not-ready}.
     */
    private CompletionStage<HttpResponse> ready() {
        Optional<io.lumadb.shards.StorageCondition.Unwritable> storage =
                io.lumadb.shards.StorageCondition.get(system).current();
        if (storage.isPresent()) {
            io.lumadb.shards.StorageCondition.Unwritable u = storage.get();
            return done(Problems.response(
                    new ApiException(
                            503,
                            "storage-unavailable",
                            "Storage unavailable",
                            "writes cannot be made durable: " + u.reason(),
                            null,
                            Map.of("condition", u.kind(), "since", u.since().toString())),
                    "/ready"));
        }
        return catalog.refresh()
                .toCompletableFuture()
                .orTimeout(2, java.util.concurrent.TimeUnit.SECONDS)
                .handle((snapshot, failure) -> failure == null
                        ? json(StatusCodes.OK, "{\"status\":\"ready\"}".getBytes(StandardCharsets.UTF_8))
                        : Problems.response(
                                new ApiException(
                                        503, "not-ready", "Not ready", "the catalog is not reachable yet", null),
                                "/ready"));
    }

    private CompletionStage<HttpResponse> prometheus() {
        return done(HttpResponse.create().withEntity(PROMETHEUS, metrics.get().getBytes(StandardCharsets.UTF_8)));
    }

    // ---- databases

    private CompletionStage<HttpResponse> listDatabases() {
        return catalog.refresh().thenApply(snapshot -> {
            ObjectNode body = DocumentJson.mapper().createObjectNode();
            ArrayNode dbs = body.putArray("databases");
            snapshot.databases().values().forEach(db -> dbs.add(databaseJson(db, false)));
            return json(StatusCodes.OK, body);
        });
    }

    private static ObjectNode databaseJson(DatabaseInfo db, boolean withCollections) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        node.put("name", db.name());
        node.put(
                "createdAt",
                java.time.Instant.ofEpochMilli(db.createdAtMillis()).toString());
        node.put("collectionCount", db.collections().size());
        if (withCollections) {
            ArrayNode cs = node.putArray("collections");
            db.collections().values().forEach(c -> cs.add(collectionJson(c)));
        }
        return node;
    }

    private static ObjectNode collectionJson(CollectionInfo c) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        node.put("database", c.database());
        node.put("name", c.name());
        node.put("shards", c.shards());
        node.put("preImages", c.preImages());
        node.put(
                "createdAt", java.time.Instant.ofEpochMilli(c.createdAtMillis()).toString());
        return node;
    }

    private CompletionStage<HttpResponse> database(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        return switch (request.method().value()) {
            case PUT ->
                catalog.createDatabase(db).thenApply(r -> {
                    ObjectNode body = databaseJson(r.snapshot().database(db).orElseThrow(), false);
                    return json(
                            r.outcome() == CatalogEntity.Outcome.CREATED ? StatusCodes.CREATED : StatusCodes.OK, body);
                });
            case DELETE ->
                catalog.dropDatabase(db).thenApply(r -> {
                    if (r.outcome() == CatalogEntity.Outcome.DATABASE_NOT_FOUND) {
                        throw new NotFoundException("database", db);
                    }
                    ObjectNode body = DocumentJson.mapper().createObjectNode().put("dropped", db);
                    body.put("collectionsDropped", r.dropped().size());
                    return json(StatusCodes.OK, body);
                });
            default ->
                catalog.refresh()
                        .thenApply(snapshot -> json(
                                StatusCodes.OK,
                                databaseJson(
                                        snapshot.database(db).orElseThrow(() -> new NotFoundException("database", db)),
                                        true)));
        };
    }

    // ---- collections

    private CompletionStage<HttpResponse> collection(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        String name = Names.checkCollection(p.get(3));
        return switch (request.method().value()) {
            case PUT ->
                readOptionalJson(request, settings.maxRequestBytes())
                        .thenCompose(body -> createCollection(db, name, body));
            case DELETE ->
                catalog.dropCollection(db, name).thenApply(r -> {
                    switch (r.outcome()) {
                        case DATABASE_NOT_FOUND -> throw new NotFoundException("database", db);
                        case COLLECTION_NOT_FOUND -> throw new NotFoundException("collection", db + "/" + name);
                        default -> {}
                    }
                    return json(
                            StatusCodes.OK,
                            DocumentJson.mapper().createObjectNode().put("dropped", db + "/" + name));
                });
            default ->
                documents.stats(db, name).thenApply(stats -> {
                    ObjectNode body = collectionJson(stats.collection());
                    body.put("documentCount", stats.documentCount());
                    return json(StatusCodes.OK, body);
                });
        };
    }

    private CompletionStage<HttpResponse> createCollection(String db, String name, Optional<JsonNode> body) {
        int shards = 0;
        Boolean preImages = null;
        if (body.isPresent()) {
            ObjectNode options = JsonBodies.requireObject(body.get(), "body");
            for (var field : options.properties()) {
                if (!field.getKey().equals("shards") && !field.getKey().equals("preImages")) {
                    throw ApiException.badRequest(
                            "unknown-option",
                            "Unknown collection option",
                            "unknown option '" + field.getKey() + "'; supported: shards, preImages",
                            "/" + field.getKey());
                }
            }
            JsonNode p = options.get("preImages");
            if (p != null) {
                if (!p.isBoolean()) {
                    throw ApiException.badRequest(
                            "invalid-option",
                            "Invalid collection option",
                            "preImages must be true or false",
                            "/preImages");
                }
                preImages = p.booleanValue();
            }
            JsonNode s = options.get("shards");
            if (s != null) {
                int max = catalog.settings().maxShardCount();
                if (!s.canConvertToInt() || !s.isIntegralNumber() || s.intValue() < 1 || s.intValue() > max) {
                    throw ApiException.badRequest(
                            "invalid-option",
                            "Invalid collection option",
                            "shards must be an integer between 1 and " + max,
                            "/shards");
                }
                shards = s.intValue();
            }
        }
        int requested = shards;
        Boolean requestedPreImages = preImages;
        return catalog.createCollection(db, name, shards, Boolean.TRUE.equals(preImages))
                .thenApply(r -> {
                    switch (r.outcome()) {
                        case DATABASE_NOT_FOUND -> throw new NotFoundException("database", db);
                        case EXISTS -> {
                            if (requested != 0 && r.collection().shards() != requested) {
                                throw new ApiException(
                                        409,
                                        "conflict",
                                        "Conflict",
                                        "collection " + db + "/" + name + " exists with "
                                                + r.collection().shards()
                                                + " shards; the shard count is fixed at creation",
                                        "/shards");
                            }
                            if (requestedPreImages != null && r.collection().preImages() != requestedPreImages) {
                                throw new ApiException(
                                        409,
                                        "conflict",
                                        "Conflict",
                                        "collection " + db + "/" + name + " exists with preImages "
                                                + r.collection().preImages() + "; it is fixed at creation",
                                        "/preImages");
                            }
                            return json(StatusCodes.OK, collectionJson(r.collection()));
                        }
                        default -> {
                            return json(StatusCodes.CREATED, collectionJson(r.collection()));
                        }
                    }
                });
    }

    // ---- documents

    private CompletionStage<HttpResponse> document(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        String coll = Names.checkCollection(p.get(3));
        String id = Names.checkDocumentId(p.get(4));
        return switch (request.method().value()) {
            case PUT -> {
                long expected = precondition(request);
                yield readBody(request, 2 * settings.maxDocumentBytes(), Set.of("application/json"))
                        .thenCompose(
                                bytes -> documents.write(db, coll, DocumentWrite.put(id, content(bytes, id), expected)))
                        .thenApply(outcome -> writeResponse(outcome, false));
            }
            case PATCH -> {
                long expected = precondition(request);
                yield readBody(
                                request,
                                2 * settings.maxDocumentBytes(),
                                Set.of("application/merge-patch+json", "application/json"))
                        .thenCompose(bytes ->
                                documents.write(db, coll, DocumentWrite.patch(id, content(bytes, id), expected)))
                        .thenApply(outcome -> writeResponse(outcome, !minimal(request)));
            }
            case DELETE -> {
                long expected = precondition(request);
                yield documents
                        .write(db, coll, DocumentWrite.delete(id, expected))
                        .thenApply(outcome -> writeResponse(outcome, false));
            }
            default -> documents.get(db, coll, id).thenApply(found -> getResponse(request, db, coll, id, found));
        };
    }

    private HttpResponse getResponse(
            HttpRequest request, String db, String coll, String id, Optional<StoredDocument> found) {
        StoredDocument doc = found.orElseThrow(
                () -> ApiException.notFound("document", "document '" + id + "' does not exist in " + db + "/" + coll));
        Optional<HttpHeader> ifNoneMatch = request.getHeader("If-None-Match");
        if (ifNoneMatch.isPresent() && matchesEtag(ifNoneMatch.get().value(), doc.version())) {
            return HttpResponse.create().withStatus(StatusCodes.NOT_MODIFIED).addHeader(etag(doc.version()));
        }
        return HttpResponse.create()
                .withEntity(ContentTypes.APPLICATION_JSON, doc.json())
                .addHeader(etag(doc.version()));
    }

    private static boolean matchesEtag(String header, long version) {
        for (String tag : header.split(",")) {
            String t = tag.trim();
            if (t.equals("*") || t.equals("\"" + version + "\"") || t.equals("W/\"" + version + "\"")) {
                return true;
            }
        }
        return false;
    }

    private static HttpHeader etag(long version) {
        return RawHeader.create("ETag", "\"" + version + "\"");
    }

    /**
     * The precondition of a write from its headers: {@code If-Match: "<version>"} or {@code
     * If-Match: *} (the document must exist), or {@code If-None-Match: *} (create-only).
     */
    private static long precondition(HttpRequest request) {
        Optional<HttpHeader> ifMatch = request.getHeader("If-Match");
        Optional<HttpHeader> ifNoneMatch = request.getHeader("If-None-Match");
        if (ifMatch.isPresent() && ifNoneMatch.isPresent()) {
            throw ApiException.badRequest(
                    "invalid-header",
                    "Invalid precondition",
                    "If-Match and If-None-Match cannot be combined",
                    "If-Match");
        }
        if (ifNoneMatch.isPresent()) {
            if (!ifNoneMatch.get().value().trim().equals("*")) {
                throw ApiException.badRequest(
                        "invalid-header",
                        "Invalid precondition",
                        "on writes If-None-Match supports only '*' (create-only)",
                        "If-None-Match");
            }
            return DocumentWrite.ABSENT;
        }
        if (ifMatch.isEmpty()) {
            return DocumentWrite.ANY;
        }
        String value = ifMatch.get().value().trim();
        if (value.equals("*")) {
            return DocumentWrite.EXISTS;
        }
        String v = value.startsWith("\"") && value.endsWith("\"") && value.length() >= 2
                ? value.substring(1, value.length() - 1)
                : value;
        try {
            long version = Long.parseLong(v);
            if (version >= 1) {
                return version;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ApiException.badRequest(
                "invalid-header",
                "Invalid precondition",
                "If-Match must be one version as returned in ETag, such as \"12\", or *; got " + value,
                "If-Match");
    }

    /** The user content of a document body: a JSON object whose {@code _id}, if any, matches the path. */
    private byte[] content(byte[] body, String id) {
        return DocumentContent.ofBody(body, id, settings.maxDocumentBytes());
    }

    /** RFC 7240 {@code Prefer: return=minimal}: answer a PATCH with the id and version only. */
    private static boolean minimal(HttpRequest request) {
        return request.getHeader("Prefer")
                .map(h -> h.value().contains("return=minimal"))
                .orElse(false);
    }

    private HttpResponse writeResponse(WriteOutcome outcome, boolean withDocument) {
        ApiException failure = outcomeProblem(outcome, "If-Match");
        if (failure != null) {
            throw failure;
        }
        ObjectNode body = outcomeJson(outcome);
        if (withDocument && outcome.document() != null) {
            return HttpResponse.create()
                    .withStatus(StatusCodes.OK)
                    .withEntity(ContentTypes.APPLICATION_JSON, outcome.document())
                    .addHeader(etag(outcome.version()));
        }
        StatusCode status = outcome.status() == WriteOutcome.Status.CREATED ? StatusCodes.CREATED : StatusCodes.OK;
        return json(status, body).addHeader(etag(outcome.version()));
    }

    private static ObjectNode outcomeJson(WriteOutcome outcome) {
        ObjectNode body = DocumentJson.mapper().createObjectNode();
        body.put(DocumentJson.ID, outcome.id());
        body.put(DocumentJson.VERSION, outcome.version());
        body.put("result", RESULT_NAMES.get(outcome.status()));
        return body;
    }

    /** The problem a failed outcome stands for, or null when it succeeded. */
    private static ApiException outcomeProblem(WriteOutcome o, String preconditionField) {
        Map<String, Object> current = Map.of("currentVersion", o.version());
        return switch (o.status()) {
            case CREATED, UPDATED, DELETED -> null;
            case NOT_FOUND -> ApiException.notFound("document", "document '" + o.id() + "' does not exist");
            case VERSION_MISMATCH ->
                new ApiException(
                        412,
                        "precondition-failed",
                        "Precondition failed",
                        o.version() == 0
                                ? "document '" + o.id() + "' does not exist"
                                : "document '" + o.id() + "' is at version " + o.version(),
                        preconditionField,
                        current);
            case ALREADY_EXISTS ->
                new ApiException(
                        412,
                        "precondition-failed",
                        "Precondition failed",
                        "document '" + o.id() + "' already exists (version " + o.version() + ")",
                        preconditionField.equals("If-Match") ? "If-None-Match" : preconditionField,
                        current);
            case TOO_LARGE ->
                new ApiException(
                        413,
                        "document-too-large",
                        "Document too large",
                        "the patched document would exceed the document size limit (lumadb.limits.max-document-bytes)",
                        "body");
            case INVALID ->
                ApiException.badRequest(
                        "not-an-object", "Not a JSON object", "a merge patch must be a JSON object", "body");
            case UNINDEXABLE ->
                ApiException.badRequest(
                        "unindexable-document",
                        "Document cannot be indexed",
                        "document '" + o.id() + "' would put more than " + IndexEntries.MAX_ENTRIES_PER_DOCUMENT
                                + " entries into a secondary index of its collection (arrays on indexed paths are"
                                + " too long)",
                        "body");
        };
    }

    // ---- queries and indexes

    private CompletionStage<HttpResponse> query(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        String coll = Names.checkCollection(p.get(3));
        return readBody(request, settings.maxRequestBytes(), Set.of("application/json"))
                .thenCompose(bytes -> queries.query(db, coll, queries.parse(JsonBodies.parse(bytes, "body"))))
                .thenApply(result -> json(StatusCodes.OK, queryResult(result)));
    }

    /** The documents are written as stored (or as projected by the shard), never re-parsed. */
    private static byte[] queryResult(Queries.Result result) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = DocumentJson.mapper().createGenerator(out)) {
            g.writeStartObject();
            if (result.documents() != null) {
                g.writeArrayFieldStart("documents");
                for (byte[] document : result.documents()) {
                    g.writeRawValue(new String(document, StandardCharsets.UTF_8));
                }
                g.writeEndArray();
                g.writeStringField("next", result.next());
            }
            if (result.count() != null) {
                g.writeNumberField("count", result.count());
            }
            if (result.aggregate() != null) {
                for (var field : result.aggregate().properties()) {
                    g.writeObjectField(field.getKey(), field.getValue());
                }
            }
            if (result.explain() != null) {
                g.writeObjectField("explain", result.explain());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private CompletionStage<HttpResponse> listIndexes(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        String coll = Names.checkCollection(p.get(3));
        return queries.indexes(db, coll).thenApply(all -> {
            ObjectNode body = DocumentJson.mapper().createObjectNode();
            ArrayNode list = body.putArray("indexes");
            all.forEach(status -> list.add(indexJson(status)));
            return json(StatusCodes.OK, body);
        });
    }

    private CompletionStage<HttpResponse> index(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        String coll = Names.checkCollection(p.get(3));
        String name = Names.checkIndex(p.get(5));
        return switch (request.method().value()) {
            case PUT ->
                readBody(request, settings.maxDocumentBytes(), Set.of("application/json"))
                        .thenCompose(bytes -> queries.createIndex(db, coll, name, indexFields(bytes)))
                        .thenApply(status ->
                                json(status.created() ? StatusCodes.CREATED : StatusCodes.OK, indexJson(status)));
            case DELETE ->
                queries.dropIndex(db, coll, name)
                        .thenApply(v -> json(
                                StatusCodes.OK,
                                DocumentJson.mapper().createObjectNode().put("dropped", name)));
            default -> queries.index(db, coll, name).thenApply(status -> json(StatusCodes.OK, indexJson(status)));
        };
    }

    private static List<io.lumadb.shards.model.IndexDefinition.Field> indexFields(byte[] body) {
        try {
            return Queries.indexFields(JsonBodies.parse(body, "body"));
        } catch (io.lumadb.shards.query.QueryException e) {
            throw ApiException.badRequest("invalid-index", "Invalid index definition", e.getMessage(), e.pointer());
        }
    }

    private static ObjectNode indexJson(Queries.IndexStatus status) {
        ObjectNode body = DocumentJson.mapper().createObjectNode();
        body.put("name", status.definition().name());
        ArrayNode fields = body.putArray("fields");
        status.definition()
                .fields()
                .forEach(f -> fields.addObject().put("path", f.path()).put("order", f.descending() ? "desc" : "asc"));
        body.put("state", status.state());
        ObjectNode progress = body.putObject("progress");
        progress.put("indexed", status.indexed());
        progress.put("total", status.total());
        progress.put("fraction", status.total() == 0 ? 1.0 : Math.min(1.0, (double) status.indexed() / status.total()));
        ArrayNode shards = body.putArray("shards");
        for (Queries.ShardIndex s : status.shards()) {
            ObjectNode shard = shards.addObject()
                    .put("shard", s.shard())
                    .put("state", s.state())
                    .put("indexed", s.indexed())
                    .put("total", s.total())
                    .put("multikey", s.multikey());
            if (s.failure() != null) {
                shard.put("failure", s.failure());
            }
        }
        return body;
    }

    // ---- bulk

    private CompletionStage<HttpResponse> bulk(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        String coll = Names.checkCollection(p.get(3));
        return readBody(request, settings.maxRequestBytes(), Set.of("application/json", "application/x-ndjson"))
                .thenCompose(bytes -> {
                    boolean ndjson = mediaType(request).equals("application/x-ndjson");
                    List<DocumentWrite> writes = ndjson ? bulkItems.parseNdjson(bytes) : bulkItems.parseArray(bytes);
                    return documents.writeAll(db, coll, writes);
                })
                .thenApply(outcomes -> json(StatusCodes.OK, bulkResults(outcomes)));
    }

    /** {@code {"items":[...],"errors":bool}}, streamed: one result per item, in request order. */
    private static byte[] bulkResults(List<WriteOutcome> outcomes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 64 * outcomes.size());
        try (var g = DocumentJson.mapper().getFactory().createGenerator(out)) {
            boolean errors = false;
            g.writeStartObject();
            g.writeArrayFieldStart("items");
            for (WriteOutcome o : outcomes) {
                g.writeStartObject();
                g.writeStringField(DocumentJson.ID, o.id());
                if (o.status().succeeded()) {
                    g.writeNumberField(DocumentJson.VERSION, o.version());
                    g.writeStringField("result", RESULT_NAMES.get(o.status()));
                    g.writeNumberField("status", o.status() == WriteOutcome.Status.CREATED ? 201 : 200);
                } else {
                    ApiException problem = outcomeProblem(o, "/ifMatch");
                    errors = true;
                    g.writeNumberField("status", problem.status);
                    g.writeObjectFieldStart("error");
                    g.writeStringField("type", Problems.TYPE_PREFIX + problem.type);
                    g.writeStringField("title", problem.title);
                    g.writeStringField("detail", problem.getMessage());
                    if (o.version() > 0) {
                        g.writeNumberField("currentVersion", o.version());
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeBooleanField("errors", errors);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    // ---- listing

    private CompletionStage<HttpResponse> listDocuments(HttpRequest request, List<String> p) {
        String db = Names.checkDatabase(p.get(2));
        String coll = Names.checkCollection(p.get(3));
        var query = request.getUri().query();
        Optional<String> after = query.get("after");
        if (after.isPresent() && after.get().isEmpty()) {
            after = Optional.empty();
        }
        int max = catalog.settings().maxListLimit();
        int limit = settings.defaultListLimit();
        Optional<String> limitParam = query.get("limit");
        if (limitParam.isPresent()) {
            try {
                limit = Integer.parseInt(limitParam.get());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > max) {
                throw ApiException.badRequest(
                        "invalid-parameter",
                        "Invalid parameter",
                        "limit must be an integer between 1 and " + max + ", got '" + limitParam.get() + "'",
                        "limit");
            }
        }
        return documents
                .list(db, coll, after.orElse(null), Math.min(limit, max))
                .thenApply(page -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.writeBytes("{\"docs\":[".getBytes(StandardCharsets.UTF_8));
                    for (int i = 0; i < page.documents().size(); i++) {
                        if (i > 0) {
                            out.write(',');
                        }
                        out.writeBytes(page.documents().get(i).json());
                    }
                    out.writeBytes("],\"next\":".getBytes(StandardCharsets.UTF_8));
                    out.writeBytes(DocumentJson.bytes(
                            page.next() == null
                                    ? com.fasterxml.jackson.databind.node.NullNode.getInstance()
                                    : com.fasterxml.jackson.databind.node.TextNode.valueOf(page.next())));
                    out.write('}');
                    return json(StatusCodes.OK, out.toByteArray());
                });
    }

    // ---- bodies

    private static String mediaType(HttpRequest request) {
        var mt = request.entity().getContentType().mediaType();
        return (mt.mainType() + "/" + mt.subType()).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Reads the whole body, refusing other media types and charsets other than UTF-8 (415), bodies
     * over {@code limit} (413) and bodies that are not UTF-8 (400; NDJSON is checked per line by
     * {@link BulkItems}, so that the problem names the line).
     */
    private CompletionStage<byte[]> readBody(HttpRequest request, long limit, Set<String> mediaTypes) {
        String mt = mediaType(request);
        if (!mediaTypes.contains(mt)) {
            request.discardEntityBytes(system);
            return CompletableFuture.failedFuture(new ApiException(
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "Content-Type must be " + String.join(" or ", new java.util.TreeSet<>(mediaTypes)) + ", got " + mt,
                    "Content-Type"));
        }
        // The server parses JSON media types with an open charset (EdgeProblems.jsonMediaTypes), so a
        // charset parameter is seen here instead of being dropped.
        var charset = request.entity().getContentType().getCharsetOption();
        if (charset.isPresent() && !charset.get().value().equalsIgnoreCase("utf-8")) {
            request.discardEntityBytes(system);
            return CompletableFuture.failedFuture(new ApiException(
                    415,
                    "unsupported-charset",
                    "Unsupported charset",
                    "LumaDB takes UTF-8 JSON only: the Content-Type charset must be utf-8 or absent, got "
                            + charset.get().value(),
                    "Content-Type"));
        }
        var length = request.entity().getContentLengthOption();
        if (length.isPresent() && length.getAsLong() > limit) {
            request.discardEntityBytes(system);
            return CompletableFuture.failedFuture(tooLarge(limit));
        }
        boolean perLine = mt.equals("application/x-ndjson");
        return Stages.sameThread(request.entity()
                        .withSizeLimit(limit)
                        // With our own limit: the default would stop at pekko.http.parsing.max-to-strict-bytes.
                        .toStrict(settings.bodyTimeout().toMillis(), limit, system))
                .thenApply(strict -> {
                    byte[] bytes = strict.getData().toArray();
                    if (!perLine) {
                        JsonBodies.requireUtf8(bytes, "body");
                    }
                    return bytes;
                });
    }

    private static ApiException tooLarge(long limit) {
        return new ApiException(
                413,
                "payload-too-large",
                "Payload too large",
                "the request body exceeds the limit of " + limit + " bytes",
                "body");
    }

    /** An optional JSON body: empty when the request has none. */
    private CompletionStage<Optional<JsonNode>> readOptionalJson(HttpRequest request, long limit) {
        var length = request.entity().getContentLengthOption();
        if (length.isPresent() && length.getAsLong() == 0) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return readBody(request, limit, Set.of("application/json"))
                .thenApply(
                        bytes -> bytes.length == 0 ? Optional.empty() : Optional.of(JsonBodies.parse(bytes, "body")));
    }

    // ---- responses

    private static HttpResponse json(StatusCode status, byte[] body) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body);
    }

    private static CompletionStage<HttpResponse> done(HttpResponse response) {
        return CompletableFuture.completedFuture(response);
    }

    private static HttpResponse json(StatusCode status, JsonNode body) {
        return HttpResponse.create()
                .withStatus(status)
                .withEntity(ContentTypes.APPLICATION_JSON, DocumentJson.bytes(body));
    }
}

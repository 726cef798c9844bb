package io.lumadb.http;

import static io.lumadb.http.JsonResponses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.NotFoundException;
import io.lumadb.shards.catalog.CollectionInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** Collections: get (with its document count), create with options, drop. */
final class CollectionsResource implements Resource {

    private static final String COLLECTION = "/api/v1/{db}/{collection}";

    private final ApiContext api;

    CollectionsResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        Permission manage = Permission.of(Action.MANAGE_DATABASES, Scope.DATABASE);
        return List.of(
                Route.get(COLLECTION, "getCollection", Permission.of(Action.READ, Scope.COLLECTION), this::get),
                Route.put(COLLECTION, "createCollection", manage, this::create),
                Route.delete(COLLECTION, "dropCollection", manage, this::drop));
    }

    static ObjectNode describe(CollectionInfo c) {
        ObjectNode node = JsonResponses.object();
        node.put("database", c.database());
        node.put("name", c.name());
        node.put("shards", c.shards());
        node.put("preImages", c.preImages());
        node.put("createdAt", Instant.ofEpochMilli(c.createdAtMillis()).toString());
        if (c.schema() != null) {
            node.set("schema", c.declaredSchema().node());
        }
        node.put("kind", c.holdsTimeSeries() ? "timeseries" : "documents");
        if (c.holdsTimeSeries()) {
            node.set(
                    "timeseries",
                    JsonBodies.parse(c.timeSeries().getBytes(java.nio.charset.StandardCharsets.UTF_8), "timeseries"));
        }
        return node;
    }

    private CompletionStage<HttpResponse> get(Call call) {
        return api.documents().stats(call.db(), call.collection()).thenApply(stats -> {
            ObjectNode body = describe(stats.collection());
            body.put("documentCount", stats.documentCount());
            return json(StatusCodes.OK, body);
        });
    }

    private CompletionStage<HttpResponse> drop(Call call) {
        String db = call.db();
        String name = call.collection();
        return api.catalog().dropCollection(db, name).thenApply(r -> {
            switch (r.outcome()) {
                case DATABASE_NOT_FOUND -> throw new NotFoundException("database", db);
                case COLLECTION_NOT_FOUND -> throw new NotFoundException("collection", db + "/" + name);
                default -> {}
            }
            Audits.dataDefinition(api, call, "drop-collection", Map.of("database", db, "collection", name));
            return json(StatusCodes.OK, JsonResponses.object().put("dropped", db + "/" + name));
        });
    }

    /**
     * The time-series options of a collection to create with {@code "kind": "timeseries"}, null
     * for one of documents (the default kind).
     */
    private static io.lumadb.timeseries.shard.TimeSeriesOptions timeSeries(ObjectNode options, String name) {
        JsonNode kind = options.get("kind");
        boolean series = kind != null && kind.isTextual() && kind.asText().equals("timeseries");
        if (kind != null && !series && !(kind.isTextual() && kind.asText().equals("documents"))) {
            throw ApiException.badRequest(
                    "invalid-option", "Invalid collection option", "kind must be documents or timeseries", "/kind");
        }
        if (!series) {
            if (options.has("timeseries")) {
                throw ApiException.badRequest(
                        "invalid-option",
                        "Invalid collection option",
                        "timeseries options need \"kind\": \"timeseries\"",
                        "/timeseries");
            }
            return null;
        }
        for (String documentsOnly : List.of("schema", "tiering", "preImages")) {
            if (options.has(documentsOnly)) {
                throw ApiException.badRequest(
                        "invalid-option",
                        "Invalid collection option",
                        documentsOnly + " is an option of document collections, not of time series",
                        "/" + documentsOnly);
            }
        }
        try {
            return io.lumadb.timeseries.shard.TimeSeriesOptions.parse(options.get("timeseries"), name, "/timeseries");
        } catch (io.lumadb.timeseries.shard.TimeSeriesOptions.InvalidOptionsException e) {
            throw ApiException.badRequest("invalid-option", "Invalid time-series option", e.getMessage(), e.pointer());
        }
    }

    private CompletionStage<HttpResponse> create(Call call) {
        String db = call.db();
        String name = call.collection();
        return api.bodies()
                .readOptionalJson(call.request(), api.settings().maxRequestBytes())
                .thenCompose(body -> create(call, db, name, body));
    }

    private CompletionStage<HttpResponse> create(Call call, String db, String name, Optional<JsonNode> body) {
        int shards = 0;
        Boolean preImages = null;
        io.lumadb.shards.model.CollectionSchema schema = null;
        io.lumadb.timeseries.shard.TimeSeriesOptions timeSeries = null;
        if (body.isPresent()) {
            ObjectNode options = JsonBodies.requireObject(body.get(), "body");
            for (var field : options.properties()) {
                if (!List.of("shards", "preImages", "tiering", "schema", "kind", "timeseries")
                        .contains(field.getKey())) {
                    throw ApiException.badRequest(
                            "unknown-option",
                            "Unknown collection option",
                            "unknown option '" + field.getKey()
                                    + "'; supported: kind, shards, preImages, tiering, schema, timeseries",
                            "/" + field.getKey());
                }
            }
            timeSeries = timeSeries(options, name);
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
            if (options.hasNonNull("schema")) {
                schema = SchemaResource.schema(options.get("schema"), "/schema");
            }
            JsonNode s = options.get("shards");
            if (s != null) {
                int max = api.catalog().settings().maxShardCount();
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
        // The cold tier's policy (see _tiering), set once the collection exists; changeable there.
        boolean setPolicy = body.isPresent() && body.get().has("tiering");
        io.lumadb.tiering.Policy policy = null;
        if (setPolicy && !body.get().get("tiering").isNull()) {
            try {
                policy = io.lumadb.tiering.Policy.parse(body.get().get("tiering"));
            } catch (io.lumadb.tiering.Policy.PolicyException e) {
                throw ApiException.badRequest(
                        "invalid-tiering",
                        "Invalid tiering policy",
                        e.getMessage(),
                        e.pointer().replaceFirst("^/policy", "/tiering"));
            }
            api.tiering(); // a node without the cold tier refuses (503) before anything is created
        }
        io.lumadb.tiering.Policy tiering = policy;
        int requested = shards;
        Boolean requestedPreImages = preImages;
        io.lumadb.shards.model.CollectionSchema requestedSchema = schema;
        boolean requestedKind = timeSeries != null;
        // Time-series options asked for explicitly must match an existing collection's, as a schema must.
        String requestedTimeSeries = timeSeries != null && body.get().has("timeseries") ? timeSeries.json() : null;
        return api.catalog()
                .createCollection(
                        db,
                        name,
                        shards,
                        Boolean.TRUE.equals(preImages),
                        schema,
                        timeSeries == null ? null : timeSeries.json())
                .thenCompose(r ->
                        !setPolicy || r.outcome() == io.lumadb.shards.catalog.CatalogEntity.Outcome.DATABASE_NOT_FOUND
                                ? java.util.concurrent.CompletableFuture.completedFuture(r)
                                : api.tiering().setPolicy(db, name, tiering).thenApply(x -> r))
                .thenApply(r -> switch (r.outcome()) {
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
                        if (requestedKind != r.collection().holdsTimeSeries()) {
                            throw new ApiException(
                                    409,
                                    "conflict",
                                    "Conflict",
                                    "collection " + db + "/" + name + " exists and holds "
                                            + (r.collection().holdsTimeSeries() ? "time series" : "documents")
                                            + "; its kind is fixed at creation",
                                    "/kind");
                        }
                        if (requestedTimeSeries != null
                                && !requestedTimeSeries.equals(r.collection().timeSeries())) {
                            throw new ApiException(
                                    409,
                                    "conflict",
                                    "Conflict",
                                    "collection " + db + "/" + name + " exists with other time-series options "
                                            + r.collection().timeSeries() + "; they are fixed at creation",
                                    "/timeseries");
                        }
                        if (requestedSchema != null
                                && !requestedSchema.json().equals(r.collection().schema())) {
                            throw new ApiException(
                                    409,
                                    "conflict",
                                    "Conflict",
                                    "collection " + db + "/" + name + " exists with another schema; change it with PUT"
                                            + " /api/v1/" + db + "/" + name + "/_schema",
                                    "/schema");
                        }
                        yield json(StatusCodes.OK, describe(r.collection()));
                    }
                    default -> {
                        Audits.dataDefinition(
                                api,
                                call,
                                "create-collection",
                                Map.of(
                                        "database",
                                        db,
                                        "collection",
                                        name,
                                        "shards",
                                        r.collection().shards(),
                                        "preImages",
                                        r.collection().preImages()));
                        yield json(StatusCodes.CREATED, describe(r.collection()));
                    }
                });
    }
}

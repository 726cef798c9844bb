package io.lumadb.http;

import static io.lumadb.http.JsonResponses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.Queries;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.Names;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.query.QueryException;
import io.lumadb.vector.SearchIndexBodies;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Indexes of a collection, secondary ({@code {"fields": [...]}}) and search ({@code {"type":
 * "vector" | "text", ...}}, see {@link SearchIndexBodies}): list, get with build progress,
 * create (built in the background), drop.
 */
final class IndexesResource implements Resource {

    private static final String INDEX = "/api/v1/{db}/{collection}/_indexes/{name}";

    private final ApiContext api;

    IndexesResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        Permission read = Permission.of(Action.READ, Scope.COLLECTION);
        Permission index = Permission.of(Action.INDEX, Scope.COLLECTION);
        return List.of(
                Route.get("/api/v1/{db}/{collection}/_indexes", "listIndexes", read, this::list),
                Route.get(INDEX, "getIndex", read, this::get),
                Route.put(INDEX, "createIndex", index, this::create),
                Route.delete(INDEX, "dropIndex", index, this::drop));
    }

    private CompletionStage<HttpResponse> list(Call call) {
        return api.queries().indexes(call.db(), call.collection()).thenApply(all -> {
            ObjectNode body = JsonResponses.object();
            ArrayNode list = body.putArray("indexes");
            all.forEach(status -> list.add(describe(status)));
            return json(StatusCodes.OK, body);
        });
    }

    private CompletionStage<HttpResponse> get(Call call) {
        String db = call.db();
        String coll = call.collection();
        String name = Names.checkIndex(call.parameter("name"));
        return api.queries().index(db, coll, name).thenApply(status -> json(StatusCodes.OK, describe(status)));
    }

    private CompletionStage<HttpResponse> create(Call call) {
        String db = call.db();
        String coll = call.collection();
        String name = Names.checkIndex(call.parameter("name"));
        return api.bodies()
                .read(call.request(), api.settings().maxDocumentBytes(), Bodies.JSON)
                .thenCompose(bytes -> {
                    JsonNode body = JsonBodies.parse(bytes, "body");
                    if (SearchIndexBodies.isSearch(body)) {
                        SearchSpec search = search(body);
                        return api.queries()
                                .createIndex(
                                        db,
                                        coll,
                                        name,
                                        IndexDefinition.search(name, 1, search).fields(),
                                        search);
                    }
                    return api.queries().createIndex(db, coll, name, fields(body));
                })
                .thenApply(status -> {
                    if (status.created()) {
                        Audits.dataDefinition(api, call, "create-index", indexDetails(db, coll, status));
                    }
                    return json(status.created() ? StatusCodes.CREATED : StatusCodes.OK, describe(status));
                });
    }

    private CompletionStage<HttpResponse> drop(Call call) {
        String db = call.db();
        String coll = call.collection();
        String name = Names.checkIndex(call.parameter("name"));
        return api.queries().dropIndex(db, coll, name).thenApply(v -> {
            Audits.dataDefinition(api, call, "drop-index", Map.of("database", db, "collection", coll, "index", name));
            return json(StatusCodes.OK, JsonResponses.object().put("dropped", name));
        });
    }

    private static Map<String, Object> indexDetails(String db, String coll, Queries.IndexStatus status) {
        List<String> fields = status.definition().fields().stream()
                .map(f -> (f.descending() ? "-" : "") + f.path())
                .toList();
        return Map.of(
                "database", db, "collection", coll, "index", status.definition().name(), "fields", fields);
    }

    private static List<IndexDefinition.Field> fields(JsonNode body) {
        try {
            return Queries.indexFields(body);
        } catch (QueryException e) {
            throw ApiException.badRequest("invalid-index", "Invalid index definition", e.getMessage(), e.pointer());
        }
    }

    private static SearchSpec search(JsonNode body) {
        try {
            return SearchIndexBodies.parse(body);
        } catch (QueryException e) {
            throw ApiException.badRequest("invalid-index", "Invalid index definition", e.getMessage(), e.pointer());
        }
    }

    private static ObjectNode describe(Queries.IndexStatus status) {
        ObjectNode body = JsonResponses.object();
        body.put("name", status.definition().name());
        ArrayNode fields = body.putArray("fields");
        status.definition()
                .fields()
                .forEach(f -> fields.addObject().put("path", f.path()).put("order", f.descending() ? "desc" : "asc"));
        SearchSpec search = status.definition().search();
        if (search != null) {
            body.put("type", search.kind().name().toLowerCase(Locale.ROOT));
            ArrayNode paths = body.putArray("paths");
            search.paths().forEach(paths::add);
            if (search.kind() == SearchSpec.Kind.VECTOR) {
                body.put("dimension", search.dimension());
                body.put("similarity", search.similarity().name().toLowerCase(Locale.ROOT));
                body.put("m", search.m());
                body.put("efConstruction", search.efConstruction());
                body.put("quantization", search.quantization().name().toLowerCase(Locale.ROOT));
            } else {
                body.put("analyzer", search.analyzer());
                body.put("stored", search.stored());
            }
        }
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
            if (s.search() != null) {
                shard.put("shardPosition", s.appliedSeq());
                shard.put("indexPosition", s.search().applied());
                shard.put("searchablePosition", s.search().visible());
                shard.put("committedPosition", s.search().committed());
                shard.put("indexedDocuments", s.search().documents());
            }
        }
        return body;
    }
}

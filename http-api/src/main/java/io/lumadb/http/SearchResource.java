package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.Documents;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.RowAccess;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * {@code _search}: vector (kNN), full-text (BM25) and hybrid search over one collection's
 * search indexes (see {@link io.lumadb.vector.Search} for the request).
 *
 * <p>Row-level rules hold as for queries: the caller's row filter is ANDed into the search's
 * filter, so the search never ranks a document the caller may not read; hidden fields are
 * stripped from the documents, and a search may name none, neither in its filter or fields nor
 * through an index over a hidden field (its ranking would tell the field's contents).
 */
final class SearchResource implements Resource {

    private final ApiContext api;

    SearchResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post(
                "/api/v1/{db}/{collection}/_search",
                "search",
                Permission.of(Action.QUERY, Scope.COLLECTION),
                this::search));
    }

    private CompletionStage<HttpResponse> search(Call call) {
        String db = call.db();
        String coll = call.collection();
        RowAccess sight = api.security().access(call.principal(), Action.READ, false, db, coll);
        return api.bodies()
                .readJson(call.request(), api.settings().maxRequestBytes())
                .thenCompose(body -> refuseHidden(api, db, coll, body, sight).thenCompose(checked -> api.search()
                        .search(db, coll, QueriesResource.withRowFilter(checked, sight))))
                .thenApply(answer -> JsonResponses.json(StatusCodes.OK, strip(answer, sight)))
                .exceptionally(SearchResource::invalidSearch);
    }

    /** A failure of a search as the API reports it: a bad request is 400 {@code invalid-search}. */
    static <T> T invalidSearch(Throwable failure) {
        Throwable cause = Documents.unwrap(failure);
        if (cause instanceof QueryException bad) {
            throw ApiException.badRequest("invalid-search", "Invalid search", bad.getMessage(), bad.pointer());
        }
        throw cause instanceof RuntimeException re ? re : new CompletionException(cause);
    }

    /**
     * Refuses a search that names a hidden field in its filter or fields, or that searches an
     * index over one.
     */
    static CompletionStage<JsonNode> refuseHidden(
            ApiContext api, String db, String coll, JsonNode body, RowAccess sight) {
        if (sight.hiddenFields().isEmpty() || !body.isObject()) {
            return java.util.concurrent.CompletableFuture.completedFuture(body);
        }
        ObjectNode shape = DocumentJson.mapper().createObjectNode();
        if (body.has("filter")) {
            shape.set("filter", body.get("filter"));
        }
        if (body.has("fields")) {
            shape.set("fields", body.get("fields"));
        }
        HiddenFields.refuseInQuery(shape, sight);
        return api.catalog().resolve(db, coll, false).thenApply(info -> {
            for (String part : List.of("knn", "text")) {
                String name = body.path(part).path("index").asText(null);
                IndexDefinition index = name == null ? null : info.index(name).orElse(null);
                if (index == null) {
                    continue;
                }
                for (IndexDefinition.Field field : index.fields()) {
                    if (sight.hides(field.path())) {
                        throw new ApiException(
                                403,
                                "hidden-field",
                                "Hidden field",
                                "index '" + name + "' covers the field '" + field.path()
                                        + "', which is hidden from your roles; a search cannot use it",
                                "/" + part + "/index");
                    }
                }
            }
            return body;
        });
    }

    private static ObjectNode strip(ObjectNode answer, RowAccess sight) {
        if (sight.hiddenFields().isEmpty()) {
            return answer;
        }
        for (JsonNode hit : answer.path("hits")) {
            if (hit.has("document")) {
                ((ObjectNode) hit).set("document", sight.strip(hit.get("document")));
            }
            // A highlight of a hidden field cannot occur: searching such an index is refused.
        }
        return answer;
    }
}

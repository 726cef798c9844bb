package io.lumadb.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.Queries;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.RowAccess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** {@code _query}: a JQL query (find, count, aggregate, distinct, explain) over one collection. */
final class QueriesResource implements Resource {

    private final ApiContext api;

    QueriesResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post(
                "/api/v1/{db}/{collection}/_query",
                "query",
                Permission.of(Action.QUERY, Scope.COLLECTION),
                this::query));
    }

    private CompletionStage<HttpResponse> query(Call call) {
        String db = call.db();
        String coll = call.collection();
        Queries queries = api.queries();
        RowAccess sight = api.security().access(call.principal(), Action.READ, false, db, coll);
        return api.bodies()
                .readJson(call.request(), api.settings().maxRequestBytes())
                .thenCompose(body -> queries.query(db, coll, queries.parse(withinSight(body, sight))))
                .thenApply(result -> JsonResponses.json(StatusCodes.OK, render(result, sight)));
    }

    /**
     * The query as the caller may run it: its filter ANDed with the caller's row filter, so
     * documents, count, aggregate and distinct all cover only what it may see (and indexes still
     * serve it). A query naming a hidden field anywhere (filter, sort, fields, aggregate,
     * distinct) is refused ({@link HiddenFields#refuseInQuery}): its answer would tell the field's
     * values.
     */
    private static JsonNode withinSight(JsonNode body, RowAccess sight) {
        if (sight.unrestricted() || !body.isObject()) {
            return body;
        }
        HiddenFields.refuseInQuery(body, sight);
        return withRowFilter(body, sight);
    }

    /**
     * A copy of the request {@code body} whose {@code filter} is ANDed with the caller's row
     * filter ({@code body} itself when the caller has none): for queries and searches alike.
     */
    static JsonNode withRowFilter(JsonNode body, RowAccess sight) {
        if (sight.filterJson() == null || !body.isObject()) {
            return body;
        }
        ObjectNode query = ((ObjectNode) body).deepCopy();
        JsonNode filter = query.get("filter");
        if (filter == null || filter.isNull() || (filter.isObject() && filter.isEmpty())) {
            query.set("filter", sight.filterJson());
        } else {
            ObjectNode and = DocumentJson.mapper().createObjectNode();
            and.putArray("$and").add(filter).add(sight.filterJson());
            query.set("filter", and);
        }
        return query;
    }

    /** The documents are written as stored (or as projected by the shard), never re-parsed. */
    private static byte[] render(Queries.Result result, RowAccess sight) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = DocumentJson.mapper().createGenerator(out)) {
            g.writeStartObject();
            if (result.documents() != null) {
                g.writeArrayFieldStart("documents");
                for (byte[] document : result.documents()) {
                    g.writeRawValue(new String(sight.strip(document), StandardCharsets.UTF_8));
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
}

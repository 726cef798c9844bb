package io.lumadb.http;

import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.model.DocumentWrite;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * {@code _bulk}: many writes in one request, as a JSON array or NDJSON. Every item is parsed and
 * checked before any is sent to a shard, so a malformed request writes nothing; each item then
 * succeeds or fails on its own, and the answer lists them in request order.
 */
final class BulkResource implements Resource {

    private static final Set<String> TYPES = Set.of("application/json", "application/x-ndjson");

    private final ApiContext api;
    private final BulkItems items;

    BulkResource(ApiContext api) {
        this.api = api;
        this.items = new BulkItems(api.settings().maxBulkItems(), api.settings().maxDocumentBytes());
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post(
                "/api/v1/{db}/{collection}/_bulk",
                "bulkWrite",
                Permission.of(Action.WRITE, Scope.COLLECTION),
                this::write));
    }

    private CompletionStage<HttpResponse> write(Call call) {
        String db = call.db();
        String coll = call.collection();
        return api.bodies()
                .read(call.request(), api.settings().maxRequestBytes(), TYPES)
                .thenCompose(bytes -> {
                    boolean ndjson = Bodies.mediaType(call.request()).equals("application/x-ndjson");
                    List<DocumentWrite> writes = ndjson ? items.parseNdjson(bytes) : items.parseArray(bytes);
                    return RowWrites.restricted(api, call.principal(), Action.WRITE, db, coll)
                                    || RowWrites.restricted(api, call.principal(), Action.DELETE, db, coll)
                            ? RowWrites.writeAll(api, call.principal(), db, coll, writes)
                            : api.documents().writeAll(db, coll, writes);
                })
                .thenApply(outcomes -> JsonResponses.json(StatusCodes.OK, WriteResults.bulk(outcomes)));
    }
}

package io.lumadb.http;

import static io.lumadb.http.JsonResponses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.NotFoundException;
import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.CollectionSchema;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * A collection's declared schema ({@link CollectionSchema}): read, declare or replace, remove.
 * A declared schema holds for every write after the answer, through every API; documents
 * written before it are not checked again (as a new index does not change them either).
 */
final class SchemaResource implements Resource {

    private static final String SCHEMA = "/api/v1/{db}/{collection}/_schema";

    private final ApiContext api;

    SchemaResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        Permission manage = Permission.of(Action.MANAGE_DATABASES, Scope.DATABASE);
        return List.of(
                Route.get(SCHEMA, "getSchema", Permission.of(Action.READ, Scope.COLLECTION), this::get),
                Route.put(SCHEMA, "setSchema", manage, this::put),
                Route.delete(SCHEMA, "dropSchema", manage, this::drop));
    }

    /** {@code node} as a schema, or a 400 naming the pointer (under {@code at}) of what is wrong with it. */
    static CollectionSchema schema(JsonNode node, String at) {
        try {
            return CollectionSchema.of(node);
        } catch (CollectionSchema.InvalidSchemaException e) {
            throw ApiException.badRequest("invalid-schema", "Invalid schema", e.getMessage(), at + e.pointer());
        }
    }

    private CompletionStage<HttpResponse> get(Call call) {
        String db = call.db();
        String coll = call.collection();
        return api.catalog().resolveFresh(db, coll, false).thenApply(info -> {
            if (info.schema() == null) {
                throw ApiException.notFound("schema", "collection " + db + "/" + coll + " declares no schema");
            }
            return json(StatusCodes.OK, info.declaredSchema().node());
        });
    }

    private CompletionStage<HttpResponse> put(Call call) {
        String db = call.db();
        String coll = call.collection();
        return api.bodies()
                .read(call.request(), api.settings().maxRequestBytes(), Bodies.JSON)
                .thenCompose(bytes -> {
                    CollectionSchema schema = schema(JsonBodies.parse(bytes, "body"), "");
                    return api.catalog().setSchema(db, coll, schema).thenApply(r -> {
                        CollectionInfo info = found(r, db, coll);
                        if (r.outcome() == CatalogEntity.Outcome.CREATED) {
                            Audits.dataDefinition(api, call, "set-schema", Map.of("database", db, "collection", coll));
                        }
                        return json(StatusCodes.OK, info.declaredSchema().node());
                    });
                });
    }

    private CompletionStage<HttpResponse> drop(Call call) {
        String db = call.db();
        String coll = call.collection();
        return api.catalog().setSchema(db, coll, null).thenApply(r -> {
            found(r, db, coll);
            if (r.outcome() == CatalogEntity.Outcome.DROPPED) {
                Audits.dataDefinition(api, call, "drop-schema", Map.of("database", db, "collection", coll));
            }
            ObjectNode body = JsonResponses.object().put("dropped", r.outcome() == CatalogEntity.Outcome.DROPPED);
            return json(StatusCodes.OK, body);
        });
    }

    private static CollectionInfo found(CatalogEntity.Result r, String db, String coll) {
        return switch (r.outcome()) {
            case DATABASE_NOT_FOUND -> throw new NotFoundException("database", db);
            case COLLECTION_NOT_FOUND -> throw new NotFoundException("collection", db + "/" + coll);
            default -> r.collection();
        };
    }
}

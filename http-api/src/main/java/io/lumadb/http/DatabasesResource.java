package io.lumadb.http;

import static io.lumadb.http.JsonResponses.json;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.NotFoundException;
import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.DatabaseInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** Databases: list, get (with its collections), create, drop. */
final class DatabasesResource implements Resource {

    private static final String DATABASE = "/api/v1/{db}";

    private final ApiContext api;

    DatabasesResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        Permission manage = Permission.of(Action.MANAGE_DATABASES, Scope.DATABASE);
        return List.of(
                Route.get("/api/v1", "listDatabases", Permission.of(Action.READ, Scope.CLUSTER), call -> list()),
                Route.get(DATABASE, "getDatabase", Permission.of(Action.READ, Scope.DATABASE), this::get),
                Route.put(DATABASE, "createDatabase", manage, this::create),
                Route.delete(DATABASE, "dropDatabase", manage, this::drop));
    }

    private CompletionStage<HttpResponse> list() {
        return api.catalog().refresh().thenApply(snapshot -> {
            ObjectNode body = JsonResponses.object();
            ArrayNode dbs = body.putArray("databases");
            snapshot.databases().values().forEach(db -> dbs.add(describe(db, false)));
            return json(StatusCodes.OK, body);
        });
    }

    private CompletionStage<HttpResponse> get(Call call) {
        String db = call.db();
        return api.catalog()
                .refresh()
                .thenApply(snapshot -> json(
                        StatusCodes.OK,
                        describe(
                                snapshot.database(db).orElseThrow(() -> new NotFoundException("database", db)), true)));
    }

    private CompletionStage<HttpResponse> create(Call call) {
        String db = call.db();
        return api.catalog().createDatabase(db).thenApply(r -> {
            if (r.outcome() == CatalogEntity.Outcome.CREATED) {
                Audits.dataDefinition(api, call, "create-database", Map.of("database", db));
            }
            ObjectNode body = describe(r.snapshot().database(db).orElseThrow(), false);
            return json(r.outcome() == CatalogEntity.Outcome.CREATED ? StatusCodes.CREATED : StatusCodes.OK, body);
        });
    }

    private CompletionStage<HttpResponse> drop(Call call) {
        String db = call.db();
        return api.catalog().dropDatabase(db).thenApply(r -> {
            if (r.outcome() == CatalogEntity.Outcome.DATABASE_NOT_FOUND) {
                throw new NotFoundException("database", db);
            }
            Audits.dataDefinition(
                    api,
                    call,
                    "drop-database",
                    Map.of("database", db, "collectionsDropped", r.dropped().size()));
            ObjectNode body = JsonResponses.object().put("dropped", db);
            body.put("collectionsDropped", r.dropped().size());
            return json(StatusCodes.OK, body);
        });
    }

    private static ObjectNode describe(DatabaseInfo db, boolean withCollections) {
        ObjectNode node = JsonResponses.object();
        node.put("name", db.name());
        node.put("createdAt", Instant.ofEpochMilli(db.createdAtMillis()).toString());
        node.put("collectionCount", db.collections().size());
        if (withCollections) {
            ArrayNode cs = node.putArray("collections");
            db.collections().values().forEach(c -> cs.add(CollectionsResource.describe(c)));
        }
        return node;
    }
}

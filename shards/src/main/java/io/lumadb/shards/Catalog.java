package io.lumadb.shards;

import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.CatalogEntity.Outcome;
import io.lumadb.shards.catalog.CatalogEntity.Result;
import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.CollectionSchema;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.Names;
import io.lumadb.shards.shard.ShardEntity;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * This node's access to the catalog: changes go to the single-writer {@link CatalogEntity};
 * lookups use a cached snapshot and fall back to the catalog itself on a miss, so "not found"
 * is always the catalog's answer, never a stale cache's.
 */
public final class Catalog {

    private final ActorSystem<?> system;
    private final ShardsSettings settings;
    private final AtomicReference<CatalogSnapshot> cache = new AtomicReference<>(CatalogSnapshot.EMPTY);

    Catalog(ActorSystem<?> system, ShardsSettings settings) {
        this.system = system;
        this.settings = settings;
    }

    public ShardsSettings settings() {
        return settings;
    }

    /** The newest catalog snapshot this node has seen. */
    public CatalogSnapshot cached() {
        return cache.get();
    }

    private CatalogSnapshot remember(CatalogSnapshot snapshot) {
        return cache.accumulateAndGet(snapshot, (old, fresh) -> fresh.version() >= old.version() ? fresh : old);
    }

    private Result remember(Result result) {
        remember(result.snapshot());
        return result;
    }

    private <T> CompletionStage<T> ask(
            java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<T>, CatalogEntity.Command> message) {
        return Stages.sameThread(CatalogEntity.ref(system).ask(message::apply, settings.askTimeout()))
                .exceptionallyCompose(e ->
                        CompletableFuture.failedFuture(new ShardUnavailableException("the catalog is unavailable", e)));
    }

    /** Fetches the catalog's current snapshot. */
    public CompletionStage<CatalogSnapshot> refresh() {
        return this.<CatalogSnapshot>ask(CatalogEntity.GetSnapshot::new).thenApply(this::remember);
    }

    public CompletionStage<Result> createDatabase(String name) {
        Names.checkDatabase(name);
        return this.<Result>ask(r -> new CatalogEntity.CreateDatabase(name, r)).thenApply(this::remember);
    }

    /** Drops a database with all its collections and their data. */
    public CompletionStage<Result> dropDatabase(String name) {
        Names.checkDatabase(name);
        return this.<Result>ask(r -> new CatalogEntity.DropDatabase(name, r))
                .thenApply(this::remember)
                .thenCompose(this::dropShards);
    }

    /** Creates a collection; {@code shards} 0 means the configured default. */
    public CompletionStage<Result> createCollection(String database, String name, int shards) {
        return createCollection(database, name, shards, false);
    }

    /** Creates a collection; with {@code preImages}, change-stream consumers see previous documents. */
    public CompletionStage<Result> createCollection(String database, String name, int shards, boolean preImages) {
        return createCollection(database, name, shards, preImages, null);
    }

    /**
     * Creates a collection, with {@code schema} declared unless it is null; with {@code
     * preImages}, change-stream consumers see previous documents.
     */
    public CompletionStage<Result> createCollection(
            String database, String name, int shards, boolean preImages, CollectionSchema schema) {
        return createCollection(database, name, shards, preImages, schema, null);
    }

    /**
     * Creates a collection as {@link #createCollection(String, String, int, boolean,
     * CollectionSchema)} does, of time series when {@code timeSeries} (its options as JSON text,
     * checked by the caller) is not null.
     */
    public CompletionStage<Result> createCollection(
            String database, String name, int shards, boolean preImages, CollectionSchema schema, String timeSeries) {
        Names.checkDatabase(database);
        Names.checkCollection(name);
        int count = shards == 0 ? settings.defaultShardCount() : shards;
        if (count < 1 || count > settings.maxShardCount()) {
            throw new IllegalArgumentException(
                    "shards must be between 1 and " + settings.maxShardCount() + ", was " + shards);
        }
        return this.<Result>ask(r -> new CatalogEntity.CreateCollection(
                        database, name, count, preImages, schema == null ? null : schema.json(), timeSeries, r))
                .thenApply(this::remember);
    }

    /** Drops a collection and its data. */
    public CompletionStage<Result> dropCollection(String database, String name) {
        Names.checkDatabase(database);
        Names.checkCollection(name);
        return this.<Result>ask(r -> new CatalogEntity.DropCollection(database, name, r))
                .thenApply(this::remember)
                .thenCompose(this::dropShards);
    }

    /** Defines a secondary index (the caller has validated {@code fields}). */
    public CompletionStage<Result> createIndex(
            String database, String collection, String name, List<IndexDefinition.Field> fields) {
        return createIndex(database, collection, name, fields, null);
    }

    /**
     * Defines a secondary index, or with {@code search} a search index whose fields are its
     * paths (the caller has validated both).
     */
    public CompletionStage<Result> createIndex(
            String database,
            String collection,
            String name,
            List<IndexDefinition.Field> fields,
            io.lumadb.shards.model.SearchSpec search) {
        Names.checkIndex(name);
        return this.<Result>ask(r -> new CatalogEntity.CreateIndex(
                        database, collection, name, fields, search, settings.maxIndexes(), r))
                .thenApply(this::remember);
    }

    /** Declares {@code schema} for the collection's writes from now on, or with null removes its schema. */
    public CompletionStage<Result> setSchema(String database, String collection, CollectionSchema schema) {
        Names.checkDatabase(database);
        Names.checkCollection(collection);
        return this.<Result>ask(r ->
                        new CatalogEntity.SetSchema(database, collection, schema == null ? null : schema.json(), r))
                .thenApply(this::remember);
    }

    /** Removes a secondary index. */
    public CompletionStage<Result> dropIndex(String database, String collection, String name) {
        Names.checkIndex(name);
        return this.<Result>ask(r -> new CatalogEntity.DropIndex(database, collection, name, r))
                .thenApply(this::remember);
    }

    private CompletionStage<Result> dropShards(Result result) {
        List<CompletableFuture<ShardEntity.Reply>> drops = new ArrayList<>();
        for (CollectionInfo c : result.dropped()) {
            for (int n = 0; n < c.shards(); n++) {
                drops.add(Stages.sameThread(ShardEntity.ref(system, c.shardEntityId(n))
                        .<ShardEntity.Reply>ask(ShardEntity.Drop::new, settings.askTimeout())));
            }
        }
        // The catalog change is what makes the drop take effect; a shard that misses the message
        // deletes its own state the next time it starts (it finds its incarnation gone).
        return CompletableFuture.allOf(drops.toArray(CompletableFuture[]::new)).handle((ok, failure) -> result);
    }

    /**
     * The collection, from the cache or else from the catalog. With {@code createIfMissing} and
     * auto-create on, a missing collection of an existing database is created with defaults.
     *
     * @throws NotFoundException (in the stage) for a missing database or collection
     */
    public CompletionStage<CollectionInfo> resolve(String database, String collection, boolean createIfMissing) {
        var hit = cached().collection(database, collection);
        if (hit.isPresent()) {
            return CompletableFuture.completedFuture(hit.get());
        }
        return resolveFresh(database, collection, createIfMissing);
    }

    /** Like {@link #resolve} but always asks the catalog. */
    public CompletionStage<CollectionInfo> resolveFresh(String database, String collection, boolean createIfMissing) {
        Names.checkDatabase(database);
        Names.checkCollection(collection);
        return refresh().thenCompose(snapshot -> {
            if (snapshot.database(database).isEmpty()) {
                throw new NotFoundException("database", database);
            }
            var found = snapshot.collection(database, collection);
            if (found.isPresent()) {
                return CompletableFuture.completedFuture(found.get());
            }
            if (!createIfMissing || !settings.autoCreate()) {
                throw new NotFoundException("collection", database + "/" + collection);
            }
            return createCollection(database, collection, 0).thenApply(r -> {
                if (r.outcome() == Outcome.DATABASE_NOT_FOUND) {
                    throw new NotFoundException("database", database);
                }
                return r.collection();
            });
        });
    }
}

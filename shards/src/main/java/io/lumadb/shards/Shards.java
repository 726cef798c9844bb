package io.lumadb.shards;

import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.shard.LocalShards;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.shards.store.ShardStores;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The data layer of a node: registers the catalog and shard entities with cluster sharding and
 * gives the {@link Catalog}, {@link Documents} and {@link Queries} facades the API layer uses.
 */
public final class Shards {

    private final Catalog catalog;
    private final Documents documents;
    private final Queries queries;
    private final LocalShards local;

    private Shards(Catalog catalog, Documents documents, LocalShards local) {
        this.catalog = catalog;
        this.documents = documents;
        this.queries = new Queries(catalog, documents);
        this.local = local;
    }

    /** Starts the data layer on {@code system}, keeping shard state in {@code stores}. */
    public static Shards start(ActorSystem<?> system, ShardStores stores) {
        ShardsSettings settings = ShardsSettings.from(system.settings().config());
        CatalogEntity.init(system);
        LocalShards local = new LocalShards();
        ShardEntity.init(system, stores, local, settings);
        Catalog catalog = new Catalog(system, settings);
        return new Shards(catalog, new Documents(system, catalog, local), local);
    }

    public Catalog catalog() {
        return catalog;
    }

    public Documents documents() {
        return documents;
    }

    public Queries queries() {
        return queries;
    }

    /** The shards running on this node; {@link LocalShards#onRecovered} reports their recoveries. */
    public LocalShards localShards() {
        return local;
    }
}

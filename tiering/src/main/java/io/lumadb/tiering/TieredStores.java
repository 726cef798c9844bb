package io.lumadb.tiering;

import io.lumadb.shards.store.ForwardingShardStore;
import io.lumadb.shards.store.ForwardingShardStores;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The node's shard stores with the cold tier's side of a shard: each store opened answers the
 * extension requests of a migration ({@link Tiering#SEAL}, {@link Tiering#USAGE}) next to its
 * data, on the tier's own threads; everything else goes to the store underneath. A dropped
 * store's segments are deleted with it.
 */
public final class TieredStores extends ForwardingShardStores {

    private final Tiering tiering;

    public TieredStores(ShardStores stores, Tiering tiering) {
        super(stores);
        this.tiering = tiering;
        stores.coldTier(tiering.reader());
    }

    @Override
    public ShardStore open(String name) {
        return new TieredShardStore(inner.open(name), tiering);
    }

    @Override
    public void drop(String name) {
        inner.drop(name);
        tiering.shardDropped(name);
    }

    /** A store that also answers the tier's requests. */
    private static final class TieredShardStore extends ForwardingShardStore {
        private final Tiering tiering;

        TieredShardStore(ShardStore store, Tiering tiering) {
            super(store);
            this.tiering = tiering;
        }

        @Override
        public CompletionStage<byte[]> extension(String kind, byte[] request) {
            if (kind.equals(Tiering.SEAL) || kind.equals(Tiering.USAGE)) {
                return CompletableFuture.supplyAsync(() -> tiering.answer(inner, kind, request), tiering.executor());
            }
            return inner.extension(kind, request);
        }
    }
}

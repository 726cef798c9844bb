package io.lumadb.tiering;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.IndexState;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongPredicate;

/**
 * The node's shard stores with the cold tier's side of a shard: each store opened answers the
 * extension requests of a migration ({@link Tiering#SEAL}, {@link Tiering#USAGE}) next to its
 * data, on the tier's own threads; everything else goes to the store underneath. A dropped
 * store's segments are deleted with it.
 */
public final class TieredStores implements ShardStores {

    private final ShardStores stores;
    private final Tiering tiering;

    public TieredStores(ShardStores stores, Tiering tiering) {
        this.stores = stores;
        this.tiering = tiering;
        stores.coldTier(tiering.reader());
    }

    @Override
    public ShardStore open(String name) {
        return new TieredShardStore(stores.open(name), tiering);
    }

    @Override
    public void drop(String name) {
        stores.drop(name);
        tiering.shardDropped(name);
    }

    @Override
    public Set<String> names() {
        return stores.names();
    }

    @Override
    public long reencrypt(int batchSize, LongPredicate afterBatch) {
        return stores.reencrypt(batchSize, afterBatch);
    }

    @Override
    public void coldTier(ColdTier tier) {
        stores.coldTier(tier);
    }

    /** A store that also answers the tier's requests. */
    private record TieredShardStore(ShardStore store, Tiering tiering) implements ShardStore {

        @Override
        public CompletionStage<byte[]> extension(String kind, byte[] request) {
            if (kind.equals(Tiering.SEAL) || kind.equals(Tiering.USAGE)) {
                return CompletableFuture.supplyAsync(() -> tiering.answer(store, kind, request), tiering.executor());
            }
            return store.extension(kind, request);
        }

        @Override
        public String name() {
            return store.name();
        }

        @Override
        public StoredDocument get(String id) {
            return store.get(id);
        }

        @Override
        public Lookup lookupInMemory(String id) {
            return store.lookupInMemory(id);
        }

        @Override
        public List<StoredDocument> list(String afterExclusive, int limit) {
            return store.list(afterExclusive, limit);
        }

        @Override
        public List<StoredDocument> scan(String afterExclusive, int limit) {
            return store.scan(afterExclusive, limit);
        }

        @Override
        public int cool(long seq, List<ColdTier.Entry> entries) {
            return store.cool(seq, entries);
        }

        @Override
        public ShardMeta meta() {
            return store.meta();
        }

        @Override
        public void apply(long seq, List<DocumentChange> changes) {
            store.apply(seq, changes);
        }

        @Override
        public void install(long seq, long lastVersion, List<StoredDocument> documents) {
            store.install(seq, lastVersion, documents);
        }

        @Override
        public List<IndexState> indexes() {
            return store.indexes();
        }

        @Override
        public long indexesVersion() {
            return store.indexesVersion();
        }

        @Override
        public boolean syncIndexes(long version, List<IndexDefinition> indexes) {
            return store.syncIndexes(version, indexes);
        }

        @Override
        public boolean buildIndexes(int maxDocuments) {
            return store.buildIndexes(maxDocuments);
        }

        @Override
        public String indexProblem(byte[] json) {
            return store.indexProblem(json);
        }

        @Override
        public ReadView readView() {
            return store.readView();
        }

        @Override
        public void close() {
            store.close();
        }
    }
}

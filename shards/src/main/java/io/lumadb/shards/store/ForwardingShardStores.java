package io.lumadb.shards.store;

import java.util.Set;
import java.util.function.LongPredicate;

/**
 * The node's stores with a layer over each store opened: every call goes to {@link #inner} unless
 * the layer overrides it. The modules that add to shard stores (search indexes, the cold tier)
 * extend it, with {@link ForwardingShardStore} for the stores themselves.
 */
public abstract class ForwardingShardStores implements ShardStores {

    protected final ShardStores inner;

    protected ForwardingShardStores(ShardStores inner) {
        this.inner = java.util.Objects.requireNonNull(inner, "inner");
    }

    @Override
    public ShardStore open(String name) {
        return inner.open(name);
    }

    @Override
    public void drop(String name) {
        inner.drop(name);
    }

    @Override
    public Set<String> names() {
        return inner.names();
    }

    @Override
    public long reencrypt(int batchSize, LongPredicate afterBatch) {
        return inner.reencrypt(batchSize, afterBatch);
    }

    @Override
    public void coldTier(ColdTier tier) {
        inner.coldTier(tier);
    }
}

package io.lumadb.shards.shard;

import io.lumadb.shards.store.ShardStore;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shards running on this node whose stores are current (recovered, not stopping), by
 * entity id, so that point reads can be answered from memory without a trip through the
 * shard's mailbox. A shard registers once it has recovered and leaves before it closes its store.
 */
public final class LocalShards {

    private final ConcurrentHashMap<String, ShardStore> running = new ConcurrentHashMap<>();

    /** The store of a running local shard, or null. */
    public ShardStore store(String entityId) {
        return running.get(entityId);
    }

    void register(String entityId, ShardStore store) {
        running.put(entityId, store);
    }

    void unregister(String entityId, ShardStore store) {
        running.remove(entityId, store);
    }
}

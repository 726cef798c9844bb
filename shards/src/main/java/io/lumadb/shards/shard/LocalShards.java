package io.lumadb.shards.shard;

import io.lumadb.shards.store.ShardStore;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The shards running on this node whose stores are current (recovered, not stopping), by
 * entity id, so that point reads can be answered from memory without a trip through the
 * shard's mailbox. A shard registers once it has recovered and leaves before it closes its store.
 * Listeners registered with {@link #onRecovered} hear of every recovery of a shard on this node.
 */
public final class LocalShards {

    /** Hears that a shard on this node finished its recovery, e.g. to record it as a metric. */
    @FunctionalInterface
    public interface RecoveryListener {
        /**
         * Called on the shard's thread once per recovery (a restarted writer recovers again), so
         * it must be quick and must not block.
         *
         * @param millis how long the recovery took, from the writer's start
         * @param eventsReplayed journal events applied to the shard's store during the recovery
         * @param fromImage whether the store was rebuilt from a snapshot image first
         */
        void recovered(String entityId, long millis, long eventsReplayed, boolean fromImage);
    }

    private final ConcurrentHashMap<String, ShardStore> running = new ConcurrentHashMap<>();
    private final List<RecoveryListener> listeners = new CopyOnWriteArrayList<>();

    /** The store of a running local shard, or null. */
    public ShardStore store(String entityId) {
        return running.get(entityId);
    }

    /** Adds a listener that hears of every shard recovery on this node from now on. */
    public void onRecovered(RecoveryListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    void register(String entityId, ShardStore store) {
        running.put(entityId, store);
    }

    void unregister(String entityId, ShardStore store) {
        running.remove(entityId, store);
    }

    /** Tells every listener; one that throws does not keep the others from hearing it. */
    void recovered(String entityId, long millis, long eventsReplayed, boolean fromImage) {
        RuntimeException failure = null;
        for (RecoveryListener listener : listeners) {
            try {
                listener.recovered(entityId, millis, eventsReplayed, fromImage);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}

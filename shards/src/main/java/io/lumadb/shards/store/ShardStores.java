package io.lumadb.shards.store;

import java.util.Set;
import java.util.function.LongPredicate;

/** Opens, lists and drops the state stores of the shards hosted by this node. */
public interface ShardStores {

    /**
     * Opens the store named {@code name}; one that does not exist opens empty, and is created on
     * disk only by its first write, so opening a store to read from it creates nothing.
     */
    ShardStore open(String name);

    /** Deletes the store named {@code name} and all its data. Nobody may use it any more. */
    void drop(String name);

    /** Names of every store on this node that has been written to (and not dropped since). */
    Set<String> names();

    /**
     * Rewrites, in batches of up to {@code batchSize}, every document value that is not sealed
     * under the active key (sealed under an older key, or written in clear before encryption was
     * turned on). Each batch holds the write lock of one store only while it re-reads and
     * rewrites its values, so writes wait at most one batch. Does nothing with encryption off.
     *
     * @param afterBatch gets the number of values rewritten so far after each batch (and may
     *     pause); returning false stops the pass
     * @return the number of values rewritten
     */
    long reencrypt(int batchSize, LongPredicate afterBatch);

    /**
     * Where the stores resolve the pointers of cold documents from now on (until then: {@link
     * ColdTier#NONE}). Set once, by the node, before shards serve reads.
     */
    void coldTier(ColdTier tier);
}

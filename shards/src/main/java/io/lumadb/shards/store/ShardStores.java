package io.lumadb.shards.store;

import java.util.Set;

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
}

package io.lumadb.shards.store;

import java.util.Set;

/** Opens, lists and drops the state stores of the shards hosted by this node. */
public interface ShardStores {

    /** Opens the store named {@code name}, creating it empty if it does not exist. */
    ShardStore open(String name);

    /** Deletes the store named {@code name} and all its data. Nobody may use it any more. */
    void drop(String name);

    /** Names of every store on this node. */
    Set<String> names();
}

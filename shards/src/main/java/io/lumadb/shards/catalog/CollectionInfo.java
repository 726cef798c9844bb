package io.lumadb.shards.catalog;

import io.lumadb.shards.CborSerializable;

/**
 * A collection as the catalog knows it. The incarnation is unique for the life of the catalog,
 * so a collection dropped and created again under the same name never shares shards (or
 * journal history) with its predecessor.
 */
public record CollectionInfo(String database, String name, int shards, long incarnation, long createdAtMillis)
        implements CborSerializable {

    public CollectionInfo {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, was " + shards);
        }
    }

    /** The shard entity id of shard {@code n}: {@code <database>/<collection>/<incarnation>/<n>}. */
    public String shardEntityId(int n) {
        return database + "/" + name + "/" + incarnation + "/" + n;
    }
}

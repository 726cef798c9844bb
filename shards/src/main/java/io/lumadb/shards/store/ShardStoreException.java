package io.lumadb.shards.store;

/** A failure of a shard state store, naming the store and, where known, the key. */
public final class ShardStoreException extends RuntimeException {
    public ShardStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

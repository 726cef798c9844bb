package io.lumadb.persistence.rocksdb;

/** An unchecked failure of a RocksDB-backed store, naming the store and, where known, the key. */
public final class RocksStoreException extends RuntimeException {
    public RocksStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

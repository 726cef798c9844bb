package io.lumadb.timeseries.store.internal;

import io.lumadb.timeseries.shard.TimeSeriesStores;
import io.lumadb.timeseries.store.TimeSeriesCipher;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import java.util.Arrays;
import java.util.function.Function;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * Places each shard's time series in the shard stores' column family, under the shard store's key
 * prefix followed by one key-space byte (above every key space of a shard store), so that dropping
 * the shard store drops its series too.
 */
public final class RocksTimeSeriesOpener implements TimeSeriesStores.Opener {

    private final RocksDB db;
    private final ColumnFamilyHandle cf;
    private final Function<String, byte[]> storePrefix;
    private final byte space;
    private final TimeSeriesCipher cipher;
    private final Function<String, Object> writeLock;

    /**
     * Series in clear, each store with a lock of its own (tests, and nodes without encryption at
     * rest or its re-encryption).
     *
     * @param storePrefix the key prefix of a shard store, by name
     * @param space the key-space byte of the series after the store's prefix
     */
    public RocksTimeSeriesOpener(RocksDB db, ColumnFamilyHandle cf, Function<String, byte[]> storePrefix, byte space) {
        this(db, cf, storePrefix, space, TimeSeriesCipher.NONE, name -> new Object());
    }

    /**
     * @param storePrefix the key prefix of a shard store, by name
     * @param space the key-space byte of the series after the store's prefix
     * @param cipher seals the values that hold field values when it is on
     * @param writeLock the lock a shard store's writes and the re-encryption of its values share, by name
     */
    public RocksTimeSeriesOpener(
            RocksDB db,
            ColumnFamilyHandle cf,
            Function<String, byte[]> storePrefix,
            byte space,
            TimeSeriesCipher cipher,
            Function<String, Object> writeLock) {
        this.db = db;
        this.cf = cf;
        this.storePrefix = storePrefix;
        this.space = space;
        this.cipher = cipher;
        this.writeLock = writeLock;
    }

    private byte[] prefix(String storeName) {
        byte[] store = storePrefix.apply(storeName);
        byte[] prefix = Arrays.copyOf(store, store.length + 1);
        prefix[store.length] = space;
        return prefix;
    }

    @Override
    public TimeSeriesStore open(String storeName, TimeSeriesSettings settings) {
        return RocksTimeSeriesStore.open(
                storeName, db, cf, prefix(storeName), settings, cipher, writeLock.apply(storeName));
    }

    @Override
    public byte[] image(String storeName) {
        return TimeSeriesImages.export(storeName, db, cf, prefix(storeName));
    }

    @Override
    public void install(String storeName, byte[] image) {
        TimeSeriesImages.install(storeName, db, cf, prefix(storeName), image, writeLock.apply(storeName));
    }

    /**
     * Seals the values of the series of shard store {@code storeName} not sealed under the active
     * key (see {@link SealedValues#reencrypt}).
     */
    public long reencrypt(String storeName, int batchSize, java.util.function.LongPredicate afterBatch) {
        return SealedValues.reencrypt(
                storeName, db, cf, prefix(storeName), cipher, writeLock.apply(storeName), batchSize, afterBatch);
    }
}

package io.lumadb.timeseries.store.internal;

import io.lumadb.timeseries.store.TimeSeriesCipher;
import io.lumadb.timeseries.store.TimeSeriesStoreException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongPredicate;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Encryption at rest of a time-series store's values, in the layout {@link TimeSeriesCipher}
 * documents: the values of the key spaces that hold field values (sealed blocks, open chunks,
 * rolled-up windows) are sealed when the cipher is on; the others (meta, series ids, field types,
 * pending windows: counters, codes and empty values) stay in clear, as do all keys.
 */
final class SealedValues {

    private static final byte MARKER = (byte) TimeSeriesCipher.MARKER_BYTE;
    private static final byte ESCAPE = (byte) TimeSeriesCipher.ESCAPE_BYTE;

    private final String name;
    private final TimeSeriesCipher cipher;
    private final byte[] prefix;
    private final byte[] aadPrefix;

    SealedValues(String name, TimeSeriesCipher cipher, byte[] prefix) {
        this.name = name;
        this.cipher = cipher;
        this.prefix = prefix.clone();
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        this.aadPrefix = Arrays.copyOf(utf8, utf8.length + 1);
    }

    /** Whether the value at {@code key} (a key of this store) holds field values. */
    boolean holdsData(byte[] key) {
        if (key.length <= prefix.length) {
            return false;
        }
        byte space = key[prefix.length];
        return space == TimeSeriesKeyFormat.SEALED
                || space == TimeSeriesKeyFormat.OPEN
                || space == TimeSeriesKeyFormat.ROLLUP;
    }

    /** The bytes to store for {@code plain} at {@code key}: sealed, escaped, or as they are. */
    byte[] toStored(byte[] key, byte[] plain) {
        if (!holdsData(key)) {
            return plain;
        }
        if (cipher.enabled()) {
            return cipher.seal(aad(key), plain);
        }
        return escaped(plain);
    }

    /** The plain bytes of {@code stored} at {@code key} (null stays null). */
    byte[] toPlain(byte[] key, byte[] stored) {
        if (stored == null || stored.length == 0 || !holdsData(key)) {
            return stored;
        }
        if (stored[0] == MARKER) {
            try {
                return cipher.open(aad(key), stored);
            } catch (RuntimeException e) {
                throw new TimeSeriesStoreException(
                        "time-series store " + name + ": cannot open the value at key "
                                + HexFormat.of().formatHex(key) + ": " + e.getMessage(),
                        e);
            }
        }
        if (stored[0] == ESCAPE) {
            return Arrays.copyOfRange(stored, 1, stored.length);
        }
        return stored;
    }

    /** {@code plain} as stored in clear: with the escape byte in front if it starts like a sealed or escaped value. */
    static byte[] escaped(byte[] plain) {
        if (plain.length > 0 && (plain[0] == MARKER || plain[0] == ESCAPE)) {
            byte[] out = new byte[plain.length + 1];
            out[0] = ESCAPE;
            System.arraycopy(plain, 0, out, 1, plain.length);
            return out;
        }
        return plain;
    }

    private byte[] aad(byte[] key) {
        byte[] aad = Arrays.copyOf(aadPrefix, aadPrefix.length + key.length - prefix.length);
        System.arraycopy(key, prefix.length, aad, aadPrefix.length, key.length - prefix.length);
        return aad;
    }

    /**
     * Seals every value of the store under {@code prefix} that holds field values and is not
     * sealed under the active key, in batches of {@code batchSize}, each under {@code writeLock}
     * (which the store's writes take too) and re-reading each value, so a value a write replaced
     * or deleted since the scan is left alone. Works whether or not the store is open: a
     * re-sealed value has the same plain bytes.
     *
     * @param afterBatch told the values rewritten so far after each batch; false stops
     * @return how many values it rewrote
     */
    static long reencrypt(
            String name,
            RocksDB db,
            ColumnFamilyHandle cf,
            byte[] prefix,
            TimeSeriesCipher cipher,
            Object writeLock,
            int batchSize,
            LongPredicate afterBatch) {
        if (!cipher.enabled()) {
            return 0;
        }
        SealedValues values = new SealedValues(name, cipher, prefix);
        long rewritten = 0;
        byte[] after = null;
        byte[] end = TimeSeriesKeyFormat.end(prefix);
        while (true) {
            List<byte[]> stale = new java.util.ArrayList<>(batchSize);
            byte[] last = values.staleKeys(db, cf, prefix, end, after, batchSize, stale);
            if (!stale.isEmpty()) {
                rewritten += values.rewrite(db, cf, writeLock, stale);
                if (!afterBatch.test(rewritten)) {
                    return rewritten;
                }
            }
            if (last == null) {
                return rewritten;
            }
            after = last;
        }
    }

    private byte[] staleKeys(
            RocksDB db, ColumnFamilyHandle cf, byte[] from, byte[] to, byte[] after, int max, List<byte[]> stale) {
        try (Slice lower = new Slice(from);
                Slice upper = new Slice(to);
                ReadOptions options = new ReadOptions()
                        .setIterateLowerBound(lower)
                        .setIterateUpperBound(upper)
                        .setFillCache(false);
                RocksIterator it = db.newIterator(cf, options)) {
            int looked = 0;
            for (it.seek(after == null ? from : after); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (after != null && Arrays.equals(key, after)) {
                    continue;
                }
                if (holdsData(key) && !cipher.isCurrent(it.value())) {
                    stale.add(key);
                }
                // Bounded scanning per batch too, so a store that is all current yields regularly.
                if (stale.size() == max || ++looked == 16 * max) {
                    return key;
                }
            }
            it.status();
            return null;
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException("time-series store " + name + ": cannot scan it for re-encryption", e);
        }
    }

    private int rewrite(RocksDB db, ColumnFamilyHandle cf, Object writeLock, List<byte[]> keys) {
        int done = 0;
        synchronized (writeLock) {
            try (WriteBatch batch = new WriteBatch();
                    WriteOptions options = new WriteOptions()) {
                for (byte[] key : keys) {
                    byte[] value = db.get(cf, key);
                    if (value == null || cipher.isCurrent(value)) {
                        continue;
                    }
                    batch.put(cf, key, toStored(key, toPlain(key, value)));
                    done++;
                }
                if (done > 0) {
                    db.write(options, batch);
                }
            } catch (RocksDBException e) {
                throw new TimeSeriesStoreException(
                        "time-series store " + name + ": cannot re-encrypt " + keys.size() + " values", e);
            }
        }
        return done;
    }
}

package io.lumadb.timeseries.store.internal;

import io.lumadb.timeseries.store.TimeSeriesStoreException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The whole contents of a {@link RocksTimeSeriesStore} as one value, for a shard's snapshot image
 * in cluster mode: a shard that moves to another node rebuilds its series from the image plus the
 * journal after it, like its documents.
 *
 * <p>An image is every key under the store's prefix, without the prefix (which is the node's own:
 * shard stores get theirs on each node), with its value, taken from one RocksDB snapshot, so the
 * meta (applied event, downsampling offset), the series, the blocks and the rolled-up windows
 * agree. Layout: the version byte {@value #VERSION}, then per key: the suffix's length (varint),
 * the suffix, the value's length (varint), the value.
 */
public final class TimeSeriesImages {

    static final int VERSION = 1;

    /** The largest image: a byte array's, less some room. */
    private static final int MAX_BYTES = Integer.MAX_VALUE - 64;

    private TimeSeriesImages() {}

    /**
     * The contents of the store under {@code prefix}, or null when it holds nothing.
     *
     * @throws TimeSeriesStoreException when they cannot be read, or do not fit in one image
     */
    public static byte[] export(String name, RocksDB db, ColumnFamilyHandle cf, byte[] prefix) {
        Out out = new Out();
        out.write(VERSION);
        int keys = 0;
        Snapshot snapshot = db.getSnapshot();
        try (Slice lower = new Slice(prefix);
                Slice upper = new Slice(TimeSeriesKeyFormat.end(prefix));
                ReadOptions options = new ReadOptions()
                        .setSnapshot(snapshot)
                        .setIterateLowerBound(lower)
                        .setIterateUpperBound(upper);
                RocksIterator it = db.newIterator(cf, options)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                byte[] value = it.value();
                if ((long) out.size() + key.length + value.length + 10 > MAX_BYTES) {
                    throw new TimeSeriesStoreException(
                            "time-series store " + name + ": its contents exceed the 2 GiB a snapshot image holds");
                }
                out.varint(key.length - prefix.length);
                out.write(key, prefix.length, key.length - prefix.length);
                out.varint(value.length);
                out.write(value, 0, value.length);
                keys++;
            }
            it.status();
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException("time-series store " + name + ": cannot read its contents", e);
        } finally {
            db.releaseSnapshot(snapshot);
        }
        return keys == 0 ? null : out.toByteArray();
    }

    /**
     * Replaces the contents of the store under {@code prefix} with {@code image} (null: none) in
     * one atomic write, under {@code writeLock} (the store's, which its re-encryption takes too).
     * The store must not be open: an open one keeps its meta in memory. Sealed values stay as
     * they are: they are bound to the store's name and their key after the prefix, not to the node.
     *
     * @throws IllegalArgumentException when {@code image} is not one {@link #export} wrote
     * @throws TimeSeriesStoreException when the write fails
     */
    public static void install(
            String name, RocksDB db, ColumnFamilyHandle cf, byte[] prefix, byte[] image, Object writeLock) {
        try (WriteBatch batch = new WriteBatch();
                WriteOptions options = new WriteOptions()) {
            batch.deleteRange(cf, prefix, TimeSeriesKeyFormat.end(prefix));
            if (image != null) {
                In in = new In(image, name);
                int version = in.u8();
                if (version != VERSION) {
                    throw new IllegalArgumentException(
                            "time-series store " + name + ": image version " + version + " is not " + VERSION);
                }
                while (!in.done()) {
                    byte[] suffix = in.bytes();
                    if (suffix.length == 0) {
                        throw new IllegalArgumentException("time-series store " + name + ": image has an empty key");
                    }
                    byte[] key = Arrays.copyOf(prefix, prefix.length + suffix.length);
                    System.arraycopy(suffix, 0, key, prefix.length, suffix.length);
                    batch.put(cf, key, in.bytes());
                }
            }
            synchronized (writeLock) {
                db.write(options, batch);
            }
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException("time-series store " + name + ": cannot install an image", e);
        }
    }

    private static final class Out extends ByteArrayOutputStream {
        Out() {
            super(1 << 16);
        }

        void varint(int v) {
            while ((v & ~0x7F) != 0) {
                write((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            write(v);
        }
    }

    private static final class In {
        private final byte[] b;
        private final String name;
        private int at;

        In(byte[] b, String name) {
            this.b = b;
            this.name = name;
        }

        boolean done() {
            return at == b.length;
        }

        int u8() {
            if (at >= b.length) {
                throw truncated();
            }
            return b[at++] & 0xFF;
        }

        int varint() {
            int v = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int x = u8();
                v |= (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    if (v < 0) {
                        break;
                    }
                    return v;
                }
            }
            throw new IllegalArgumentException("time-series store " + name + ": image has a bad length at byte " + at);
        }

        byte[] bytes() {
            int n = varint();
            if (n > b.length - at) {
                throw truncated();
            }
            byte[] out = Arrays.copyOfRange(b, at, at + n);
            at += n;
            return out;
        }

        private IllegalArgumentException truncated() {
            return new IllegalArgumentException("time-series store " + name + ": image is cut off at byte " + at);
        }
    }
}

package io.lumadb.timeseries.store.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * A real RocksDB in a temporary directory with a column family set up like the node's shard-state
 * family (LZ4, 16 KiB blocks, bloom filters), reopenable, deleted on close.
 */
final class TempRocks implements AutoCloseable {
    static final String STATE = "shard-state";

    static {
        RocksDB.loadLibrary();
    }

    final Path dir;
    private DBOptions dbOptions;
    private ColumnFamilyOptions cfOptions;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db;
    ColumnFamilyHandle state;

    TempRocks() throws IOException {
        dir = Files.createTempDirectory("lumadb-ts-store");
        try {
            open();
        } catch (RuntimeException e) {
            deleteDir();
            throw e;
        }
    }

    void open() {
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        cfOptions = new ColumnFamilyOptions()
                .setTableFormatConfig(new BlockBasedTableConfig()
                        .setBlockSize(16 * 1024)
                        .setFilterPolicy(new org.rocksdb.BloomFilter(10)))
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setLevelCompactionDynamicLevelBytes(true);
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor(STATE.getBytes(), cfOptions));
        try {
            db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            state = handles.get(1);
        } catch (RocksDBException e) {
            closeNative();
            throw new IllegalStateException("cannot open RocksDB in " + dir, e);
        }
    }

    /** Closes and opens the database again, as a node restart would. */
    void reopen() {
        closeNative();
        open();
    }

    /** Flushes the memtables and compacts the state family fully. */
    void compact() throws RocksDBException {
        try (FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
            db.flush(f, state);
        }
        db.compactRange(state);
    }

    /** Bytes of the state family's live SST files. */
    long liveSstBytes() throws RocksDBException {
        return Long.parseLong(db.getProperty(state, "rocksdb.live-sst-files-size"));
    }

    private void closeNative() {
        for (int i = handles.size() - 1; i >= 0; i--) {
            handles.get(i).close();
        }
        handles.clear();
        if (db != null) {
            db.close();
            db = null;
        }
        if (cfOptions != null) {
            cfOptions.close();
            cfOptions = null;
        }
        if (dbOptions != null) {
            dbOptions.close();
            dbOptions = null;
        }
    }

    private void deleteDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            closeNative();
        } finally {
            deleteDir();
        }
    }

    /** Every key and value under {@code prefix} in the state family, as stored, in key order. */
    void forEachUnder(byte[] prefix, java.util.function.BiConsumer<byte[], byte[]> action) {
        try (org.rocksdb.RocksIterator it = db.newIterator(state)) {
            for (it.seek(prefix); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length < prefix.length
                        || !java.util.Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
                    break;
                }
                action.accept(k, it.value());
            }
        }
    }

    /** Every key (without the prefix) and value under {@code prefix}, hex-encoded. */
    java.util.Map<String, String> rawContent(byte[] prefix) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        java.util.HexFormat hex = java.util.HexFormat.of();
        forEachUnder(prefix, (k, v) -> out.put(hex.formatHex(k, prefix.length, k.length), hex.formatHex(v)));
        return out;
    }
}

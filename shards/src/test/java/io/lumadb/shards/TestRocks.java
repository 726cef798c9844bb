package io.lumadb.shards;

import io.lumadb.shards.store.ShardStores;
import io.lumadb.shards.store.internal.RocksShardStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/** A real RocksDB in a test directory, managing column families the way a node does. */
public final class TestRocks implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    private final RocksDB db;
    private final Map<String, ColumnFamilyHandle> handles = new HashMap<>();

    public TestRocks(Path dir) throws RocksDBException {
        List<byte[]> names;
        try (Options o = new Options()) {
            names = RocksDB.listColumnFamilies(o, dir.toString());
        }
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
        for (byte[] n : names) {
            if (!new String(n, StandardCharsets.UTF_8).equals("default")) {
                descriptors.add(new ColumnFamilyDescriptor(n));
            }
        }
        List<ColumnFamilyHandle> opened = new ArrayList<>();
        db = RocksDB.open(options, dir.toString(), descriptors, opened);
        for (int i = 0; i < descriptors.size(); i++) {
            handles.put(new String(descriptors.get(i).getName(), StandardCharsets.UTF_8), opened.get(i));
        }
    }

    public synchronized ColumnFamilyHandle columnFamily(String name) {
        return handles.computeIfAbsent(name, n -> {
            try {
                return db.createColumnFamily(new ColumnFamilyDescriptor(n.getBytes(StandardCharsets.UTF_8)));
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    public synchronized void drop(String name) {
        ColumnFamilyHandle h = handles.remove(name);
        if (h != null) {
            try {
                db.dropColumnFamily(h);
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
            h.close();
        }
    }

    public synchronized List<String> names() {
        return List.copyOf(handles.keySet());
    }

    /** Flushes every memtable to SST files, so reads must go to the files (or their cache). */
    public synchronized void flush() throws RocksDBException {
        try (org.rocksdb.FlushOptions options = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(options, List.copyOf(handles.values()));
        }
    }

    /** The database, for tests that look at raw keys. */
    public RocksDB db() {
        return db;
    }

    public ShardStores stores() {
        return new RocksShardStores(db, this::columnFamily, this::drop, this::names);
    }

    /** Stores whose document values {@code cipher} seals. */
    public ShardStores stores(io.lumadb.shards.store.DocumentCipher cipher) {
        return new RocksShardStores(db, this::columnFamily, this::drop, this::names, cipher);
    }

    @Override
    public synchronized void close() {
        handles.values().forEach(ColumnFamilyHandle::close);
        db.close();
        options.close();
    }
}

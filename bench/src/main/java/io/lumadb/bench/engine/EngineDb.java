package io.lumadb.bench.engine;

import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.shards.store.ShardStores;
import io.lumadb.shards.store.internal.RocksShardStores;
import io.lumadb.testkit.TestFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * The engine benchmarks' database: a node's own RocksDB, opened by {@link RocksDbNode} with the
 * node's reference configuration, so the comparison runs on exactly the options LumaDB uses.
 * Two column families with identical options: one behind LumaDB's shard store, one used raw.
 * Closing closes the database and deletes its directory.
 */
final class EngineDb implements AutoCloseable {

    /** The shard store's name; it lives in the column family all shard stores share. */
    static final String STORE_NAME = "bench";

    static final String STORE_COLUMN_FAMILY = RocksShardStores.STATE_COLUMN_FAMILY;
    static final String RAW_COLUMN_FAMILY = "raw";

    private final Path dir;
    // Storage internals on purpose: this benchmark measures the engine beneath the public interfaces.
    private final RocksDbNode node;
    private final ColumnFamilyHandle storeColumnFamily;
    private final ColumnFamilyHandle rawColumnFamily;

    private EngineDb(Path dir, RocksDbNode node) {
        this.dir = dir;
        this.node = node;
        this.storeColumnFamily = node.columnFamily(STORE_COLUMN_FAMILY);
        this.rawColumnFamily = node.columnFamily(RAW_COLUMN_FAMILY);
    }

    /** Opens a fresh database in a new temporary directory. */
    static EngineDb open() throws IOException {
        Path dir = Files.createTempDirectory("lumadb-engine-bench");
        try {
            var config = ConfigFactory.parseMap(Map.of("dir", dir.toString()))
                    .withFallback(ConfigFactory.defaultReference().getConfig("lumadb.persistence.rocksdb"));
            return new EngineDb(dir, RocksDbNode.open(config));
        } catch (RuntimeException e) {
            TestFiles.deleteRecursively(dir);
            throw e;
        }
    }

    Path dir() {
        return dir;
    }

    RocksDB db() {
        return node.db();
    }

    ColumnFamilyHandle rawColumnFamily() {
        return rawColumnFamily;
    }

    /** The shard stores over this database, as a node builds them. */
    ShardStores shardStores() {
        return new RocksShardStores(node.db(), node::columnFamily, this::refuseDrop, node::columnFamilyNames);
    }

    /** The memtable size the column families really use. */
    long effectiveWriteBufferSize() throws RocksDBException {
        return node.db().getOptions(rawColumnFamily).writeBufferSize();
    }

    private void refuseDrop(String name) {
        throw new UnsupportedOperationException("the engine benchmark does not drop column family '" + name + "'");
    }

    /**
     * Flushes both column families and compacts each fully, so that both hold their data in the
     * same shape (SST files on the same level) rather than partly in a memtable.
     */
    void flushAndCompact() throws RocksDBException {
        List<ColumnFamilyHandle> both = List.of(storeColumnFamily, rawColumnFamily);
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            node.db().flush(flush, both);
        }
        for (ColumnFamilyHandle cf : both) {
            node.db().compactRange(cf);
        }
    }

    @Override
    public void close() {
        try {
            node.close();
        } finally {
            try {
                TestFiles.deleteRecursively(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + dir, e);
            }
        }
    }
}

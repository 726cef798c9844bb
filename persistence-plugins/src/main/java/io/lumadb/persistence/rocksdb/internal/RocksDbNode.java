package io.lumadb.persistence.rocksdb.internal;

import com.typesafe.config.Config;
import io.lumadb.persistence.rocksdb.OpenFileLimit;
import io.lumadb.persistence.rocksdb.RocksStoreException;
import io.lumadb.persistence.rocksdb.StorageHealth;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBufferManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one RocksDB instance of a node: a shared WAL and block cache, with a fixed, small set of
 * column families for the journal, the snapshots and the shards' state (which all shards share). Opened on first use from {@code
 * lumadb.persistence.rocksdb} and closed when the actor system terminates, after every actor
 * (and so every user of a column family) has stopped.
 *
 * <p>Native objects are created in {@link #open} and closed in {@link #close} in reverse order:
 * column family handles, the database, then the options, filter and cache they reference.
 *
 * <p>Internal, like every class that carries RocksDB types: its users are this module's stores and
 * the node's composition root, which hands the database to the shards' state stores.
 */
public final class RocksDbNode implements Extension {

    private static final Logger log = LoggerFactory.getLogger(RocksDbNode.class);

    /** The Pekko extension id: {@code RocksDbNode.get(system)}. */
    public static final class Id extends AbstractExtensionId<RocksDbNode> implements ExtensionIdProvider {
        public static final Id INSTANCE = new Id();

        private Id() {}

        @Override
        public RocksDbNode createExtension(ExtendedActorSystem system) {
            RocksDbNode node = open(system.settings().config().getConfig("lumadb.persistence.rocksdb"));
            system.registerOnTermination(node::close);
            return node;
        }

        @Override
        public Id lookup() {
            return INSTANCE;
        }
    }

    public static RocksDbNode get(ActorSystem system) {
        return Id.INSTANCE.get(system);
    }

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final LRUCache blockCache;
    private final WriteBufferManager writeBuffers;
    private final BloomFilter bloomFilter;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final RocksDB db;
    private final Map<String, ColumnFamilyHandle> handles = new HashMap<>();
    private final List<Runnable> beforeClose = new ArrayList<>();
    private boolean closed;
    // Set once by open(), right after construction.
    private RocksStorageHealth storageHealth;

    private RocksDbNode(
            Path dir,
            LRUCache blockCache,
            WriteBufferManager writeBuffers,
            BloomFilter bloomFilter,
            DBOptions dbOptions,
            ColumnFamilyOptions cfOptions,
            RocksDB db,
            Map<String, ColumnFamilyHandle> handles) {
        this.dir = dir;
        this.blockCache = blockCache;
        this.writeBuffers = writeBuffers;
        this.bloomFilter = bloomFilter;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.db = db;
        this.handles.putAll(handles);
    }

    /** Opens (creating if missing) the database described by {@code config}. */
    public static RocksDbNode open(Config config) {
        Path dir = Path.of(config.getString("dir")).toAbsolutePath();
        LRUCache cache = null;
        WriteBufferManager writeBuffers = null;
        BloomFilter bloom = null;
        DBOptions dbOptions = null;
        ColumnFamilyOptions cfOptions = null;
        List<ColumnFamilyHandle> opened = new ArrayList<>();
        RocksStorageHealth health = new RocksStorageHealth(dir, config.getBytes("write-buffer-size"));
        try {
            Files.createDirectories(dir);
            cache = new LRUCache(config.getBytes("block-cache-size"));
            bloom = new BloomFilter(10);
            BlockBasedTableConfig table = new BlockBasedTableConfig()
                    .setBlockCache(cache)
                    .setFilterPolicy(bloom)
                    .setCacheIndexAndFilterBlocks(true)
                    .setPinL0FilterAndIndexBlocksInCache(true)
                    .setBlockSize(16 * 1024);
            // Memtables are set explicitly (optimizeLevelStyleCompaction would override the size),
            // and one write buffer manager bounds them across all column families, so a
            // per-family limit alone does not decide the node's memory.
            cfOptions = new ColumnFamilyOptions()
                    .setTableFormatConfig(table)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setWriteBufferSize(config.getBytes("write-buffer-size"))
                    .setMaxWriteBufferNumber(3)
                    .setLevelCompactionDynamicLevelBytes(true);
            writeBuffers = new WriteBufferManager(config.getBytes("total-write-buffer-size"), cache);
            int maxOpenFiles = maxOpenFiles(config.getInt("max-open-files"));
            dbOptions = new DBOptions()
                    .setMaxOpenFiles(maxOpenFiles)
                    .setWriteBufferManager(writeBuffers)
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    .setMaxBackgroundJobs(config.getInt("max-background-jobs"))
                    .setMaxTotalWalSize(config.getBytes("max-total-wal-size"))
                    .setKeepLogFileNum(3);
            dbOptions.setListeners(List.of(health.rocksListener()));

            List<byte[]> existing;
            try (org.rocksdb.Options listOptions = new org.rocksdb.Options()) {
                existing = RocksDB.listColumnFamilies(listOptions, dir.toString());
            }
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
            for (byte[] name : existing) {
                if (!java.util.Arrays.equals(name, RocksDB.DEFAULT_COLUMN_FAMILY)) {
                    descriptors.add(new ColumnFamilyDescriptor(name, cfOptions));
                }
            }
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, opened);
            Map<String, ColumnFamilyHandle> byName = new HashMap<>();
            for (int i = 0; i < descriptors.size(); i++) {
                byName.put(new String(descriptors.get(i).getName(), StandardCharsets.UTF_8), opened.get(i));
            }
            log.info(
                    "Opened RocksDB at {} with {} column families, keeping at most {} files open",
                    dir,
                    byName.size(),
                    maxOpenFiles);
            RocksDbNode node = new RocksDbNode(dir, cache, writeBuffers, bloom, dbOptions, cfOptions, db, byName);
            node.attachStorageHealth(health, db);
            return node;
        } catch (RocksDBException | java.io.IOException e) {
            opened.forEach(ColumnFamilyHandle::close);
            if (cfOptions != null) cfOptions.close();
            if (dbOptions != null) dbOptions.close();
            if (writeBuffers != null) writeBuffers.close();
            if (bloom != null) bloom.close();
            if (cache != null) cache.close();
            health.close();
            throw new RocksStoreException(
                    "cannot open RocksDB at " + dir + ": " + e.getMessage()
                            + (String.valueOf(e.getMessage()).contains("lock")
                                    ? " (is another LumaDB node using this data directory?)"
                                    : ""),
                    e);
        }
    }

    /**
     * RocksDB's {@code max_open_files}: the configured bound, lowered to fit this process's
     * open-file limit, which is logged once (one line, with what to raise it to) when it is too
     * low for the configured bound. Without a bound RocksDB keeps every table file open, and a
     * process out of descriptors fails everywhere at once (accepting connections, writing the
     * WAL) and cannot even reopen its database.
     */
    static int maxOpenFiles(int configured) {
        OpenFileLimit limit = OpenFileLimit.ofThisProcess();
        if (limit == null) {
            return configured;
        }
        int budget = limit.rocksDbBudget(configured);
        if (configured < 0 || budget < configured) {
            log.warn(
                    "The open-file limit of this process is {} (hard limit {}): RocksDB keeps at most {} files open"
                            + " instead of lumadb.persistence.rocksdb.max-open-files = {}; for full speed raise the"
                            + " limit to {} or more (ulimit -n, or LimitNOFILE in a systemd unit){}",
                    text(limit.soft()),
                    text(limit.hard()),
                    budget,
                    configured,
                    configured < 0 ? 65536 : 2L * configured,
                    limit.soft() < limit.hard()
                            ? ", or let the JVM raise its soft limit to the hard one (do not pass -XX:-MaxFDLimit)"
                            : "");
        }
        return budget;
    }

    private static String text(long limit) {
        return limit == Long.MAX_VALUE ? "unlimited" : Long.toString(limit);
    }

    /** The database. Users must not close it; it lives as long as the actor system. */
    public RocksDB db() {
        return db;
    }

    /** Whether the database can make writes durable now, and the fault while it cannot. */
    public StorageHealth storageHealth() {
        return storageHealth;
    }

    private void attachStorageHealth(RocksStorageHealth health, RocksDB db) {
        this.storageHealth = health;
        health.attach(db);
        beforeClose(health::stopProbing);
    }

    /** The directory the database lives in. */
    public Path dir() {
        return dir;
    }

    /** The handle of column family {@code name}, created if it does not exist yet. */
    public synchronized ColumnFamilyHandle columnFamily(String name) {
        ensureOpen();
        ColumnFamilyHandle handle = handles.get(name);
        if (handle == null) {
            try {
                handle = db.createColumnFamily(
                        new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), cfOptions));
            } catch (RocksDBException e) {
                throw new RocksStoreException("cannot create column family '" + name + "'", e);
            }
            handles.put(name, handle);
        }
        return handle;
    }

    /** Names of every column family, the default one included. */
    public synchronized List<String> columnFamilyNames() {
        return List.copyOf(handles.keySet());
    }

    /**
     * Drops column family {@code name} and all its data. The caller guarantees nobody uses its
     * handle any more. Dropping a column family that does not exist does nothing.
     */
    public synchronized void dropColumnFamily(String name) {
        ensureOpen();
        ColumnFamilyHandle handle = handles.remove(name);
        if (handle == null) {
            return;
        }
        try {
            db.dropColumnFamily(handle);
        } catch (RocksDBException e) {
            handles.put(name, handle);
            throw new RocksStoreException("cannot drop column family '" + name + "'", e);
        }
        handle.close();
    }

    /** Registers work that must run before the database closes (stopping writer threads). */
    public synchronized void beforeClose(Runnable task) {
        beforeClose.add(task);
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new RocksStoreException("RocksDB at " + dir + " is closed", null);
        }
    }

    /** Flushes the WAL to disk and closes every native object, in reverse order of creation. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        for (Runnable task : beforeClose) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("Error before closing RocksDB", e);
            }
        }
        closed = true;
        try {
            db.flushWal(true);
        } catch (RocksDBException e) {
            log.warn("Could not flush the WAL of {} before closing", dir, e);
        }
        handles.values().forEach(ColumnFamilyHandle::close);
        handles.clear();
        try {
            db.closeE();
        } catch (RocksDBException e) {
            log.warn("Error closing RocksDB at {}", dir, e);
        }
        storageHealth.close();
        cfOptions.close();
        dbOptions.close();
        writeBuffers.close();
        bloomFilter.close();
        blockCache.close();
        log.info("Closed RocksDB at {}", dir);
    }
}

package io.lumadb.shards.store.internal;

import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.DocumentCipher;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStoreException;
import io.lumadb.shards.store.ShardStores;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every shard state store of a node in two column families of the node's RocksDB, however many
 * shards the node hosts: a node with 40,000 shards has as many column families (and OPTIONS file
 * rewrites, and open files) as a node with one.
 *
 * <p>Layout. Column family {@value #NAMES_COLUMN_FAMILY} is the registry: key {@code 0x00} holds
 * the next store id (8-byte big-endian), key {@code 0x01 ++ utf8(name)} the id of store {@code
 * name} (8-byte big-endian). Column family {@value #STATE_COLUMN_FAMILY} holds the stores' keys,
 * each prefixed by its store's id (8 bytes big-endian, see {@link RocksShardStore} for what
 * follows), so one store's keys are one contiguous range that no other store's key falls into.
 * Ids are never reused.
 *
 * <p>A store is registered by its first write, not when it is opened: opening a store to read
 * from a shard that has never been written (a read of a missing document) writes nothing.
 * Dropping a store deletes its range and its registry entry in one batch.
 *
 * <p>Data directories written before this layout hold one column family {@code shard:<name>}
 * per store; they are migrated into the shared column families when the stores are created
 * (once, at node start), and the old column families dropped.
 */
public final class RocksShardStores implements ShardStores {

    private static final Logger log = LoggerFactory.getLogger(RocksShardStores.class);

    /** The column family holding every store's keys, each prefixed by its store's id. */
    public static final String STATE_COLUMN_FAMILY = "shard-state";

    /** The column family mapping store names to ids. */
    public static final String NAMES_COLUMN_FAMILY = "shard-names";

    private static final String LEGACY_PREFIX = "shard:";
    private static final byte[] NEXT_ID_KEY = {0x00};
    private static final byte NAME_PREFIX = 0x01;

    private final RocksDB db;
    private final ColumnFamilyHandle state;
    private final ColumnFamilyHandle names;
    private final DocumentCipher cipher;
    /** Striped locks that a store's writes and the re-encryption of its values take. */
    private final Object[] writeLocks = new Object[64];

    /** Stores whose document values stay in clear. */
    public RocksShardStores(
            RocksDB db,
            Function<String, ColumnFamilyHandle> columnFamily,
            Consumer<String> dropColumnFamily,
            Supplier<? extends Collection<String>> columnFamilyNames) {
        this(db, columnFamily, dropColumnFamily, columnFamilyNames, DocumentCipher.NONE);
    }

    /**
     * @param columnFamily gets or creates a column family by name
     * @param dropColumnFamily drops a column family by name (used to drop migrated ones)
     * @param columnFamilyNames lists the column families
     * @param cipher seals the document values (encryption at rest), or {@link DocumentCipher#NONE}
     */
    public RocksShardStores(
            RocksDB db,
            Function<String, ColumnFamilyHandle> columnFamily,
            Consumer<String> dropColumnFamily,
            Supplier<? extends Collection<String>> columnFamilyNames,
            DocumentCipher cipher) {
        this.db = db;
        this.cipher = cipher;
        for (int i = 0; i < writeLocks.length; i++) {
            writeLocks[i] = new Object();
        }
        this.state = columnFamily.apply(STATE_COLUMN_FAMILY);
        this.names = columnFamily.apply(NAMES_COLUMN_FAMILY);
        migrate(columnFamily, dropColumnFamily, columnFamilyNames.get());
    }

    @Override
    public ShardStore open(String name) {
        return new RocksShardStore(name, db, state, this);
    }

    @Override
    public void drop(String name) {
        // Registration and drops of every instance over this database exclude each other.
        // And the re-encryption of the store's values: it must not put back a value the drop deletes.
        synchronized (db) {
            synchronized (writeLock(name)) {
                long id = idOf(name);
                if (id < 0) {
                    return;
                }
                try (WriteBatch batch = new WriteBatch();
                        WriteOptions options = new WriteOptions()) {
                    batch.deleteRange(state, prefix(id), prefix(id + 1));
                    batch.delete(names, nameKey(name));
                    db.write(options, batch);
                } catch (RocksDBException e) {
                    throw new ShardStoreException("store " + name + ": cannot drop", e);
                }
            }
        }
    }

    @Override
    public Set<String> names() {
        Set<String> found = new HashSet<>();
        try (ReadOptions options = new ReadOptions();
                RocksIterator it = db.newIterator(names, options)) {
            for (it.seek(new byte[] {NAME_PREFIX}); it.isValid(); it.next()) {
                byte[] key = it.key();
                found.add(new String(key, 1, key.length - 1, StandardCharsets.UTF_8));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new ShardStoreException("cannot list the shard stores", e);
        }
        return Set.copyOf(found);
    }

    /** The id of store {@code name}, or -1 if it has none (it was never written, or dropped). */
    long idOf(String name) {
        try {
            byte[] value = db.get(names, nameKey(name));
            return value == null ? -1 : ByteBuffer.wrap(value).getLong();
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot read its id", e);
        }
    }

    /**
     * The 8-byte key prefix of store {@code name} in {@link #stateColumnFamily()}, registering the
     * store if it has none yet: for a module that keeps more of the shard's state under the same
     * prefix (with a key-space byte of its own, above the store's), which then goes with the
     * store's drop. For the node's composition root only.
     */
    public byte[] keyPrefix(String name) {
        return prefix(register(name));
    }

    /** The database the stores live in. For the node's composition root only. */
    public RocksDB db() {
        return db;
    }

    /** The column family every store's keys live in ({@value #STATE_COLUMN_FAMILY}). */
    public ColumnFamilyHandle stateColumnFamily() {
        return state;
    }

    /** The id of store {@code name}, allocated and registered if it has none. */
    long register(String name) {
        synchronized (db) {
            long id = idOf(name);
            if (id >= 0) {
                return id;
            }
            try (WriteBatch batch = new WriteBatch();
                    WriteOptions options = new WriteOptions()) {
                byte[] next = db.get(names, NEXT_ID_KEY);
                id = next == null ? 1 : ByteBuffer.wrap(next).getLong();
                batch.put(names, NEXT_ID_KEY, longBytes(id + 1));
                batch.put(names, nameKey(name), longBytes(id));
                db.write(options, batch);
                return id;
            } catch (RocksDBException e) {
                throw new ShardStoreException("store " + name + ": cannot register", e);
            }
        }
    }

    private volatile ColdTier coldTier = ColdTier.NONE;

    @Override
    public void coldTier(ColdTier tier) {
        this.coldTier = java.util.Objects.requireNonNull(tier, "tier");
    }

    ColdTier coldTier() {
        return coldTier;
    }

    DocumentCipher cipher() {
        return cipher;
    }

    /**
     * The lock that writes of the store {@code name} and the re-encryption of its values share
     * (also with a module that keeps more of the shard's state under its prefix: see {@link
     * #keyPrefix}). For the node's composition root only.
     */
    public Object writeLock(String name) {
        return writeLocks[Math.floorMod(name.hashCode(), writeLocks.length)];
    }

    /** {@code UTF-8(name) 0x00}, the start of the authenticated data of the store's documents. */
    static byte[] aadPrefix(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.copyOf(utf8, utf8.length + 1);
    }

    /** The authenticated data of document {@code id}: {@code UTF-8(store name) 0x00 UTF-8(id)}. */
    static byte[] aad(byte[] aadPrefix, String id) {
        return concat(aadPrefix, id.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public long reencrypt(int batchSize, LongPredicate afterBatch) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
        }
        if (!cipher.enabled()) {
            return 0;
        }
        long rewritten = 0;
        for (String name : new java.util.TreeSet<>(names())) {
            long id = idOf(name);
            if (id < 0) {
                continue;
            }
            byte[] aadPrefix = aadPrefix(name);
            byte[] from = concat(prefix(id), new byte[] {0x01});
            byte[] to = concat(prefix(id), new byte[] {0x02});
            byte[] after = null;
            while (true) {
                List<byte[]> stale = new java.util.ArrayList<>(batchSize);
                byte[] last = staleKeys(from, to, after, batchSize, stale);
                if (!stale.isEmpty()) {
                    rewritten += rewrite(name, aadPrefix, stale);
                    if (!afterBatch.test(rewritten)) {
                        return rewritten;
                    }
                }
                if (last == null) {
                    break;
                }
                after = last;
            }
        }
        return rewritten;
    }

    /**
     * Collects into {@code stale} the keys of up to {@code max} values in {@code [from, to)} after
     * {@code after} that are not sealed under the active key.
     *
     * @return the last key looked at when the range goes on, null when it has been scanned to its end
     */
    private byte[] staleKeys(byte[] from, byte[] to, byte[] after, int max, List<byte[]> stale) {
        try (org.rocksdb.Slice lower = new org.rocksdb.Slice(from);
                org.rocksdb.Slice upper = new org.rocksdb.Slice(to);
                ReadOptions options = new ReadOptions()
                        .setIterateLowerBound(lower)
                        .setIterateUpperBound(upper)
                        .setFillCache(false);
                RocksIterator it = db.newIterator(state, options)) {
            int looked = 0;
            for (it.seek(after == null ? from : after); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (after != null && java.util.Arrays.equals(key, after)) {
                    continue;
                }
                if (!cipher.isCurrent(it.value())) {
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
            throw new ShardStoreException("cannot scan the shard stores for re-encryption", e);
        }
    }

    /**
     * Seals the values at {@code keys} under the active key, under the store's write lock and
     * re-reading each, so a value a write has replaced or deleted since the scan is left alone.
     */
    private int rewrite(String name, byte[] aadPrefix, List<byte[]> keys) {
        int done = 0;
        synchronized (writeLock(name)) {
            try (WriteBatch batch = new WriteBatch();
                    WriteOptions options = new WriteOptions()) {
                for (byte[] key : keys) {
                    byte[] value = db.get(state, key);
                    if (value == null || cipher.isCurrent(value)) {
                        continue;
                    }
                    String docId = new String(key, 9, key.length - 9, StandardCharsets.UTF_8);
                    byte[] aad = aad(aadPrefix, docId);
                    byte[] plain = DocumentCipher.isSealed(value) ? cipher.open(aad, value) : value;
                    batch.put(state, key, cipher.seal(aad, plain, 0, plain.length));
                    done++;
                }
                if (done > 0) {
                    db.write(options, batch);
                }
            } catch (RocksDBException e) {
                throw new ShardStoreException("store " + name + ": cannot re-encrypt " + keys.size() + " documents", e);
            } catch (RuntimeException e) {
                throw new ShardStoreException("store " + name + ": cannot re-encrypt: " + e.getMessage(), e);
            }
        }
        return done;
    }

    /** The 8-byte key prefix of store {@code id}. */
    static byte[] prefix(long id) {
        return longBytes(id);
    }

    private static byte[] longBytes(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    private static byte[] nameKey(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        byte[] key = new byte[utf8.length + 1];
        key[0] = NAME_PREFIX;
        System.arraycopy(utf8, 0, key, 1, utf8.length);
        return key;
    }

    /**
     * Copies every legacy {@code shard:<name>} column family into the shared one and drops it.
     * The registry entry is written first and the old column family dropped last, so a crash
     * half-way leaves the old column family in place and the next start copies it again over a
     * cleared range.
     */
    private void migrate(
            Function<String, ColumnFamilyHandle> columnFamily,
            Consumer<String> dropColumnFamily,
            Collection<String> columnFamilyNames) {
        List<String> legacy = columnFamilyNames.stream()
                .filter(n -> n.startsWith(LEGACY_PREFIX))
                .sorted()
                .toList();
        if (legacy.isEmpty()) {
            return;
        }
        long keys = 0;
        for (String cfName : legacy) {
            String name = cfName.substring(LEGACY_PREFIX.length());
            ColumnFamilyHandle old = columnFamily.apply(cfName);
            long id = register(name);
            byte[] prefix = prefix(id);
            try (WriteOptions options = new WriteOptions();
                    WriteBatch batch = new WriteBatch();
                    ReadOptions read = new ReadOptions().setFillCache(false);
                    RocksIterator it = db.newIterator(old, read)) {
                batch.deleteRange(state, prefix, prefix(id + 1));
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    batch.put(state, concat(prefix, it.key()), it.value());
                    keys++;
                    if (batch.getDataSize() > 4 << 20) {
                        db.write(options, batch);
                        batch.clear();
                    }
                }
                it.status();
                db.write(options, batch);
            } catch (RocksDBException e) {
                throw new ShardStoreException("store " + name + ": cannot migrate column family '" + cfName + "'", e);
            }
            dropColumnFamily.accept(cfName);
        }
        log.info(
                "Migrated {} shard stores ({} keys) from a column family each into '{}'",
                legacy.size(),
                keys,
                STATE_COLUMN_FAMILY);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

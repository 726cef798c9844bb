package io.lumadb.shards.store.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.Names;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.DocumentCipher;
import io.lumadb.shards.store.IndexEntries;
import io.lumadb.shards.store.IndexState;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.StampedLock;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.ReadTier;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A {@link ShardStore} in the column family all stores of a node share ({@link
 * RocksShardStores}). Every key starts with the store's 8-byte id, {@code P} below, and every
 * scan is bounded to its store's range by RocksDB's iterate bounds, so no read of one store ever
 * sees, or walks over, another store's keys.
 *
 * <p>Layout: key {@code P ++ 0x00} holds the meta (applied sequence number, last version, document
 * count: three 8-byte big-endian longs); key {@code P ++ 0x01 ++ utf8(id)} holds a document as an
 * 8-byte big-endian version followed by its JSON. Documents and meta change in one {@link
 * WriteBatch}, so the store is always at exactly one applied sequence number.
 *
 * <p>Secondary indexes live in the same range: key {@code P ++ 0x02 ++ indexId (8 bytes
 * big-endian) ++ entry key ++ utf8(id)} with the id as value, one per {@link IndexEntries entry}
 * of a document; key {@code P ++ 0x03 ++ indexId} holds the index's state as JSON (definition,
 * phase, build cursor, count, multikey flag); key {@code P ++ 0x04} the catalog version of the
 * index set. {@link #apply} updates the entries of every changed document in the same batch as the
 * document, so an index is never behind its data. A background build ({@link #buildIndexes})
 * fills a new index in chunks, each atomic with respect to {@link #apply}; since apply maintains
 * a building index for every document, before and after the build's cursor, the finished index
 * equals one built from scratch.
 *
 * <p>A store that was never written has no id: it reads as empty and writes nothing until its
 * first write registers it, so opening a store to read a missing document creates nothing.
 *
 * <p>Encryption at rest: with a {@link DocumentCipher} that is enabled, a document's value (its
 * version and JSON together) is stored sealed instead ({@link DocumentCipher}: first byte 0x80 or
 * above, bound to {@code UTF-8(store name) 0x00 UTF-8(id)}); values in clear, written before
 * encryption was turned on, stay readable. What stays in clear: the keys (store id, document ids,
 * and in index entries the indexed field values), the meta and the index states (definitions and
 * build cursors, which are document ids). {@link RocksShardStores#reencrypt} rewrites values
 * under older keys.
 *
 * <p>Writes are not fsynced here: the journal's fsync in the same WAL, or a replay of the
 * journal after a crash, makes them durable.
 *
 * <p>Reads from other threads than the shard's ({@link #lookupInMemory}) are fenced against
 * {@link #close} by a read-write lock, so none runs on a store being dropped.
 */
final class RocksShardStore implements ShardStore {

    private static final byte META = 0x00;
    private static final byte DOC_PREFIX = 0x01;
    private static final byte INDEX_PREFIX = 0x02;
    private static final byte INDEX_STATE_PREFIX = 0x03;
    private static final byte INDEXES_VERSION = 0x04;
    /** Length of the store id every key starts with. */
    private static final int ID_BYTES = 8;
    /** Length of the store id and the key-space byte: where a document id starts in its key. */
    private static final int DOC_ID_OFFSET = ID_BYTES + 1;

    private final String name;
    private final RocksDB db;
    private final ColumnFamilyHandle cf;
    private final RocksShardStores stores;
    private final DocumentCipher cipher;
    /** {@code UTF-8(name) 0x00}: how every document's authenticated data starts. */
    private final byte[] aadPrefix;
    /** The store's id as a key prefix; null until the store's first write registers it. */
    private volatile byte[] prefix;

    private final WriteOptions writeOptions;
    private final ReadOptions memoryOnly;
    private final ReadOptions plainRead;
    // Used by apply() only, which is synchronized.
    // Used by the synchronized writers only. Replaced after a large write: a cleared batch keeps
    // its capacity, and a node may hold tens of thousands of stores.
    private WriteBatch batch = new WriteBatch();
    private final StampedLock lifecycle = new StampedLock();
    private boolean closed;
    private volatile boolean closing;
    private volatile ShardMeta meta;
    /** Index id → index, in creation order; replaced (never mutated) under the store's monitor. */
    private volatile Map<Long, Index> indexes;

    private volatile long indexesVersion;

    /** A maintained index: its state and how to compute its entries. */
    private record Index(IndexState state, IndexEntries entries, String cursor) {
        Index with(IndexState.Phase phase, long indexed, boolean multikey, String failure, String cursor) {
            return new Index(new IndexState(state.definition(), phase, indexed, multikey, failure), entries, cursor);
        }

        long id() {
            return state.definition().id();
        }

        boolean maintained() {
            return state.phase() != IndexState.Phase.FAILED;
        }
    }

    /** The persisted form of an index's state. */
    private record PersistedIndex(
            IndexDefinition definition,
            IndexState.Phase phase,
            long indexed,
            boolean multikey,
            String failure,
            String cursor) {}

    RocksShardStore(String name, RocksDB db, ColumnFamilyHandle cf, RocksShardStores stores) {
        this.name = name;
        this.db = db;
        this.cf = cf;
        this.stores = stores;
        this.cipher = stores.cipher();
        this.aadPrefix = RocksShardStores.aadPrefix(name);
        long id = stores.idOf(name);
        this.prefix = id < 0 ? null : RocksShardStores.prefix(id);
        this.writeOptions = new WriteOptions();
        this.memoryOnly = new ReadOptions().setReadTier(ReadTier.BLOCK_CACHE_TIER);
        this.plainRead = new ReadOptions();
        if (prefix == null) {
            this.meta = ShardMeta.EMPTY;
            this.indexesVersion = 0;
            this.indexes = Map.of();
        } else {
            this.meta = readMeta();
            this.indexesVersion = readIndexesVersion();
            this.indexes = readIndexes();
        }
    }

    /** The key prefix to write under, registering the store on its first write. */
    private byte[] prefixForWrite() {
        byte[] p = prefix;
        if (p == null) {
            p = RocksShardStores.prefix(stores.register(name));
            prefix = p;
        }
        return p;
    }

    private static byte[] key(byte[] prefix, byte space) {
        byte[] key = Arrays.copyOf(prefix, ID_BYTES + 1);
        key[ID_BYTES] = space;
        return key;
    }

    /**
     * An iterator confined to {@code [lower, upper)}: RocksDB stops at the bounds itself, so a
     * scan neither returns another store's keys nor walks over the tombstones of dropped ones.
     * Closing it closes its read options and bound slices.
     */
    private final class Bounded implements AutoCloseable {
        final Slice lower;
        final Slice upper;
        final ReadOptions options;
        final RocksIterator it;

        Bounded(byte[] from, byte[] to, Snapshot snapshot) {
            lower = new Slice(from);
            upper = new Slice(to);
            options = new ReadOptions().setIterateLowerBound(lower).setIterateUpperBound(upper);
            if (snapshot != null) {
                options.setSnapshot(snapshot);
            }
            it = db.newIterator(cf, options);
        }

        @Override
        public void close() {
            it.close();
            options.close();
            upper.close();
            lower.close();
        }
    }

    private long readIndexesVersion() {
        try {
            byte[] value = db.get(cf, key(prefix, INDEXES_VERSION));
            return value == null ? 0 : ByteBuffer.wrap(value).getLong();
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot read the index set version", e);
        }
    }

    private Map<Long, Index> readIndexes() {
        Map<Long, Index> found = new LinkedHashMap<>();
        try (Bounded b = new Bounded(key(prefix, INDEX_STATE_PREFIX), key(prefix, INDEXES_VERSION), null)) {
            RocksIterator it = b.it;
            for (it.seekToFirst(); it.isValid(); it.next()) {
                PersistedIndex p = DocumentJson.mapper().readValue(it.value(), PersistedIndex.class);
                IndexState state = new IndexState(p.definition(), p.phase(), p.indexed(), p.multikey(), p.failure());
                found.put(p.definition().id(), new Index(state, new IndexEntries(p.definition()), p.cursor()));
            }
            it.status();
        } catch (RocksDBException | IOException e) {
            throw new ShardStoreException("store " + name + ": cannot read its index states", e);
        }
        return java.util.Collections.unmodifiableMap(found);
    }

    @Override
    public String name() {
        return name;
    }

    private ShardMeta readMeta() {
        return readMeta(null);
    }

    /** The meta as stored, or as of {@code options}' snapshot. */
    private ShardMeta readMeta(ReadOptions options) {
        byte[] p = prefix;
        if (p == null) {
            return ShardMeta.EMPTY;
        }
        byte[] metaKey = key(p, META);
        try {
            byte[] value = options == null ? db.get(cf, metaKey) : db.get(cf, options, metaKey);
            if (value == null) {
                return ShardMeta.EMPTY;
            }
            ByteBuffer buf = ByteBuffer.wrap(value);
            return new ShardMeta(buf.getLong(), buf.getLong(), buf.getLong());
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot read meta", e);
        }
    }

    @Override
    public ShardMeta meta() {
        return meta;
    }

    private static byte[] docKey(byte[] prefix, String id) {
        byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
        byte[] key = Arrays.copyOf(prefix, DOC_ID_OFFSET + utf8.length);
        key[ID_BYTES] = DOC_PREFIX;
        System.arraycopy(utf8, 0, key, DOC_ID_OFFSET, utf8.length);
        return key;
    }

    private static String docId(byte[] key) {
        return new String(key, DOC_ID_OFFSET, key.length - DOC_ID_OFFSET, StandardCharsets.UTF_8);
    }

    /** The document of a stored value, a cold one read from the cold tier. */
    private StoredDocument decode(String id, byte[] value) {
        return resolve(stored(id, value));
    }

    /** The document of a stored value as it is stored: a cold one's JSON is its pointer. */
    private StoredDocument stored(String id, byte[] value) {
        if (DocumentCipher.isSealed(value)) {
            value = open(id, value);
        }
        long version = ByteBuffer.wrap(value, 0, 8).getLong();
        return new StoredDocument(id, version, Arrays.copyOfRange(value, 8, value.length));
    }

    /** {@code document} with its JSON, read from the cold tier when the store holds a pointer. */
    private StoredDocument resolve(StoredDocument document) {
        byte[] json = document.json();
        if (!ColdTier.isPointer(json)) {
            return document;
        }
        byte[] body = stores.coldTier().read(name, document.id(), document.version(), ColdTier.pointerOf(json));
        return new StoredDocument(document.id(), document.version(), body);
    }

    /** The clear value (version and JSON) of a sealed one. */
    private byte[] open(String id, byte[] sealed) {
        try {
            return cipher.open(RocksShardStores.aad(aadPrefix, id), sealed);
        } catch (RuntimeException e) {
            throw new ShardStoreException(
                    "store " + name + ": cannot decrypt document '" + id + "': " + e.getMessage(), e);
        }
    }

    @Override
    public StoredDocument get(String id) {
        try {
            return read(plainRead, id);
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot read document '" + id + "'", e);
        }
    }

    @Override
    public Lookup lookupInMemory(String id) {
        long stamp = lifecycle.tryReadLock();
        if (stamp == 0) {
            return Lookup.NOT_IN_MEMORY;
        }
        try {
            if (closed) {
                return Lookup.NOT_IN_MEMORY;
            }
            StoredDocument document = read(memoryOnly, id);
            if (document == NOT_IN_MEMORY_MARK) {
                return Lookup.NOT_IN_MEMORY;
            }
            return document == null ? Lookup.ABSENT : new Lookup(true, document);
        } catch (RocksDBException e) {
            if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Incomplete) {
                return Lookup.NOT_IN_MEMORY;
            }
            throw new ShardStoreException("store " + name + ": cannot read document '" + id + "'", e);
        } finally {
            lifecycle.unlockRead(stamp);
        }
    }

    /** Per-thread direct buffers for point reads, so a read allocates only the document's JSON. */
    private static final class ReadBuffers {
        final ByteBuffer key = ByteBuffer.allocateDirect(DOC_ID_OFFSET + 4 * Names.MAX_ID_BYTES);
        ByteBuffer value = ByteBuffer.allocateDirect(16 * 1024);
    }

    private static final ThreadLocal<ReadBuffers> READ_BUFFERS = ThreadLocal.withInitial(ReadBuffers::new);

    private StoredDocument read(ReadOptions options, String id) throws RocksDBException {
        byte[] p = prefix;
        if (p == null) {
            return null;
        }
        ReadBuffers buffers = READ_BUFFERS.get();
        ByteBuffer key = buffers.key.clear();
        key.put(p).put(DOC_PREFIX).put(id.getBytes(StandardCharsets.UTF_8)).flip();
        int size = db.get(cf, options, key, buffers.value.clear());
        if (size == RocksDB.NOT_FOUND) {
            return null;
        }
        if (size > buffers.value.capacity()) {
            buffers.value = ByteBuffer.allocateDirect(Integer.highestOneBit(size) << 1);
            size = db.get(cf, options, key.position(0), buffers.value.clear());
            if (size == RocksDB.NOT_FOUND) {
                return null;
            }
        }
        if (buffers.value.get(0) < 0) {
            byte[] sealed = new byte[size];
            buffers.value.get(0, sealed);
            StoredDocument document = stored(id, sealed);
            if (options == memoryOnly && ColdTier.isPointer(document.json())) {
                return fromMemory(document);
            }
            return resolve(document);
        }
        byte[] json = new byte[size - 8];
        buffers.value.get(8, json);
        StoredDocument document = new StoredDocument(id, buffers.value.getLong(0), json);
        if (options == memoryOnly && ColdTier.isPointer(json)) {
            return fromMemory(document);
        }
        return resolve(document);
    }

    /** A cold document from the hot cache, or {@link #NOT_IN_MEMORY_MARK} when reading it would block. */
    private StoredDocument fromMemory(StoredDocument cold) {
        byte[] body = stores.coldTier().cached(name, cold.id(), cold.version(), ColdTier.pointerOf(cold.json()));
        return body == null ? NOT_IN_MEMORY_MARK : new StoredDocument(cold.id(), cold.version(), body);
    }

    /** What {@link #read} answers for a cold document not in the hot cache when asked from memory only. */
    private static final StoredDocument NOT_IN_MEMORY_MARK = new StoredDocument("", 1, new byte[0]);

    @Override
    public List<StoredDocument> list(String afterExclusive, int limit) {
        return page(afterExclusive, limit, true);
    }

    @Override
    public List<StoredDocument> scan(String afterExclusive, int limit) {
        return page(afterExclusive, limit, false);
    }

    private List<StoredDocument> page(String afterExclusive, int limit, boolean resolve) {
        List<StoredDocument> page = new ArrayList<>(Math.min(limit, 1024));
        byte[] p = prefix;
        if (p == null) {
            return page;
        }
        byte[] start = afterExclusive == null ? key(p, DOC_PREFIX) : docKey(p, afterExclusive);
        try (Bounded b = new Bounded(key(p, DOC_PREFIX), key(p, INDEX_PREFIX), null)) {
            RocksIterator it = b.it;
            it.seek(start);
            while (it.isValid() && page.size() < limit) {
                byte[] key = it.key();
                if (afterExclusive == null || !Arrays.equals(key, start)) {
                    StoredDocument document = stored(docId(key), it.value());
                    page.add(resolve ? resolve(document) : document);
                }
                it.next();
            }
            it.status();
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot list after '" + afterExclusive + "'", e);
        }
        return page;
    }

    @Override
    public synchronized void apply(long seq, List<DocumentChange> changes) {
        write(seq, changes, 0);
    }

    @Override
    public synchronized int cool(long seq, List<ColdTier.Entry> entries) {
        synchronized (stores.writeLock(name)) {
            ShardMeta current = meta;
            if (seq <= current.appliedSeq()) {
                throw new IllegalStateException("store " + name + ": event " + seq + " is already applied (applied "
                        + current.appliedSeq() + ")");
            }
            byte[] p = prefixForWrite();
            int cooled = 0;
            try {
                for (ColdTier.Entry entry : entries) {
                    byte[] value = db.get(cf, plainRead, docKey(p, entry.id()));
                    if (value == null) {
                        continue;
                    }
                    StoredDocument held = stored(entry.id(), value);
                    // Written since it was sealed (or already cold): the segment's copy is stale.
                    if (held.version() != entry.version() || ColdTier.isPointer(held.json())) {
                        continue;
                    }
                    putDocument(
                            new DocumentChange(entry.id(), DocumentChange.Op.UPDATED, entry.version(), entry.stored()));
                    cooled++;
                }
                ShardMeta next = new ShardMeta(seq, current.lastVersion(), current.documentCount());
                putMeta(p, next);
                db.write(writeOptions, batch);
                meta = next;
                return cooled;
            } catch (RocksDBException e) {
                throw new ShardStoreException("store " + name + ": cannot apply cold-tier event " + seq, e);
            } finally {
                releaseBatch();
            }
        }
    }

    /**
     * Installs the image as the changes that turn the current contents into it, written by the
     * same code as an event's changes, so documents, index entries, index states, count and meta
     * move together in one batch. Documents already equal to the image's are left alone.
     */
    @Override
    public synchronized void install(long seq, long lastVersion, List<StoredDocument> documents) {
        Map<String, StoredDocument> image = HashMap.newHashMap(documents.size());
        for (StoredDocument document : documents) {
            if (image.put(document.id(), document) != null) {
                throw new IllegalArgumentException(
                        "store " + name + ": the image of event " + seq + " holds '" + document.id() + "' twice");
            }
        }
        List<DocumentChange> changes = new ArrayList<>();
        byte[] p = prefixForWrite();
        try (Bounded b = new Bounded(key(p, DOC_PREFIX), key(p, INDEX_PREFIX), null)) {
            RocksIterator it = b.it;
            for (it.seekToFirst(); it.isValid(); it.next()) {
                String id = docId(it.key());
                StoredDocument wanted = image.remove(id);
                StoredDocument held = stored(id, it.value());
                if (wanted == null) {
                    changes.add(new DocumentChange(id, DocumentChange.Op.DELETED, held.version(), null));
                } else if (wanted.version() != held.version() || !Arrays.equals(wanted.json(), held.json())) {
                    changes.add(new DocumentChange(id, DocumentChange.Op.UPDATED, wanted.version(), wanted.json()));
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot read its documents to install event " + seq, e);
        }
        // What is left of the image is new here; kept in the image's order.
        for (StoredDocument document : documents) {
            if (image.containsKey(document.id())) {
                changes.add(new DocumentChange(
                        document.id(), DocumentChange.Op.CREATED, document.version(), document.json()));
            }
        }
        write(seq, changes, lastVersion);
    }

    /**
     * Writes {@code changes} with the meta of event {@code seq} in one batch; the last version
     * becomes the greatest of the current one, the changes' and {@code minLastVersion}.
     */
    private void write(long seq, List<DocumentChange> changes, long minLastVersion) {
        // Excludes the re-encryption of this store's values: it must not put back a value this
        // write replaces.
        synchronized (stores.writeLock(name)) {
            writeLocked(seq, changes, minLastVersion);
        }
    }

    private void writeLocked(long seq, List<DocumentChange> changes, long minLastVersion) {
        ShardMeta current = meta;
        if (seq <= current.appliedSeq()) {
            throw new IllegalStateException(
                    "store " + name + ": event " + seq + " is already applied (applied " + current.appliedSeq() + ")");
        }
        long lastVersion = Math.max(current.lastVersion(), minLastVersion);
        long count = current.documentCount();
        byte[] p = prefixForWrite();
        try {
            Map<Long, Index> active = indexes;
            Map<Long, Index> changedIndexes = active.isEmpty() ? null : indexChanges(changes, active);
            for (DocumentChange change : changes) {
                switch (change.op()) {
                    case CREATED -> {
                        putDocument(change);
                        count++;
                    }
                    case UPDATED -> putDocument(change);
                    case DELETED -> {
                        batch.delete(cf, docKey(p, change.id()));
                        count--;
                    }
                }
                lastVersion = Math.max(lastVersion, change.version());
            }
            ShardMeta next = new ShardMeta(seq, lastVersion, count);
            putMeta(p, next);
            db.write(writeOptions, batch);
            meta = next;
            // Published after the batch is written, so readers never see a state ahead of the data.
            if (changedIndexes != null) {
                indexes = changedIndexes;
            }
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot apply event " + seq, e);
        } finally {
            releaseBatch();
        }
    }

    private void putMeta(byte[] p, ShardMeta next) throws RocksDBException {
        WriteBuffers buffers = WRITE_BUFFERS.get();
        ByteBuffer metaValue = buffers.metaValue;
        metaValue
                .clear()
                .putLong(next.appliedSeq())
                .putLong(next.lastVersion())
                .putLong(next.documentCount())
                .flip();
        batch.put(cf, buffers.metaKey.clear().put(p).put(META).flip(), metaValue);
    }

    /**
     * Adds to the batch the index entries that {@code changes} remove and add. The previous
     * version of a document comes from the store, or from an earlier change of the same batch.
     *
     * @return the indexes with their new states when a state changed (multikey, failed), else null
     */
    private Map<Long, Index> indexChanges(List<DocumentChange> changes, Map<Long, Index> active)
            throws RocksDBException {
        Map<String, JsonNode> overlay = new HashMap<>();
        Map<Long, Index> updated = new LinkedHashMap<>(active);
        boolean stateChanged = false;
        for (DocumentChange change : changes) {
            JsonNode before = overlay.containsKey(change.id()) ? overlay.get(change.id()) : parsedDocument(change.id());
            JsonNode after = change.op() == DocumentChange.Op.DELETED ? null : parse(body(change));
            overlay.put(change.id(), after);
            for (Long id : active.keySet()) {
                Index index = updated.get(id);
                if (!index.maintained()) {
                    continue;
                }
                try {
                    IndexEntries.Entries old = index.entries().of(before);
                    IndexEntries.Entries neu = index.entries().of(after);
                    writeEntryDiff(id, change.id(), old.keys(), neu.keys());
                    if (neu.multikey() && !index.state().multikey()) {
                        updated.put(id, markMultikey(index));
                        stateChanged = true;
                    }
                } catch (IndexEntries.TooManyEntriesException e) {
                    // The write was checked against the indexes it knew; an index created since
                    // cannot hold it, so that index fails rather than the journaled write.
                    IndexState s = index.state();
                    updated.put(
                            id,
                            index.with(
                                    IndexState.Phase.FAILED,
                                    s.indexed(),
                                    s.multikey(),
                                    "document '" + change.id() + "': " + e.getMessage(),
                                    index.cursor()));
                    stateChanged = true;
                }
            }
        }
        if (!stateChanged) {
            return null;
        }
        for (Index index : updated.values()) {
            putState(index);
        }
        return java.util.Collections.unmodifiableMap(updated);
    }

    /** The JSON a change writes: an image's cold document (a pointer) is read from the cold tier. */
    private byte[] body(DocumentChange change) {
        byte[] json = change.document();
        return ColdTier.isPointer(json)
                ? stores.coldTier().read(name, change.id(), change.version(), ColdTier.pointerOf(json))
                : json;
    }

    private static Index markMultikey(Index index) {
        IndexState s = index.state();
        return index.with(s.phase(), s.indexed(), true, s.failure(), index.cursor());
    }

    private void writeEntryDiff(long indexId, String id, List<byte[]> old, List<byte[]> neu) throws RocksDBException {
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        Set<byte[]> keep = new TreeSet<>(Arrays::compareUnsigned);
        keep.addAll(neu);
        Set<byte[]> had = new TreeSet<>(Arrays::compareUnsigned);
        had.addAll(old);
        for (byte[] key : old) {
            if (!keep.contains(key)) {
                batch.delete(cf, indexKey(prefix, indexId, key, idBytes));
            }
        }
        for (byte[] key : neu) {
            if (!had.contains(key)) {
                batch.put(cf, indexKey(prefix, indexId, key, idBytes), idBytes);
            }
        }
    }

    private static byte[] indexPrefix(byte[] prefix, long indexId) {
        return ByteBuffer.allocate(DOC_ID_OFFSET + 8)
                .put(prefix)
                .put(INDEX_PREFIX)
                .putLong(indexId)
                .array();
    }

    private static byte[] indexKey(byte[] prefix, long indexId, byte[] key, byte[] id) {
        return ByteBuffer.allocate(DOC_ID_OFFSET + 8 + key.length + id.length)
                .put(prefix)
                .put(INDEX_PREFIX)
                .putLong(indexId)
                .put(key)
                .put(id)
                .array();
    }

    private static byte[] stateKey(byte[] prefix, long indexId) {
        return ByteBuffer.allocate(DOC_ID_OFFSET + 8)
                .put(prefix)
                .put(INDEX_STATE_PREFIX)
                .putLong(indexId)
                .array();
    }

    private void putState(Index index) throws RocksDBException {
        IndexState s = index.state();
        try {
            byte[] json = DocumentJson.mapper()
                    .writeValueAsBytes(new PersistedIndex(
                            s.definition(), s.phase(), s.indexed(), s.multikey(), s.failure(), index.cursor()));
            batch.put(cf, stateKey(prefixForWrite(), index.id()), json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode parsedDocument(String id) throws RocksDBException {
        StoredDocument current = read(plainRead, id);
        return current == null ? null : parse(current.json());
    }

    private JsonNode parse(byte[] json) {
        try {
            return DocumentJson.mapper().readTree(json);
        } catch (IOException e) {
            throw new ShardStoreException("store " + name + ": a stored document is not valid JSON", e);
        }
    }

    @Override
    public List<IndexState> indexes() {
        return indexes.values().stream().map(Index::state).toList();
    }

    @Override
    public long indexesVersion() {
        return indexesVersion;
    }

    @Override
    public synchronized boolean syncIndexes(long version, List<IndexDefinition> all) {
        if (version <= indexesVersion) {
            return false;
        }
        // Search indexes live in Lucene, kept by the vector module: this store has no entries for them.
        List<IndexDefinition> definitions =
                all.stream().filter(d -> !d.hasSearch()).toList();
        if (prefix == null && definitions.isEmpty()) {
            // Nothing to keep: a store that was never written stays unwritten (a read of a
            // missing document adopts the index set too). Its first write records the version.
            indexesVersion = version;
            return true;
        }
        byte[] p = prefixForWrite();
        Map<Long, Index> next = new LinkedHashMap<>();
        try {
            Map<Long, Index> current = indexes;
            for (IndexDefinition definition : definitions) {
                Index existing = current.get(definition.id());
                if (existing != null) {
                    next.put(definition.id(), existing);
                } else {
                    Index created = new Index(
                            new IndexState(definition, IndexState.Phase.BUILDING, 0, false, null),
                            new IndexEntries(definition),
                            null);
                    next.put(definition.id(), created);
                    putState(created);
                }
            }
            for (Index old : current.values()) {
                if (!next.containsKey(old.id())) {
                    batch.deleteRange(cf, indexPrefix(p, old.id()), indexPrefix(p, old.id() + 1));
                    batch.delete(cf, stateKey(p, old.id()));
                }
            }
            batch.put(
                    cf,
                    key(p, INDEXES_VERSION),
                    ByteBuffer.allocate(8).putLong(version).array());
            db.write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot adopt index set " + version, e);
        } finally {
            releaseBatch();
        }
        indexes = java.util.Collections.unmodifiableMap(next);
        indexesVersion = version;
        return true;
    }

    @Override
    public synchronized boolean buildIndexes(int maxDocuments) {
        Map<Long, Index> next = new LinkedHashMap<>(indexes);
        boolean building = false;
        try {
            for (Index index : indexes.values()) {
                if (index.state().phase() != IndexState.Phase.BUILDING) {
                    continue;
                }
                Index advanced = buildStep(index, maxDocuments);
                next.put(index.id(), advanced);
                putState(advanced);
                building |= advanced.state().phase() == IndexState.Phase.BUILDING;
            }
            if (batch.count() > 0) {
                db.write(writeOptions, batch);
            }
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot build indexes", e);
        } finally {
            releaseBatch();
        }
        indexes = java.util.Collections.unmodifiableMap(next);
        return building;
    }

    /** Adds the entries of up to {@code maxDocuments} documents after the index's cursor to the batch. */
    private Index buildStep(Index index, int maxDocuments) throws RocksDBException {
        IndexState s = index.state();
        long indexed = s.indexed();
        boolean multikey = s.multikey();
        String cursor = index.cursor();
        byte[] p = prefixForWrite();
        byte[] start = cursor == null ? key(p, DOC_PREFIX) : docKey(p, cursor);
        try (Bounded b = new Bounded(key(p, DOC_PREFIX), key(p, INDEX_PREFIX), null)) {
            RocksIterator it = b.it;
            it.seek(start);
            int done = 0;
            while (it.isValid()) {
                byte[] key = it.key();
                if (cursor != null && Arrays.equals(key, start)) {
                    it.next();
                    continue;
                }
                if (done == maxDocuments) {
                    return index.with(IndexState.Phase.BUILDING, indexed, multikey, null, cursor);
                }
                String id = docId(key);
                JsonNode document = parse(decode(id, it.value()).json());
                IndexEntries.Entries entries;
                try {
                    entries = index.entries().of(document);
                } catch (IndexEntries.TooManyEntriesException e) {
                    return index.with(
                            IndexState.Phase.FAILED, indexed, multikey, "document '" + id + "': " + e.getMessage(), id);
                }
                byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
                for (byte[] entry : entries.keys()) {
                    batch.put(cf, indexKey(p, index.id(), entry, idBytes), idBytes);
                }
                multikey |= entries.multikey();
                indexed++;
                done++;
                cursor = id;
                it.next();
            }
            it.status();
        }
        return index.with(IndexState.Phase.READY, indexed, multikey, null, cursor);
    }

    @Override
    public String indexProblem(byte[] json) {
        Map<Long, Index> active = indexes;
        if (active.isEmpty()) {
            return null;
        }
        JsonNode document = parse(json);
        for (Index index : active.values()) {
            if (index.maintained()) {
                try {
                    index.entries().of(document);
                } catch (IndexEntries.TooManyEntriesException e) {
                    return e.getMessage();
                }
            }
        }
        return null;
    }

    /**
     * Adds a document to the batch through reused direct buffers: the batch copies them, so a
     * write allocates no key or value arrays.
     */
    private void putDocument(DocumentChange change) throws RocksDBException {
        byte[] id = change.id().getBytes(StandardCharsets.UTF_8);
        byte[] json = change.document();
        WriteBuffers buffers = WRITE_BUFFERS.get();
        ByteBuffer keyBuffer = buffers.key = ensure(buffers.key, DOC_ID_OFFSET + id.length);
        keyBuffer.clear();
        keyBuffer.put(prefix).put(DOC_PREFIX).put(id).flip();
        ByteBuffer valueBuffer;
        if (cipher.enabled()) {
            byte[] plain = ByteBuffer.allocate(8 + json.length)
                    .putLong(change.version())
                    .put(json)
                    .array();
            byte[] sealed = cipher.seal(RocksShardStores.aad(aadPrefix, change.id()), plain, 0, plain.length);
            valueBuffer = buffers.value = ensure(buffers.value, sealed.length);
            valueBuffer.clear();
            valueBuffer.put(sealed).flip();
        } else {
            valueBuffer = buffers.value = ensure(buffers.value, 8 + json.length);
            valueBuffer.clear();
            valueBuffer.putLong(change.version()).put(json).flip();
        }
        batch.put(cf, keyBuffer, valueBuffer);
    }

    /**
     * Per-thread direct buffers for writes: the batch copies them, so they are free again when
     * put returns. Per thread rather than per store, since a node may hold tens of thousands of
     * stores and a writing thread writes to one at a time.
     */
    private static final class WriteBuffers {
        final ByteBuffer metaKey = ByteBuffer.allocateDirect(DOC_ID_OFFSET);
        final ByteBuffer metaValue = ByteBuffer.allocateDirect(24);
        ByteBuffer key = ByteBuffer.allocateDirect(1024);
        ByteBuffer value = ByteBuffer.allocateDirect(16 * 1024);
    }

    private static final ThreadLocal<WriteBuffers> WRITE_BUFFERS = ThreadLocal.withInitial(WriteBuffers::new);

    /** Batches up to this size are cleared and kept; larger ones are replaced, releasing their memory. */
    private static final long KEPT_BATCH_BYTES = 64 * 1024;

    /** Empties the batch after a write (or a failed one). */
    private void releaseBatch() {
        if (batch.getDataSize() > KEPT_BATCH_BYTES) {
            batch.close();
            batch = new WriteBatch();
        } else {
            batch.clear();
        }
    }

    private static ByteBuffer ensure(ByteBuffer buffer, int size) {
        return buffer.capacity() >= size ? buffer : ByteBuffer.allocateDirect(Integer.highestOneBit(size) << 1);
    }

    @Override
    public ReadView readView() {
        long stamp = closing ? 0 : lifecycle.tryReadLock();
        if (stamp == 0) {
            return null;
        }
        try {
            if (closed) {
                lifecycle.unlockRead(stamp);
                return null;
            }
            // State first, then the snapshot: an index seen ready is complete in the snapshot.
            return new View(indexes(), stamp);
        } catch (RuntimeException e) {
            lifecycle.unlockRead(stamp);
            throw e;
        }
    }

    /** A snapshot view; holds the store's read lock until closed, so the store cannot close under it. */
    private final class View implements ReadView {
        private final List<IndexState> states;
        private final ShardMeta viewMeta;
        private final Snapshot snapshot;
        private final ReadOptions options;
        /** The store's prefix as of the view; null: the store was never written, the view is empty. */
        private final byte[] viewPrefix;

        private final List<Bounded> iterators = new ArrayList<>();
        private final long stamp;
        private boolean released;

        View(List<IndexState> states, long stamp) {
            this.states = states;
            this.stamp = stamp;
            this.viewPrefix = prefix;
            this.snapshot = db.getSnapshot();
            this.options = new ReadOptions().setSnapshot(snapshot);
            // Read through the snapshot: its applied sequence number is exactly the position of
            // the view, where a live query's change stream starts.
            try {
                this.viewMeta = readMeta(options);
            } catch (RuntimeException e) {
                options.close();
                db.releaseSnapshot(snapshot);
                throw e;
            }
        }

        @Override
        public ShardMeta meta() {
            return viewMeta;
        }

        @Override
        public List<IndexState> indexes() {
            return states;
        }

        @Override
        public StoredDocument get(String id) {
            if (viewPrefix == null) {
                return null;
            }
            try {
                byte[] value = db.get(cf, options, docKey(viewPrefix, id));
                return value == null ? null : decode(id, value);
            } catch (RocksDBException e) {
                throw new ShardStoreException("store " + name + ": cannot read document '" + id + "'", e);
            }
        }

        /** An iterator over {@code [lower, upper)} of the view's snapshot, closed with the view. */
        private RocksIterator iterator(byte[] lower, byte[] upper) {
            Bounded b = new Bounded(lower, upper, snapshot);
            iterators.add(b);
            return b.it;
        }

        @Override
        public Iterator<StoredDocument> documents(String afterExclusive) {
            if (viewPrefix == null) {
                return java.util.Collections.emptyIterator();
            }
            RocksIterator it = iterator(key(viewPrefix, DOC_PREFIX), key(viewPrefix, INDEX_PREFIX));
            byte[] start = afterExclusive == null ? key(viewPrefix, DOC_PREFIX) : docKey(viewPrefix, afterExclusive);
            it.seek(start);
            if (afterExclusive != null && it.isValid() && Arrays.equals(it.key(), start)) {
                it.next();
            }
            return new Range<>(it, key -> true, false, (key, value) -> decode(docId(key), value));
        }

        @Override
        public Iterator<IndexEntry> index(long indexId, byte[] start, byte[] end, boolean reverse) {
            if (viewPrefix == null) {
                return java.util.Collections.emptyIterator();
            }
            byte[] prefix = indexPrefix(viewPrefix, indexId);
            byte[] lower = start == null ? prefix : concat(prefix, start);
            byte[] upper = end == null ? indexPrefix(viewPrefix, indexId + 1) : concat(prefix, end);
            if (Arrays.compareUnsigned(lower, upper) >= 0) {
                return java.util.Collections.emptyIterator();
            }
            // The bounds keep the iterator inside [lower, upper); the range check stays as a guard.
            RocksIterator it = iterator(lower, upper);
            if (reverse) {
                it.seekToLast();
            } else {
                it.seekToFirst();
            }
            return new Range<>(
                    it,
                    key -> reverse ? Arrays.compareUnsigned(key, lower) >= 0 : Arrays.compareUnsigned(key, upper) < 0,
                    reverse,
                    (key, id) -> new IndexEntry(
                            Arrays.copyOfRange(key, prefix.length, key.length - id.length),
                            new String(id, StandardCharsets.UTF_8)));
        }

        /** The entries of a positioned iterator, decoded, while their keys stay in range. */
        private final class Range<T> implements Iterator<T> {
            private final RocksIterator it;
            private final Predicate<byte[]> inRange;
            private final boolean reverse;
            private final BiFunction<byte[], byte[], T> decode;

            Range(RocksIterator it, Predicate<byte[]> inRange, boolean reverse, BiFunction<byte[], byte[], T> decode) {
                this.it = it;
                this.inRange = inRange;
                this.reverse = reverse;
                this.decode = decode;
            }

            @Override
            public boolean hasNext() {
                if (!it.isValid()) {
                    check(it);
                    return false;
                }
                return inRange.test(it.key());
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                T out = decode.apply(it.key(), it.value());
                if (reverse) {
                    it.prev();
                } else {
                    it.next();
                }
                return out;
            }
        }

        private void check(RocksIterator it) {
            try {
                it.status();
            } catch (RocksDBException e) {
                throw new ShardStoreException("store " + name + ": cannot read", e);
            }
        }

        @Override
        public boolean closing() {
            return closing;
        }

        @Override
        public void close() {
            if (released) {
                return;
            }
            released = true;
            try {
                iterators.forEach(Bounded::close);
                options.close();
                db.releaseSnapshot(snapshot);
            } finally {
                lifecycle.unlockRead(stamp);
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public synchronized void close() {
        closing = true;
        long stamp = lifecycle.writeLock();
        try {
            closed = true;
            batch.close();
            writeOptions.close();
            memoryOnly.close();
            plainRead.close();
        } finally {
            lifecycle.unlockWrite(stamp);
        }
    }
}

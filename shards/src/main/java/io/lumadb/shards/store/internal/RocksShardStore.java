package io.lumadb.shards.store.internal;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.Names;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStoreException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.ReadTier;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A {@link ShardStore} in one RocksDB column family.
 *
 * <p>Layout: key {@code 0x00} holds the meta (applied sequence number, last version, document
 * count: three 8-byte big-endian longs); key {@code 0x01 ++ utf8(id)} holds a document as an
 * 8-byte big-endian version followed by its JSON. Documents and meta change in one {@link
 * WriteBatch}, so the store is always at exactly one applied sequence number.
 *
 * <p>Writes are not fsynced here: the journal's fsync in the same WAL, or a replay of the
 * journal after a crash, makes them durable.
 *
 * <p>Reads from other threads than the shard's ({@link #lookupInMemory}) are fenced against
 * {@link #close} by a read-write lock, so none runs on a column family being dropped.
 */
final class RocksShardStore implements ShardStore {

    private static final byte[] META_KEY = {0x00};
    private static final byte DOC_PREFIX = 0x01;

    private final String name;
    private final RocksDB db;
    private final ColumnFamilyHandle cf;
    private final WriteOptions writeOptions;
    private final ReadOptions memoryOnly;
    private final ReadOptions plainRead;
    // Used by apply() only, which is synchronized.
    private final WriteBatch batch = new WriteBatch();
    private final ByteBuffer metaKey = ByteBuffer.allocateDirect(1).put(0, (byte) 0);
    private final ByteBuffer metaValue = ByteBuffer.allocateDirect(24);
    private ByteBuffer keyBuffer = ByteBuffer.allocateDirect(1024);
    private ByteBuffer valueBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;
    private volatile ShardMeta meta;

    RocksShardStore(String name, RocksDB db, ColumnFamilyHandle cf) {
        this.name = name;
        this.db = db;
        this.cf = cf;
        this.writeOptions = new WriteOptions();
        this.memoryOnly = new ReadOptions().setReadTier(ReadTier.BLOCK_CACHE_TIER);
        this.plainRead = new ReadOptions();
        this.meta = readMeta();
    }

    @Override
    public String name() {
        return name;
    }

    private ShardMeta readMeta() {
        try {
            byte[] value = db.get(cf, META_KEY);
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

    static byte[] docKey(String id) {
        byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
        byte[] key = new byte[utf8.length + 1];
        key[0] = DOC_PREFIX;
        System.arraycopy(utf8, 0, key, 1, utf8.length);
        return key;
    }

    private static StoredDocument decode(String id, byte[] value) {
        long version = ByteBuffer.wrap(value, 0, 8).getLong();
        return new StoredDocument(id, version, Arrays.copyOfRange(value, 8, value.length));
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
        if (!lifecycle.readLock().tryLock()) {
            return Lookup.NOT_IN_MEMORY;
        }
        try {
            if (closed) {
                return Lookup.NOT_IN_MEMORY;
            }
            StoredDocument document = read(memoryOnly, id);
            return document == null ? Lookup.ABSENT : new Lookup(true, document);
        } catch (RocksDBException e) {
            if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Incomplete) {
                return Lookup.NOT_IN_MEMORY;
            }
            throw new ShardStoreException("store " + name + ": cannot read document '" + id + "'", e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Per-thread direct buffers for point reads, so a read allocates only the document's JSON. */
    private static final class ReadBuffers {
        final ByteBuffer key = ByteBuffer.allocateDirect(1 + 4 * Names.MAX_ID_BYTES);
        ByteBuffer value = ByteBuffer.allocateDirect(16 * 1024);
    }

    private static final ThreadLocal<ReadBuffers> READ_BUFFERS = ThreadLocal.withInitial(ReadBuffers::new);

    private StoredDocument read(ReadOptions options, String id) throws RocksDBException {
        ReadBuffers buffers = READ_BUFFERS.get();
        ByteBuffer key = buffers.key.clear();
        key.put(DOC_PREFIX).put(id.getBytes(StandardCharsets.UTF_8)).flip();
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
        byte[] json = new byte[size - 8];
        buffers.value.get(8, json);
        return new StoredDocument(id, buffers.value.getLong(0), json);
    }

    @Override
    public List<StoredDocument> list(String afterExclusive, int limit) {
        List<StoredDocument> page = new ArrayList<>(Math.min(limit, 1024));
        byte[] start = afterExclusive == null ? new byte[] {DOC_PREFIX} : docKey(afterExclusive);
        try (ReadOptions options = new ReadOptions().setFillCache(true);
                RocksIterator it = db.newIterator(cf, options)) {
            it.seek(start);
            while (it.isValid() && page.size() < limit) {
                byte[] key = it.key();
                if (key.length == 0 || key[0] != DOC_PREFIX) {
                    break;
                }
                if (afterExclusive == null || !Arrays.equals(key, start)) {
                    String id = new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
                    page.add(decode(id, it.value()));
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
        ShardMeta current = meta;
        if (seq <= current.appliedSeq()) {
            throw new IllegalStateException(
                    "store " + name + ": event " + seq + " is already applied (applied " + current.appliedSeq() + ")");
        }
        long lastVersion = current.lastVersion();
        long count = current.documentCount();
        try {
            for (DocumentChange change : changes) {
                switch (change.op()) {
                    case CREATED -> {
                        putDocument(change);
                        count++;
                    }
                    case UPDATED -> putDocument(change);
                    case DELETED -> {
                        batch.delete(cf, docKey(change.id()));
                        count--;
                    }
                }
                lastVersion = Math.max(lastVersion, change.version());
            }
            ShardMeta next = new ShardMeta(seq, lastVersion, count);
            metaValue
                    .clear()
                    .putLong(next.appliedSeq())
                    .putLong(next.lastVersion())
                    .putLong(next.documentCount())
                    .flip();
            batch.put(cf, metaKey.clear(), metaValue);
            db.write(writeOptions, batch);
            meta = next;
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot apply event " + seq, e);
        } finally {
            batch.clear();
        }
    }

    /**
     * Adds a document to the batch through reused direct buffers: the batch copies them, so a
     * write allocates no key or value arrays.
     */
    private void putDocument(DocumentChange change) throws RocksDBException {
        byte[] id = change.id().getBytes(StandardCharsets.UTF_8);
        byte[] json = change.document();
        keyBuffer = ensure(keyBuffer, 1 + id.length);
        keyBuffer.clear();
        keyBuffer.put(DOC_PREFIX).put(id).flip();
        valueBuffer = ensure(valueBuffer, 8 + json.length);
        valueBuffer.clear();
        valueBuffer.putLong(change.version()).put(json).flip();
        batch.put(cf, keyBuffer, valueBuffer);
    }

    private static ByteBuffer ensure(ByteBuffer buffer, int size) {
        return buffer.capacity() >= size ? buffer : ByteBuffer.allocateDirect(Integer.highestOneBit(size) << 1);
    }

    @Override
    public synchronized void close() {
        lifecycle.writeLock().lock();
        try {
            closed = true;
            batch.close();
            writeOptions.close();
            memoryOnly.close();
            plainRead.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}

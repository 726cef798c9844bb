package io.lumadb.shards.store.internal;

import io.lumadb.shards.model.DocumentChange;
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
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;
    private volatile ShardMeta meta;

    RocksShardStore(String name, RocksDB db, ColumnFamilyHandle cf) {
        this.name = name;
        this.db = db;
        this.cf = cf;
        this.writeOptions = new WriteOptions();
        this.memoryOnly = new ReadOptions().setReadTier(ReadTier.BLOCK_CACHE_TIER);
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

    private static byte[] encode(long version, byte[] json) {
        byte[] value = new byte[8 + json.length];
        for (int i = 7; i >= 0; i--) {
            value[i] = (byte) version;
            version >>>= 8;
        }
        System.arraycopy(json, 0, value, 8, json.length);
        return value;
    }

    @Override
    public StoredDocument get(String id) {
        try {
            byte[] value = db.get(cf, docKey(id));
            return value == null ? null : decode(id, value);
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
            byte[] value = db.get(cf, memoryOnly, docKey(id));
            return value == null ? Lookup.ABSENT : new Lookup(true, decode(id, value));
        } catch (RocksDBException e) {
            if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Incomplete) {
                return Lookup.NOT_IN_MEMORY;
            }
            throw new ShardStoreException("store " + name + ": cannot read document '" + id + "'", e);
        } finally {
            lifecycle.readLock().unlock();
        }
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
        try (WriteBatch batch = new WriteBatch()) {
            for (DocumentChange change : changes) {
                byte[] key = docKey(change.id());
                switch (change.op()) {
                    case CREATED -> {
                        batch.put(cf, key, encode(change.version(), change.document()));
                        count++;
                    }
                    case UPDATED -> batch.put(cf, key, encode(change.version(), change.document()));
                    case DELETED -> {
                        batch.delete(cf, key);
                        count--;
                    }
                }
                lastVersion = Math.max(lastVersion, change.version());
            }
            ShardMeta next = new ShardMeta(seq, lastVersion, count);
            batch.put(
                    cf,
                    META_KEY,
                    ByteBuffer.allocate(24)
                            .putLong(next.appliedSeq())
                            .putLong(next.lastVersion())
                            .putLong(next.documentCount())
                            .array());
            db.write(writeOptions, batch);
            meta = next;
        } catch (RocksDBException e) {
            throw new ShardStoreException("store " + name + ": cannot apply event " + seq, e);
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            closed = true;
            writeOptions.close();
            memoryOnly.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}

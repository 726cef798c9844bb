package io.lumadb.persistence.snapshot.internal;

import static io.lumadb.persistence.rocksdb.internal.Keys.idKey;
import static io.lumadb.persistence.rocksdb.internal.Keys.utf8;

import io.lumadb.persistence.crypto.Encryption;
import io.lumadb.persistence.crypto.ValueCipher;
import io.lumadb.persistence.rocksdb.RocksStoreException;
import io.lumadb.persistence.rocksdb.internal.Async;
import io.lumadb.persistence.rocksdb.internal.DbGate;
import io.lumadb.persistence.rocksdb.internal.Keys;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.persistence.rocksdb.internal.SerializedForm;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.LongPredicate;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.serialization.Snapshot;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.concurrent.Future;

/**
 * Pekko Persistence snapshot store on the node's RocksDB (plugin id {@code
 * lumadb.persistence.snapshot-store}).
 *
 * <p>Column family {@code snapshots}: key = UTF-8 persistenceId + 0x00 + 8-byte big-endian
 * sequenceNr; value = 8-byte timestamp and the Pekko serialization of {@code Snapshot(data)} (byte
 * layout in {@link SnapshotFormat}). One snapshot per sequence number; saving again overwrites.
 *
 * <p>Guarantees: a save or delete is reported done only once durable (written with {@code sync =
 * true}). A load returns the youngest snapshot (highest sequence number) that matches the criteria;
 * if it cannot be deserialized (corrupt, or its serializer is gone) the next older matching one is
 * tried, as Pekko's local snapshot store does, so that recovery falls back to an older snapshot
 * plus more events rather than failing. Persistence ids must not be empty or contain NUL (0x00).
 * All RocksDB work runs on the plugin dispatcher.
 */
public final class RocksSnapshotStore extends SnapshotStore {

    private static final Logger log = LoggerFactory.getLogger(RocksSnapshotStore.class);
    private static final String STORE = "snapshot store";

    private final RocksDB db;
    private final ColumnFamilyHandle snapshots;
    private final Serialization serialization;
    private final ValueCipher cipher;

    /**
     * Taken by every write of a snapshot value (save, delete, re-encryption), so that a
     * re-encryption never puts back a snapshot deleted or replaced since it read it. Static: writes
     * are rare, and one lock for every store in the JVM is simpler than one per database.
     */
    private static final Object WRITES = new Object();

    private final DbGate gate;
    private final Executor blocking;

    /** Created by Pekko Persistence from the plugin configuration. */
    public RocksSnapshotStore() {
        RocksDbNode node = RocksDbNode.get(context().system());
        this.db = node.db();
        this.snapshots = node.columnFamily(SnapshotFormat.SNAPSHOTS_CF);
        this.serialization = SerializationExtension.get(context().system());
        this.cipher = Encryption.get(context().system()).cipher();
        this.gate = DbGate.get(context().system());
        // The plugin dispatcher (plugin-dispatcher in the plugin configuration).
        this.blocking = context().dispatcher();
    }

    @Override
    public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
        return Async.toScala(Async.supply(blocking, () -> load(persistenceId, criteria)));
    }

    @Override
    public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
        return Async.toScala(Async.supply(blocking, () -> save(metadata, snapshot)));
    }

    @Override
    public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
        return Async.toScala(Async.supply(blocking, () -> {
            String pid = metadata.persistenceId();
            if (Keys.isValidId(pid)) {
                byte[] key = idKey(utf8(pid), metadata.sequenceNr());
                gate.access(STORE, () -> {
                    try (WriteOptions options = new WriteOptions().setSync(true)) {
                        db.delete(snapshots, options, key);
                    } catch (RocksDBException e) {
                        throw new RocksStoreException(STORE + ": cannot delete " + Keys.describe(key), e);
                    }
                    return null;
                });
            }
            return null;
        }));
    }

    @Override
    public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
        return Async.toScala(Async.supply(blocking, () -> {
            if (Keys.isValidId(persistenceId)) {
                gate.access(STORE, () -> deleteMatching(persistenceId, criteria));
            }
            return null;
        }));
    }

    private Void save(SnapshotMetadata metadata, Object snapshot) {
        String pid = metadata.persistenceId();
        if (!Keys.isValidId(pid)) {
            throw new IllegalArgumentException(
                    "persistence id must be non-empty and must not contain NUL (0x00): '" + pid + "'");
        }
        byte[] key = idKey(utf8(pid), metadata.sequenceNr());
        byte[] value;
        try {
            SerializedForm data = SerializedForm.of(serialization, new Snapshot(snapshot));
            Optional<SerializedForm> extra = metadata.metadata().isDefined()
                    ? Optional.of(
                            SerializedForm.of(serialization, metadata.metadata().get()))
                    : Optional.empty();
            value = SnapshotFormat.encode(key, metadata.timestamp(), data, extra, cipher);
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    STORE + ": cannot serialize the snapshot of '" + pid + "' at " + metadata.sequenceNr(), e);
        }
        return gate.access(STORE, () -> {
            try (WriteOptions options = new WriteOptions().setSync(true)) {
                synchronized (WRITES) {
                    db.put(snapshots, options, key, value);
                }
            } catch (RocksDBException e) {
                throw new RocksStoreException(STORE + ": cannot write " + Keys.describe(key), e);
            }
            return null;
        });
    }

    private Optional<SelectedSnapshot> load(String persistenceId, SnapshotSelectionCriteria criteria) {
        if (!Keys.isValidId(persistenceId) || criteria.maxSequenceNr() < criteria.minSequenceNr()) {
            return Optional.empty();
        }
        byte[] pid = utf8(persistenceId);
        return gate.access(STORE, () -> {
            try (Slice lower = new Slice(idKey(pid, Math.max(criteria.minSequenceNr(), 0L)));
                    ReadOptions options = new ReadOptions().setIterateLowerBound(lower);
                    RocksIterator it = db.newIterator(snapshots, options)) {
                // Youngest first: from the highest allowed sequence number downwards.
                for (it.seekForPrev(idKey(pid, criteria.maxSequenceNr())); it.isValid(); it.prev()) {
                    Optional<SelectedSnapshot> selected = select(persistenceId, criteria, it.key(), it.value());
                    if (selected.isPresent()) {
                        return selected;
                    }
                }
                try {
                    it.status();
                } catch (RocksDBException e) {
                    throw new RocksStoreException(
                            STORE + ": cannot iterate the snapshots of '" + persistenceId + "'", e);
                }
            }
            return Optional.empty();
        });
    }

    /** The snapshot at {@code key} if it matches and can be read; logs and skips it if unreadable. */
    private Optional<SelectedSnapshot> select(
            String persistenceId, SnapshotSelectionCriteria criteria, byte[] key, byte[] value) {
        long sequenceNr = Keys.trailingLong(key);
        try {
            SnapshotFormat.Stored stored = SnapshotFormat.decode(key, value, cipher);
            SnapshotMetadata candidate = new SnapshotMetadata(persistenceId, sequenceNr, stored.timestamp());
            if (!criteria.matches(candidate)) {
                return Optional.empty();
            }
            Snapshot snapshot = (Snapshot) stored.snapshot().deserialize(serialization);
            SnapshotMetadata metadata = stored.metadata().isPresent()
                    ? new SnapshotMetadata(
                            persistenceId,
                            sequenceNr,
                            stored.timestamp(),
                            Option.apply(stored.metadata().get().deserialize(serialization)))
                    : candidate;
            return Optional.of(SelectedSnapshot.create(metadata, snapshot.data()));
        } catch (Exception e) {
            log.warn(
                    "Cannot read the snapshot of '{}' at sequence number {}; trying an older one",
                    persistenceId,
                    sequenceNr,
                    e);
            return Optional.empty();
        }
    }

    private Void deleteMatching(String persistenceId, SnapshotSelectionCriteria criteria) {
        if (criteria.maxSequenceNr() < criteria.minSequenceNr()) {
            return null;
        }
        byte[] pid = utf8(persistenceId);
        try (Slice upper = new Slice(Keys.upperBound(pid, criteria.maxSequenceNr()));
                ReadOptions readOptions = new ReadOptions().setIterateUpperBound(upper);
                RocksIterator it = db.newIterator(snapshots, readOptions);
                WriteBatch batch = new WriteBatch();
                WriteOptions writeOptions = new WriteOptions().setSync(true)) {
            int count = 0;
            for (it.seek(idKey(pid, Math.max(criteria.minSequenceNr(), 0L))); it.isValid(); it.next()) {
                long timestamp;
                try {
                    timestamp = SnapshotFormat.timestamp(it.value());
                } catch (RuntimeException e) {
                    // Unreadable, so it can never be loaded: matching by sequence number is enough.
                    timestamp = criteria.minTimestamp();
                }
                if (criteria.matches(new SnapshotMetadata(persistenceId, Keys.trailingLong(it.key()), timestamp))) {
                    batch.delete(snapshots, it.key());
                    count++;
                }
            }
            it.status();
            if (count > 0) {
                synchronized (WRITES) {
                    db.write(writeOptions, batch);
                }
            }
            return null;
        } catch (RocksDBException e) {
            throw new RocksStoreException(
                    STORE + ": cannot delete the snapshots of '" + persistenceId + "' matching " + criteria, e);
        }
    }

    /**
     * Rewrites, in batches of up to {@code batchSize}, every snapshot value of {@code node} that is
     * not sealed under {@code cipher}'s active key. Each value is re-read under the write lock and
     * put only if unchanged, so a save or delete in between wins. Does nothing with encryption off.
     *
     * @param afterBatch gets the number rewritten so far after each batch; false stops the pass
     * @return the number of values rewritten
     */
    public static long reencrypt(RocksDbNode node, ValueCipher cipher, int batchSize, LongPredicate afterBatch) {
        if (!cipher.enabled()) {
            return 0;
        }
        RocksDB db = node.db();
        ColumnFamilyHandle snapshots = node.columnFamily(SnapshotFormat.SNAPSHOTS_CF);
        long rewritten = 0;
        java.util.List<byte[]> stale = new java.util.ArrayList<>();
        try (ReadOptions options = new ReadOptions().setFillCache(false);
                RocksIterator it = db.newIterator(snapshots, options)) {
            for (it.seekToFirst(); ; it.next()) {
                boolean end = !it.isValid();
                if (!end && !SnapshotFormat.isCurrent(it.value(), cipher)) {
                    stale.add(it.key());
                }
                if (stale.size() == batchSize || (end && !stale.isEmpty())) {
                    rewritten += rewrite(db, snapshots, cipher, stale);
                    stale.clear();
                    if (!afterBatch.test(rewritten)) {
                        return rewritten;
                    }
                }
                if (end) {
                    it.status();
                    return rewritten;
                }
            }
        } catch (RocksDBException e) {
            throw new RocksStoreException(STORE + ": cannot re-encrypt the snapshots", e);
        }
    }

    private static int rewrite(
            RocksDB db, ColumnFamilyHandle snapshots, ValueCipher cipher, java.util.List<byte[]> keys)
            throws RocksDBException {
        int done = 0;
        synchronized (WRITES) {
            try (WriteBatch batch = new WriteBatch();
                    WriteOptions options = new WriteOptions().setSync(true)) {
                for (byte[] key : keys) {
                    byte[] value = db.get(snapshots, key);
                    if (value != null && !SnapshotFormat.isCurrent(value, cipher)) {
                        batch.put(snapshots, key, SnapshotFormat.reseal(key, value, cipher));
                        done++;
                    }
                }
                if (done > 0) {
                    db.write(options, batch);
                }
            }
        }
        return done;
    }
}

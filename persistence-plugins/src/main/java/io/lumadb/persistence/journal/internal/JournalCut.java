package io.lumadb.persistence.journal.internal;

import static io.lumadb.persistence.journal.internal.JournalFormat.eventKey;
import static io.lumadb.persistence.journal.internal.JournalFormat.highestKey;
import static io.lumadb.persistence.rocksdb.internal.Keys.longBytes;
import static io.lumadb.persistence.rocksdb.internal.Keys.readLong;
import static io.lumadb.persistence.rocksdb.internal.Keys.utf8;

import io.lumadb.persistence.crypto.ValueCipher;
import io.lumadb.persistence.journal.JournalContents;
import io.lumadb.persistence.journal.JournalContents.PersistenceIdEvents;
import io.lumadb.persistence.rocksdb.RocksStoreException;
import io.lumadb.persistence.rocksdb.internal.Keys;
import io.lumadb.persistence.snapshot.internal.SnapshotFormat;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.pekko.serialization.Serialization;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Reads the whole embedded journal (events, meta, snapshot keys) of one consistent database, and
 * cuts persistence ids back to a sequence number. Used by backups (the position of a checkpoint)
 * and by the point-in-time restore a node applies at start, before any journal or snapshot actor
 * runs: nothing else may write the database meanwhile.
 *
 * <p>A cut of a persistence id {@code p} at {@code k} deletes, in one synced {@code WriteBatch}:
 * the events of {@code p} above {@code k}, the tag-index entries that point at them, the snapshots
 * of {@code p} above {@code k}, and sets {@code p}'s highest sequence number to {@code k}, so the
 * entity writes {@code k+1} next. The global ordering counter is left as it is: orderings are never
 * handed out twice, and a gap in them is harmless to readers (retention makes gaps too). Applying
 * the same cut twice changes nothing the second time.
 */
public final class JournalCut {

    private static final String STORE = "journal cut";

    /** The column families a scan or a cut works on. */
    public record Families(
            ColumnFamilyHandle journal,
            ColumnFamilyHandle meta,
            ColumnFamilyHandle tags,
            ColumnFamilyHandle snapshots) {}

    /** The names of the column families of {@link Families}, in its order. */
    public static final java.util.List<String> FAMILY_NAMES = java.util.List.of(
            JournalFormat.JOURNAL_CF, JournalFormat.META_CF, JournalFormat.TAGS_CF, SnapshotFormat.SNAPSHOTS_CF);

    private JournalCut() {}

    /** Reads each event's timestamp, opening the event if it is sealed. */
    public static Function<byte[][], Long> timestamps(Serialization serialization, ValueCipher cipher) {
        return kv -> {
            try {
                return JournalFormat.reprOf(kv[0], kv[1], serialization, cipher).timestamp();
            } catch (Exception e) {
                throw new RocksStoreException(
                        STORE + ": cannot read the timestamp of event " + Keys.describe(kv[0]) + ": " + e.getMessage(),
                        e);
            }
        };
    }

    /**
     * Reads the journal of {@code db}.
     *
     * @param timestamps reads an event's timestamp from {key, value}; null: timestamps are not read
     *     (except the newest event's, when {@code newest} is given)
     * @param newest reads the newest event's timestamp when {@code timestamps} is null; may be null
     */
    public static JournalContents scan(
            RocksDB db, Families cf, Function<byte[][], Long> timestamps, Function<byte[][], Long> newest) {
        Map<String, Builder> byPid = new TreeMap<>();
        long maxOrdering = 0;
        byte[][] newestEvent = null;
        try (ReadOptions options = new ReadOptions().setFillCache(false)) {
            try (RocksIterator it = db.newIterator(cf.journal(), options)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    byte[] value = it.value();
                    String pid = Keys.leadingId(key);
                    long seq = Keys.trailingLong(key);
                    long ordering = JournalFormat.orderingOf(value);
                    long ts = timestamps == null ? 0 : timestamps.apply(new byte[][] {key, value});
                    byPid.computeIfAbsent(pid, Builder::new).add(seq, ordering, ts);
                    if (ordering >= maxOrdering) {
                        maxOrdering = ordering;
                        newestEvent = new byte[][] {key, value};
                    }
                }
                it.status();
            }
            try (RocksIterator it = db.newIterator(cf.meta(), options)) {
                for (it.seek(JournalFormat.highestKeyPrefix()); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    if (key.length == 0 || (key[0] != 0x01 && key[0] != 0x02)) {
                        break;
                    }
                    String pid = new String(key, 1, key.length - 1, java.nio.charset.StandardCharsets.UTF_8);
                    Builder b = byPid.computeIfAbsent(pid, Builder::new);
                    if (key[0] == 0x01) {
                        b.highest = readLong(it.value());
                    } else {
                        b.deletedTo = readLong(it.value());
                    }
                }
                it.status();
            }
            try (RocksIterator it = db.newIterator(cf.snapshots(), options)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    byPid.computeIfAbsent(Keys.leadingId(key), Builder::new).snapshot(Keys.trailingLong(key));
                }
                it.status();
            }
            long counter = readLong(db.get(cf.meta(), JournalFormat.ORDERING_KEY));
            long newestTs = 0;
            if (newestEvent != null) {
                Function<byte[][], Long> read = timestamps != null ? timestamps : newest;
                newestTs = read == null ? 0 : read.apply(newestEvent);
            }
            Map<String, PersistenceIdEvents> out = new HashMap<>();
            byPid.forEach((pid, b) -> out.put(pid, b.build(timestamps != null)));
            return new JournalContents(counter, newestTs, out);
        } catch (RocksDBException e) {
            throw new RocksStoreException(STORE + ": cannot read the journal", e);
        }
    }

    /**
     * Cuts every persistence id of {@code keepTo} at its sequence number (see the class comment),
     * and deletes every snapshot of the ids in {@code dropSnapshots}.
     *
     * @return per persistence id, the number of events deleted
     */
    public static Map<String, Integer> apply(
            RocksDB db, Families cf, JournalContents contents, Map<String, Long> keepTo, Set<String> dropSnapshots) {
        Map<String, Integer> removed = new TreeMap<>();
        try (WriteBatch batch = new WriteBatch();
                WriteOptions options = new WriteOptions().setSync(true);
                ReadOptions read = new ReadOptions().setFillCache(false)) {
            for (Map.Entry<String, Long> cut : keepTo.entrySet()) {
                String pid = cut.getKey();
                long keep = cut.getValue();
                if (keep < 0) {
                    throw new IllegalArgumentException("cannot cut '" + pid + "' at " + keep);
                }
                PersistenceIdEvents events = contents.persistenceIds().get(pid);
                byte[] id = utf8(pid);
                batch.deleteRange(cf.journal(), eventKey(id, keep + 1), Keys.prefixEnd(id));
                batch.deleteRange(cf.snapshots(), Keys.idKey(id, keep + 1), Keys.prefixEnd(id));
                if (events == null || events.highest() > keep) {
                    batch.put(cf.meta(), highestKey(id), longBytes(keep));
                }
                removed.put(pid, events == null ? 0 : events.countAbove(keep));
            }
            for (String pid : dropSnapshots) {
                byte[] id = utf8(pid);
                batch.deleteRange(cf.snapshots(), Keys.idKey(id, 0), Keys.prefixEnd(id));
            }
            // Tag entries point at event keys: drop those whose event is cut.
            try (RocksIterator it = db.newIterator(cf.tags(), read)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] eventKey = it.value();
                    if (eventKey.length < 9 || eventKey[eventKey.length - 9] != 0) {
                        continue;
                    }
                    Long keep = keepTo.get(Keys.leadingId(eventKey));
                    if (keep != null && Keys.trailingLong(eventKey) > keep) {
                        batch.delete(cf.tags(), it.key());
                    }
                }
                it.status();
            }
            db.write(options, batch);
            return removed;
        } catch (RocksDBException e) {
            throw new RocksStoreException(STORE + ": cannot cut the journal of " + keepTo.keySet(), e);
        }
    }

    private static final class Builder {
        final String pid;
        long highest;
        long deletedTo;
        long[] seqs = new long[4];
        long[] orderings = new long[4];
        long[] timestamps = new long[4];
        int n;
        long[] snapshots = new long[0];

        Builder(String pid) {
            this.pid = pid;
        }

        void add(long seq, long ordering, long ts) {
            if (n == seqs.length) {
                seqs = Arrays.copyOf(seqs, n * 2);
                orderings = Arrays.copyOf(orderings, n * 2);
                timestamps = Arrays.copyOf(timestamps, n * 2);
            }
            seqs[n] = seq;
            orderings[n] = ordering;
            timestamps[n] = ts;
            n++;
        }

        void snapshot(long seq) {
            snapshots = Arrays.copyOf(snapshots, snapshots.length + 1);
            snapshots[snapshots.length - 1] = seq;
        }

        PersistenceIdEvents build(boolean withTimestamps) {
            return new PersistenceIdEvents(
                    pid,
                    Math.max(highest, n == 0 ? 0 : seqs[n - 1]),
                    deletedTo,
                    Arrays.copyOf(seqs, n),
                    Arrays.copyOf(orderings, n),
                    withTimestamps ? Arrays.copyOf(timestamps, n) : null,
                    snapshots);
        }
    }
}

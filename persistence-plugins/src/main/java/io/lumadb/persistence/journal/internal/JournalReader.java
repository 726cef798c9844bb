package io.lumadb.persistence.journal.internal;

import static io.lumadb.persistence.journal.internal.JournalFormat.eventKey;
import static io.lumadb.persistence.rocksdb.internal.Keys.utf8;

import io.lumadb.persistence.rocksdb.RocksStoreException;
import io.lumadb.persistence.rocksdb.internal.DbGate;
import io.lumadb.persistence.rocksdb.internal.Keys;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * Blocking reads of the journal (layout in {@link JournalFormat}), for the journal's replays and
 * the read journal's pages. Every method blocks on RocksDB: call it on the plugin dispatcher. Reads
 * go through the {@link DbGate}, so they fail cleanly instead of touching a closed database.
 */
public final class JournalReader {

    private static final String STORE = "journal";

    private final RocksDB db;
    private final ColumnFamilyHandle journal;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle tags;
    private final Serialization serialization;
    private final io.lumadb.persistence.crypto.ValueCipher cipher;
    private final DbGate gate;

    /** A reader of {@code system}'s journal. */
    public JournalReader(ActorSystem system) {
        RocksDbNode node = RocksDbNode.get(system);
        this.db = node.db();
        this.journal = node.columnFamily(JournalFormat.JOURNAL_CF);
        this.meta = node.columnFamily(JournalFormat.META_CF);
        this.tags = node.columnFamily(JournalFormat.TAGS_CF);
        this.serialization = SerializationExtension.get(system);
        this.cipher = io.lumadb.persistence.crypto.Encryption.get(system).cipher();
        this.gate = DbGate.get(system);
    }

    /** A page of the tag index: the events found, and how far the index was read. */
    public record TagPage(List<EventEnvelope> events, long lastOrdering, int entriesRead) {
        public TagPage {
            events = List.copyOf(events);
        }
    }

    /**
     * Highest sequence number ever written for {@code persistenceId}, deletions notwithstanding; 0 if
     * none.
     */
    public long highestSequenceNr(String persistenceId) {
        if (!Keys.isValidId(persistenceId)) {
            return 0L;
        }
        byte[] key = JournalFormat.highestKey(utf8(persistenceId));
        return gate.access(STORE, () -> Keys.readLong(get(meta, key, "journal-meta", persistenceId)));
    }

    /** The highest ordering handed out so far, 0 if none. */
    public long maxOrdering() {
        return gate.access(
                STORE, () -> Keys.readLong(get(meta, JournalFormat.ORDERING_KEY, "journal-meta", "ordering")));
    }

    /**
     * Calls {@code callback} with the events of {@code persistenceId} from {@code from} to {@code to}
     * (inclusive), at most {@code max} of them, in sequence number order.
     *
     * @return the number of events replayed
     */
    public long replay(String persistenceId, long from, long to, long max, Consumer<PersistentRepr> callback) {
        if (max <= 0 || from > to || !Keys.isValidId(persistenceId)) {
            return 0L;
        }
        return gate.access(STORE, () -> {
            byte[] pid = utf8(persistenceId);
            long count = 0;
            try (Slice upper = new Slice(Keys.upperBound(pid, to));
                    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = db.newIterator(journal, options)) {
                for (it.seek(eventKey(pid, Math.max(from, 0L))); it.isValid() && count < max; it.next()) {
                    if (gate.isClosing()) {
                        throw gate.closed(STORE);
                    }
                    callback.accept(repr(it.key(), it.value()));
                    count++;
                }
                check(it, persistenceId);
            }
            return count;
        });
    }

    /**
     * Up to {@code max} events of {@code persistenceId} from {@code from} to {@code to} with their
     * orderings as offsets.
     */
    public List<EventEnvelope> eventsByPersistenceId(String persistenceId, long from, long to, int max) {
        if (max <= 0 || from > to || !Keys.isValidId(persistenceId)) {
            return List.of();
        }
        return gate.access(STORE, () -> {
            byte[] pid = utf8(persistenceId);
            List<EventEnvelope> page = new ArrayList<>();
            try (Slice upper = new Slice(Keys.upperBound(pid, to));
                    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = db.newIterator(journal, options)) {
                for (it.seek(eventKey(pid, Math.max(from, 0L))); it.isValid() && page.size() < max; it.next()) {
                    byte[] value = it.value();
                    page.add(envelope(repr(it.key(), value), JournalFormat.orderingOf(value)));
                }
                check(it, persistenceId);
            }
            return page;
        });
    }

    /**
     * Reads up to {@code max} entries of the index of {@code tag} with an ordering in {@code
     * (afterOrdering, toOrdering]} and returns the events they point to, skipping deleted ones.
     */
    public TagPage eventsByTag(String tag, long afterOrdering, long toOrdering, int max) {
        if (max <= 0 || afterOrdering >= toOrdering || !Keys.isValidId(tag)) {
            return new TagPage(List.of(), afterOrdering, 0);
        }
        return gate.access(STORE, () -> {
            byte[] tagBytes = utf8(tag);
            List<byte[]> eventKeys = new ArrayList<>();
            List<Long> orderings = new ArrayList<>();
            try (Slice upper = new Slice(Keys.upperBound(tagBytes, toOrdering));
                    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = db.newIterator(tags, options)) {
                for (it.seek(JournalFormat.tagKey(tagBytes, afterOrdering + 1));
                        it.isValid() && eventKeys.size() < max;
                        it.next()) {
                    orderings.add(Keys.trailingLong(it.key()));
                    eventKeys.add(it.value());
                }
                check(it, "tag " + tag);
            }
            if (eventKeys.isEmpty()) {
                return new TagPage(List.of(), afterOrdering, 0);
            }
            List<byte[]> values;
            try {
                values = db.multiGetAsList(Collections.nCopies(eventKeys.size(), journal), eventKeys);
            } catch (RocksDBException e) {
                throw new RocksStoreException(
                        STORE
                                + ": cannot read the "
                                + eventKeys.size()
                                + " events of tag '"
                                + tag
                                + "' after ordering "
                                + afterOrdering,
                        e);
            }
            List<EventEnvelope> events = new ArrayList<>(values.size());
            for (int i = 0; i < values.size(); i++) {
                byte[] value = values.get(i);
                // A value whose ordering differs belongs to an event that was deleted and then
                // written again under the same sequence number; the index entry is stale.
                if (value != null && JournalFormat.orderingOf(value) == orderings.get(i)) {
                    events.add(envelope(repr(eventKeys.get(i), value), orderings.get(i)));
                }
            }
            return new TagPage(events, orderings.getLast(), eventKeys.size());
        });
    }

    /**
     * Up to {@code max} persistence ids that sort after {@code after} ({@code null}: from the first).
     */
    public List<String> persistenceIds(String after, int max) {
        return gate.access(STORE, () -> {
            List<String> ids = new ArrayList<>();
            byte[] start = after == null ? JournalFormat.highestKeyPrefix() : JournalFormat.highestKey(utf8(after));
            try (Slice upper = new Slice(JournalFormat.highestKeyEnd());
                    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = db.newIterator(meta, options)) {
                for (it.seek(start); it.isValid() && ids.size() < max; it.next()) {
                    byte[] key = it.key();
                    if (after != null && Arrays.equals(key, start)) {
                        continue;
                    }
                    ids.add(JournalFormat.persistenceIdOfHighestKey(key));
                }
                check(it, "persistence ids");
            }
            return ids;
        });
    }

    private PersistentRepr repr(byte[] key, byte[] value) {
        try {
            return JournalFormat.reprOf(key, value, serialization, cipher);
        } catch (Exception e) {
            throw new RocksStoreException(STORE + ": cannot deserialize the event at key " + Keys.describe(key), e);
        }
    }

    private static EventEnvelope envelope(PersistentRepr repr, long ordering) {
        return new EventEnvelope(
                Offset.sequence(ordering),
                repr.persistenceId(),
                repr.sequenceNr(),
                repr.payload(),
                repr.timestamp(),
                repr.metadata());
    }

    private byte[] get(ColumnFamilyHandle cf, byte[] key, String cfName, String what) {
        try {
            return db.get(cf, key);
        } catch (RocksDBException e) {
            throw new RocksStoreException(STORE + ": cannot read " + cfName + " key of " + what, e);
        }
    }

    private static void check(RocksIterator it, String what) {
        try {
            it.status();
        } catch (RocksDBException e) {
            throw new RocksStoreException(STORE + ": cannot iterate the keys of " + what, e);
        }
    }
}

package io.lumadb.persistence.journal.internal;

import static io.lumadb.persistence.journal.internal.JournalFormat.deletedToKey;
import static io.lumadb.persistence.journal.internal.JournalFormat.eventKey;
import static io.lumadb.persistence.journal.internal.JournalFormat.highestKey;
import static io.lumadb.persistence.rocksdb.internal.Keys.longBytes;
import static io.lumadb.persistence.rocksdb.internal.Keys.readLong;
import static io.lumadb.persistence.rocksdb.internal.Keys.upperBound;
import static io.lumadb.persistence.rocksdb.internal.Keys.utf8;

import com.typesafe.config.Config;
import io.lumadb.persistence.crypto.Encryption;
import io.lumadb.persistence.crypto.ValueCipher;
import io.lumadb.persistence.journal.JournalChanges;
import io.lumadb.persistence.rocksdb.RocksStoreException;
import io.lumadb.persistence.rocksdb.StorageHealth;
import io.lumadb.persistence.rocksdb.internal.Keys;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.persistence.rocksdb.internal.SerializedForm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.LongPredicate;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The write side of the journal, one per actor system (and so per RocksDB), shared by every journal
 * actor: a plugin actor that restarts, or a second plugin id on the same class, must not get a
 * second writer, a second ordering counter or a second view of the highest sequence numbers.
 *
 * <p>Group commit: callers serialize on their own thread ({@link #prepare}) and enqueue; one writer
 * thread takes everything queued (up to {@code max-group-size} requests), applies it to a single
 * {@link WriteBatch} and writes it with {@code sync = true}: one fsync of the WAL covers every
 * request that arrived while the previous fsync ran. Requests are applied in queue order, which
 * keeps the order of each persistence id. The writer starts with the first request and is stopped
 * (after committing what is queued) before the RocksDB closes.
 *
 * <p>The only reads on the writer thread are two point lookups in the meta column family per delete
 * request (the highest and deleted-to sequence numbers, unless the same group already holds them);
 * writes never read.
 *
 * <p>Every commit reports to the node's {@link StorageHealth}: a commit that fails for an I/O fault
 * (a full disk above all) marks the storage unwritable until a write succeeds again, and the
 * journal's writer thread dying marks it unwritable for good.
 */
public final class JournalStore implements Extension {

    private static final Logger log = LoggerFactory.getLogger(JournalStore.class);
    private static final String STORE = "journal";

    static final class Id extends AbstractExtensionId<JournalStore> {
        static final Id INSTANCE = new Id();

        private Id() {}

        @Override
        public JournalStore createExtension(ExtendedActorSystem system) {
            Config config = system.settings().config().getConfig("lumadb.persistence.journal");
            return new JournalStore(
                    RocksDbNode.get(system),
                    SerializationExtension.get(system),
                    JournalChanges.get(system),
                    Encryption.get(system).cipher(),
                    config.getInt("max-group-size"),
                    config.getDuration("stop-timeout"));
        }
    }

    /** The journal's writer of {@code system}. */
    public static JournalStore get(ActorSystem system) {
        return Id.INSTANCE.get(system);
    }

    /** One event, serialized, with its ordering still to be filled in by the writer. */
    public record PreparedEvent(long sequenceNr, byte[] value, List<String> tags) {
        public PreparedEvent {
            tags = List.copyOf(tags);
        }
    }

    /** One AtomicWrite, serialized: all of its events are committed together or not at all. */
    public record PreparedWrite(String persistenceId, List<PreparedEvent> events) {
        public PreparedWrite {
            events = List.copyOf(events);
        }
    }

    private sealed interface Request permits Write, Delete, Rewrite, Stop {}

    private record Write(List<PreparedWrite> writes, CompletableFuture<Void> done) implements Request {}

    private record Delete(String persistenceId, long toSequenceNr, CompletableFuture<Void> done) implements Request {}

    /** Re-encrypted values: each is put only if its key still holds {@code expected}. */
    private record Rewrite(
            List<byte[]> keys, List<byte[]> expected, List<byte[]> values, CompletableFuture<Integer> done)
            implements Request {}

    private enum Stop implements Request {
        INSTANCE
    }

    private final RocksDB db;
    private final ColumnFamilyHandle journal;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle tags;
    private final Serialization serialization;
    private final JournalChanges changes;
    private final ValueCipher cipher;
    private final StorageHealth health;
    private final int maxGroupSize;
    private final Duration stopTimeout;

    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final Object lifecycle = new Object();
    private boolean stopped; // guarded by lifecycle
    private Thread writer; // guarded by lifecycle

    // Confined to the writer thread once it runs (Thread.start publishes the restored value).
    private long ordering;

    private JournalStore(
            RocksDbNode node,
            Serialization serialization,
            JournalChanges changes,
            ValueCipher cipher,
            int maxGroupSize,
            Duration stopTimeout) {
        if (maxGroupSize < 1) {
            throw new IllegalArgumentException("max-group-size must be at least 1, was " + maxGroupSize);
        }
        this.db = node.db();
        this.journal = node.columnFamily(JournalFormat.JOURNAL_CF);
        this.meta = node.columnFamily(JournalFormat.META_CF);
        this.tags = node.columnFamily(JournalFormat.TAGS_CF);
        this.serialization = serialization;
        this.changes = changes;
        this.cipher = cipher;
        this.health = node.storageHealth();
        this.maxGroupSize = maxGroupSize;
        this.stopTimeout = stopTimeout;
        try {
            this.ordering = readLong(db.get(meta, JournalFormat.ORDERING_KEY));
        } catch (RocksDBException e) {
            throw new RocksStoreException(
                    STORE + ": cannot read the ordering counter (journal-meta key 'ordering')", e);
        }
        changes.restoredOrdering(ordering);
        node.beforeClose(this::stop);
    }

    /**
     * Serializes an AtomicWrite on the caller's thread, unwrapping {@link Tagged} payloads.
     *
     * @throws Exception when the write must be rejected: invalid persistence id or tag, or a payload
     *     that cannot be serialized
     */
    public PreparedWrite prepare(AtomicWrite write) throws Exception {
        String pid = write.persistenceId();
        if (!Keys.isValidId(pid)) {
            throw new IllegalArgumentException(
                    "persistence id must be non-empty and must not contain NUL (0x00): '" + pid + "'");
        }
        List<PreparedEvent> events = new ArrayList<>(write.size());
        long now = System.currentTimeMillis();
        for (PersistentRepr event : CollectionConverters.asJava(write.payload())) {
            PersistentRepr repr = event;
            List<String> eventTags = List.of();
            if (repr.payload() instanceof Tagged tagged) {
                eventTags = List.copyOf(CollectionConverters.asJava(tagged.tags()));
                for (String tag : eventTags) {
                    if (!Keys.isValidId(tag)) {
                        throw new IllegalArgumentException("tag must be non-empty and must not contain NUL (0x00): '"
                                + tag
                                + "' (persistence id '"
                                + pid
                                + "')");
                    }
                }
                repr = repr.withPayload(tagged.payload());
            }
            if (repr.timestamp() == 0L) {
                repr = repr.withTimestamp(now);
            }
            byte[] value = JournalFormat.eventValue(
                    SerializedForm.of(serialization, repr), cipher, eventKey(utf8(pid), repr.sequenceNr()));
            events.add(new PreparedEvent(repr.sequenceNr(), value, eventTags));
        }
        return new PreparedWrite(pid, events);
    }

    /** Commits {@code writes} durably, all of them in the same group. */
    public CompletableFuture<Void> write(List<PreparedWrite> writes) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        enqueue(new Write(List.copyOf(writes), done), done);
        return done;
    }

    /**
     * Deletes the events of {@code persistenceId} up to {@code toSequenceNr}, after every write
     * queued before.
     */
    public CompletableFuture<Void> deleteTo(String persistenceId, long toSequenceNr) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        enqueue(new Delete(persistenceId, toSequenceNr, done), done);
        return done;
    }

    /**
     * Rewrites, in batches of up to {@code batchSize}, every event value that is not sealed under
     * the active key (sealed under an older key, or written in clear before encryption was turned
     * on), keeping its ordering. Values are read and re-sealed on the calling thread; the writer
     * thread puts each only if its key still holds the value that was read, in a group of its own
     * between other requests, so a delete that came in between wins and writes wait at most one
     * batch. Does nothing with encryption off.
     *
     * @param afterBatch gets the number of values rewritten so far after each batch (and may
     *     pause); returning false stops the pass
     * @return the number of values rewritten
     */
    public long reencrypt(int batchSize, LongPredicate afterBatch) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
        }
        if (!cipher.enabled()) {
            return 0;
        }
        long rewritten = 0;
        byte[] after = null;
        while (true) {
            List<byte[]> keys = new ArrayList<>();
            List<byte[]> expected = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            boolean more = false;
            try (ReadOptions options = new ReadOptions().setFillCache(false);
                    RocksIterator it = db.newIterator(journal, options)) {
                int looked = 0;
                for (seekAfter(it, after); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    if (after != null && java.util.Arrays.equals(key, after)) {
                        continue;
                    }
                    byte[] value = it.value();
                    after = key;
                    if (!JournalFormat.isCurrent(value, cipher)) {
                        keys.add(key);
                        expected.add(value);
                        values.add(JournalFormat.reseal(key, value, cipher));
                    }
                    if (keys.size() == batchSize || ++looked == 16 * batchSize) {
                        more = true;
                        break;
                    }
                }
                it.status();
            } catch (RocksDBException e) {
                throw new RocksStoreException(STORE + ": cannot scan the journal for re-encryption", e);
            }
            if (!keys.isEmpty()) {
                CompletableFuture<Integer> done = new CompletableFuture<>();
                enqueue(new Rewrite(keys, expected, values, done), done);
                rewritten += done.join();
                if (!afterBatch.test(rewritten)) {
                    return rewritten;
                }
            }
            if (!more) {
                return rewritten;
            }
        }
    }

    private static void seekAfter(RocksIterator it, byte[] after) {
        if (after == null) {
            it.seekToFirst();
        } else {
            it.seek(after);
        }
    }

    /** Requests waiting for the writer, for tests. */
    public int queued() {
        return queue.size();
    }

    private void enqueue(Request request, CompletableFuture<?> done) {
        synchronized (lifecycle) {
            if (stopped) {
                done.completeExceptionally(new RocksStoreException(STORE + ": the journal is stopped", null));
                return;
            }
            if (writer == null) {
                writer = Thread.ofPlatform()
                        .name("lumadb-journal-writer")
                        .daemon(true)
                        .unstarted(this::run);
                writer.start();
            }
            queue.add(request);
        }
    }

    /** Commits what is queued, then stops the writer. Runs before the RocksDB closes. */
    private void stop() {
        Thread thread;
        synchronized (lifecycle) {
            if (stopped) {
                return;
            }
            stopped = true;
            thread = writer;
            if (thread == null) {
                return;
            }
            queue.add(Stop.INSTANCE);
        }
        try {
            thread.join(stopTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("Journal writer did not stop within {}; interrupting it", stopTimeout);
            thread.interrupt();
        }
    }

    private void run() {
        List<Request> group = new ArrayList<>();
        try {
            while (true) {
                group.add(queue.take());
                queue.drainTo(group, maxGroupSize - 1);
                int stop = group.indexOf(Stop.INSTANCE);
                if (stop >= 0) {
                    // Nothing can be queued behind Stop: enqueue() refuses once stopped is set.
                    commitAround(group.subList(0, stop));
                    return;
                }
                commitAround(group);
                group.clear();
            }
        } catch (InterruptedException e) {
            shutDownAfterFailure(group, new RocksStoreException(STORE + ": the journal writer was interrupted", e));
        } catch (RuntimeException | Error e) {
            log.error("Journal writer died", e);
            health.failedForGood("the journal writer died: " + e);
            shutDownAfterFailure(group, new RocksStoreException(STORE + ": the journal writer died", e));
            throw e;
        }
    }

    /** Without a writer nothing can commit: refuse new requests and fail the waiting ones. */
    private void shutDownAfterFailure(List<Request> group, RocksStoreException failure) {
        List<Request> rest = new ArrayList<>(group);
        synchronized (lifecycle) {
            stopped = true;
            queue.drainTo(rest);
        }
        failAll(rest, failure);
    }

    /** Commits the group, each re-encryption request by itself at its place in the queue order. */
    private void commitAround(List<Request> group) {
        int from = 0;
        for (int i = 0; i < group.size(); i++) {
            if (group.get(i) instanceof Rewrite rewrite) {
                commit(group.subList(from, i));
                rewrite(rewrite);
                from = i + 1;
            }
        }
        commit(group.subList(from, group.size()));
    }

    private void rewrite(Rewrite r) {
        int done = 0;
        try (WriteBatch batch = new WriteBatch();
                WriteOptions options = new WriteOptions().setSync(true)) {
            for (int i = 0; i < r.keys().size(); i++) {
                byte[] current = db.get(journal, r.keys().get(i));
                if (current != null
                        && java.util.Arrays.equals(current, r.expected().get(i))) {
                    batch.put(journal, r.keys().get(i), r.values().get(i));
                    done++;
                }
            }
            if (done > 0) {
                db.write(options, batch);
            }
        } catch (RocksDBException | RuntimeException e) {
            health.writeFailed(e);
            r.done()
                    .completeExceptionally(new RocksStoreException(
                            STORE + ": cannot re-encrypt " + r.keys().size() + " events", e));
            return;
        }
        health.writeSucceeded();
        r.done().complete(done);
    }

    private void commit(List<Request> group) {
        if (group.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        long orderingBefore = ordering;
        Map<String, Long> highest = new HashMap<>();
        Map<String, Long> deletedTo = new HashMap<>();
        Set<String> pidsWritten = new HashSet<>();
        Set<String> tagsWritten = new HashSet<>();
        List<CompletableFuture<Void>> committed = new ArrayList<>(group.size());
        int atomicWrites = 0;
        int events = 0;
        try (WriteBatch batch = new WriteBatch();
                WriteOptions options = new WriteOptions().setSync(true)) {
            for (Request request : group) {
                switch (request) {
                    case Write w -> {
                        for (PreparedWrite write : w.writes()) {
                            byte[] pid = utf8(write.persistenceId());
                            for (PreparedEvent event : write.events()) {
                                long eventOrdering = ++ordering;
                                JournalFormat.setOrdering(event.value(), eventOrdering);
                                byte[] key = eventKey(pid, event.sequenceNr());
                                batch.put(journal, key, event.value());
                                for (String tag : event.tags()) {
                                    batch.put(tags, JournalFormat.tagKey(utf8(tag), eventOrdering), key);
                                    tagsWritten.add(tag);
                                }
                                highest.merge(write.persistenceId(), event.sequenceNr(), Math::max);
                                events++;
                            }
                            pidsWritten.add(write.persistenceId());
                            atomicWrites++;
                        }
                        committed.add(w.done());
                    }
                    case Delete d -> {
                        if (addDelete(batch, d, highest, deletedTo)) {
                            committed.add(d.done());
                        }
                    }
                    case Rewrite r -> throw new IllegalStateException("Rewrite is committed by itself");
                    case Stop s -> throw new IllegalStateException("Stop is handled by the writer loop");
                }
            }
            for (Map.Entry<String, Long> entry : highest.entrySet()) {
                batch.put(meta, highestKey(utf8(entry.getKey())), longBytes(entry.getValue()));
            }
            for (Map.Entry<String, Long> entry : deletedTo.entrySet()) {
                batch.put(meta, deletedToKey(utf8(entry.getKey())), longBytes(entry.getValue()));
            }
            if (ordering != orderingBefore) {
                batch.put(meta, JournalFormat.ORDERING_KEY, longBytes(ordering));
            }
            db.write(options, batch);
        } catch (RocksDBException | RuntimeException e) {
            // Nothing of the batch is in the database: hand the orderings out again.
            ordering = orderingBefore;
            RocksStoreException failure = new RocksStoreException(
                    STORE
                            + ": cannot commit a group of "
                            + group.size()
                            + " requests (persistence ids "
                            + pidsWritten
                            + ")",
                    e);
            // Before the requesters hear of it, so that they already see the storage's condition.
            health.writeFailed(e);
            failAll(group, failure);
            return;
        }
        health.writeSucceeded();
        long nanos = System.nanoTime() - start;
        committed.forEach(done -> done.complete(null));
        if (events > 0) {
            changes.committed(pidsWritten, tagsWritten, ordering, nanos, atomicWrites, events);
        }
    }

    /**
     * Adds the deletion of {@code d} to the batch, or fails {@code d} if its meta data cannot be
     * read. Deletes events up to min(toSequenceNr, highest) with one range tombstone; the highest
     * sequence number stays.
     */
    private boolean addDelete(WriteBatch batch, Delete d, Map<String, Long> highest, Map<String, Long> deletedTo) {
        String pid = d.persistenceId();
        if (!Keys.isValidId(pid)) {
            // Nothing can have been written under such an id.
            return true;
        }
        byte[] pidBytes = utf8(pid);
        try {
            long high = highest.containsKey(pid) ? highest.get(pid) : readLong(db.get(meta, highestKey(pidBytes)));
            long deleted =
                    deletedTo.containsKey(pid) ? deletedTo.get(pid) : readLong(db.get(meta, deletedToKey(pidBytes)));
            long target = Math.min(d.toSequenceNr(), high);
            if (target > deleted) {
                batch.deleteRange(journal, eventKey(pidBytes, deleted + 1), upperBound(pidBytes, target));
                deletedTo.put(pid, target);
            }
            return true;
        } catch (RocksDBException e) {
            d.done()
                    .completeExceptionally(new RocksStoreException(
                            STORE + ": cannot read the highest / deleted-to sequence number of '" + pid + "'", e));
            return false;
        }
    }

    private static void failAll(List<Request> requests, RocksStoreException failure) {
        for (Request request : requests) {
            switch (request) {
                case Write w -> w.done().completeExceptionally(failure);
                case Delete d -> d.done().completeExceptionally(failure);
                case Rewrite r -> r.done().completeExceptionally(failure);
                case Stop s -> {}
            }
        }
    }
}

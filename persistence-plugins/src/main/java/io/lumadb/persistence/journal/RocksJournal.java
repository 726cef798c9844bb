package io.lumadb.persistence.journal;

import io.lumadb.persistence.journal.internal.JournalReader;
import io.lumadb.persistence.journal.internal.JournalStore;
import io.lumadb.persistence.rocksdb.internal.Async;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import scala.concurrent.Future;

/**
 * Pekko Persistence journal on the node's RocksDB (plugin id {@code lumadb.persistence.journal}).
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Each AtomicWrite is all-or-nothing (it goes into one RocksDB {@code WriteBatch}).
 *   <li>Success is reported only once the write is durable: the batch is written with {@code sync =
 *       true} (fsync of the WAL).
 *   <li>Group commit: the AtomicWrites of every WriteMessages that arrives while the previous fsync
 *       runs share the next batch and its single fsync; per persistence id the order of the
 *       requests is kept.
 *   <li>Rejection: an AtomicWrite whose persistence id or tag is empty or contains NUL (0x00), or
 *       whose payload cannot be serialized, is rejected on its own (nothing of it is written, the
 *       others are); a RocksDB failure fails the whole request.
 *   <li>The highest sequence number of a persistence id survives the deletion of its events.
 *   <li>Payloads wrapped in {@link org.apache.pekko.persistence.journal.Tagged} are stored
 *       unwrapped and indexed by tag for the read journal.
 * </ul>
 *
 * <p>Key layout: column family {@code journal}: UTF-8 persistenceId + 0x00 + 8-byte big-endian
 * sequenceNr → (version, 8-byte ordering, Pekko-serialized PersistentRepr); {@code journal-meta}:
 * highest sequence number and deleted-to per persistence id and the global ordering counter; {@code
 * journal-tags}: UTF-8 tag + 0x00 + 8-byte ordering → the event's key. The exact bytes are
 * documented in {@link io.lumadb.persistence.journal.internal.JournalFormat}.
 *
 * <p>Serialization runs on the journal actor's thread, the fsync on the shared writer thread, and
 * reads (replays, highest sequence number) on the plugin dispatcher. Commits are announced to
 * {@link JournalChanges}.
 */
public final class RocksJournal extends AsyncWriteJournal {

    private final JournalStore store;
    private final JournalReader reader;
    private final Executor blocking;

    /** Created by Pekko Persistence from the plugin configuration. */
    public RocksJournal() {
        this.store = JournalStore.get(context().system());
        this.reader = new JournalReader(context().system());
        // The plugin dispatcher: the actor runs on it (plugin-dispatcher), and so do its reads.
        this.blocking = context().dispatcher();
    }

    @Override
    public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
        List<Optional<Exception>> results = new ArrayList<>();
        List<JournalStore.PreparedWrite> accepted = new ArrayList<>();
        for (AtomicWrite write : messages) {
            try {
                accepted.add(store.prepare(write));
                results.add(Optional.empty());
            } catch (Exception e) {
                results.add(Optional.of(e));
            }
        }
        Iterable<Optional<Exception>> outcome = List.copyOf(results);
        if (accepted.isEmpty()) {
            return Futures.successful(outcome);
        }
        return Async.toScala(store.write(accepted).thenApply(ignored -> outcome));
    }

    @Override
    public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
        return Async.toScala(store.deleteTo(persistenceId, toSequenceNr));
    }

    @Override
    public Future<Void> doAsyncReplayMessages(
            String persistenceId,
            long fromSequenceNr,
            long toSequenceNr,
            long max,
            Consumer<PersistentRepr> replayCallback) {
        return Async.toScala(Async.supply(blocking, () -> {
            reader.replay(persistenceId, fromSequenceNr, toSequenceNr, max, replayCallback);
            return null;
        }));
    }

    @Override
    public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
        return Async.toScala(Async.supply(blocking, () -> reader.highestSequenceNr(persistenceId)));
    }
}

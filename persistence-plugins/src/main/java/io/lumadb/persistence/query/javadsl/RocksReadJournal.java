package io.lumadb.persistence.query.javadsl;

import com.typesafe.config.Config;
import io.lumadb.persistence.journal.JournalChanges;
import io.lumadb.persistence.journal.internal.JournalReader;
import io.lumadb.persistence.rocksdb.internal.Async;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.PersistenceIdsQuery;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Pekko Persistence Query over the RocksDB journal (Java API), plugin id {@value #Identifier}.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Offsets are {@link Offset#sequence} of the journal's global ordering, which grows in commit
 *       order; an offset passed to a tag query is exclusive (events strictly after it), {@link
 *       NoOffset} means from the beginning. Every envelope (also by persistence id) carries its
 *       ordering as offset.
 *   <li>{@code current...} queries end with what was committed when they started; live queries
 *       never end (unless a persistence id query reaches {@code toSequenceNr}) and are woken by the
 *       journal's commits through {@link JournalChanges}, so a new event is delivered within a page
 *       read of its commit; {@code refresh-interval} is only a safety net.
 *   <li>Events are read in pages of {@code page-size}, on demand (backpressure), on the plugin
 *       dispatcher. Deleted events are not delivered.
 *   <li>{@link #persistenceIds()} delivers every persistence id once: the existing ones, then new
 *       ones as they are first written (ids whose events were all deleted still count).
 * </ul>
 */
public final class RocksReadJournal
        implements EventsByPersistenceIdQuery,
                CurrentEventsByPersistenceIdQuery,
                PersistenceIdsQuery,
                CurrentPersistenceIdsQuery,
                EventsByTagQuery,
                CurrentEventsByTagQuery {

    /** The plugin id, for {@code PersistenceQuery.get(system).getReadJournalFor(...)}. */
    public static final String Identifier = "lumadb.persistence.query";

    private final JournalReader reader;
    private final JournalChanges changes;
    private final Executor blocking;
    private final long refreshMillis;
    private final int pageSize;

    /**
     * A read journal of {@code system}'s RocksDB, configured like {@code lumadb.persistence.query}.
     * Applications obtain it through {@code PersistenceQuery} instead.
     */
    public RocksReadJournal(ExtendedActorSystem system, Config config) {
        Duration refresh = config.getDuration("refresh-interval");
        int pages = config.getInt("page-size");
        if (refresh.isNegative() || refresh.isZero()) {
            throw new IllegalArgumentException("refresh-interval must be positive, was " + refresh);
        }
        if (pages < 1) {
            throw new IllegalArgumentException("page-size must be at least 1, was " + pages);
        }
        this.reader = new JournalReader(system);
        this.changes = JournalChanges.get(system);
        this.blocking = system.dispatchers().lookup(config.getString("dispatcher"));
        this.refreshMillis = refresh.toMillis();
        this.pageSize = pages;
    }

    // ---------------------------------------------------------------- events by persistence id

    /** Where a persistence id query stands: the next sequence number and the last one wanted. */
    private record PidCursor(long next, long to, boolean bounded) {}

    @Override
    public Source<EventEnvelope, NotUsed> eventsByPersistenceId(
            String persistenceId, long fromSequenceNr, long toSequenceNr) {
        return Source.unfoldAsync(
                        new PidCursor(Math.max(fromSequenceNr, 1L), toSequenceNr, true),
                        cursor -> pidPage(persistenceId, cursor, true))
                .mapConcat(page -> page);
    }

    @Override
    public Source<EventEnvelope, NotUsed> currentEventsByPersistenceId(
            String persistenceId, long fromSequenceNr, long toSequenceNr) {
        // Bounded on the first page by the highest sequence number at that moment.
        return Source.unfoldAsync(
                        new PidCursor(Math.max(fromSequenceNr, 1L), toSequenceNr, false),
                        cursor -> pidPage(persistenceId, cursor, false))
                .mapConcat(page -> page);
    }

    private CompletionStage<Optional<Pair<PidCursor, List<EventEnvelope>>>> pidPage(
            String persistenceId, PidCursor cursor, boolean live) {
        if (cursor.next() > cursor.to()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        // Registered before the read: a commit after the read is then sure to wake us.
        CompletableFuture<Void> wake = live ? changes.nextWriteOf(persistenceId) : null;
        Supplier<Pair<PidCursor, List<EventEnvelope>>> read = () -> {
            PidCursor bounded = cursor.bounded()
                    ? cursor
                    : new PidCursor(
                            cursor.next(), Math.min(cursor.to(), reader.highestSequenceNr(persistenceId)), true);
            List<EventEnvelope> page =
                    reader.eventsByPersistenceId(persistenceId, bounded.next(), bounded.to(), pageSize);
            PidCursor next =
                    page.isEmpty() ? bounded : new PidCursor(page.getLast().sequenceNr() + 1, bounded.to(), true);
            return Pair.create(next, page);
        };
        return readOrWait(read, wake, page -> !page.second().isEmpty())
                .thenApply(page -> page.second().isEmpty() && !live ? Optional.empty() : Optional.of(page));
    }

    // ---------------------------------------------------------------- events by tag

    /**
     * Where a tag query stands: the last ordering read and the last one wanted (-1: not known yet).
     */
    private record TagCursor(long after, long to) {}

    @Override
    public Source<EventEnvelope, NotUsed> eventsByTag(String tag, Offset offset) {
        return Source.unfoldAsync(
                        new TagCursor(orderingOf(offset), Long.MAX_VALUE), cursor -> tagPage(tag, cursor, true))
                .mapConcat(page -> page);
    }

    @Override
    public Source<EventEnvelope, NotUsed> currentEventsByTag(String tag, Offset offset) {
        // Bounded on the first page by the highest ordering at that moment.
        return Source.unfoldAsync(new TagCursor(orderingOf(offset), -1L), cursor -> tagPage(tag, cursor, false))
                .mapConcat(page -> page);
    }

    private CompletionStage<Optional<Pair<TagCursor, List<EventEnvelope>>>> tagPage(
            String tag, TagCursor cursor, boolean live) {
        if (cursor.to() >= 0 && cursor.after() >= cursor.to()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<Void> wake = live ? changes.nextWriteOfTag(tag) : null;
        Supplier<Pair<TagCursor, JournalReader.TagPage>> read = () -> {
            long to = cursor.to() >= 0 ? cursor.to() : reader.maxOrdering();
            JournalReader.TagPage page = reader.eventsByTag(tag, cursor.after(), to, pageSize);
            return Pair.create(new TagCursor(page.lastOrdering(), to), page);
        };
        return readOrWait(read, wake, page -> page.second().entriesRead() > 0)
                .thenApply(page -> page.second().entriesRead() == 0 && !live
                        ? Optional.empty()
                        : Optional.of(Pair.create(page.first(), page.second().events())));
    }

    private static long orderingOf(Offset offset) {
        if (offset == null || offset == NoOffset.getInstance()) {
            return 0L;
        }
        if (offset instanceof Sequence sequence) {
            return Math.max(sequence.value(), 0L);
        }
        throw new IllegalArgumentException(
                "the RocksDB read journal takes Offset.sequence(ordering) or NoOffset, not " + offset);
    }

    // ---------------------------------------------------------------- persistence ids

    @Override
    public Source<String, NotUsed> currentPersistenceIds() {
        return Source.unfoldAsync(Optional.<String>empty(), after -> {
                    if (after.isPresent() && after.get().isEmpty()) {
                        return CompletableFuture.completedFuture(Optional.empty());
                    }
                    return Async.unwrapped(Async.supply(blocking, () -> {
                        List<String> page = reader.persistenceIds(after.orElse(null), pageSize);
                        // "" marks the end: no persistence id is empty.
                        Optional<String> next = Optional.of(page.size() < pageSize ? "" : page.getLast());
                        return page.isEmpty() ? Optional.empty() : Optional.of(Pair.create(next, page));
                    }));
                })
                .mapConcat(page -> page);
    }

    private enum Phase {
        SCAN,
        TAIL
    }

    /**
     * Where a live persistence id query stands. SCAN pages through the meta data after {@code after};
     * TAIL follows the journal's commits after group {@code group}. {@code seen} (mutated, only ever
     * by the one step in progress) deduplicates.
     */
    private record IdsCursor(Phase phase, String after, long group, Set<String> seen) {}

    @Override
    public Source<String, NotUsed> persistenceIds() {
        return Source.unfoldAsync(new IdsCursor(Phase.SCAN, null, -1L, new HashSet<>()), this::idsStep)
                .mapConcat(page -> page);
    }

    private CompletionStage<Optional<Pair<IdsCursor, List<String>>>> idsStep(IdsCursor cursor) {
        if (cursor.phase() == Phase.SCAN) {
            // Taken before the first page is read: whatever commits later shows up in TAIL.
            long group = cursor.group() >= 0 ? cursor.group() : changes.committedGroups();
            return Async.unwrapped(Async.supply(blocking, () -> {
                List<String> page = reader.persistenceIds(cursor.after(), pageSize);
                List<String> fresh = new ArrayList<>();
                for (String id : page) {
                    if (cursor.seen().add(id)) {
                        fresh.add(id);
                    }
                }
                IdsCursor next = page.size() < pageSize
                        ? new IdsCursor(Phase.TAIL, null, group, cursor.seen())
                        : new IdsCursor(Phase.SCAN, page.getLast(), group, cursor.seen());
                return Optional.of(Pair.create(next, fresh));
            }));
        }
        CompletableFuture<Void> wake = changes.nextWrite();
        Optional<JournalChanges.PersistenceIdsWritten> written = changes.persistenceIdsWrittenAfter(cursor.group());
        if (written.isEmpty()) {
            // Fell too far behind the commits to know what they wrote: scan again.
            wake.cancel(false);
            return CompletableFuture.completedFuture(
                    Optional.of(Pair.create(new IdsCursor(Phase.SCAN, null, -1L, cursor.seen()), List.of())));
        }
        Set<String> fresh = new TreeSet<>(written.get().persistenceIds());
        fresh.removeAll(cursor.seen());
        cursor.seen().addAll(fresh);
        IdsCursor next = new IdsCursor(Phase.TAIL, null, written.get().upToGroup(), cursor.seen());
        if (!fresh.isEmpty()) {
            wake.cancel(false);
            return CompletableFuture.completedFuture(Optional.of(Pair.create(next, List.copyOf(fresh))));
        }
        return waitFor(wake).thenApply(ignored -> Optional.of(Pair.create(next, List.<String>of())));
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Reads on the plugin dispatcher. If the read found something, or the query is not live ({@code
     * wake == null}), that is the result; otherwise it waits for {@code wake} (a commit of interest)
     * or the refresh interval, and then yields the empty result: the stream emits an empty page and,
     * on demand, reads again. Waiting outside the stage rather than looping inside the future means a
     * cancelled stream stops reading at once.
     */
    private <T> CompletionStage<T> readOrWait(Supplier<T> read, CompletableFuture<Void> wake, Predicate<T> found) {
        CompletableFuture<T> result = Async.supply(blocking, read);
        if (wake == null) {
            return Async.unwrapped(result);
        }
        return Async.unwrapped(result.whenComplete((page, error) -> {
                    if (error != null || found.test(page)) {
                        wake.cancel(false);
                    }
                })
                .thenCompose(page -> found.test(page)
                        ? CompletableFuture.completedFuture(page)
                        : waitFor(wake).thenApply(ignored -> page)));
    }

    /** Completes (on the plugin dispatcher) when {@code wake} does, or after the refresh interval. */
    private CompletableFuture<Void> waitFor(CompletableFuture<Void> wake) {
        // The wake-up is completed by the journal's writer thread: hop off it before anything else.
        return wake.completeOnTimeout(null, refreshMillis, TimeUnit.MILLISECONDS)
                .handleAsync((ignored, error) -> null, blocking);
    }
}

package io.lumadb.persistence.journal;

import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the RocksDB journal of this actor system (and so of this node's RocksDB) has committed, as
 * it happens: wake-ups for live queries, and the place to register {@link JournalMetrics}. Obtain
 * it with {@code JournalChanges.get(system)}.
 *
 * <p>Guarantee: every {@code nextWrite...} future obtained <em>before</em> reading the database is
 * completed after any later commit that touches its key, and only once that commit is durable and
 * visible to readers. Readers therefore obtain the future first, then read, then wait on it only if
 * the read found nothing new: no wake-up is lost.
 *
 * <p>The futures are completed on the journal's writer thread: attach only {@code ...Async}
 * continuations (with an executor) to them, never blocking work. A caller that stops waiting
 * completes or cancels its future (e.g. {@code completeOnTimeout}), which also unregisters it.
 */
public final class JournalChanges implements Extension {

    private static final Logger log = LoggerFactory.getLogger(JournalChanges.class);

    /** How many committed groups {@link #persistenceIdsWrittenAfter} can look back. */
    static final int HISTORY = 1024;

    private static final String ANY = "";

    /** The Pekko extension id: {@code JournalChanges.get(system)}. */
    public static final class Id extends AbstractExtensionId<JournalChanges> implements ExtensionIdProvider {
        public static final Id INSTANCE = new Id();

        private Id() {}

        @Override
        public JournalChanges createExtension(ExtendedActorSystem system) {
            return new JournalChanges();
        }

        @Override
        public Id lookup() {
            return INSTANCE;
        }
    }

    /** The journal changes of {@code system}. */
    public static JournalChanges get(ActorSystem system) {
        return Id.INSTANCE.get(system);
    }

    /**
     * Persistence ids written in a range of committed groups.
     *
     * @param upToGroup the last group included, to pass to the next {@link
     *     #persistenceIdsWrittenAfter} call
     * @param persistenceIds the persistence ids written in those groups
     */
    public record PersistenceIdsWritten(long upToGroup, Set<String> persistenceIds) {
        public PersistenceIdsWritten {
            persistenceIds = Set.copyOf(persistenceIds);
        }
    }

    private final KeyedSignals byPersistenceId = new KeyedSignals();
    private final KeyedSignals byTag = new KeyedSignals();
    private final KeyedSignals any = new KeyedSignals();

    private final Object historyLock = new Object();
    // Guarded by historyLock: the number of groups committed since start, and the persistence ids
    // of the last HISTORY of them (group g at index g % HISTORY).
    private long committedGroups;
    private final Object[] history = new Object[HISTORY];

    private volatile long maxOrdering;
    private volatile JournalMetrics metrics = JournalMetrics.NONE;

    private JournalChanges() {}

    /** Completes after the next commit that writes an event of {@code persistenceId}. */
    public CompletableFuture<Void> nextWriteOf(String persistenceId) {
        return byPersistenceId.register(Objects.requireNonNull(persistenceId, "persistenceId"));
    }

    /** Completes after the next commit that writes an event tagged {@code tag}. */
    public CompletableFuture<Void> nextWriteOfTag(String tag) {
        return byTag.register(Objects.requireNonNull(tag, "tag"));
    }

    /** Completes after the next commit that writes any event. */
    public CompletableFuture<Void> nextWrite() {
        return any.register(ANY);
    }

    /**
     * Number of groups (WriteBatches, each with one fsync) that wrote events since the actor system
     * started. Fewer groups than write requests is group commit at work.
     */
    public long committedGroups() {
        synchronized (historyLock) {
            return committedGroups;
        }
    }

    /**
     * The highest ordering known to be committed (restored from the database when the journal
     * starts).
     */
    public long maxOrdering() {
        return maxOrdering;
    }

    /**
     * The persistence ids written in the groups after {@code group} (a value of {@link
     * #committedGroups} or {@link PersistenceIdsWritten#upToGroup}), or empty if some of those groups
     * are too old to be remembered; the caller must then rescan the journal.
     */
    public Optional<PersistenceIdsWritten> persistenceIdsWrittenAfter(long group) {
        synchronized (historyLock) {
            if (group > committedGroups || committedGroups - group > HISTORY) {
                return Optional.empty();
            }
            Set<String> ids = new HashSet<>();
            for (long g = group + 1; g <= committedGroups; g++) {
                @SuppressWarnings("unchecked")
                Set<String> written = (Set<String>) history[(int) (g % HISTORY)];
                ids.addAll(written);
            }
            return Optional.of(new PersistenceIdsWritten(committedGroups, ids));
        }
    }

    /** Registers the metrics hook (replacing the previous one); {@code null} resets it to none. */
    public void setMetrics(JournalMetrics metrics) {
        this.metrics = metrics == null ? JournalMetrics.NONE : metrics;
    }

    /** The registered metrics hook. */
    public JournalMetrics metrics() {
        return metrics;
    }

    /** Number of live registrations, for tests that check nothing leaks. */
    int waiting() {
        return byPersistenceId.size() + byTag.size() + any.size();
    }

    /** The journal's writer restored {@code ordering} from the database; for the writer only. */
    public void restoredOrdering(long ordering) {
        maxOrdering = Math.max(maxOrdering, ordering);
    }

    /** Called by the journal's writer thread once a group is durable; for the writer only. */
    public void committed(
            Set<String> persistenceIds,
            Set<String> tags,
            long newMaxOrdering,
            long nanos,
            int atomicWrites,
            int events) {
        maxOrdering = newMaxOrdering;
        if (!persistenceIds.isEmpty()) {
            synchronized (historyLock) {
                committedGroups++;
                history[(int) (committedGroups % HISTORY)] = Set.copyOf(persistenceIds);
            }
            persistenceIds.forEach(byPersistenceId::signal);
            tags.forEach(byTag::signal);
            any.signal(ANY);
        }
        try {
            metrics.recordWrite(nanos, atomicWrites, events);
        } catch (RuntimeException e) {
            log.warn("Journal metrics hook failed", e);
        }
    }
}

package io.lumadb.shards.shard;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Asks the journal, through a read journal, whether a shard has events after a sequence number:
 * what a linearizable read needs to know before it answers from this node's copy of the shard.
 * One query, reading at most one event, against the journal's primary key.
 */
final class JournalProbe {

    private final ActorSystem<?> system;
    private final CurrentEventsByPersistenceIdQuery journal;

    private JournalProbe(ActorSystem<?> system, CurrentEventsByPersistenceIdQuery journal) {
        this.system = system;
        this.journal = journal;
    }

    /** The probe over read journal {@code readJournalId} (the plugin instance is Pekko's, shared). */
    static JournalProbe get(ActorSystem<?> system, String readJournalId) {
        ReadJournal j = PersistenceQuery.get(system).getReadJournalFor(ReadJournal.class, readJournalId);
        if (!(j instanceof CurrentEventsByPersistenceIdQuery current)) {
            throw new IllegalStateException("read journal " + readJournalId + " cannot query events by persistence id");
        }
        return new JournalProbe(system, current);
    }

    /** Whether the journal holds an event of {@code persistenceId} with a sequence number above {@code seq}. */
    CompletionStage<Boolean> hasEventsAfter(String persistenceId, long seq) {
        return journal.currentEventsByPersistenceId(persistenceId, seq + 1, Long.MAX_VALUE)
                .take(1)
                .runWith(Sink.headOption(), system)
                .thenApply(Optional::isPresent);
    }
}

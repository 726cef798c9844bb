package io.lumadb.timeseries.downsample;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A Pekko Projections {@link SourceProvider} over one shard's journal: the events after the stored
 * offset (the journal sequence number of the last event handled), then every event as it is
 * committed. Reads go through Pekko Persistence Query, so the same code follows the embedded
 * journal and a cluster's shared one.
 */
public final class ShardEventsProvider extends SourceProvider<Long, EventEnvelope> {

    private final EventsByPersistenceIdQuery journal;
    private final String persistenceId;

    public ShardEventsProvider(EventsByPersistenceIdQuery journal, String persistenceId) {
        this.journal = journal;
        this.persistenceId = persistenceId;
    }

    @Override
    public CompletionStage<Source<EventEnvelope, NotUsed>> source(Supplier<CompletionStage<Optional<Long>>> offset) {
        return offset.get()
                .thenApply(
                        stored -> journal.eventsByPersistenceId(persistenceId, stored.orElse(0L) + 1, Long.MAX_VALUE));
    }

    @Override
    public Long extractOffset(EventEnvelope envelope) {
        return envelope.sequenceNr();
    }

    @Override
    public long extractCreationTime(EventEnvelope envelope) {
        return envelope.timestamp();
    }
}

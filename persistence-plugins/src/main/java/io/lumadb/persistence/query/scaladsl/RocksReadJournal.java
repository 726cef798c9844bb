package io.lumadb.persistence.query.scaladsl;

import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.scaladsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.scaladsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.query.scaladsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.persistence.query.scaladsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.scaladsl.EventsByTagQuery;
import org.apache.pekko.persistence.query.scaladsl.PersistenceIdsQuery;
import org.apache.pekko.stream.scaladsl.Source;

/**
 * The Scala API of the RocksDB read journal: the same queries, with the same guarantees, as {@link
 * io.lumadb.persistence.query.javadsl.RocksReadJournal}, which it wraps.
 */
public final class RocksReadJournal
        implements EventsByPersistenceIdQuery,
                CurrentEventsByPersistenceIdQuery,
                PersistenceIdsQuery,
                CurrentPersistenceIdsQuery,
                EventsByTagQuery,
                CurrentEventsByTagQuery {

    /** The plugin id: {@code lumadb.persistence.query}. */
    public static final String Identifier = io.lumadb.persistence.query.javadsl.RocksReadJournal.Identifier;

    private final io.lumadb.persistence.query.javadsl.RocksReadJournal delegate;

    /** Wraps the Java API journal. */
    public RocksReadJournal(io.lumadb.persistence.query.javadsl.RocksReadJournal delegate) {
        this.delegate = delegate;
    }

    @Override
    public Source<EventEnvelope, NotUsed> eventsByPersistenceId(
            String persistenceId, long fromSequenceNr, long toSequenceNr) {
        return delegate.eventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr)
                .asScala();
    }

    @Override
    public Source<EventEnvelope, NotUsed> currentEventsByPersistenceId(
            String persistenceId, long fromSequenceNr, long toSequenceNr) {
        return delegate.currentEventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr)
                .asScala();
    }

    @Override
    public Source<String, NotUsed> persistenceIds() {
        return delegate.persistenceIds().asScala();
    }

    @Override
    public Source<String, NotUsed> currentPersistenceIds() {
        return delegate.currentPersistenceIds().asScala();
    }

    @Override
    public Source<EventEnvelope, NotUsed> eventsByTag(String tag, Offset offset) {
        return delegate.eventsByTag(tag, offset).asScala();
    }

    @Override
    public Source<EventEnvelope, NotUsed> currentEventsByTag(String tag, Offset offset) {
        return delegate.currentEventsByTag(tag, offset).asScala();
    }
}

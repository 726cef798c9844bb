package io.lumadb.persistence.journal;

/**
 * Receives the journal's write metrics: one call per committed group (one WriteBatch, one fsync).
 * Register one with {@link JournalChanges#setMetrics}; the default does nothing.
 *
 * <p>Called on the journal's writer thread right after the group is durable, so an implementation
 * must be quick and must not block (record into a histogram, nothing more); an exception it throws
 * is logged and otherwise ignored.
 */
@FunctionalInterface
public interface JournalMetrics {

    /** Records nothing. */
    JournalMetrics NONE = (nanos, atomicWrites, events) -> {};

    /**
     * Records one committed group.
     *
     * @param nanos time from the writer taking the group off its queue to the fsync returning
     * @param atomicWrites number of AtomicWrites in the group (all persistence ids together)
     * @param events number of events in the group
     */
    void recordWrite(long nanos, int atomicWrites, int events);
}

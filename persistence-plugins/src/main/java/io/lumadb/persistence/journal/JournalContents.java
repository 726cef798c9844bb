package io.lumadb.persistence.journal;

import java.util.Map;

/**
 * What the embedded journal holds, persistence id by persistence id, as read by one scan of a
 * consistent view of it (a RocksDB checkpoint, or the node's database before any journal actor
 * runs). Used to record a backup's position and to plan a point-in-time restore; the scan and
 * the cut live in the journal's internal package, these types are what the node sees of them.
 *
 * @param orderingCounter the highest global ordering handed out so far
 * @param newestTimestamp the timestamp (epoch millis) of the event with the highest ordering
 *     still in the journal, 0 if there is none
 * @param persistenceIds every persistence id that has events, a highest sequence number or
 *     snapshots, by id
 */
public record JournalContents(
        long orderingCounter, long newestTimestamp, Map<String, PersistenceIdEvents> persistenceIds) {

    public JournalContents {
        persistenceIds = Map.copyOf(persistenceIds);
    }

    /**
     * The events of one persistence id, in sequence order.
     *
     * @param highest the highest sequence number ever written (kept when events are deleted)
     * @param deletedTo every event at or below it was deleted (journal retention), 0 if none
     * @param seqs the sequence numbers of the events present, ascending
     * @param orderings the global ordering of each event of {@code seqs}
     * @param timestamps the timestamp (epoch millis) of each event, or null if the scan did not
     *     read them (they need the event deserialized)
     * @param snapshotSeqs the sequence numbers of the snapshots of this id, ascending
     */
    public record PersistenceIdEvents(
            String persistenceId,
            long highest,
            long deletedTo,
            long[] seqs,
            long[] orderings,
            long[] timestamps,
            long[] snapshotSeqs) {

        /** The sequence number of the last event present, or 0 if none is. */
        public long lastSeq() {
            return seqs.length == 0 ? 0 : seqs[seqs.length - 1];
        }

        /** How many events lie above {@code keepTo}. */
        public int countAbove(long keepTo) {
            int n = 0;
            for (int i = seqs.length - 1; i >= 0 && seqs[i] > keepTo; i--) {
                n++;
            }
            return n;
        }

        /** The highest ordering among the events at or below {@code keepTo}, or 0 if there is none. */
        public long lastOrderingAtOrBelow(long keepTo) {
            long max = 0;
            for (int i = 0; i < seqs.length && seqs[i] <= keepTo; i++) {
                max = Math.max(max, orderings[i]);
            }
            return max;
        }

        /** The last sequence number whose event has an ordering at or below {@code ordering}; 0 if none. */
        public long lastSeqAtOrdering(long ordering) {
            long last = 0;
            for (int i = 0; i < seqs.length && orderings[i] <= ordering; i++) {
                last = seqs[i];
            }
            return last;
        }

        /**
         * The last sequence number of the longest run of events from the first whose timestamps are
         * all at or below {@code millis}; 0 if the first is already later. Per persistence id, events
         * are written one after another, so their timestamps do not decrease unless the clock went back.
         */
        public long lastSeqAtTime(long millis) {
            if (timestamps == null) {
                throw new IllegalStateException("the journal was scanned without timestamps");
            }
            long last = 0;
            for (int i = 0; i < seqs.length && timestamps[i] <= millis; i++) {
                last = seqs[i];
            }
            return last;
        }
    }
}

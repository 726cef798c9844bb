package io.lumadb.cdc;

/**
 * What a change-stream or live-query subscription delivers, in order. Every item carries the
 * position right after it: resuming from that token continues exactly after the item.
 */
public sealed interface StreamItem {

    ResumeToken position();

    /**
     * A change that passed the subscription's filter. {@code kind} is {@code change} on a
     * change stream, and {@code added}, {@code changed} or {@code removed} on a live query.
     */
    record Change(String kind, ChangeEvent event, ResumeToken position) implements StreamItem {}

    /**
     * A live query with a limit: document {@code id} entered ({@code added}), moved or changed
     * inside ({@code changed}) or left ({@code removed}, {@code document} null) the window of the
     * first {@code limit} matches. Rows come from the window, not one change each: one change can
     * push another document out, and a document leaving can pull the next one in.
     *
     * <p>A live search (top k) has rows too, with the document's {@code rank} (1 is the best) and
     * {@code score}; {@code changed} then also means that its rank or score moved. Rows of a
     * window have rank 0.
     */
    record Row(String kind, String id, long version, byte[] document, int rank, double score, ResumeToken position)
            implements StreamItem {

        /** A row of a live query's window, which has no ranks. */
        public Row(String kind, String id, long version, byte[] document, ResumeToken position) {
            this(kind, id, version, document, 0, Double.NaN, position);
        }
    }

    /** Nothing new for a while; the position may still have moved past filtered-out changes. */
    record Heartbeat(ResumeToken position) implements StreamItem {}

    /** The subscriber's buffer overflowed: the subscription ends; resume from the position. */
    record Overflow(ResumeToken position) implements StreamItem {}

    /**
     * Events the position needs were dropped by journal retention: the subscription ends rather
     * than skip them. {@code shard} is the shard whose history is gone.
     */
    record HistoryLost(int shard, String detail, ResumeToken position) implements StreamItem {}

    /**
     * The collection was dropped (by itself or with its database): the subscription ends, and its
     * position can never be resumed, not even on a collection created again under the same name.
     * Whatever a live query showed is gone. {@code position} is where the subscription stood.
     */
    record Dropped(String database, String collection, ResumeToken position) implements StreamItem {}
}

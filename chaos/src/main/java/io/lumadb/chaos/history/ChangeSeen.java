package io.lumadb.chaos.history;

/**
 * One change a change-stream consumer received: where it sits in its shard's stream and which
 * write it reports. Times are nanoseconds since the run started.
 *
 * @param consumer the consumer's name (one per node, such as {@code n1})
 * @param shard the shard it came from ({@code source.shard})
 * @param seq the shard event's sequence number ({@code source.seq})
 * @param index the change's place in its event ({@code source.index}; a batch holds several)
 * @param id the document's id
 * @param version the document's version after the change ({@code source.version})
 * @param token the resume token delivered with it
 * @param atNanos when the consumer received it
 */
public record ChangeSeen(
        String consumer, int shard, long seq, int index, String id, long version, String token, long atNanos) {}

package io.lumadb.shards.store;

/**
 * What a shard's state store records about itself, written in the same atomic batch as the
 * documents.
 *
 * @param appliedSeq the sequence number of the last journal event applied
 * @param lastVersion the highest document version assigned in this shard
 * @param documentCount how many documents the shard holds
 */
public record ShardMeta(long appliedSeq, long lastVersion, long documentCount) {
    public static final ShardMeta EMPTY = new ShardMeta(0, 0, 0);
}

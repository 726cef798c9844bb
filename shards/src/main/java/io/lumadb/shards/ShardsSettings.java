package io.lumadb.shards;

import com.typesafe.config.Config;
import io.lumadb.shards.query.QueryLimits;
import java.time.Duration;

/**
 * Settings of the data layer, read from {@code lumadb.shards}, {@code lumadb.limits} and {@code
 * lumadb.query}.
 *
 * @param defaultShardCount shards of a collection created without an explicit count
 * @param maxShardCount the largest shard count a collection may be created with
 * @param autoCreate whether writing to a missing collection of an existing database creates it
 * @param askTimeout how long a request waits for a shard before it is answered 503
 * @param maxBatchWrites most document writes one journal event (one group commit) carries
 * @param snapshotEvery a shard snapshots every this many events, bounding recovery
 * @param deleteEventsOnSnapshot journal retention: whether a snapshot deletes the events older
 *     than the two newest snapshots (the change stream then only reaches back that far)
 * @param snapshotDocuments whether every snapshot carries the shard's full contents, so that a
 *     node without the shard's state store rebuilds it from the newest snapshot and the journal
 *     tail (cluster mode)
 * @param stashCapacity requests a starting shard buffers before it answers 503
 * @param maxDocumentBytes largest document content (compact JSON without system fields)
 * @param maxListLimit largest page of a listing
 * @param queryLimits limits on a query's shape and result size
 * @param queryTimeout longest a query may run before it is cancelled
 * @param maxResultBytes most bytes of documents one page of a query carries
 * @param maxIndexes most secondary indexes of one collection
 * @param indexBuildChunk documents a background index build indexes per step
 * @param confirmReadJournal the read journal a linearizable read asks whether the shard's
 *     journal holds events this node's copy has not applied (cluster mode); empty when this node
 *     is the only writer there can be (the embedded default), so its copy is always current
 */
public record ShardsSettings(
        int defaultShardCount,
        int maxShardCount,
        boolean autoCreate,
        Duration askTimeout,
        int maxBatchWrites,
        int snapshotEvery,
        boolean deleteEventsOnSnapshot,
        boolean snapshotDocuments,
        int stashCapacity,
        long maxDocumentBytes,
        int maxListLimit,
        QueryLimits queryLimits,
        Duration queryTimeout,
        long maxResultBytes,
        int maxIndexes,
        int indexBuildChunk,
        String confirmReadJournal) {

    public ShardsSettings {
        require(defaultShardCount >= 1 && defaultShardCount <= maxShardCount, "default-shard-count", defaultShardCount);
        require(maxBatchWrites >= 1, "max-batch-writes", maxBatchWrites);
        require(snapshotEvery >= 1, "snapshot-every", snapshotEvery);
        require(stashCapacity >= 1, "stash-capacity", stashCapacity);
        require(maxDocumentBytes >= 64, "max-document-bytes", maxDocumentBytes);
        require(maxListLimit >= 1, "max-list-limit", maxListLimit);
        require(!queryTimeout.isNegative() && !queryTimeout.isZero(), "query.timeout", queryTimeout);
        require(maxResultBytes >= 1024, "query.max-result-bytes", maxResultBytes);
        require(maxIndexes >= 0, "query.max-indexes-per-collection", maxIndexes);
        require(indexBuildChunk >= 1, "query.index-build-chunk", indexBuildChunk);
    }

    /**
     * The shards' journal retention: a snapshot every {@code snapshot-every} events, two kept;
     * events are kept forever (they are the change stream's history) unless {@code
     * delete-events-on-snapshot} is on.
     */
    public org.apache.pekko.persistence.typed.javadsl.RetentionCriteria journalRetention() {
        var criteria = org.apache.pekko.persistence.typed.javadsl.RetentionCriteria.snapshotEvery(snapshotEvery, 2);
        return deleteEventsOnSnapshot ? criteria.withDeleteEventsOnSnapshot() : criteria;
    }

    private static void require(boolean ok, String key, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("lumadb setting " + key + " has a bad value: " + value);
        }
    }

    /** Reads the settings from the root config. */
    public static ShardsSettings from(Config root) {
        Config c = root.getConfig("lumadb.shards");
        return new ShardsSettings(
                c.getInt("default-shard-count"),
                c.getInt("max-shard-count"),
                c.getBoolean("auto-create"),
                c.getDuration("ask-timeout"),
                c.getInt("max-batch-writes"),
                c.getInt("snapshot-every"),
                c.getBoolean("delete-events-on-snapshot"),
                c.getBoolean("snapshot-documents"),
                c.getInt("stash-capacity"),
                root.getBytes("lumadb.limits.max-document-bytes"),
                c.getInt("max-list-limit"),
                queryLimits(root.getConfig("lumadb.query")),
                root.getDuration("lumadb.query.timeout"),
                root.getBytes("lumadb.query.max-result-bytes"),
                root.getInt("lumadb.query.max-indexes-per-collection"),
                root.getInt("lumadb.query.index-build-chunk"),
                c.getString("confirm-read-journal"));
    }

    private static QueryLimits queryLimits(Config q) {
        try {
            return new QueryLimits(
                    q.getInt("default-limit"),
                    q.getInt("max-limit"),
                    q.getInt("max-filter-depth"),
                    q.getInt("max-filter-nodes"),
                    q.getInt("max-regex-length"),
                    q.getInt("max-groups"),
                    q.getInt("max-percentile-values"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("lumadb.query has a bad value: " + e.getMessage(), e);
        }
    }
}

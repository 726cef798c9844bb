package io.lumadb.shards;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the data layer, read from {@code lumadb.shards} and {@code lumadb.limits}.
 *
 * @param defaultShardCount shards of a collection created without an explicit count
 * @param maxShardCount the largest shard count a collection may be created with
 * @param autoCreate whether writing to a missing collection of an existing database creates it
 * @param askTimeout how long a request waits for a shard before it is answered 503
 * @param maxBatchWrites most document writes one journal event (one group commit) carries
 * @param snapshotEvery a shard snapshots every this many events, bounding recovery
 * @param stashCapacity requests a starting shard buffers before it answers 503
 * @param maxDocumentBytes largest document content (compact JSON without system fields)
 * @param maxListLimit largest page of a listing
 */
public record ShardsSettings(
        int defaultShardCount,
        int maxShardCount,
        boolean autoCreate,
        Duration askTimeout,
        int maxBatchWrites,
        int snapshotEvery,
        int stashCapacity,
        long maxDocumentBytes,
        int maxListLimit) {

    public ShardsSettings {
        require(defaultShardCount >= 1 && defaultShardCount <= maxShardCount, "default-shard-count", defaultShardCount);
        require(maxBatchWrites >= 1, "max-batch-writes", maxBatchWrites);
        require(snapshotEvery >= 1, "snapshot-every", snapshotEvery);
        require(stashCapacity >= 1, "stash-capacity", stashCapacity);
        require(maxDocumentBytes >= 64, "max-document-bytes", maxDocumentBytes);
        require(maxListLimit >= 1, "max-list-limit", maxListLimit);
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
                c.getInt("stash-capacity"),
                root.getBytes("lumadb.limits.max-document-bytes"),
                c.getInt("max-list-limit"));
    }
}

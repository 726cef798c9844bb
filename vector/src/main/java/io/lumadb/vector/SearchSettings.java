package io.lumadb.vector;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of {@code lumadb.search} (see reference.conf).
 *
 * @param directory where the node's search indexes live
 * @param refreshInterval how soon an acknowledged write becomes searchable
 * @param commitInterval how often indexes are committed
 * @param readJournal the Persistence Query plugin that reads shard journals
 * @param buildChunk documents per background build step
 * @param maxK most results of one search
 * @param maxNumCandidates most HNSW candidates of one search
 * @param defaultNumCandidates HNSW candidates when a search names none
 * @param timeout how long a search may run on the shards
 */
public record SearchSettings(
        Path directory,
        Duration refreshInterval,
        Duration commitInterval,
        String readJournal,
        int buildChunk,
        int maxK,
        int maxNumCandidates,
        int defaultNumCandidates,
        Duration timeout) {

    /** The dispatcher Lucene's work runs on. */
    public static final String DISPATCHER = "lumadb-search-dispatcher";

    public SearchSettings {
        if (refreshInterval.isNegative() || refreshInterval.isZero()) {
            throw new IllegalArgumentException(
                    "lumadb.search.refresh-interval must be positive, was " + refreshInterval);
        }
        if (commitInterval.isNegative() || commitInterval.isZero()) {
            throw new IllegalArgumentException("lumadb.search.commit-interval must be positive, was " + commitInterval);
        }
        if (buildChunk < 1) {
            throw new IllegalArgumentException("lumadb.search.build-chunk must be at least 1, was " + buildChunk);
        }
        if (maxK < 1 || maxNumCandidates < maxK) {
            throw new IllegalArgumentException("lumadb.search.max-k must be at least 1 and max-num-candidates at least"
                    + " max-k, were " + maxK + " and " + maxNumCandidates);
        }
        if (defaultNumCandidates < 1 || defaultNumCandidates > maxNumCandidates) {
            throw new IllegalArgumentException("lumadb.search.default-num-candidates must be 1 to max-num-candidates,"
                    + " was " + defaultNumCandidates);
        }
    }

    /** Reads {@code lumadb.search} of the node's config. */
    public static SearchSettings from(Config root) {
        Config c = root.getConfig("lumadb.search");
        String dir = c.getString("directory");
        Path directory =
                dir.isEmpty() ? Path.of(root.getString("lumadb.data-dir")).resolve("search") : Path.of(dir);
        return new SearchSettings(
                directory.toAbsolutePath().normalize(),
                c.getDuration("refresh-interval"),
                c.getDuration("commit-interval"),
                c.getString("read-journal"),
                c.getInt("build-chunk"),
                c.getInt("max-k"),
                c.getInt("max-num-candidates"),
                c.getInt("default-num-candidates"),
                c.getDuration("timeout"));
    }
}

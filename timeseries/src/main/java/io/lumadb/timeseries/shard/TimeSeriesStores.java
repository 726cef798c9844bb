package io.lumadb.timeseries.shard;

import io.lumadb.shards.store.ForwardingShardStores;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's shard stores with time series: each store opened is a {@link TimeSeriesShardStore}
 * over the store of {@code stores}. The series live under the shard store's key prefix, so
 * dropping the shard store drops them too.
 *
 * <p>Retention runs here, not in the journal: every {@link #sweepEvery} the stores whose
 * collection has a retention drop their blocks older than it ({@link TimeSeriesStore#dropBefore}).
 * A store refuses points older than what it dropped, so replaying the journal after a crash does
 * not bring them back.
 */
public final class TimeSeriesStores extends ForwardingShardStores {

    private static final Logger log = LoggerFactory.getLogger(TimeSeriesStores.class);

    /**
     * Runs the downsampling projection of a shard's series: started when a store with rules opens,
     * stopped (by the {@link Runnable} returned) when it closes.
     */
    public interface Downsampler {
        Runnable start(TimeSeriesShardStore store);
    }

    /** Where the time series of each shard store live. */
    public interface Opener {
        /** Opens the time series of shard store {@code storeName}, with the collection's settings. */
        TimeSeriesStore open(String storeName, TimeSeriesSettings settings);

        /**
         * The whole contents of the time series of shard store {@code storeName}, as a snapshot
         * image carries them (consistent as of one moment, whether or not the series are open),
         * or null when there are none.
         */
        byte[] image(String storeName);

        /**
         * Replaces the time series of shard store {@code storeName} with {@code image} (null:
         * none), atomically; they must not be open.
         */
        void install(String storeName, byte[] image);
    }

    private final Opener opener;
    private final LongSupplier nowNanos;
    private final Set<TimeSeriesShardStore> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService sweeper;
    private final Executor queries;
    private volatile Downsampler downsampler;

    /**
     * @param sweepEvery how often retention runs, in milliseconds (0: never on its own; {@link
     *     #sweep} still does)
     * @param nowNanos the clock retention measures against
     * @param queryThreads threads that answer time-series queries on this node's shards
     */
    public TimeSeriesStores(
            ShardStores stores, Opener opener, long sweepEvery, LongSupplier nowNanos, int queryThreads) {
        super(stores);
        this.opener = opener;
        this.nowNanos = nowNanos;
        this.queries = Executors.newFixedThreadPool(
                queryThreads,
                Thread.ofPlatform().name("lumadb-tsquery-", 0).daemon(true).factory());
        this.sweeper = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("lumadb-ts-retention").daemon(true).factory());
        if (sweepEvery > 0) {
            sweeper.scheduleWithFixedDelay(this::sweepQuietly, sweepEvery, sweepEvery, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public ShardStore open(String name) {
        return new TimeSeriesShardStore(inner.open(name), this);
    }

    /** Sets what runs each shard's downsampling (none by default: {@link TimeSeriesShardStore#downsample} then only runs when called). */
    public void downsampler(Downsampler downsampler) {
        this.downsampler = downsampler;
    }

    Runnable startDownsampling(TimeSeriesShardStore store) {
        Downsampler d = downsampler;
        return d == null ? null : d.start(store);
    }

    TimeSeriesStore openSeries(String storeName, TimeSeriesSettings settings) {
        return opener.open(storeName, settings);
    }

    byte[] image(String storeName) {
        return opener.image(storeName);
    }

    void install(String storeName, byte[] image) {
        opener.install(storeName, image);
    }

    void opened(TimeSeriesShardStore store) {
        open.add(store);
    }

    void closed(TimeSeriesShardStore store) {
        open.remove(store);
    }

    Executor queryExecutor() {
        return queries;
    }

    /**
     * Applies retention once to every open store with one: drops what is older than now minus the
     * retention.
     *
     * @return how many stores it ran on
     */
    public int sweep() {
        long now = nowNanos.getAsLong();
        int swept = 0;
        for (TimeSeriesShardStore store : open) {
            synchronized (store) {
                long retention = store.retention();
                TimeSeriesStore series = store.series(null);
                if (series == null) {
                    continue;
                }
                if (retention > 0) {
                    series.dropBefore(now - retention);
                    swept++;
                }
                List<DownsamplingRule> rules = store.rules();
                for (int r = 0; r < rules.size(); r++) {
                    if (rules.get(r).retention() > 0) {
                        series.dropRollupsBefore(
                                r, rules.get(r), now - rules.get(r).retention());
                    }
                }
            }
        }
        return swept;
    }

    /**
     * The most journal events an open store with downsampling rules has applied and not
     * downsampled yet: how far its projection is behind (0 when none is).
     */
    public long downsamplingLag() {
        long lag = 0;
        for (TimeSeriesShardStore store : open) {
            lag = Math.max(lag, store.downsamplingLag());
        }
        return lag;
    }

    /** Stops retention and the query threads; for the node's shutdown, after its shards stopped. */
    public void close() {
        sweeper.shutdownNow();
        if (queries instanceof java.util.concurrent.ExecutorService pool) {
            pool.shutdownNow();
        }
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            log.warn("Time-series retention failed; it runs again later", e);
        }
    }
}

package io.lumadb.node;

import io.lumadb.shards.Catalog;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.catalog.DatabaseInfo;
import io.lumadb.timeseries.shard.TimeSeriesOptions;
import io.lumadb.timeseries.shard.TimeSeriesQueries;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every time-series shard running: retention and downsampling run in a shard's opened
 * series, and a shard opens them at its first write or query since its node started, so a
 * collection nobody writes to or queries after a restart (or a failover) would keep points past
 * their retention and leave events not rolled up. Every {@code lumadb.timeseries.open-every} (and
 * once soon after start) this opens the series of every shard of every time-series collection in
 * the catalog, wherever the cluster places the shard; shards already open only answer.
 */
final class TimeSeriesUpkeep {

    private static final Logger log = LoggerFactory.getLogger(TimeSeriesUpkeep.class);

    private final Catalog catalog;
    private final TimeSeriesQueries queries;

    private TimeSeriesUpkeep(Catalog catalog, TimeSeriesQueries queries) {
        this.catalog = catalog;
        this.queries = queries;
    }

    /** Schedules the upkeep on {@code system}'s scheduler (none when {@code every} is zero). */
    static void start(ActorSystem<?> system, Catalog catalog, TimeSeriesQueries queries, Duration every) {
        if (every.isZero()) {
            return;
        }
        TimeSeriesUpkeep upkeep = new TimeSeriesUpkeep(catalog, queries);
        Duration first = every.compareTo(Duration.ofSeconds(10)) < 0 ? every : Duration.ofSeconds(10);
        system.scheduler().scheduleWithFixedDelay(first, every, upkeep::run, system.executionContext());
    }

    private void run() {
        catalog.refresh().whenComplete((snapshot, failure) -> {
            if (failure != null) {
                log.debug("Time-series upkeep: the catalog is not available yet", failure);
                return;
            }
            for (DatabaseInfo database : snapshot.databases().values()) {
                for (CollectionInfo info : database.collections().values()) {
                    if (!info.holdsTimeSeries()) {
                        continue;
                    }
                    try {
                        queries.open(info, TimeSeriesOptions.fromJson(info.timeSeries(), info.name()))
                                .whenComplete((done, error) -> {
                                    if (error != null) {
                                        // Shards moving or starting: the next round tries again.
                                        log.debug(
                                                "Time-series upkeep: {}/{} not opened everywhere yet",
                                                info.database(),
                                                info.name(),
                                                error);
                                    }
                                });
                    } catch (RuntimeException e) {
                        log.warn("Time-series upkeep: cannot open {}/{}", info.database(), info.name(), e);
                    }
                }
            }
        });
    }
}

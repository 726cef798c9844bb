package io.lumadb.timeseries.store;

import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.WindowAggregator;
import java.util.List;
import java.util.Map;

/**
 * The time series of one shard: a series index, per-series field types, sealed compressed blocks
 * and the open (not yet sealed) points of each series, stored under one key prefix of the shard's
 * column family (the byte layout is documented in {@code internal.TimeSeriesKeyFormat}).
 *
 * <p>Writes are made to be called from a shard's event handler: {@link #write} applies a numbered
 * batch all or nothing, records its sequence number in the same atomic write and skips a batch
 * whose number was already applied, so replaying the journal after a crash leads to the same
 * stored state. What a batch stores depends only on the store's state and the batch, never on the
 * clock. Writes ({@link #write}, {@link #flush}, {@link #dropBefore}) are serialized; reads may run
 * on any thread, each on one consistent snapshot.
 *
 * <p>Times are nanoseconds since the epoch; ranges are half-open, {@code [from, to)}.
 */
public interface TimeSeriesStore extends AutoCloseable {

    /**
     * Applies batch {@code batchSeq}: each point goes to its series' block for its time (a new
     * series is indexed first); points of one series and timestamp merge, the later one winning
     * per field, also with what is stored. A point whose field has another type than the series
     * gave it, or which is older than what retention dropped, is reported in the result and left
     * out; the others are stored. Blocks whose end plus the lateness the newest time written has
     * passed are sealed in the same write.
     *
     * @param batchSeq the batch's sequence number, positive; a number not above the last applied
     *     one skips the batch
     * @throws TimeSeriesStoreException when the storage fails (nothing of the batch is then stored)
     */
    WriteResult write(long batchSeq, List<Point> points);

    /** The sequence number of the last batch applied, 0 before the first. */
    long appliedSeq();

    /**
     * Seals every open block. Changes how points are stored, not which: every read answers the
     * same before and after.
     */
    void flush();

    /**
     * Retention: deletes every sealed block whose time range ends at or before {@code time} and
     * every open point older than it; a block that straddles {@code time} is kept whole. Points
     * older than {@code time} written later are refused ({@link PointError.Kind#BEFORE_RETENTION}).
     * Idempotent.
     */
    void dropBefore(long time);

    /** Every series, ordered by their canonical keys. */
    List<SeriesKey> seriesKeys();

    /** The series {@code filter} matches, ordered by their canonical keys; found through the tag index. */
    List<SeriesKey> series(SeriesFilter filter);

    /** The rows in {@code [from, to)} of the series {@code filter} matches, series by series, each in time order. */
    List<SeriesRows> scan(SeriesFilter filter, long from, long to);

    /** The sealed blocks of the series {@code filter} matches, by series and start. */
    List<BlockInfo> blocks(SeriesFilter filter);

    /** How many open (unsealed) rows the store holds. */
    long openRows();

    /**
     * Aggregates numeric {@code field} over the series {@code filter} matches, in windows of {@code
     * every} nanoseconds over {@code [from, to)}, as {@link WindowAggregator} defines; a sealed
     * block within the range and one window answers count, sum, min, max and mean from its header.
     * For equal times in several series, {@code first} takes the series whose key sorts first and
     * {@code last} the one that sorts last.
     *
     * @throws IllegalArgumentException when the field is not numeric or the window arguments are bad
     */
    List<WindowAggregator.Window> aggregate(
            SeriesFilter filter,
            String field,
            long from,
            long to,
            long every,
            WindowAggregator.Aggregate aggregate,
            WindowAggregator.Fill fill);

    /** Like {@link #aggregate} but per series (for a query grouped by every tag), by canonical key. */
    default Map<SeriesKey, List<WindowAggregator.Window>> aggregatePerSeries(
            SeriesFilter filter,
            String field,
            long from,
            long to,
            long every,
            WindowAggregator.Aggregate aggregate,
            WindowAggregator.Fill fill) {
        Map<SeriesKey, List<WindowAggregator.Window>> out = new java.util.LinkedHashMap<>();
        aggregatesPerSeries(filter, field, from, to, every, List.of(aggregate), fill)
                .forEach((key, windows) -> out.put(key, windows.getFirst()));
        return out;
    }

    /**
     * Like {@link #aggregatePerSeries} for several {@code aggregates} over one read of each
     * series' blocks: per series, one list of windows per aggregate, in their order.
     */
    Map<SeriesKey, List<List<WindowAggregator.Window>>> aggregatesPerSeries(
            SeriesFilter filter,
            String field,
            long from,
            long to,
            long every,
            List<WindowAggregator.Aggregate> aggregates,
            WindowAggregator.Fill fill);

    /** What {@link #downsample} did with a journal event. */
    enum Downsampled {
        /** The event's windows are noted, and the windows it closed rolled up. */
        APPLIED,
        /** The event was downsampled before: nothing changed. */
        ALREADY,
        /** The store has not applied the event yet ({@link #appliedSeq()} is below it): try again later. */
        NOT_APPLIED_YET
    }

    /**
     * Downsamples journal event {@code seq}, whose points are {@code points} (every point of the
     * event, stored or refused), under {@code rules}; events must come in order, each once or again
     * (a repeat is {@link Downsampled#ALREADY}). A window of a rule closes once the newest time of
     * the events downsampled passes its end by the store's lateness: it is then rolled up from the
     * stored points, in the same atomic write that records {@code seq}, so every window is rolled
     * up once, from what the store holds, whatever merged or was refused there. A point in a
     * window that closed already rolls that window up again, unless retention has dropped part of
     * it from the stored points (the rolled-up window then stays as it was).
     */
    Downsampled downsample(long seq, List<Point> points, List<DownsamplingRule> rules);

    /** The last journal event {@link #downsample}d, 0 before the first. */
    long downsampledSeq();

    /**
     * The end of the windows of {@code rule} that are rolled up: every window ending at or before
     * it is closed (Long.MIN_VALUE: none yet). A multiple of the rule's {@code every}.
     */
    long rolledUpBefore(DownsamplingRule rule);

    /**
     * The rolled-up windows of rule number {@code rule} starting in {@code [from, to)}, of the
     * series {@code filter} matches, ordered by their canonical keys, each in time order.
     */
    List<SeriesRollups> rollups(int rule, SeriesFilter filter, long from, long to);

    /** Deletes the rolled-up windows of rule number {@code rule} that end at or before {@code time}. */
    void dropRollupsBefore(int rule, DownsamplingRule spec, long time);

    /** Releases the store's native objects; the database and column family stay the caller's. */
    @Override
    void close();
}

package io.lumadb.timeseries.shard;

import io.lumadb.shards.store.ForwardingShardStore;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.PointError;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import io.lumadb.timeseries.store.WriteResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A shard's store with its time series: takes appends of point batches ({@link
 * PointBatchFormat}) and answers time-series queries, over a {@link TimeSeriesStore} under the
 * shard store's key prefix, opened at its first use (a shard of documents never opens one).
 *
 * <p>Applying an append writes the points with the journal event's sequence number as the batch
 * number, then advances the shard store's applied sequence number; the time-series store skips a
 * batch it has applied, so a crash between the two is repaired by replaying the event.
 */
public final class TimeSeriesShardStore extends ForwardingShardStore {

    /** The kind of the appends this layer takes: batches of points. */
    public static final String APPEND_KIND = "timeseries";

    private final TimeSeriesStores stores;
    private TimeSeriesStore series;
    private long retention;
    private List<DownsamplingRule> rules = List.of();
    /** Stops the downsampling projection; null while none runs. */
    private Runnable downsampling;

    TimeSeriesShardStore(ShardStore inner, TimeSeriesStores stores) {
        super(inner);
        this.stores = stores;
    }

    @Override
    public String appendProblem(String kind, byte[] batch) {
        if (!kind.equals(APPEND_KIND)) {
            return inner.appendProblem(kind, batch);
        }
        try {
            PointBatchFormat.check(batch);
            return null;
        } catch (IllegalArgumentException e) {
            return "shard " + name() + ": " + e.getMessage();
        }
    }

    @Override
    public List<byte[]> append(long seq, String kind, List<byte[]> batches) {
        if (!kind.equals(APPEND_KIND)) {
            return inner.append(seq, kind, batches);
        }
        List<byte[]> answers = writePoints(seq, batches);
        inner.apply(seq, List.of());
        return answers;
    }

    /** Writes the points of {@code batches} as event {@code seq}: the answer to each batch. */
    private List<byte[]> writePoints(long seq, List<byte[]> batches) {
        List<Point> points = new ArrayList<>();
        int[] ends = new int[batches.size()];
        TimeSeriesSettings settings = null;
        long batchRetention = 0;
        List<DownsamplingRule> batchRules = List.of();
        for (int i = 0; i < batches.size(); i++) {
            PointBatchFormat.Batch batch = PointBatchFormat.decode(batches.get(i));
            settings = batch.settings();
            batchRetention = batch.retention();
            batchRules = batch.rules();
            points.addAll(batch.points());
            ends[i] = points.size();
        }
        WriteResult result;
        synchronized (this) {
            result = series(settings, batchRetention, batchRules).write(seq, points);
        }
        List<byte[]> answers = new ArrayList<>(batches.size());
        int start = 0;
        int e = 0;
        List<PointError> errors = result.errors();
        for (int end : ends) {
            List<PointError> mine = new ArrayList<>();
            while (e < errors.size() && errors.get(e).index() < end) {
                PointError err = errors.get(e++);
                mine.add(new PointError(
                        err.index() - start,
                        err.kind(),
                        err.field(),
                        err.storedType(),
                        err.givenType(),
                        err.message()));
            }
            // A replayed batch (already applied) reports nothing; its answer goes nowhere.
            int stored = result.applied() ? end - start - mine.size() : 0;
            answers.add(PointBatchFormat.answer(new WriteResult(result.applied(), stored, mine, 0)));
            start = end;
        }
        return answers;
    }

    /**
     * The shard's time series, opened with {@code settings} at first use; null when it is not open
     * and {@code settings} is null.
     */
    public synchronized TimeSeriesStore series(TimeSeriesSettings settings) {
        if (series == null && settings != null) {
            series = stores.openSeries(name(), settings);
            stores.opened(this);
        }
        return series;
    }

    /**
     * The shard's time series, opened with the collection's {@code settings} if it is not open,
     * and the collection's {@code retention} (ns, 0: none) and downsampling {@code rules}, which a
     * store opened by a read since the node started learns here. The first time rules are known,
     * the shard's downsampling projection starts.
     */
    synchronized TimeSeriesStore series(TimeSeriesSettings settings, long retention, List<DownsamplingRule> rules) {
        this.retention = retention;
        this.rules = List.copyOf(rules);
        TimeSeriesStore opened = series(settings);
        if (opened != null && downsampling == null && !rules.isEmpty()) {
            downsampling = stores.startDownsampling(this);
        }
        return opened;
    }

    /** The collection's downsampling rules, as its last batch or query carried them. */
    synchronized List<DownsamplingRule> rules() {
        return rules;
    }

    /**
     * Downsamples journal event {@code seq} of this shard, whose appends of this layer's kind are
     * {@code batches} (none for any other event): see {@link TimeSeriesStore#downsample}. An event
     * before the store is open, or without rules known, is {@link
     * TimeSeriesStore.Downsampled#NOT_APPLIED_YET}.
     */
    public TimeSeriesStore.Downsampled downsample(long seq, List<byte[]> batches) {
        TimeSeriesStore store;
        List<DownsamplingRule> known;
        synchronized (this) {
            store = series;
            known = rules;
        }
        if (store == null || known.isEmpty()) {
            return TimeSeriesStore.Downsampled.NOT_APPLIED_YET;
        }
        List<Point> points = new ArrayList<>();
        for (byte[] batch : batches) {
            points.addAll(PointBatchFormat.decode(batch).points());
        }
        return store.downsample(seq, points, known);
    }

    /** Events applied and not downsampled yet (0 without rules or while the store is not open). */
    synchronized long downsamplingLag() {
        return series == null || rules.isEmpty() ? 0 : Math.max(0, series.appliedSeq() - series.downsampledSeq());
    }

    /** The last journal event downsampled (0: none, or the store is not open). */
    public synchronized long downsampledSeq() {
        return series == null ? 0 : series.downsampledSeq();
    }

    /** The retention (ns, 0: none) the collection's last batch carried. */
    synchronized long retention() {
        return retention;
    }

    @Override
    public CompletionStage<byte[]> extension(String kind, byte[] request) {
        if (!kind.equals(TimeSeriesQueries.SHARD_QUERY_KIND)) {
            return inner.extension(kind, request);
        }
        return CompletableFuture.supplyAsync(() -> TimeSeriesQueries.runOnShard(this, request), stores.queryExecutor());
    }

    /**
     * The series' contents (every block, series, field type and rolled-up window, with the applied
     * event and the downsampling offset), read from the database whether or not the series are
     * open here, since a shard's first event after a restart is imaged before it opens them.
     */
    @Override
    public List<LayerImage> layerImages() {
        List<LayerImage> images = new ArrayList<>(inner.layerImages());
        byte[] mine = stores.image(name());
        if (mine != null) {
            images.add(new LayerImage(APPEND_KIND, mine));
        }
        return images;
    }

    /**
     * Closes the series (stopping their downsampling), replaces their contents with the image's
     * (none without one), and writes the points of the imaged event if it appended any. They open
     * again at the next append or query, which also restarts downsampling from the image's offset.
     */
    @Override
    public void installLayers(long seq, List<LayerImage> images, String pendingKind, List<byte[]> pendingBatches) {
        byte[] mine = null;
        List<LayerImage> others = new ArrayList<>();
        for (LayerImage image : images) {
            if (image.kind().equals(APPEND_KIND)) {
                mine = image.contents();
            } else {
                others.add(image);
            }
        }
        boolean appended = APPEND_KIND.equals(pendingKind);
        inner.installLayers(seq, others, appended ? null : pendingKind, appended ? List.of() : pendingBatches);
        closeSeries();
        stores.install(name(), mine);
        if (appended) {
            writePoints(seq, pendingBatches);
        }
    }

    @Override
    public void close() {
        closeSeries();
        inner.close();
    }

    /** Stops downsampling and closes the series, if open. */
    private void closeSeries() {
        Runnable stop;
        synchronized (this) {
            stop = downsampling;
            downsampling = null;
        }
        if (stop != null) {
            stop.run();
        }
        synchronized (this) {
            if (series != null) {
                stores.closed(this);
                series.close();
                series = null;
            }
        }
    }
}

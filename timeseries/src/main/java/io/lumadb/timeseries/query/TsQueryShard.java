package io.lumadb.timeseries.query;

import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.TimeBlock;
import io.lumadb.timeseries.WindowAggregator;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.RollupCell;
import io.lumadb.timeseries.store.SeriesFilter;
import io.lumadb.timeseries.store.SeriesRollups;
import io.lumadb.timeseries.store.SeriesRows;
import io.lumadb.timeseries.store.TimeSeriesStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@link TsQuery} against one shard's {@link TimeSeriesStore} and encodes the shard's
 * mergeable partial answer ({@link TsPartialFormat}); {@link TsQueryMerge} combines the partials of
 * every shard into the response.
 *
 * <p>The series are narrowed by the store's tag index with the query's tag equalities, then each
 * series key is tested against every tag condition exactly. Aggregates are computed from the rows of
 * a scan, read in time slices so that memory holds one slice of rows, not the range. When no row
 * filter applies, only count, sum, min, max and mean are asked, the fields are named and the window
 * (or the range, without one) is at least an hour, the store's own window aggregates answer
 * instead: they take a sealed float block that lies inside one window from its header, without
 * decoding it. If a named field turns out not to be numeric there, the scan answers after all.
 *
 * <p>Numbers are aggregated as doubles: integers and unsigned integers are exact up to 2^53 and
 * rounded to the nearest double beyond it; sums add doubles. A NaN is treated as absent.
 */
public final class TsQueryShard {
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    /** The fewest rows a scan slice spans: a typical block duration. */
    private static final long MIN_SLICE = HOUR;
    /** The most scan slices a query is cut into. */
    private static final long MAX_SLICES = 10_000;

    private TsQueryShard() {}

    /**
     * This shard's partial answer to {@code q}.
     *
     * @throws io.lumadb.timeseries.store.TimeSeriesStoreException when the store fails
     */
    public static byte[] run(TimeSeriesStore store, TsQuery q) {
        return run(store, q, List.of());
    }

    /**
     * This shard's partial answer to {@code q} over a collection with the downsampling {@code
     * rules}: an aggregate query that a rule's rolled-up windows answer exactly is answered from
     * them, up to where they are closed, and from the points after that.
     */
    public static byte[] run(TimeSeriesStore store, TsQuery q, List<DownsamplingRule> rules) {
        TsPartial partial =
                switch (q.mode()) {
                    case AGGREGATE -> {
                        int rule = rollupFor(store, q, rules, System.currentTimeMillis() * 1_000_000L);
                        yield rule >= 0 ? fromRollups(store, q, rule, rules.get(rule)) : aggregates(store, q);
                    }
                    case RAW -> raw(store, q);
                    case LAST -> last(store, q);
                };
        return TsPartialFormat.write(partial);
    }

    /** Whether {@code q} may be answered by the store's header-using aggregates. */
    static boolean usesHeaders(TsQuery q) {
        if (q.mode() != TsQuery.Mode.AGGREGATE || !q.filter().isEmpty() || q.fields() == null) {
            return false;
        }
        for (TsQuery.Aggregate a : q.aggregates()) {
            switch (a.spec().kind()) {
                case COUNT, SUM, MIN, MAX, MEAN -> {}
                default -> {
                    return false;
                }
            }
        }
        long span = q.window() != 0 ? q.window() : q.to() - q.from();
        return span >= HOUR; // a negative span overflowed, so the range is long: no header path
    }

    // ------------------------------------------------------------------ aggregates

    private static TsPartial aggregates(TimeSeriesStore store, TsQuery q) {
        if (usesHeaders(q)) {
            try {
                return fromHeaders(store, q);
            } catch (IllegalArgumentException e) {
                // A named field is not numeric in some series: count needs those values too.
            }
        }
        Map<GroupKey, Map<Long, Map<String, Cell>>> groups = new HashMap<>();
        scan(store, q, q.from(), q.to(), groups);
        groups.values().removeIf(Map::isEmpty);
        return new TsPartial.Aggregates(q.needsFirstLast(), q.needsValues(), groups);
    }

    /** Adds the cells of the rows in {@code [from, to)} to {@code groups}. */
    private static void scan(
            TimeSeriesStore store, TsQuery q, long from, long to, Map<GroupKey, Map<Long, Map<String, Cell>>> groups) {
        boolean firstLast = q.needsFirstLast();
        boolean keepValues = q.needsValues();
        SeriesFilter sf = q.seriesFilter();
        Map<SeriesKey, Boolean> matches = new HashMap<>();
        forEachSlice(from, to, (lo, hi) -> {
            for (SeriesRows sr : store.scan(sf, lo, hi)) {
                SeriesKey key = sr.series();
                if (!matches.computeIfAbsent(key, q::matchesSeries)) {
                    continue;
                }
                String canonical = key.canonical();
                Map<Long, Map<String, Cell>> windows = groups.computeIfAbsent(q.groupOf(key), g -> new HashMap<>());
                for (TimeBlock.Row r : sr.rows()) {
                    if (!q.matchesRow(r)) {
                        continue;
                    }
                    Map<String, Cell> cells = null;
                    for (Map.Entry<String, FieldValue> f : r.fields().entrySet()) {
                        if (!q.selects(f.getKey()) || Values.isNaN(f.getValue())) {
                            continue;
                        }
                        if (cells == null) {
                            cells = windows.computeIfAbsent(q.windowStart(r.time()), w -> new HashMap<>());
                        }
                        cells.computeIfAbsent(f.getKey(), x -> new Cell())
                                .add(r.time(), canonical, f.getValue(), firstLast, keepValues);
                    }
                }
            }
            return true;
        });
    }

    // ------------------------------------------------------------------ rolled-up windows

    /** How long a query waits for the downsampling projection to catch up before it reads points instead. */
    private static final long CATCH_UP_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /**
     * The rule whose rolled-up windows answer {@code q} exactly, or -1: an aggregate query without a
     * row filter or percentiles, whose aggregates the rule keeps and whose window is a multiple of
     * the rule's (or which has none); and the projection has downsampled every event the store had
     * applied when the query began (it waits up to {@link #CATCH_UP_NANOS} for that). The
     * coarsest such rule whose retention reaches back to the range's start wins (else the one that
     * keeps windows longest). The parts of the range that are not whole closed windows of the rule
     * are read from the points.
     */
    static int rollupFor(TimeSeriesStore store, TsQuery q, List<DownsamplingRule> rules, long now) {
        if (rules.isEmpty() || q.mode() != TsQuery.Mode.AGGREGATE || !q.filter().isEmpty() || q.needsValues()) {
            return -1;
        }
        int best = -1;
        boolean bestCovers = false;
        for (int r = rules.size() - 1; r >= 0; r--) {
            DownsamplingRule rule = rules.get(r);
            if (!answers(q, rule)) {
                continue;
            }
            boolean covers = rule.retention() == 0 || q.from() >= now - rule.retention();
            if (best < 0 || (covers && !bestCovers) || (!covers && !bestCovers && keepsLonger(rule, rules.get(best)))) {
                best = r;
                bestCovers = covers;
            }
        }
        if (best < 0) {
            return -1;
        }
        // Every write acknowledged before the query began must be in the answer: the projection
        // catches up to where the store is now (not to where later writes take it).
        long applied = store.appliedSeq();
        long deadline = System.nanoTime() + CATCH_UP_NANOS;
        while (store.downsampledSeq() < applied) {
            if (System.nanoTime() > deadline) {
                return -1;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return best;
    }

    private static boolean keepsLonger(DownsamplingRule a, DownsamplingRule b) {
        return b.retention() != 0 && (a.retention() == 0 || a.retention() > b.retention());
    }

    private static boolean answers(TsQuery q, DownsamplingRule rule) {
        for (TsQuery.Aggregate a : q.aggregates()) {
            if (!rule.aggregates().contains(a.spec().kind())) {
                return false;
            }
        }
        // Each of the rule's windows then lies inside one of the query's (epoch-aligned) windows.
        return q.window() == 0 || q.window() % rule.every() == 0;
    }

    /**
     * The partial from rule {@code r}'s closed windows inside the range, and from the points
     * around them: before the range's first whole window of the rule, and from the end of the last
     * one that is inside the range and closed.
     */
    private static TsPartial fromRollups(TimeSeriesStore store, TsQuery q, int r, DownsamplingRule rule) {
        long every = rule.every();
        long lo = alignUp(q.from(), every);
        long hi = Math.min(store.rolledUpBefore(rule), Math.floorDiv(q.to(), every) * every);
        if (lo == Long.MIN_VALUE || hi <= lo) {
            lo = q.from();
            hi = q.from();
        }
        Map<GroupKey, Map<Long, Map<String, Cell>>> groups = new HashMap<>();
        scan(store, q, q.from(), lo, groups);
        boolean firstLast = q.needsFirstLast();
        for (SeriesRollups sr : store.rollups(r, q.seriesFilter(), lo, hi)) {
            if (!q.matchesSeries(sr.series())) {
                continue;
            }
            String canonical = sr.series().canonical();
            Map<Long, Map<String, Cell>> windows = groups.computeIfAbsent(q.groupOf(sr.series()), g -> new HashMap<>());
            for (SeriesRollups.Window w : sr.windows()) {
                Map<String, Cell> cells = null;
                for (Map.Entry<String, RollupCell> f : w.fields().entrySet()) {
                    if (!q.selects(f.getKey())) {
                        continue;
                    }
                    if (cells == null) {
                        cells = windows.computeIfAbsent(q.windowStart(w.start()), x -> new HashMap<>());
                    }
                    RollupCell rc = f.getValue();
                    Cell c = cells.computeIfAbsent(f.getKey(), x -> new Cell());
                    c.count += rc.count();
                    if (rc.n() > 0) {
                        c.addNumbers(rc.n(), rc.sum(), rc.min(), rc.max());
                    }
                    if (firstLast && rc.first() != null) {
                        c.offerFirst(rc.firstTime(), canonical, rc.first());
                        c.offerLast(rc.lastTime(), canonical, rc.last());
                    }
                }
            }
        }
        scan(store, q, hi, q.to(), groups);
        groups.values().removeIf(Map::isEmpty);
        // Said only when closed windows took part, not when the whole range was read from the points.
        return new TsPartial.Aggregates(firstLast, false, groups, hi > lo ? every : 0);
    }

    /** The smallest multiple of {@code every} at or after {@code t}; Long.MIN_VALUE when there is none. */
    private static long alignUp(long t, long every) {
        long down = Math.floorDiv(t, every) * every;
        if (down == t) {
            return t;
        }
        return down > Long.MAX_VALUE - every ? Long.MIN_VALUE : down + every;
    }

    /** Count, sum, min and max from the store's window aggregates, which read sealed blocks' headers. */
    private static TsPartial fromHeaders(TimeSeriesStore store, TsQuery q) {
        long every = q.window() != 0 ? q.window() : q.to() - q.from();
        WindowAggregator.Kind[] kinds = {
            WindowAggregator.Kind.COUNT, WindowAggregator.Kind.SUM, WindowAggregator.Kind.MIN, WindowAggregator.Kind.MAX
        };
        Map<GroupKey, Map<Long, Map<String, Cell>>> groups = new HashMap<>();
        SeriesFilter sf = q.seriesFilter();
        for (String field : q.fields()) {
            // Per series and window start: count, sum, min, max (empty windows are left out).
            Map<SeriesKey, Map<Long, double[]>> bySeries = new LinkedHashMap<>();
            List<WindowAggregator.Aggregate> aggregates = new ArrayList<>(kinds.length);
            for (WindowAggregator.Kind kind : kinds) {
                aggregates.add(WindowAggregator.Aggregate.of(kind));
            }
            // The four from one read of each series' blocks.
            store.aggregatesPerSeries(sf, field, q.from(), q.to(), every, aggregates, WindowAggregator.Fill.NONE)
                    .forEach((key, perAggregate) -> {
                        Map<Long, double[]> byStart = bySeries.computeIfAbsent(key, x -> new HashMap<>());
                        for (int k = 0; k < kinds.length; k++) {
                            for (WindowAggregator.Window w : perAggregate.get(k)) {
                                byStart.computeIfAbsent(w.start(), x -> new double[kinds.length])[k] = w.value();
                            }
                        }
                    });
            for (Map.Entry<SeriesKey, Map<Long, double[]>> s : bySeries.entrySet()) {
                if (!q.matchesSeries(s.getKey()) || s.getValue().isEmpty()) {
                    continue;
                }
                Map<Long, Map<String, Cell>> windows =
                        groups.computeIfAbsent(q.groupOf(s.getKey()), g -> new HashMap<>());
                for (Map.Entry<Long, double[]> w : s.getValue().entrySet()) {
                    double[] v = w.getValue();
                    long n = (long) v[0];
                    // Without a window, the store's (at most two) windows of the range's length are one.
                    long start = q.window() != 0 ? w.getKey() : q.from();
                    Cell c = windows.computeIfAbsent(start, x -> new HashMap<>())
                            .computeIfAbsent(field, x -> new Cell());
                    c.count += n;
                    c.addNumbers(n, v[1], v[2], v[3]);
                }
            }
        }
        return new TsPartial.Aggregates(false, false, groups);
    }

    // ------------------------------------------------------------------ raw and last

    private static TsPartial raw(TimeSeriesStore store, TsQuery q) {
        Comparator<TsPartial.Row> order = rowOrder(q);
        List<TsPartial.Row> rows = new ArrayList<>();
        boolean[] truncated = {false};
        SeriesFilter sf = q.seriesFilter();
        Map<SeriesKey, Boolean> matches = new HashMap<>();
        boolean oneGroup = q.groupBy().isEmpty() && !q.groupBySeries();
        forEachSlice(q.from(), q.to(), (lo, hi) -> {
            for (SeriesRows sr : store.scan(sf, lo, hi)) {
                if (!matches.computeIfAbsent(sr.series(), q::matchesSeries)) {
                    continue;
                }
                for (TimeBlock.Row r : sr.rows()) {
                    TsPartial.Row row = project(q, sr.series(), r);
                    if (row != null) {
                        rows.add(row);
                    }
                }
                if (rows.size() > 2 * q.limit()) {
                    truncated[0] |= keepFirst(rows, order, q.limit());
                }
            }
            // Slices come in time order: with one group, later rows cannot displace these.
            return !(oneGroup && rows.size() > q.limit());
        });
        truncated[0] |= keepFirst(rows, order, q.limit());
        return new TsPartial.Rows(truncated[0], rows);
    }

    private static TsPartial last(TimeSeriesStore store, TsQuery q) {
        SeriesFilter sf = q.seriesFilter();
        Set<SeriesKey> pending = new HashSet<>();
        for (SeriesKey k : store.series(sf)) {
            if (q.matchesSeries(k)) {
                pending.add(k);
            }
        }
        List<TsPartial.Row> rows = new ArrayList<>();
        Set<SeriesKey> done = new HashSet<>();
        // Walk back from 'to' in slices that double, until every series has its newest row.
        long hi = q.to();
        long span = HOUR;
        while (hi > q.from() && !pending.isEmpty()) {
            long lo = Long.compareUnsigned(hi - q.from(), span) <= 0 ? q.from() : hi - span;
            for (SeriesRows sr : store.scan(sf, lo, hi)) {
                if (done.contains(sr.series()) || !q.matchesSeries(sr.series())) {
                    continue;
                }
                List<TimeBlock.Row> rs = sr.rows();
                for (int i = rs.size() - 1; i >= 0; i--) {
                    TsPartial.Row row = project(q, sr.series(), rs.get(i));
                    if (row != null) {
                        rows.add(row);
                        done.add(sr.series());
                        pending.remove(sr.series());
                        break;
                    }
                }
            }
            hi = lo;
            span = span > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : span * 2;
        }
        boolean truncated = keepFirst(rows, rowOrder(q), q.limit());
        return new TsPartial.Rows(truncated, rows);
    }

    /** The row with the query's selected fields, or null when it fails the filter or has none of them. */
    private static TsPartial.Row project(TsQuery q, SeriesKey series, TimeBlock.Row r) {
        if (!q.matchesRow(r)) {
            return null;
        }
        Map<String, FieldValue> fields = new LinkedHashMap<>();
        if (q.fields() != null) {
            for (String f : q.fields()) {
                FieldValue v = r.fields().get(f);
                if (v != null) {
                    fields.put(f, v);
                }
            }
        } else {
            r.fields().entrySet().stream()
                    .sorted((a, b) -> SeriesKey.compareCodePoints(a.getKey(), b.getKey()))
                    .forEach(e -> fields.put(e.getKey(), e.getValue()));
        }
        return fields.isEmpty() ? null : new TsPartial.Row(series, r.time(), fields);
    }

    /** The response's row order: by group, then time, then series key. */
    static Comparator<TsPartial.Row> rowOrder(TsQuery q) {
        Map<SeriesKey, GroupKey> groups = new HashMap<>();
        Comparator<TsPartial.Row> byGroup = (a, b) -> q.compareGroups(
                groups.computeIfAbsent(a.series(), q::groupOf), groups.computeIfAbsent(b.series(), q::groupOf));
        return byGroup.thenComparingLong(TsPartial.Row::time)
                .thenComparing((a, b) -> SeriesKey.compareCodePoints(
                        a.series().canonical(), b.series().canonical()));
    }

    /** Sorts the rows and keeps the first {@code limit}; whether any were dropped. */
    static boolean keepFirst(List<TsPartial.Row> rows, Comparator<TsPartial.Row> order, int limit) {
        rows.sort(order);
        if (rows.size() <= limit) {
            return false;
        }
        rows.subList(limit, rows.size()).clear();
        return true;
    }

    // ------------------------------------------------------------------ slices

    private interface Slice {
        /** Reads {@code [lo, hi)}; false to stop. */
        boolean read(long lo, long hi);
    }

    /** Cuts {@code [from, to)} into at most {@link #MAX_SLICES} consecutive slices of an hour or more. */
    private static void forEachSlice(long from, long to, Slice body) {
        long length = Math.max(MIN_SLICE, Long.divideUnsigned(to - from, MAX_SLICES) + 1);
        long lo = from;
        while (lo < to) {
            long hi = Long.compareUnsigned(to - lo, length) <= 0 ? to : lo + length;
            if (!body.read(lo, hi)) {
                return;
            }
            lo = hi;
        }
    }
}

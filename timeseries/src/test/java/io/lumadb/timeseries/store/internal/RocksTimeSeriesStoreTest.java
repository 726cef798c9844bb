package io.lumadb.timeseries.store.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.timeseries.FieldType;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.Seeded;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.WindowAggregator;
import io.lumadb.timeseries.WindowAggregator.Aggregate;
import io.lumadb.timeseries.WindowAggregator.Fill;
import io.lumadb.timeseries.store.BlockInfo;
import io.lumadb.timeseries.store.PointError;
import io.lumadb.timeseries.store.SeriesFilter;
import io.lumadb.timeseries.store.SeriesRows;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStoreException;
import io.lumadb.timeseries.store.WriteResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.rocksdb.RocksDBException;

class RocksTimeSeriesStoreTest {

    static final long S = TimeUnit.SECONDS.toNanos(1);
    static final long MIN = 60 * S;
    static final long HOUR = 60 * MIN;
    /** 2026-01-01T00:00:00Z, on an hour. */
    static final long T0 = 1_767_225_600L * S;

    static final TimeSeriesSettings SETTINGS = new TimeSeriesSettings(HOUR, 10 * MIN);
    /** A shard store's 8-byte id (7) and the time-series key space byte. */
    static final byte[] PREFIX = {0, 0, 0, 0, 0, 0, 0, 7, 0x10};

    TempRocks rocks;
    RocksTimeSeriesStore store;

    @BeforeEach
    void setUp() throws IOException {
        rocks = new TempRocks();
        store = open(PREFIX);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (store != null) {
            store.close();
        }
        rocks.close();
    }

    RocksTimeSeriesStore open(byte[] prefix) {
        return RocksTimeSeriesStore.open("test", rocks.db, rocks.state, prefix, SETTINGS);
    }

    void reopenDatabase() {
        store.close();
        rocks.reopen();
        store = open(PREFIX);
    }

    static Point point(String measurement, String host, long time, Map<String, FieldValue> fields) {
        return new Point(
                measurement, List.of(new Point.Tag("host", host), new Point.Tag("region", region(host))), fields, time);
    }

    static String region(String host) {
        return host.hashCode() % 2 == 0 ? "eu" : "us";
    }

    static Map<String, FieldValue> usage(double v) {
        return Map.of("usage", new FieldValue.FloatValue(v));
    }

    /**
     * Random batches: two measurements, four hosts, fields of every type (each field keeps its
     * type but for a rare wrong one), a time that moves forward by batch with jitter both ways,
     * some points hours late (into sealed blocks), and timestamps reused within and across batches.
     */
    static List<List<Point>> randomBatches(Random rnd, int batches, boolean numericOnly) {
        String[] hosts = {"h0", "h1", "h2", "h3"};
        List<List<Point>> out = new ArrayList<>();
        List<Long> used = new ArrayList<>();
        long now = T0;
        for (int b = 0; b < batches; b++) {
            now += (1 + rnd.nextInt(10)) * MIN;
            List<Point> batch = new ArrayList<>();
            int n = 1 + rnd.nextInt(60);
            for (int i = 0; i < n; i++) {
                long t;
                int shape = rnd.nextInt(100);
                if (shape < 15 && !used.isEmpty()) {
                    t = used.get(rnd.nextInt(used.size())); // a duplicate timestamp
                } else if (shape < 25) {
                    t = now - (1 + rnd.nextInt(5 * 3600)) * S; // late, often into a sealed block
                } else {
                    t = now + (rnd.nextInt(1200) - 900) * S; // out of order around now
                }
                used.add(t);
                String m = rnd.nextBoolean() ? "cpu" : "mem";
                Map<String, FieldValue> fields = new HashMap<>();
                fields.put("usage", new FieldValue.FloatValue(Math.round(rnd.nextDouble() * 1000) / 10.0));
                if (rnd.nextInt(3) == 0) {
                    fields.put("count", new FieldValue.IntegerValue(rnd.nextInt(2000) - 1000));
                }
                if (!numericOnly) {
                    if (rnd.nextInt(4) == 0) {
                        fields.put("ok", new FieldValue.BooleanValue(rnd.nextBoolean()));
                    }
                    if (rnd.nextInt(4) == 0) {
                        fields.put("state", new FieldValue.StringValue(rnd.nextBoolean() ? "up" : "down ✓"));
                    }
                    if (rnd.nextInt(5) == 0) {
                        fields.put("bytes", new FieldValue.UnsignedValue(rnd.nextLong()));
                    }
                    if (rnd.nextInt(40) == 0) {
                        fields.put("count", new FieldValue.StringValue("not a number")); // a type conflict
                    }
                    if (rnd.nextInt(3) == 0) {
                        fields.remove("usage");
                        if (fields.isEmpty()) {
                            fields.put("ok", new FieldValue.BooleanValue(true));
                        }
                    }
                }
                batch.add(point(m, hosts[rnd.nextInt(hosts.length)], t, fields));
            }
            out.add(batch);
        }
        return out;
    }

    /** Writes a batch to the store and the model and checks the errors agree. */
    static WriteResult write(RocksTimeSeriesStore store, TimeSeriesModel model, long seq, List<Point> batch) {
        WriteResult r = store.write(seq, batch);
        List<TimeSeriesModel.Rejected> expected = model.apply(batch);
        assertTrue(r.applied(), "batch " + seq + " applied");
        assertEquals(
                expected,
                r.errors().stream()
                        .map(e -> new TimeSeriesModel.Rejected(e.index(), e.kind(), e.field()))
                        .toList(),
                "errors of batch " + seq);
        assertEquals(batch.size() - expected.size(), r.pointsWritten());
        return r;
    }

    void assertReadsEqualModel(TimeSeriesModel model, Random rnd, String when) {
        assertEquals(
                model.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE),
                store.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE),
                when + ": everything");
        assertEquals(List.copyOf(model.keys.values()), store.seriesKeys(), when + ": series keys");
        for (int i = 0; i < 20; i++) {
            SeriesFilter f = randomFilter(rnd);
            long from = T0 + (rnd.nextInt(16 * 60) - 60) * MIN;
            long to = from + rnd.nextInt(6 * 60) * MIN;
            assertEquals(
                    model.scan(f, from, to), store.scan(f, from, to), when + ": " + f + " [" + from + ", " + to + ")");
            assertEquals(
                    model.keys.values().stream()
                            .filter(k -> TimeSeriesModel.matches(k, f))
                            .toList(),
                    store.series(f),
                    when + ": series of " + f);
        }
    }

    static SeriesFilter randomFilter(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> SeriesFilter.ALL;
            case 1 -> SeriesFilter.measurement(rnd.nextBoolean() ? "cpu" : "mem");
            case 2 -> SeriesFilter.measurement("cpu").tag("host", "h" + rnd.nextInt(5));
            case 3 ->
                SeriesFilter.measurement("mem")
                        .tag("region", rnd.nextBoolean() ? "eu" : "us")
                        .tag("host", "h" + rnd.nextInt(4));
            default -> new SeriesFilter(null, Map.of("region", "eu"));
        };
    }

    @Test
    void randomBatchesReadBackLikeTheModelAcrossReopensAndFlush() {
        Seeded.run("random batches", rnd -> {
            TimeSeriesModel model = new TimeSeriesModel();
            List<List<Point>> batches = randomBatches(rnd, 80, false);
            int sealed = 0;
            for (int i = 0; i < 60; i++) {
                sealed += write(store, model, i + 1, batches.get(i)).blocksSealed();
            }
            assertTrue(sealed > 0, "some blocks were sealed");
            assertFalse(store.blocks(SeriesFilter.ALL).isEmpty(), "sealed blocks stored");
            assertTrue(store.openRows() > 0, "open rows stored");
            assertReadsEqualModel(model, rnd, "after 60 batches");

            reopenDatabase();
            assertEquals(60, store.appliedSeq());
            assertReadsEqualModel(model, rnd, "after a reopen");
            for (int i = 60; i < 80; i++) {
                write(store, model, i + 1, batches.get(i));
            }
            assertReadsEqualModel(model, rnd, "after 20 more batches");

            store.flush();
            assertEquals(0, store.openRows());
            assertReadsEqualModel(model, rnd, "after flush");
            for (BlockInfo b : store.blocks(SeriesFilter.ALL)) {
                assertEquals(0, Math.floorMod(b.start(), HOUR), "block start " + b.start());
                assertTrue(b.firstTime() >= b.start() && b.lastTime() < b.start() + HOUR, "block range " + b);
            }
            reopenDatabase();
            assertReadsEqualModel(model, rnd, "after flush and reopen");
        });
    }

    @Test
    void duplicatePointsMergeFieldByFieldTheLastWriteWinning() {
        SeriesKey key = point("cpu", "h0", T0, usage(1)).seriesKey();
        store.write(
                1,
                List.of(
                        point(
                                "cpu",
                                "h0",
                                T0,
                                Map.of("usage", new FieldValue.FloatValue(1), "idle", new FieldValue.FloatValue(9))),
                        point("cpu", "h0", T0, usage(2))));
        store.write(2, List.of(point("cpu", "h0", T0, Map.of("user", new FieldValue.FloatValue(5)))));
        Map<String, FieldValue> expected = Map.of(
                "usage", new FieldValue.FloatValue(2),
                "idle", new FieldValue.FloatValue(9),
                "user", new FieldValue.FloatValue(5));
        assertEquals(
                List.of(new SeriesRows(key, List.of(new io.lumadb.timeseries.TimeBlock.Row(T0, expected)))),
                store.scan(SeriesFilter.ALL, T0, T0 + 1));
        // Sealed by a later batch; a duplicate then rebuilds the sealed block.
        store.write(3, List.of(point("cpu", "h0", T0 + 3 * HOUR, usage(3))));
        assertEquals(1, store.blocks(SeriesFilter.ALL).size());
        store.write(4, List.of(point("cpu", "h0", T0, usage(4))));
        Map<String, FieldValue> after = new HashMap<>(expected);
        after.put("usage", new FieldValue.FloatValue(4));
        assertEquals(
                List.of(new SeriesRows(key, List.of(new io.lumadb.timeseries.TimeBlock.Row(T0, after)))),
                store.scan(SeriesFilter.ALL, T0, T0 + 1));
        assertEquals(1, store.blocks(SeriesFilter.ALL).getFirst().count());
    }

    @Test
    void replayedBatchesAreSkippedAndRecoveryReachesTheSameBytes() throws RocksDBException {
        Seeded.run("replay", rnd -> {
            List<List<Point>> batches = randomBatches(rnd, 30, false);
            TimeSeriesModel model = new TimeSeriesModel();
            for (int i = 0; i < batches.size(); i++) {
                write(store, model, i + 1, batches.get(i));
            }
            List<SeriesRows> before = store.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE);
            // Replays, with the same or with other points, change nothing.
            for (int i = 0; i < batches.size(); i++) {
                assertEquals(WriteResult.skipped(), store.write(i + 1, batches.get((i + 7) % batches.size())));
            }
            assertEquals(before, store.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE));
            assertEquals(30, store.appliedSeq());

            // A second store over the same column family applies 1..18, "crashes" (the database is
            // reopened without a flush), then is handed the whole journal, 1..30, again.
            byte[] other = {0, 0, 0, 0, 0, 0, 0, 8, 0x10};
            RocksTimeSeriesStore second = open(other);
            for (int i = 0; i < 18; i++) {
                second.write(i + 1, batches.get(i));
            }
            second.close();
            store.close();
            rocks.reopen();
            store = open(PREFIX);
            second = open(other);
            try {
                for (int i = 0; i < batches.size(); i++) {
                    assertEquals(i >= 18, second.write(i + 1, batches.get(i)).applied(), "batch " + (i + 1));
                }
                assertEquals(before, second.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE));
            } finally {
                second.close();
            }
            Map<String, String> a = rocks.rawContent(PREFIX);
            Map<String, String> b = rocks.rawContent(other);
            assertFalse(a.isEmpty());
            assertEquals(a, b, "a store that recovered by replay holds the same keys and values");
        });
    }

    @Test
    void typeConflictsAreReportedPerPointAndTheRestIsStored() {
        store.write(
                1,
                List.of(point(
                        "cpu",
                        "h0",
                        T0,
                        Map.of("usage", new FieldValue.FloatValue(1), "n", new FieldValue.IntegerValue(1)))));
        reopenDatabase(); // the types must come from disk, not from memory
        WriteResult r = store.write(
                2,
                List.of(
                        point("cpu", "h0", T0 + S, usage(2)),
                        point("cpu", "h0", T0 + 2 * S, Map.of("usage", new FieldValue.IntegerValue(3))),
                        point(
                                "cpu",
                                "h1",
                                T0 + 2 * S,
                                Map.of("usage", new FieldValue.IntegerValue(3))), // another series
                        point("cpu", "h1", T0 + 3 * S, usage(4)), // conflicts with the point just before
                        point(
                                "cpu",
                                "h0",
                                T0 + 4 * S,
                                Map.of(
                                        "n",
                                        new FieldValue.FloatValue(5),
                                        "m",
                                        new FieldValue.BooleanValue(true),
                                        "usage",
                                        new FieldValue.StringValue("x"))),
                        point("cpu", "h0", T0 + 5 * S, Map.of("s", new FieldValue.StringValue("a"))),
                        point("cpu", "h0", T0 + 6 * S, Map.of("s", new FieldValue.BooleanValue(false)))));
        assertTrue(r.applied());
        assertEquals(3, r.pointsWritten());
        assertEquals(
                List.of(1, 3, 4, 6), r.errors().stream().map(PointError::index).toList());
        PointError e = r.errors().getFirst();
        assertEquals(PointError.Kind.FIELD_TYPE_CONFLICT, e.kind());
        assertEquals("usage", e.field());
        assertEquals(FieldType.FLOAT, e.storedType());
        assertEquals(FieldType.INTEGER, e.givenType());
        assertTrue(e.message().contains("usage") && e.message().contains("cpu,host=h0,region="), e.message());
        assertEquals(FieldType.INTEGER, r.errors().get(1).storedType());
        assertEquals("n", r.errors().get(2).field(), "the first conflicting field by name");
        assertEquals(FieldType.STRING, r.errors().get(3).storedType());

        List<SeriesRows> rows = store.scan(SeriesFilter.ALL, T0, T0 + HOUR);
        assertEquals(
                List.of(T0, T0 + S, T0 + 5 * S),
                rows.get(0).rows().stream().map(x -> x.time()).toList());
        assertEquals(
                List.of(T0 + 2 * S),
                rows.get(1).rows().stream().map(x -> x.time()).toList());
        assertEquals(
                new FieldValue.IntegerValue(3),
                rows.get(1).rows().getFirst().fields().get("usage"));
    }

    @Test
    void retentionDropsExactlyTheBlocksThatEndBeforeTheCut() {
        // Every 10 minutes for 10 hours, one batch an hour, two series.
        TreeMap<Long, Double> written = new TreeMap<>();
        for (int h = 0; h < 10; h++) {
            List<Point> batch = new ArrayList<>();
            for (int m = 0; m < 60; m += 10) {
                long t = T0 + h * HOUR + m * MIN;
                batch.add(point("cpu", "h0", t, usage(h * 100 + m)));
                batch.add(point("cpu", "h1", t, usage(-h)));
                written.put(t, (double) (h * 100 + m));
            }
            store.write(h + 1, batch);
        }
        // Newest 9:50, lateness 10 min: blocks 0..8 are sealed, block 9 is open.
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), blockHours("h0"));
        assertEquals(6, store.openRows() / 2);

        store.dropBefore(T0 + 3 * HOUR + 30 * MIN);
        assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L), blockHours("h0"), "the block straddling the cut stays whole");
        assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L), blockHours("h1"));
        assertEquals(List.copyOf(written.tailMap(T0 + 3 * HOUR).keySet()), times("h0"));
        assertEquals(12, store.openRows());

        WriteResult r = store.write(
                11,
                List.of(
                        point("cpu", "h0", T0 + 3 * HOUR + 10 * MIN, usage(-1)),
                        point("cpu", "h0", T0 + 3 * HOUR + 45 * MIN, usage(-2))));
        assertEquals(
                List.of(PointError.Kind.BEFORE_RETENTION),
                r.errors().stream().map(PointError::kind).toList());
        assertEquals(0, r.errors().getFirst().index());
        assertEquals(new FieldValue.FloatValue(310), valueAt("h0", T0 + 3 * HOUR + 10 * MIN));
        assertEquals(new FieldValue.FloatValue(-2), valueAt("h0", T0 + 3 * HOUR + 45 * MIN));

        // A cut inside the open block: its rows before the cut go, one by one.
        store.dropBefore(T0 + 9 * HOUR + 30 * MIN);
        assertEquals(List.of(), blockHours("h0"));
        assertEquals(
                List.of(T0 + 9 * HOUR + 30 * MIN, T0 + 9 * HOUR + 40 * MIN, T0 + 9 * HOUR + 50 * MIN), times("h0"));
        assertEquals(6, store.openRows());
        reopenDatabase();
        store.dropBefore(T0 + 9 * HOUR + 30 * MIN);
        assertEquals(
                List.of(T0 + 9 * HOUR + 30 * MIN, T0 + 9 * HOUR + 40 * MIN, T0 + 9 * HOUR + 50 * MIN), times("h0"));
        assertEquals(
                PointError.Kind.BEFORE_RETENTION,
                store.write(12, List.of(point("cpu", "h1", T0 + 9 * HOUR, usage(0))))
                        .errors()
                        .getFirst()
                        .kind());
        store.flush();
        assertEquals(List.of(9L), blockHours("h0"));
        assertEquals(3, store.blocks(SeriesFilter.ALL).getFirst().count());
    }

    List<Long> blockHours(String host) {
        return store.blocks(SeriesFilter.measurement("cpu").tag("host", host)).stream()
                .map(b -> (b.start() - T0) / HOUR)
                .toList();
    }

    List<Long> times(String host) {
        List<SeriesRows> rows =
                store.scan(SeriesFilter.measurement("cpu").tag("host", host), Long.MIN_VALUE, Long.MAX_VALUE);
        return rows.isEmpty()
                ? List.of()
                : rows.getFirst().rows().stream().map(r -> r.time()).toList();
    }

    FieldValue valueAt(String host, long t) {
        List<SeriesRows> rows = store.scan(SeriesFilter.measurement("cpu").tag("host", host), t, t + 1);
        return rows.isEmpty()
                ? null
                : rows.getFirst().rows().getFirst().fields().get("usage");
    }

    @Test
    void windowAggregatesEqualBruteForce() {
        Seeded.run("window aggregates", rnd -> {
            TimeSeriesModel model = new TimeSeriesModel();
            List<List<Point>> batches = randomBatches(rnd, 60, true);
            for (int i = 0; i < batches.size(); i++) {
                write(store, model, i + 1, batches.get(i));
            }
            checkAggregates(model, rnd, "with open rows");
            store.flush();
            checkAggregates(model, rnd, "all sealed");
        });
    }

    void checkAggregates(TimeSeriesModel model, Random rnd, String when) {
        long[] windows = {MIN, 7 * MIN, HOUR, 2 * HOUR, 3 * HOUR};
        String[] aggregates = {"mean", "sum", "min", "max", "count", "first", "last", "p90", "median"};
        for (int i = 0; i < 60; i++) {
            SeriesFilter f = randomFilter(rnd);
            long every = windows[rnd.nextInt(windows.length)];
            long from = i % 3 == 0 ? T0 - HOUR : T0 + rnd.nextInt(8 * 60) * MIN - 30 * MIN + rnd.nextInt(60) * S;
            long to = i % 3 == 0 ? T0 + 20 * HOUR : from + (1 + rnd.nextInt(8 * 60)) * MIN;
            Aggregate agg = Aggregate.parse(aggregates[rnd.nextInt(aggregates.length)]);
            String field = rnd.nextInt(4) == 0 ? "count" : "usage";
            Fill fill = rnd.nextBoolean() ? Fill.NONE : Fill.NULL;
            String what = when + ": " + agg + " of " + field + " every " + every + " over " + f + " [" + from + ", "
                    + to + ")";
            assertWindowsEqual(
                    bruteForce(model, f, field, from, to, every, agg, fill),
                    store.aggregate(f, field, from, to, every, agg, fill),
                    what);
            Map<SeriesKey, List<WindowAggregator.Window>> perSeries =
                    store.aggregatePerSeries(f, field, from, to, every, agg, fill);
            for (Map.Entry<SeriesKey, List<WindowAggregator.Window>> e : perSeries.entrySet()) {
                assertWindowsEqual(
                        bruteForce(model, exactly(e.getKey()), field, from, to, every, agg, fill),
                        e.getValue(),
                        what + " for " + e.getKey());
            }
            assertEquals(
                    model.keys.values().stream()
                            .filter(k -> TimeSeriesModel.matches(k, f))
                            .toList(),
                    List.copyOf(perSeries.keySet()));
            // Several aggregates from one read equal each asked alone, series by series.
            Aggregate other = Aggregate.parse(aggregates[rnd.nextInt(aggregates.length)]);
            Map<SeriesKey, List<List<WindowAggregator.Window>>> both =
                    store.aggregatesPerSeries(f, field, from, to, every, List.of(agg, other), fill);
            assertEquals(List.copyOf(perSeries.keySet()), List.copyOf(both.keySet()), what);
            Map<SeriesKey, List<WindowAggregator.Window>> otherAlone =
                    store.aggregatePerSeries(f, field, from, to, every, other, fill);
            for (SeriesKey key : both.keySet()) {
                assertWindowsEqual(perSeries.get(key), both.get(key).get(0), what + " with " + other + ", " + key);
                assertWindowsEqual(otherAlone.get(key), both.get(key).get(1), what + ": " + other + ", " + key);
            }
        }
    }

    static SeriesFilter exactly(SeriesKey key) {
        SeriesFilter f = SeriesFilter.measurement(key.measurement());
        for (Point.Tag t : key.tags()) {
            f = f.tag(t.key(), t.value());
        }
        return f;
    }

    /** A value at a time in the series that sorts {@code order}th. */
    record Sample(long time, int order, double value) {}

    static final java.util.Comparator<Sample> SAMPLE_ORDER =
            java.util.Comparator.comparingLong(Sample::time).thenComparingInt(Sample::order);

    /** Windows computed from the model's rows alone, ties between series broken by series order. */
    static List<WindowAggregator.Window> bruteForce(
            TimeSeriesModel model,
            SeriesFilter f,
            String field,
            long from,
            long to,
            long every,
            Aggregate agg,
            Fill fill) {
        TreeMap<Long, List<Sample>> byWindow = new TreeMap<>();
        int order = 0;
        for (Map.Entry<String, SeriesKey> e : model.keys.entrySet()) {
            order++;
            if (!TimeSeriesModel.matches(e.getValue(), f)) {
                continue;
            }
            for (Map.Entry<Long, Map<String, FieldValue>> r :
                    model.rows.get(e.getKey()).subMap(from, to).entrySet()) {
                FieldValue v = r.getValue().get(field);
                if (v == null) {
                    continue;
                }
                double d = v instanceof FieldValue.FloatValue x ? x.value() : ((FieldValue.IntegerValue) v).value();
                byWindow.computeIfAbsent(Math.floorDiv(r.getKey(), every) * every, k -> new ArrayList<>())
                        .add(new Sample(r.getKey(), order, d));
            }
        }
        List<WindowAggregator.Window> out = new ArrayList<>();
        for (long w = Math.floorDiv(from, every) * every; w < to; w += every) {
            List<Sample> vs = byWindow.get(w);
            if (vs == null) {
                if (!(fill instanceof Fill.None)) {
                    out.add(new WindowAggregator.Window(w, null));
                }
                continue;
            }
            double[] values = vs.stream().mapToDouble(Sample::value).toArray();
            double result =
                    switch (agg.kind()) {
                        case COUNT -> values.length;
                        case SUM -> Arrays.stream(values).sum();
                        case MEAN -> Arrays.stream(values).sum() / values.length;
                        case MIN -> Arrays.stream(values).min().orElseThrow();
                        case MAX -> Arrays.stream(values).max().orElseThrow();
                        case FIRST ->
                            vs.stream().min(SAMPLE_ORDER).orElseThrow().value();
                        case LAST -> vs.stream().max(SAMPLE_ORDER).orElseThrow().value();
                        case PERCENTILE -> {
                            double[] s = values.clone();
                            Arrays.sort(s);
                            long rank = (long) Math.floor(s.length * agg.percentile() / 100.0 + 0.5);
                            yield s[(int) Math.max(0, Math.min(s.length - 1, rank - 1))];
                        }
                    };
            out.add(new WindowAggregator.Window(w, result));
        }
        return out;
    }

    static void assertWindowsEqual(
            List<WindowAggregator.Window> expected, List<WindowAggregator.Window> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": windows " + expected + " vs " + actual);
        for (int i = 0; i < expected.size(); i++) {
            WindowAggregator.Window e = expected.get(i);
            WindowAggregator.Window a = actual.get(i);
            assertEquals(e.start(), a.start(), what);
            if (e.value() == null) {
                assertNull(a.value(), what + " window " + e.start());
            } else {
                assertEquals(
                        e.value(), a.value(), 1e-9 * Math.max(1, Math.abs(e.value())), what + " window " + e.start());
            }
        }
    }

    @Test
    void staysWithinItsPrefix() throws RocksDBException {
        byte[][] neighbours = {
            {0, 0, 0, 0, 0, 0, 0, 7, 0x01, 'd', 'o', 'c'}, // a document of the same shard
            {0, 0, 0, 0, 0, 0, 0, 7, 0x0F, (byte) 0xFF},
            {0, 0, 0, 0, 0, 0, 0, 7, 0x11},
            {0, 0, 0, 0, 0, 0, 0, 6, (byte) 0xFF, (byte) 0xFF},
            {0, 0, 0, 0, 0, 0, 0, 8, 0x10, 0x00},
        };
        for (byte[] k : neighbours) {
            rocks.db.put(rocks.state, k, k);
        }
        for (int i = 0; i < 5; i++) {
            store.write(
                    i + 1,
                    List.of(point("cpu", "h0", T0 + i * HOUR, usage(i)), point("mem", "h1", T0 - i * HOUR, usage(i))));
        }
        store.flush();
        store.dropBefore(Long.MAX_VALUE);
        assertEquals(List.of(), store.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE));
        assertEquals(2, store.seriesKeys().size(), "series stay indexed");
        for (byte[] k : neighbours) {
            assertArrayEquals(k, rocks.db.get(rocks.state, k));
        }
    }

    @Test
    void refusesToOpenWithAnotherBlockDuration() {
        store.write(1, List.of(point("cpu", "h0", T0, usage(1))));
        TimeSeriesStoreException e = assertThrows(
                TimeSeriesStoreException.class,
                () -> RocksTimeSeriesStore.open(
                        "test", rocks.db, rocks.state, PREFIX, new TimeSeriesSettings(2 * HOUR, 0)));
        assertTrue(e.getMessage().contains("cannot change"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.write(0, List.of()));
        store.close();
        assertThrows(TimeSeriesStoreException.class, () -> store.write(2, List.of()));
        store = null;
    }
}

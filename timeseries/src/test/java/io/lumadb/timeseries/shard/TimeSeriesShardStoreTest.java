package io.lumadb.timeseries.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.internal.RocksShardStores;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.query.TsQuery;
import io.lumadb.timeseries.query.TsQueryMerge;
import io.lumadb.timeseries.query.TsQueryShard;
import io.lumadb.timeseries.query.TsTime;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.SeriesFilter;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import io.lumadb.timeseries.store.internal.RocksTimeSeriesOpener;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The time-series layer over real shard stores and a real RocksDB, as a node wires it: appends
 * advance the shard's applied sequence number, answers name points per batch, a replay after a
 * crash between the two writes stores nothing twice, retention drops old blocks, and dropping the
 * shard store drops its series.
 */
class TimeSeriesShardStoreTest {

    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final TimeSeriesSettings SETTINGS = new TimeSeriesSettings(HOUR, 0);
    private static final String STORE = "db/cpu/7/0";

    @TempDir
    Path dir;

    private TestRocks rocks;
    private RocksShardStores shardStores;
    private TimeSeriesStores stores;
    private final AtomicLong now = new AtomicLong(100 * HOUR);

    @BeforeEach
    void open() throws Exception {
        rocks = new TestRocks(dir);
        shardStores = new RocksShardStores(rocks.db(), rocks::columnFamily, rocks::drop, rocks::names);
        stores = new TimeSeriesStores(
                shardStores,
                new RocksTimeSeriesOpener(
                        shardStores.db(), shardStores.stateColumnFamily(), shardStores::keyPrefix, (byte) 0x10),
                0,
                now::get,
                1);
    }

    @AfterEach
    void close() {
        rocks.close();
    }

    private static Point point(String host, long time, FieldValue value) {
        return new Point("cpu", List.of(new Point.Tag("host", host)), Map.of("usage", value), time);
    }

    private static Point point(String host, long time, double value) {
        return point(host, time, new FieldValue.FloatValue(value));
    }

    private static byte[] batch(long retention, Point... points) {
        return PointBatchFormat.encode(SETTINGS, retention, List.of(points));
    }

    private static long rows(TimeSeriesShardStore store) {
        return store.series(SETTINGS).scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE).stream()
                .mapToLong(s -> s.rows().size())
                .sum();
    }

    @Test
    void appendsStorePointsAdvanceTheShardAndAnswerPerBatch() {
        try (ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore store = (TimeSeriesShardStore) opened;
            List<byte[]> answers = store.append(
                    1,
                    TimeSeriesShardStore.APPEND_KIND,
                    List.of(
                            batch(0, point("a", 10, 1.0), point("b", 10, 2.0)),
                            // The second batch's second point gives the series' float field an integer.
                            batch(0, point("c", 20, 3.0), point("a", 30, new FieldValue.IntegerValue(4)))));
            assertEquals(1, store.meta().appliedSeq(), "the shard's applied sequence number follows the event");
            PointBatchFormat.Answer first = PointBatchFormat.readAnswer(answers.get(0));
            PointBatchFormat.Answer second = PointBatchFormat.readAnswer(answers.get(1));
            assertEquals(2, first.stored());
            assertTrue(first.errors().isEmpty());
            assertEquals(1, second.stored());
            assertEquals(1, second.errors().size());
            assertEquals(1, second.errors().getFirst().position(), "positions count within each batch");
            assertTrue(
                    second.errors().getFirst().message().contains("usage"),
                    second.errors().toString());
            assertEquals(3, rows(store));
        }
    }

    @Test
    void aReplayAfterACrashBetweenTheTwoWritesStoresNothingTwice() {
        try (ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore store = (TimeSeriesShardStore) opened;
            // A crash after the series were written for event 1 but before the shard's meta was:
            store.series(SETTINGS).write(1, List.of(point("a", 10, 1.0)));
            assertEquals(0, store.meta().appliedSeq());
            // Recovery replays event 1: the series skip it, the shard catches up.
            store.append(1, TimeSeriesShardStore.APPEND_KIND, List.of(batch(0, point("a", 10, 1.0))));
            assertEquals(1, store.meta().appliedSeq());
            store.append(2, TimeSeriesShardStore.APPEND_KIND, List.of(batch(0, point("a", 20, 2.0))));
            assertEquals(2, rows(store));
        }
        // Reopened (a node restart): the series are there and a replayed event is skipped again.
        try (ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore store = (TimeSeriesShardStore) opened;
            assertEquals(2, store.meta().appliedSeq());
            assertEquals(2, rows(store));
        }
    }

    @Test
    void refusesBatchesItCannotReadAndHandsOtherKindsOn() {
        try (ShardStore store = stores.open(STORE)) {
            assertNull(store.appendProblem(TimeSeriesShardStore.APPEND_KIND, batch(0, point("a", 1, 1.0))));
            assertNotNull(store.appendProblem(TimeSeriesShardStore.APPEND_KIND, new byte[] {0x54, 0x31, 9}));
            assertNotNull(store.appendProblem(TimeSeriesShardStore.APPEND_KIND, new byte[0]));
            String other = store.appendProblem("something-else", new byte[0]);
            assertTrue(other.contains("takes no appends of something-else"), other);
            assertThrows(
                    UnsupportedOperationException.class, () -> store.append(1, "something-else", List.of(new byte[0])));
        }
    }

    @Test
    void retentionDropsOldBlocksAndThenRefusesOlderPoints() {
        try (ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore store = (TimeSeriesShardStore) opened;
            long retention = 10 * HOUR;
            store.append(
                    1,
                    TimeSeriesShardStore.APPEND_KIND,
                    List.of(batch(retention, point("a", 1 * HOUR, 1.0), point("a", 95 * HOUR, 2.0))));
            store.series(SETTINGS).flush();
            assertEquals(2, rows(store));
            // The clock is at 100 h: everything before 90 h goes, in whole blocks.
            assertEquals(1, stores.sweep(), "one store has a retention");
            assertEquals(1, rows(store));
            List<byte[]> answers = store.append(
                    2, TimeSeriesShardStore.APPEND_KIND, List.of(batch(retention, point("a", 2 * HOUR, 3.0))));
            PointBatchFormat.Answer late = PointBatchFormat.readAnswer(answers.getFirst());
            assertEquals(0, late.stored());
            assertEquals(0, late.errors().getFirst().position());
            assertEquals(1, rows(store), "a point older than what retention dropped is refused");
            // Simulated time moves on: at 200 h the newest block goes too.
            now.set(200 * HOUR);
            stores.sweep();
            assertEquals(0, rows(store));
        }
    }

    @Test
    void rolledUpWindowsOutliveTheirPointsAndExpireWithTheirOwnRetention() {
        long minute = TimeUnit.MINUTES.toNanos(1);
        List<DownsamplingRule> rules = List.of(new DownsamplingRule(minute, 24 * HOUR, DownsamplingRule.KEEPABLE));
        long retention = 2 * HOUR;
        try (ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore store = (TimeSeriesShardStore) opened;
            // Six hours up to the clock's 100 h, a point every 5 minutes, in events of an hour each.
            for (int e = 0; e < 6; e++) {
                List<Point> points = new java.util.ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    points.add(point("a", (94 + e) * HOUR + i * 5 * minute, e * 12 + i));
                }
                List<byte[]> batches = List.of(PointBatchFormat.encode(SETTINGS, retention, rules, points));
                store.append(e + 1, TimeSeriesShardStore.APPEND_KIND, batches);
                assertEquals(TimeSeriesStore.Downsampled.APPLIED, store.downsample(e + 1, batches));
                assertEquals(TimeSeriesStore.Downsampled.ALREADY, store.downsample(e + 1, batches));
            }
            assertEquals(1, stores.sweep());
            assertEquals(24, rows(store), "the points older than two hours are gone");

            ObjectNode rolled = hourly(store, rules, "mean", "count");
            assertEquals("1m", rolled.path("downsampled").asText(), rolled.toString());
            JsonNode rows = rolled.path("groups").path(0).path("rows");
            assertEquals(6, rows.size(), "every hour is answered from its rolled-up windows: " + rolled);
            for (int h = 0; h < 6; h++) {
                assertEquals(12, rows.get(h).path("usage").path("count").asLong(), rolled.toString());
                assertEquals(
                        h * 12 + 5.5, rows.get(h).path("usage").path("mean").asDouble(), 1e-9, rolled.toString());
            }
            // A percentile needs the points, and only the last two hours have them.
            ObjectNode fromPoints = hourly(store, rules, "median");
            assertTrue(!fromPoints.has("downsampled"), fromPoints.toString());
            assertEquals(2, fromPoints.path("groups").path(0).path("rows").size(), fromPoints.toString());

            // A day later the rolled-up windows have passed their own retention too.
            now.set(125 * HOUR);
            stores.sweep();
            ObjectNode gone = hourly(store, rules, "mean", "count");
            assertEquals(0, gone.path("groups").size(), gone.toString());
        }
    }

    /** Hourly aggregates of the store's series from 94 h to 100 h. */
    private static ObjectNode hourly(TimeSeriesShardStore store, List<DownsamplingRule> rules, String... aggregates) {
        ObjectNode body = DocumentJson.mapper().createObjectNode();
        body.put("from", TsTime.format(94 * HOUR));
        body.put("to", TsTime.format(100 * HOUR));
        body.put("window", "1h");
        for (String a : aggregates) {
            body.withArray("aggregates").add(a);
        }
        TsQuery q = TsQuery.parse(body, 100 * HOUR);
        return TsQueryMerge.merge(q, List.of(TsQueryShard.run(store.series(SETTINGS), q, rules)));
    }

    /** The time-series stores of another node: its own RocksDB, where shard stores get other key prefixes. */
    private TimeSeriesStores otherNode(TestRocks other) {
        RocksShardStores shards = new RocksShardStores(other.db(), other::columnFamily, other::drop, other::names);
        // Another store first, so this node's prefix for STORE differs from the first node's.
        shards.open("db/other/1/0").close();
        return new TimeSeriesStores(
                shards,
                new RocksTimeSeriesOpener(shards.db(), shards.stateColumnFamily(), shards::keyPrefix, (byte) 0x10),
                0,
                now::get,
                1);
    }

    @Test
    void anImageRebuildsTheSeriesOnAnotherNodeAndReplacesWhatWasThere() throws Exception {
        long minute = TimeUnit.MINUTES.toNanos(1);
        List<DownsamplingRule> rules = List.of(new DownsamplingRule(minute, 0, DownsamplingRule.KEEPABLE));
        List<List<byte[]>> events = new java.util.ArrayList<>();
        for (int e = 0; e < 7; e++) {
            List<Point> points = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                points.add(point(i % 2 == 0 ? "a" : "b", (94 + e) * HOUR + i * 5 * minute, e * 12 + i));
            }
            // A late point into the first hour, and a duplicate that merges.
            points.add(point("a", 94 * HOUR + e, 100.0 + e));
            points.add(point("a", (94 + e) * HOUR, -1.0));
            events.add(List.of(PointBatchFormat.encode(SETTINGS, 0, rules, points)));
        }
        try (TestRocks other = new TestRocks(java.nio.file.Files.createDirectories(dir.resolve("node2")));
                ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore source = (TimeSeriesShardStore) opened;
            for (int e = 0; e < 6; e++) {
                source.append(e + 1, TimeSeriesShardStore.APPEND_KIND, events.get(e));
                source.downsample(e + 1, events.get(e));
            }
            // The image of event 7, taken before the event is applied, as a shard's writer takes it.
            List<ShardStore.LayerImage> images = source.layerImages();
            assertEquals(1, images.size());
            assertEquals(TimeSeriesShardStore.APPEND_KIND, images.getFirst().kind());
            source.append(7, TimeSeriesShardStore.APPEND_KIND, events.get(6));
            source.downsample(7, events.get(6));
            ObjectNode expected = hourly(source, rules, "mean", "count", "first", "last");
            assertEquals("1m", expected.path("downsampled").asText(), expected.toString());

            TimeSeriesStores node2 = otherNode(other);
            try (ShardStore moved = node2.open(STORE)) {
                TimeSeriesShardStore target = (TimeSeriesShardStore) moved;
                // A stale copy of the shard: a series the shard no longer has there.
                target.append(1, TimeSeriesShardStore.APPEND_KIND, List.of(batch(0, point("stale", 95 * HOUR, 1.0))));
                // Installed twice, as after a crash between the layers and the documents.
                target.installLayers(7, images, TimeSeriesShardStore.APPEND_KIND, events.get(6));
                target.installLayers(7, images, TimeSeriesShardStore.APPEND_KIND, events.get(6));
                target.install(7, 0, List.of());
                assertEquals(7, target.meta().appliedSeq());
                assertEquals(rows(source), rows(target));
                assertEquals(
                        source.series(SETTINGS).seriesKeys(),
                        target.series(SETTINGS).seriesKeys(),
                        "the stale series is gone");
                // The downsampling offset came with the image: event 7 is still to be rolled up.
                assertEquals(6, target.downsampledSeq());
                assertEquals(TimeSeriesStore.Downsampled.APPLIED, target.downsample(7, events.get(6)));
                assertEquals(expected, hourly(target, rules, "mean", "count", "first", "last"));

                // The shard goes on there.
                List<byte[]> next = List.of(
                        PointBatchFormat.encode(SETTINGS, 0, rules, List.of(point("b", 100 * HOUR + minute, 7.0))));
                source.append(8, TimeSeriesShardStore.APPEND_KIND, next);
                target.append(8, TimeSeriesShardStore.APPEND_KIND, next);
                assertEquals(rows(source), rows(target));

                // A damaged image is refused, and leaves the series as they were.
                byte[] damaged = java.util.Arrays.copyOf(
                        images.getFirst().contents(), images.getFirst().contents().length - 3);
                assertThrows(
                        IllegalArgumentException.class,
                        () -> target.installLayers(
                                9,
                                List.of(new ShardStore.LayerImage(TimeSeriesShardStore.APPEND_KIND, damaged)),
                                null,
                                List.of()));
                assertEquals(rows(source), rows(target));

                // An image without series empties them.
                target.installLayers(9, List.of(), null, List.of());
                assertEquals(0, rows(target));
            }
            node2.close();
        }
    }

    @Test
    void droppingTheShardStoreDropsItsSeries() {
        try (ShardStore opened = stores.open(STORE)) {
            opened.append(1, TimeSeriesShardStore.APPEND_KIND, List.of(batch(0, point("a", 1, 1.0))));
        }
        stores.drop(STORE);
        try (ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore store = (TimeSeriesShardStore) opened;
            assertEquals(0, store.meta().appliedSeq());
            assertEquals(0, rows(store));
        }
    }
}

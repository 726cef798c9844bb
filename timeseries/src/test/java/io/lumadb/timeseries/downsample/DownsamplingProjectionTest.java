package io.lumadb.timeseries.downsample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.shard.ShardEvents;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.internal.RocksShardStores;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.query.TsQuery;
import io.lumadb.timeseries.query.TsQueryMerge;
import io.lumadb.timeseries.query.TsQueryShard;
import io.lumadb.timeseries.query.TsTime;
import io.lumadb.timeseries.shard.PointBatchFormat;
import io.lumadb.timeseries.shard.TimeSeriesShardStore;
import io.lumadb.timeseries.shard.TimeSeriesStores;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import io.lumadb.timeseries.store.internal.RocksTimeSeriesOpener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The downsampling projection run by Pekko Projections' {@code ProjectionBehavior} in a real actor
 * system, over a shard's store in a real RocksDB and a journal held in memory: it rolls up what the
 * shard applied, waits for events the shard has not applied yet, and after being stopped (and the
 * shard's store closed and opened again, as a node restart does) resumes from the offset it stored
 * instead of the first event. The rolled-up answers equal the answers from the points.
 */
class DownsamplingProjectionTest {

    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final long MIN = 60 * S;
    private static final long HOUR = 60 * MIN;
    private static final long T0 = 1_796_083_200L * S;
    private static final TimeSeriesSettings SETTINGS = new TimeSeriesSettings(HOUR, 2 * MIN);
    private static final List<DownsamplingRule> RULES = List.of(
            new DownsamplingRule(MIN, 0, DownsamplingRule.KEEPABLE),
            new DownsamplingRule(10 * MIN, 0, DownsamplingRule.KEEPABLE));
    private static final String STORE = "metrics/cpu/3/1";

    @TempDir
    Path dir;

    private TestRocks rocks;
    private RocksShardStores shardStores;
    private TimeSeriesStores stores;
    private ActorSystem<Void> system;
    private final List<EventEnvelope> journal = new CopyOnWriteArrayList<>();
    private final List<Long> offsetsAsked = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.ExecutorService handlers =
            java.util.concurrent.Executors.newSingleThreadExecutor();

    @BeforeEach
    void open() throws Exception {
        rocks = new TestRocks(dir);
        shardStores = new RocksShardStores(rocks.db(), rocks::columnFamily, rocks::drop, rocks::names);
        stores = new TimeSeriesStores(
                shardStores,
                new RocksTimeSeriesOpener(
                        shardStores.db(), shardStores.stateColumnFamily(), shardStores::keyPrefix, (byte) 0x10),
                0,
                () -> T0,
                1);
        system = ActorSystem.create(
                Behaviors.empty(),
                "downsampling-test",
                ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
                        .withFallback(ConfigFactory.load()));
    }

    @AfterEach
    void close() throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        handlers.shutdownNow();
        stores.close();
        rocks.close();
    }

    /** The journal's events from an offset on, as they are appended (polled, like a live query). */
    private final class MemoryJournal extends SourceProvider<Long, EventEnvelope> {
        @Override
        public CompletionStage<Source<EventEnvelope, NotUsed>> source(
                Supplier<CompletionStage<Optional<Long>>> offset) {
            return offset.get().thenApply(stored -> {
                long from = stored.orElse(0L) + 1;
                offsetsAsked.add(from - 1);
                return Source.unfoldAsync(from, seq -> next(seq).thenApply(e -> Optional.of(Pair.create(seq + 1, e))));
            });
        }

        private CompletionStage<EventEnvelope> next(long seq) {
            if (journal.size() >= seq) {
                return CompletableFuture.completedFuture(journal.get((int) seq - 1));
            }
            CompletableFuture<EventEnvelope> later = new CompletableFuture<>();
            CompletableFuture.delayedExecutor(5, TimeUnit.MILLISECONDS)
                    .execute(() -> next(seq).whenComplete((e, f) -> later.complete(e)));
            return later;
        }

        @Override
        public Long extractOffset(EventEnvelope envelope) {
            return envelope.sequenceNr();
        }

        @Override
        public long extractCreationTime(EventEnvelope envelope) {
            return envelope.timestamp();
        }
    }

    @Test
    void rollsUpWhatTheShardAppliedAndResumesFromItsOffset() throws Exception {
        Random rnd = new Random(7);
        List<Point> written = new ArrayList<>();
        ActorRef<ProjectionBehavior.Command> first;
        try (ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore store = (TimeSeriesShardStore) opened;
            for (int e = 0; e < 20; e++) {
                event(store, points(rnd, e, written), true);
            }
            first = start(store);
            awaitDownsampled(store, 20);
            // An event in the journal that the shard applies only later: the projection waits for it.
            List<Point> pending = points(rnd, 20, written);
            event(store, pending, false);
            Thread.sleep(100);
            assertEquals(20, store.downsampledSeq(), "an event the shard has not applied is not downsampled");
            store.append(21, TimeSeriesShardStore.APPEND_KIND, List.of(batch(pending)));
            awaitDownsampled(store, 21);
            first.tell(ProjectionBehavior.stopMessage());
            assertAnswersEqual(store);
            Thread.sleep(300); // lets the projection stop before its store closes
        }
        // The node restarts: the shard's store opens again, more events come, some late and duplicated.
        try (ShardStore opened = stores.open(STORE)) {
            TimeSeriesShardStore store = (TimeSeriesShardStore) opened;
            // The first event opens the store with its rules; the others are written while the
            // projection runs beside them, as on a node.
            event(store, points(rnd, 21, written), true);
            offsetsAsked.clear();
            ActorRef<ProjectionBehavior.Command> second = start(store);
            for (int e = 22; e < 40; e++) {
                event(store, points(rnd, e, written), true);
            }
            awaitDownsampled(store, 40);
            assertEquals(List.of(21L), offsetsAsked, "the projection resumed after the offset it stored");
            second.tell(ProjectionBehavior.stopMessage());
            assertAnswersEqual(store);
            Thread.sleep(300);
        }
    }

    private ActorRef<ProjectionBehavior.Command> start(TimeSeriesShardStore store) {
        DownsamplingProjection projection = new DownsamplingProjection(
                ProjectionId.of("test-downsampling", STORE), store, new MemoryJournal(), handlers);
        return system.systemActorOf(
                ProjectionBehavior.create(projection),
                "p-" + System.nanoTime(),
                org.apache.pekko.actor.typed.Props.empty());
    }

    private void event(TimeSeriesShardStore store, List<Point> points, boolean apply) {
        long seq = journal.size() + 1;
        byte[] b = batch(points);
        journal.add(new EventEnvelope(
                Sequence.apply(seq),
                "shard|" + STORE,
                seq,
                ShardEvents.appendsEvent(TimeSeriesShardStore.APPEND_KIND, List.of(b)),
                System.currentTimeMillis()));
        if (apply) {
            store.append(seq, TimeSeriesShardStore.APPEND_KIND, List.of(b));
        }
    }

    private static byte[] batch(List<Point> points) {
        return PointBatchFormat.encode(SETTINGS, 0, RULES, points);
    }

    /** An event's points: three hosts a few seconds apart, now and then late or a duplicate time. */
    private static List<Point> points(Random rnd, int event, List<Point> written) {
        List<Point> out = new ArrayList<>();
        long now = T0 + event * 3 * MIN;
        for (int i = 0; i < 30; i++) {
            String host = "h" + rnd.nextInt(3);
            long t = rnd.nextInt(8) == 0 && !written.isEmpty()
                    ? written.get(rnd.nextInt(written.size())).time() // a duplicate time (or late)
                    : now + rnd.nextInt(180) * S;
            Map<String, FieldValue> fields = Map.of(
                    "usage", new FieldValue.FloatValue(rnd.nextInt(1000) / 10.0),
                    "state", new FieldValue.StringValue(rnd.nextBoolean() ? "ok" : "busy"));
            Point p = new Point("cpu", List.of(new Point.Tag("host", host)), fields, t);
            out.add(p);
            written.add(p);
        }
        return out;
    }

    private static void awaitDownsampled(TimeSeriesShardStore store, long seq) throws InterruptedException {
        await(() -> store.downsampledSeq() >= seq, "the projection downsamples event " + seq);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Every kept aggregate, in the rules' windows and larger ones, from the rolled-up windows and from the points. */
    private static void assertAnswersEqual(TimeSeriesShardStore store) {
        TimeSeriesStore series = store.series(SETTINGS);
        for (String window : List.of("1m", "10m", "30m", "1h")) {
            String json = "{\"from\":\"" + TsTime.format(T0 - HOUR) + "\",\"to\":\"" + TsTime.format(T0 + 4 * HOUR)
                    + "\",\"groupBy\":[\"host\"],\"window\":\"" + window
                    + "\",\"aggregates\":[\"count\",\"sum\",\"mean\",\"min\",\"max\",\"first\",\"last\"]}";
            TsQuery q = TsQuery.parse(parse(json), T0);
            var rolled = TsQueryMerge.merge(q, List.of(TsQueryShard.run(series, q, RULES)));
            var points = TsQueryMerge.merge(q, List.of(TsQueryShard.run(series, q)));
            assertTrue(rolled.has("downsampled"), "answered from rolled-up windows: " + window);
            rolled.remove("downsampled");
            assertClose(points, rolled, window);
        }
    }

    /** Equal JSON, but for the rounding of sums added in another order. */
    private static void assertClose(JsonNode expected, JsonNode actual, String where) {
        if (expected.isNumber() && actual.isNumber()) {
            double e = expected.doubleValue();
            double a = actual.doubleValue();
            assertTrue(Math.abs(e - a) <= 1e-9 * Math.max(1, Math.abs(e)), where + ": " + expected + " vs " + actual);
            return;
        }
        assertEquals(expected.getNodeType(), actual.getNodeType(), where);
        assertEquals(expected.size(), actual.size(), where + ": " + expected + " vs " + actual);
        if (expected.isObject()) {
            expected.properties().forEach(e -> {
                assertTrue(actual.has(e.getKey()), where + " lacks " + e.getKey());
                assertClose(e.getValue(), actual.get(e.getKey()), where + "/" + e.getKey());
            });
        } else if (expected.isArray()) {
            for (int i = 0; i < expected.size(); i++) {
                assertClose(expected.get(i), actual.get(i), where + "/" + i);
            }
        } else {
            assertEquals(expected, actual, where);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return io.lumadb.shards.model.DocumentJson.mapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

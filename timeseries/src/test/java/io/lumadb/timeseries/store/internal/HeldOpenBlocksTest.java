package io.lumadb.timeseries.store.internal;

import static io.lumadb.timeseries.store.internal.RocksTimeSeriesStoreTest.HOUR;
import static io.lumadb.timeseries.store.internal.RocksTimeSeriesStoreTest.MIN;
import static io.lumadb.timeseries.store.internal.RocksTimeSeriesStoreTest.SETTINGS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.Seeded;
import io.lumadb.timeseries.shard.PointBatchFormat;
import io.lumadb.timeseries.store.SeriesFilter;
import io.lumadb.timeseries.store.WriteResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The rows of open blocks that a store holds in memory must be exactly what its stored chunks
 * hold: a store that holds every open block and is never closed, one that holds none, and one
 * that holds a few and is closed and reopened now and then (so that it reads them back from the
 * chunks) must store the same bytes and answer the same reads, whatever the out-of-order,
 * duplicate and late points, retention drops and flushes between the batches.
 */
class HeldOpenBlocksTest {

    static final byte[] ALL = {0, 0, 0, 0, 0, 0, 0, 1, 0x10};
    static final byte[] NONE = {0, 0, 0, 0, 0, 0, 0, 2, 0x10};
    static final byte[] FEW = {0, 0, 0, 0, 0, 0, 0, 3, 0x10};

    @Test
    void storesThatHoldOpenRowsOrNotStoreTheSameBytes() {
        Seeded.run("held open rows", rnd -> {
            try (TempRocks kept = new TempRocks();
                    TempRocks reopened = new TempRocks()) {
                Stores s = new Stores(kept, reopened);
                try {
                    run(rnd, s);
                } finally {
                    s.close();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void run(Random rnd, Stores s) {
        TimeSeriesModel model = new TimeSeriesModel();
        List<List<Point>> batches = RocksTimeSeriesStoreTest.randomBatches(rnd, 150, false);
        long newest = Long.MIN_VALUE;
        int sealed = 0;
        int drops = 0;
        long heldByAll = 0;
        long heldByFew = 0;
        for (int i = 0; i < batches.size(); i++) {
            List<Point> batch = batches.get(i);
            if (rnd.nextBoolean()) {
                // As a shard hands them over: decoded from the journal, fields as bits of shared shapes.
                batch = PointBatchFormat.decode(PointBatchFormat.encode(SETTINGS, 0, batch))
                        .points();
            }
            long seq = i + 1;
            WriteResult all = RocksTimeSeriesStoreTest.write(s.all, model, seq, batch);
            assertEquals(all, s.none.write(seq, batch), "batch " + seq + " without held rows");
            assertEquals(all, s.few.write(seq, batch), "batch " + seq + " with few held rows");
            sealed += all.blocksSealed();
            heldByAll = Math.max(heldByAll, s.all.heldValues());
            heldByFew = Math.max(heldByFew, s.few.heldValues());
            assertEquals(0, s.none.heldValues());
            for (Point p : batch) {
                newest = Math.max(newest, p.time());
            }
            switch (rnd.nextInt(16)) {
                case 0 -> {
                    // Often inside the open blocks, whose chunks are then rewritten.
                    long cut = newest - rnd.nextInt(150) * MIN;
                    s.all.dropBefore(cut);
                    s.none.dropBefore(cut);
                    s.few.dropBefore(cut);
                    model.horizon = Math.max(model.horizon, cut);
                    drops++;
                }
                case 1 -> {
                    s.all.flush();
                    s.none.flush();
                    s.few.flush();
                }
                case 2 -> s.reopenDatabase();
                case 3, 4 -> s.reopenStores();
                default -> {}
            }
            if (i % 3 == 0 && rnd.nextBoolean()) {
                // A replayed batch changes nothing.
                assertEquals(WriteResult.skipped(), s.few.write(seq, batches.get(rnd.nextInt(i + 1))));
            }
            Map<String, String> expected = s.kept.rawContent(ALL);
            assertEquals(expected, s.reopened.rawContent(NONE), "after batch " + seq + ", the store holding none");
            assertEquals(expected, s.reopened.rawContent(FEW), "after batch " + seq + ", the store holding few");
            Reads reads = Reads.of(s.all);
            assertEquals(reads, Reads.of(s.none), "reads after batch " + seq + ", the store holding none");
            assertEquals(reads, Reads.of(s.few), "reads after batch " + seq + ", the store holding few");
        }
        assertTrue(sealed > 0 && drops > 0, "blocks were sealed and retention ran");
        assertTrue(heldByAll > 40, "the store holding every open block held " + heldByAll + " values");
        assertTrue(heldByFew > 0, "the store holding few held some");
        for (long from = RocksTimeSeriesStoreTest.T0 - HOUR;
                from < RocksTimeSeriesStoreTest.T0 + 24 * HOUR;
                from += 30 * MIN) {
            long to = from + rnd.nextInt(5) * HOUR;
            assertEquals(s.all.scan(SeriesFilter.ALL, from, to), s.few.scan(SeriesFilter.ALL, from, to));
            assertEquals(s.all.scan(SeriesFilter.ALL, from, to), s.none.scan(SeriesFilter.ALL, from, to));
        }
        assertFalse(s.all.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE).isEmpty());
    }

    @Test
    void readsOnOtherThreadsSeeWholeBatchesWhileTheWriterHoldsTheirRows() throws Exception {
        Seeded.run("reads during writes", rnd -> {
            try (TempRocks rocks = new TempRocks()) {
                List<List<Point>> batches = RocksTimeSeriesStoreTest.randomBatches(rnd, 120, true);
                long[] cuts = new long[batches.size()];
                long newest = Long.MIN_VALUE;
                for (int i = 0; i < batches.size(); i++) {
                    for (Point p : batches.get(i)) {
                        newest = Math.max(newest, p.time());
                    }
                    cuts[i] = rnd.nextInt(12) == 0 ? newest - rnd.nextInt(150) * MIN : Long.MIN_VALUE;
                }
                // What each read may answer: its answer after some step, from a store that holds nothing.
                Reads.Seen states = new Reads.Seen();
                try (RocksTimeSeriesStore reference =
                        RocksTimeSeriesStore.open("reference", rocks.db, rocks.state, NONE, SETTINGS, 0)) {
                    states.add(Reads.of(reference));
                    for (int i = 0; i < batches.size(); i++) {
                        reference.write(i + 1, batches.get(i));
                        states.add(Reads.of(reference));
                        if (cuts[i] != Long.MIN_VALUE) {
                            reference.dropBefore(cuts[i]);
                            states.add(Reads.of(reference));
                        }
                    }
                }
                try (RocksTimeSeriesStore store = RocksTimeSeriesStore.open(
                        "all", rocks.db, rocks.state, ALL, SETTINGS, RocksTimeSeriesStore.MAX_OPEN_VALUES)) {
                    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
                    java.util.concurrent.atomic.AtomicInteger checked = new java.util.concurrent.atomic.AtomicInteger();
                    java.util.concurrent.CompletableFuture<Void> reader =
                            java.util.concurrent.CompletableFuture.runAsync(() -> {
                                while (!done.get()) {
                                    states.check(Reads.of(store));
                                    checked.incrementAndGet();
                                }
                            });
                    for (int i = 0; i < batches.size() && !reader.isDone(); i++) {
                        store.write(i + 1, batches.get(i));
                        if (cuts[i] != Long.MIN_VALUE) {
                            store.dropBefore(cuts[i]);
                        }
                        Thread.onSpinWait();
                    }
                    done.set(true);
                    reader.join();
                    assertTrue(checked.get() > 0, "the reader read");
                    states.check(Reads.of(store));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * What a store answers to the reads that use the open rows it holds, each read on a snapshot
     * of its own.
     */
    private record Reads(
            List<io.lumadb.timeseries.store.SeriesRows> rows,
            long openRows,
            List<io.lumadb.timeseries.WindowAggregator.Window> counts,
            Map<io.lumadb.timeseries.SeriesKey, List<io.lumadb.timeseries.WindowAggregator.Window>> sums) {

        static Reads of(RocksTimeSeriesStore store) {
            long from = RocksTimeSeriesStoreTest.T0 - 6 * HOUR;
            long to = RocksTimeSeriesStoreTest.T0 + 48 * HOUR;
            return new Reads(
                    store.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE),
                    store.openRows(),
                    store.aggregate(
                            SeriesFilter.ALL,
                            "usage",
                            from,
                            to,
                            HOUR,
                            io.lumadb.timeseries.WindowAggregator.Aggregate.of(
                                    io.lumadb.timeseries.WindowAggregator.Kind.COUNT),
                            io.lumadb.timeseries.WindowAggregator.Fill.NONE),
                    store.aggregatePerSeries(
                            SeriesFilter.measurement("cpu"),
                            "usage",
                            from,
                            to,
                            2 * HOUR,
                            io.lumadb.timeseries.WindowAggregator.Aggregate.of(
                                    io.lumadb.timeseries.WindowAggregator.Kind.SUM),
                            io.lumadb.timeseries.WindowAggregator.Fill.NONE));
        }

        /** The answers each read gave after some step. */
        static final class Seen {
            final java.util.Set<Object> rows = new java.util.HashSet<>();
            final java.util.Set<Object> openRows = new java.util.HashSet<>();
            final java.util.Set<Object> counts = new java.util.HashSet<>();
            final java.util.Set<Object> sums = new java.util.HashSet<>();

            void add(Reads r) {
                rows.add(r.rows());
                openRows.add(r.openRows());
                counts.add(r.counts());
                sums.add(r.sums());
            }

            /** Fails unless every read gave an answer it gave after some step. */
            void check(Reads r) {
                assertTrue(rows.contains(r.rows()), "a scan saw rows that no step left");
                assertTrue(openRows.contains(r.openRows()), "open rows counted " + r.openRows() + ", left by no step");
                assertTrue(counts.contains(r.counts()), "counts no step left: " + r.counts());
                assertTrue(sums.contains(r.sums()), "sums no step left: " + r.sums());
            }
        }
    }

    /** The three stores: one in a database of its own, never closed; two that are reopened. */
    private static final class Stores {
        final TempRocks kept;
        final TempRocks reopened;
        final RocksTimeSeriesStore all;
        RocksTimeSeriesStore none;
        RocksTimeSeriesStore few;

        Stores(TempRocks kept, TempRocks reopened) {
            this.kept = kept;
            this.reopened = reopened;
            all = RocksTimeSeriesStore.open(
                    "all", kept.db, kept.state, ALL, SETTINGS, RocksTimeSeriesStore.MAX_OPEN_VALUES);
            openReopened();
        }

        private void openReopened() {
            none = RocksTimeSeriesStore.open("none", reopened.db, reopened.state, NONE, SETTINGS, 0);
            few = RocksTimeSeriesStore.open("few", reopened.db, reopened.state, FEW, SETTINGS, 40);
        }

        void reopenStores() {
            none.close();
            few.close();
            openReopened();
        }

        void reopenDatabase() {
            none.close();
            few.close();
            reopened.reopen();
            openReopened();
        }

        void close() {
            all.close();
            none.close();
            few.close();
        }
    }
}

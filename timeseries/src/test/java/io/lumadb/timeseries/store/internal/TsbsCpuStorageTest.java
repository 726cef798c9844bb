package io.lumadb.timeseries.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.store.BlockInfo;
import io.lumadb.timeseries.store.SeriesFilter;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.WriteResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.rocksdb.RocksDBException;

/**
 * Bytes on disk per point for a TSBS cpu-only-shaped day: 100 hosts with the 10 TSBS tags, 10
 * one-decimal float fields random-walking between 0 and 100, one row every 10 s, written in
 * batches of ten minutes of every host, then flushed and compacted. A regression check on the
 * whole storage path (series index, block keys, block encoding, RocksDB's own overhead).
 */
class TsbsCpuStorageTest {

    static final long S = TimeUnit.SECONDS.toNanos(1);
    static final long T0 = 1_767_225_600L * S;
    static final String[] FIELDS = {
        "usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
        "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"
    };
    static final String[] REGIONS = {"us-east-1", "us-west-1", "eu-west-1", "eu-central-1", "ap-south-1"};

    @Test
    void bytesOnDiskPerPointOfADayOfTsbsCpuRows() throws IOException, RocksDBException {
        int hosts = 100;
        int rowsPerHost = 8640; // a day at 10 s
        int rowsPerBatch = 60; // ten minutes: 6,000 points, about TSBS's own loader batch of 10,000
        Random rnd = new Random(22);
        List<List<Point.Tag>> tags = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            tags.add(List.of(
                    new Point.Tag("hostname", "host_" + h),
                    new Point.Tag("region", REGIONS[h % REGIONS.length]),
                    new Point.Tag("datacenter", REGIONS[h % REGIONS.length] + (char) ('a' + h % 3)),
                    new Point.Tag("rack", Integer.toString(rnd.nextInt(100))),
                    new Point.Tag("os", "Ubuntu" + (15 + h % 3) + ".10"),
                    new Point.Tag("arch", h % 2 == 0 ? "x64" : "x86"),
                    new Point.Tag("team", new String[] {"SF", "NYC", "LON", "CHI"}[h % 4]),
                    new Point.Tag("service", Integer.toString(h % 20)),
                    new Point.Tag("service_version", Integer.toString(h % 2)),
                    new Point.Tag("service_environment", new String[] {"production", "staging", "test"}[h % 3])));
        }
        double[][] value = new double[hosts][FIELDS.length];
        for (double[] v : value) {
            for (int f = 0; f < FIELDS.length; f++) {
                v[f] = Math.round(rnd.nextDouble() * 1000) / 10.0;
            }
        }
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long started = System.nanoTime();
        long startedCpu = threads.getCurrentThreadCpuTime();
        try (TempRocks rocks = new TempRocks();
                RocksTimeSeriesStore store = RocksTimeSeriesStore.open(
                        "tsbs",
                        rocks.db,
                        rocks.state,
                        new byte[] {0, 0, 0, 0, 0, 0, 0, 1, 0x10},
                        TimeSeriesSettings.DEFAULT)) {
            long seq = 0;
            for (int row = 0; row < rowsPerHost; row += rowsPerBatch) {
                List<Point> batch = new ArrayList<>(hosts * rowsPerBatch);
                for (int r = row; r < row + rowsPerBatch; r++) {
                    for (int h = 0; h < hosts; h++) {
                        Map<String, FieldValue> fields = new HashMap<>();
                        for (int f = 0; f < FIELDS.length; f++) {
                            double step = Math.round(rnd.nextGaussian() * 10) / 10.0;
                            value[h][f] = Math.round(Math.min(100, Math.max(0, value[h][f] + step)) * 10) / 10.0;
                            fields.put(FIELDS[f], new FieldValue.FloatValue(value[h][f]));
                        }
                        batch.add(new Point("cpu", tags.get(h), fields, T0 + r * 10 * S));
                    }
                }
                WriteResult result = store.write(++seq, batch);
                assertEquals(batch.size(), result.pointsWritten());
            }
            long written = System.nanoTime();
            long writtenCpu = threads.getCurrentThreadCpuTime();
            store.flush();
            rocks.compact();
            long points = (long) hosts * rowsPerHost;
            long sst = rocks.liveSstBytes();
            long blockBytes = store.blocks(SeriesFilter.ALL).stream()
                    .mapToLong(BlockInfo::bytes)
                    .sum();
            assertEquals(
                    points,
                    store.blocks(SeriesFilter.ALL).stream()
                            .mapToLong(BlockInfo::count)
                            .sum());
            assertEquals(0, store.openRows());
            double perPoint = (double) sst / points;
            System.out.printf(
                    "TSBS cpu-like day (%d hosts x %d rows, 10 tags, 10 float fields, 10 s, 1 h blocks): %.2f bytes"
                            + " per point on disk after compaction (%d bytes of SST files; the blocks alone %.2f"
                            + " bytes per point); generated and written at %.0f points/s, %.0f per CPU second of the writing thread%n",
                    hosts,
                    rowsPerHost,
                    perPoint,
                    sst,
                    (double) blockBytes / points,
                    points / ((written - started) / 1e9),
                    points / ((writtenCpu - startedCpu) / 1e9));
            // Measured about 10; 14 leaves room for the random walk, not for a lost encoding.
            assertTrue(perPoint < 14, "bytes per point on disk: " + perPoint);
        }
    }
}

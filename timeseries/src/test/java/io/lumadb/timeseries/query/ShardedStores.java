package io.lumadb.timeseries.query;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import io.lumadb.timeseries.store.internal.RocksTimeSeriesStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * A collection's shards in a test: one real RocksDB in a temporary directory and {@code n}
 * time-series stores on it, each under its own key prefix, a point going to the shard its series
 * key hashes to. Closing releases everything and deletes the directory.
 */
final class ShardedStores implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final RocksDB db;
    final List<TimeSeriesStore> stores = new ArrayList<>();
    private final long[] seq;
    /** Downsampling rules, and each shard's batches not downsampled yet (the projection's backlog). */
    private List<DownsamplingRule> rules = List.of();

    private final List<List<Map.Entry<Long, List<Point>>>> backlog = new ArrayList<>();
    private java.util.Random lag;

    ShardedStores(int n, TimeSeriesSettings settings) throws IOException, RocksDBException {
        dir = Files.createTempDirectory("lumadb-tsquery");
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        cfOptions = new ColumnFamilyOptions();
        RocksDB opened = null;
        try {
            opened = RocksDB.open(
                    dbOptions,
                    dir.toString(),
                    List.of(
                            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                            new ColumnFamilyDescriptor("shard-state".getBytes(), cfOptions)),
                    handles);
            for (int i = 0; i < n; i++) {
                byte[] prefix = {0, 0, 0, 0, 0, 0, 0, (byte) (i + 1), 0x10};
                stores.add(RocksTimeSeriesStore.open("shard-" + i, opened, handles.get(1), prefix, settings));
            }
        } catch (RocksDBException | RuntimeException e) {
            db = opened;
            close();
            throw e;
        }
        db = opened;
        seq = new long[n];
        for (int i = 0; i < n; i++) {
            backlog.add(new ArrayList<>());
        }
    }

    /**
     * Downsamples every batch written from now on with {@code rules}, each shard's batches in order:
     * at once, or (with {@code lag} deciding) some batches later, as a projection that falls behind.
     */
    ShardedStores downsampling(List<DownsamplingRule> rules, java.util.Random lag) {
        this.rules = List.copyOf(rules);
        this.lag = lag;
        return this;
    }

    /** Downsamples every batch written so far (the projection caught up). */
    void catchUp() {
        for (int i = 0; i < stores.size(); i++) {
            for (Map.Entry<Long, List<Point>> b : backlog.get(i)) {
                assertEquals(
                        TimeSeriesStore.Downsampled.APPLIED, stores.get(i).downsample(b.getKey(), b.getValue(), rules));
            }
            backlog.get(i).clear();
        }
    }

    int shardOf(Point p) {
        return Math.floorMod(p.seriesKey().canonical().hashCode(), stores.size());
    }

    /** Writes one batch, each point to its series' shard, as one numbered batch per shard. */
    void write(List<Point> batch) {
        List<List<Point>> perShard = new ArrayList<>();
        for (int i = 0; i < stores.size(); i++) {
            perShard.add(new ArrayList<>());
        }
        batch.forEach(p -> perShard.get(shardOf(p)).add(p));
        for (int i = 0; i < stores.size(); i++) {
            if (!perShard.get(i).isEmpty()) {
                var result = stores.get(i).write(++seq[i], perShard.get(i));
                if (!result.errors().isEmpty()) {
                    throw new AssertionError("the test wrote a point the store refused: " + result.errors());
                }
                if (!rules.isEmpty()) {
                    backlog.get(i).add(Map.entry(seq[i], perShard.get(i)));
                    if (lag.nextInt(3) > 0) {
                        catchUp();
                    }
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        for (int i = stores.size() - 1; i >= 0; i--) {
            stores.get(i).close();
        }
        for (int i = handles.size() - 1; i >= 0; i--) {
            handles.get(i).close();
        }
        if (db != null) {
            db.close();
        }
        cfOptions.close();
        dbOptions.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

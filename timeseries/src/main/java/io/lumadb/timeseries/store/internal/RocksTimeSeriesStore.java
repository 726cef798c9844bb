package io.lumadb.timeseries.store.internal;

import static io.lumadb.timeseries.store.internal.TimeSeriesKeyFormat.end;

import io.lumadb.timeseries.FieldMap;
import io.lumadb.timeseries.FieldType;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.TimeBlock;
import io.lumadb.timeseries.TimeBlockException;
import io.lumadb.timeseries.WindowAggregator;
import io.lumadb.timeseries.store.BlockInfo;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.PointError;
import io.lumadb.timeseries.store.RollupCell;
import io.lumadb.timeseries.store.SeriesFilter;
import io.lumadb.timeseries.store.SeriesRollups;
import io.lumadb.timeseries.store.SeriesRows;
import io.lumadb.timeseries.store.TimeSeriesCipher;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import io.lumadb.timeseries.store.TimeSeriesStoreException;
import io.lumadb.timeseries.store.WriteResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A {@link TimeSeriesStore} under one key prefix of a RocksDB column family that it shares with
 * other keys (a shard's documents), in the layout {@link TimeSeriesKeyFormat} documents. Every
 * read and scan is bounded to the prefix's range.
 *
 * <p>Ingest writes one open chunk per block and batch, without reading first: duplicates and
 * out-of-order points of later batches are merged when the block is read or sealed. Reads in a
 * batch are only for a new series (its id), a series' field types (once, then cached) and a block
 * the batch touches (is it sealed?). The writer keeps in memory the meta (applied sequence number,
 * next series id, watermark, retention horizon), the cached series ids and field types, and which
 * blocks have open chunks. All of it is loaded from, or written to, the database, and changed in
 * memory only after the database write succeeded, so a failed write leaves the store as it was.
 * Up to a bound, the writer also holds the rows of open blocks as their chunks hold them, so that
 * sealing a block encodes them without reading its chunks back; it lets go of them when a write
 * fails, and reads them from the chunks again where needed. A read on a snapshot takes the
 * snapshot and a snapshot of the held rows together under the writer's lock, so both show the
 * same batches.
 *
 * <p>Native objects: the store owns only its {@link WriteOptions} (created first, closed by {@link
 * #close}); every read creates its snapshot, read options, bound slices and iterators and closes
 * them, in reverse order, before it returns. The database and the column family are the caller's.
 * Writes are not fsynced here: the journal's fsync of the shared WAL, or a replay of the journal
 * after a crash, makes them durable.
 */
public final class RocksTimeSeriesStore implements TimeSeriesStore {

    private final String name;
    private final RocksDB db;
    private final ColumnFamilyHandle cf;
    private final byte[] prefix;
    private final long duration;
    private final long lateness;
    private final WriteOptions writeOptions;
    /** Seals and opens the values that hold field values (encryption at rest). */
    private final SealedValues atRest;
    /** Taken around every write, and by the re-encryption of the store's values. */
    private final Object writeLock;

    private volatile boolean closed;

    // Writer state, guarded by this.
    private long appliedSeq;
    private long nextSeriesId;
    private long watermark = Long.MIN_VALUE;
    private long horizon = Long.MIN_VALUE;
    /** Series ids by measurement and tags (not by canonical key, which costs an escaped string a point). */
    private final Map<Identity, Long> seriesIds = new HashMap<>();

    private final Map<Long, Map<String, FieldType>> fieldTypes = new HashMap<>();
    /**
     * Guards the downsampling state (and is taken before {@code this} where both are): rolling up
     * reads stored points and writes windows without holding up the writes of points.
     */
    private final Object rollupLock = new Object();

    /** The last journal event downsampled, and the newest time of the events downsampled (rollupLock). */
    private long downsampledSeq;

    private long rollupWatermark = Long.MIN_VALUE;
    /** The blocks that hold open chunks. */
    private final TreeSet<BlockRef> open = new TreeSet<>();
    /**
     * Open blocks whose rows the writer holds in memory, exactly as their stored chunks hold them,
     * so that sealing one need not read and decode its chunks. Filled when a write first touches
     * the block (or creates it), changed with each write to it, let go of when it is sealed, when
     * retention rewrites its chunks, or when a write fails. The stored chunks stay the source of
     * truth: every write still stores them, and what is not held is read from them.
     */
    private final Map<BlockRef, OpenBlock> heldBlocks = new HashMap<>();
    /** The values held in heldBlocks, at most about maxOpenValues. */
    private long memoryValues;

    private final long maxOpenValues;
    /** The points of the last held block let go of: the size a new open block starts at. */
    private int blockPoints = 16;

    /** Open blocks let go of for want of room: left on disk alone until sealed. */
    private final Set<BlockRef> tooLarge = new HashSet<>();

    /** A block of a series: the series id and the block's start. */
    private record BlockRef(long series, long start) implements Comparable<BlockRef> {
        @Override
        public int compareTo(BlockRef o) {
            int c = Long.compare(series, o.series);
            return c != 0 ? c : Long.compare(start, o.start);
        }
    }

    /** A series as a point names it: its measurement and its tags, sorted by key. */
    private record Identity(String measurement, List<Point.Tag> tags) {}

    /** A series found by a read: its id, key and canonical form in UTF-8 (the order of results). */
    private record Series(long id, SeriesKey key, byte[] canonical) {}

    private RocksTimeSeriesStore(
            String name,
            RocksDB db,
            ColumnFamilyHandle cf,
            byte[] prefix,
            TimeSeriesSettings settings,
            TimeSeriesCipher cipher,
            Object writeLock,
            long maxOpenValues) {
        this.name = name;
        this.maxOpenValues = maxOpenValues;
        this.db = db;
        this.cf = cf;
        this.prefix = prefix.clone();
        this.duration = settings.blockDuration();
        this.lateness = settings.lateness();
        this.atRest = new SealedValues(name, cipher, prefix);
        this.writeLock = writeLock;
        this.writeOptions = new WriteOptions();
    }

    /**
     * Opens the store under {@code prefix} of {@code cf}. Nothing is written until the first write.
     *
     * @param name names the store in errors
     * @param prefix the store's key prefix: no other key of the column family may start with it
     * @throws TimeSeriesStoreException when the stored data has another format version or block
     *     duration than {@code settings}, or cannot be read
     */
    public static RocksTimeSeriesStore open(
            String name, RocksDB db, ColumnFamilyHandle cf, byte[] prefix, TimeSeriesSettings settings) {
        return open(name, db, cf, prefix, settings, TimeSeriesCipher.NONE, new Object(), MAX_OPEN_VALUES);
    }

    /**
     * Opens the store as {@link #open(String, RocksDB, ColumnFamilyHandle, byte[], TimeSeriesSettings)}
     * does, sealing the values that hold field values with {@code cipher} when it is on (values
     * stored in clear before stay readable), and taking {@code writeLock} around every write, as
     * {@link SealedValues#reencrypt} does.
     */
    public static RocksTimeSeriesStore open(
            String name,
            RocksDB db,
            ColumnFamilyHandle cf,
            byte[] prefix,
            TimeSeriesSettings settings,
            TimeSeriesCipher cipher,
            Object writeLock) {
        return open(name, db, cf, prefix, settings, cipher, writeLock, MAX_OPEN_VALUES);
    }

    /**
     * Opens the store as {@link #open(String, RocksDB, ColumnFamilyHandle, byte[], TimeSeriesSettings)}
     * does, holding at most about {@code maxOpenValues} values of open blocks in memory (0: none).
     */
    static RocksTimeSeriesStore open(
            String name,
            RocksDB db,
            ColumnFamilyHandle cf,
            byte[] prefix,
            TimeSeriesSettings settings,
            long maxOpenValues) {
        return open(name, db, cf, prefix, settings, TimeSeriesCipher.NONE, new Object(), maxOpenValues);
    }

    private static RocksTimeSeriesStore open(
            String name,
            RocksDB db,
            ColumnFamilyHandle cf,
            byte[] prefix,
            TimeSeriesSettings settings,
            TimeSeriesCipher cipher,
            Object writeLock,
            long maxOpenValues) {
        if (name == null
                || db == null
                || cf == null
                || prefix == null
                || settings == null
                || cipher == null
                || writeLock == null) {
            throw new IllegalArgumentException("name, db, cf, prefix, settings, cipher and writeLock must not be null");
        }
        if (maxOpenValues < 0) {
            throw new IllegalArgumentException("maxOpenValues must not be negative, got " + maxOpenValues);
        }
        RocksTimeSeriesStore store =
                new RocksTimeSeriesStore(name, db, cf, prefix, settings, cipher, writeLock, maxOpenValues);
        try {
            store.load();
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private void load() {
        try (View v = new View(false)) {
            byte[] meta = v.get(TimeSeriesKeyFormat.meta(prefix));
            if (meta != null) {
                TimeSeriesKeyFormat.Reader r = new TimeSeriesKeyFormat.Reader(meta, 0);
                int version = r.u8();
                if (version != TimeSeriesKeyFormat.VERSION || meta.length != TimeSeriesKeyFormat.META_LENGTH) {
                    throw new TimeSeriesStoreException("time-series store " + name + ": format version " + version
                            + " (" + meta.length + " meta bytes) is not version " + TimeSeriesKeyFormat.VERSION);
                }
                long storedDuration = r.i64();
                if (storedDuration != duration) {
                    throw new TimeSeriesStoreException("time-series store " + name + " was written with blocks of "
                            + storedDuration + " ns; the settings give " + duration
                            + " ns, and the block duration of a store cannot change");
                }
                appliedSeq = r.i64();
                nextSeriesId = r.i64();
                watermark = r.i64();
                horizon = r.i64();
            }
            byte[] rollupMeta = v.get(TimeSeriesKeyFormat.rollupMeta(prefix));
            if (rollupMeta != null) {
                TimeSeriesKeyFormat.Reader r = new TimeSeriesKeyFormat.Reader(rollupMeta, 0);
                int version = r.u8();
                if (version != TimeSeriesKeyFormat.VERSION
                        || rollupMeta.length != TimeSeriesKeyFormat.ROLLUP_META_LENGTH) {
                    throw new TimeSeriesStoreException("time-series store " + name + ": downsampling format version "
                            + version + " is not version " + TimeSeriesKeyFormat.VERSION);
                }
                downsampledSeq = r.i64();
                rollupWatermark = r.i64();
            }
            int at = prefix.length + 1;
            byte[] from =
                    TimeSeriesKeyFormat.key(prefix, TimeSeriesKeyFormat.OPEN).toArray();
            v.forEach(from, end(from), (key, value) -> {
                TimeSeriesKeyFormat.Reader r = new TimeSeriesKeyFormat.Reader(key, at);
                open.add(new BlockRef(r.i64(), r.time()));
            });
        }
    }

    // ------------------------------------------------------------------ writes

    @Override
    public synchronized WriteResult write(long batchSeq, List<Point> points) {
        ensureOpen();
        if (batchSeq <= 0) {
            throw new IllegalArgumentException("batchSeq must be positive, got " + batchSeq);
        }
        if (batchSeq <= appliedSeq) {
            return WriteResult.skipped();
        }
        boolean committed = false;
        try (View v = new View(false);
                WriteBatch batch = new WriteBatch()) {
            BatchWrite w = new BatchWrite(batchSeq, v, batch);
            for (int i = 0; i < points.size(); i++) {
                w.point(i, points.get(i));
            }
            int sealedCount = w.blocks();
            put(
                    batch,
                    TimeSeriesKeyFormat.meta(prefix),
                    TimeSeriesKeyFormat.encodeMeta(duration, batchSeq, w.next, w.newest, horizon));
            commit(batch);
            committed = true;

            appliedSeq = batchSeq;
            nextSeriesId = w.next;
            watermark = w.newest;
            seriesIds.putAll(w.newIds);
            w.newTypes.forEach((id, types) -> fieldTypes.get(id).putAll(types));
            open.addAll(w.opened);
            w.sealedNow.forEach(open::remove);
            fitMemory();
            return new WriteResult(true, w.written, w.errors, sealedCount);
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException("time-series store " + name + ": cannot write batch " + batchSeq, e);
        } finally {
            if (!committed) {
                forgetOpenRows(); // they may hold this batch's rows: read again from the stored chunks when needed
            }
        }
    }

    /**
     * One batch being written: its points go to their blocks one by one (a method per point, which
     * the JIT compiles once and small), then each block it touched is written.
     */
    private final class BatchWrite {
        final long batchSeq;
        final View v;
        final WriteBatch batch;
        final Map<Identity, Long> newIds = new HashMap<>();
        // A batch's points of one series share their tag list: found by identity first.
        final IdentityHashMap<List<Point.Tag>, BatchSeries> byTags = new IdentityHashMap<>();
        final Map<Identity, BatchSeries> byIdentity = new HashMap<>();
        final Map<Long, Map<String, FieldType>> newTypes = new HashMap<>();
        final TreeMap<BlockRef, Target> targets = new TreeMap<>();
        final List<PointError> errors = new ArrayList<>();
        final Set<BlockRef> sealedNow = new HashSet<>();
        final Set<BlockRef> opened = new HashSet<>();
        long next = nextSeriesId;
        long newest = watermark;
        int written;

        BatchWrite(long batchSeq, View v, WriteBatch batch) {
            this.batchSeq = batchSeq;
            this.v = v;
            this.batch = batch;
        }

        void point(int i, Point p) throws RocksDBException {
            long t = p.time();
            if (t < horizon) {
                errors.add(new PointError(
                        i,
                        PointError.Kind.BEFORE_RETENTION,
                        null,
                        null,
                        null,
                        "point at " + t + " is older than the retention horizon " + horizon));
                return;
            }
            long start;
            try {
                start = blockStart(t);
            } catch (ArithmeticException e) {
                errors.add(new PointError(
                        i,
                        PointError.Kind.TIME_OUT_OF_RANGE,
                        null,
                        null,
                        null,
                        "point at " + t + " is before the first block of " + duration + " ns"));
                return;
            }
            BatchSeries s = byTags.get(p.tags());
            if (s == null || !s.measurement.equals(p.measurement())) {
                s = series(p);
            }
            if (!s.checked(p.fields())) {
                PointError conflict = typeConflict(s, newTypes, i, p);
                if (conflict != null) {
                    errors.add(conflict);
                    return;
                }
                stageTypes(batch, s, newTypes, p.fields());
            }
            if (s.target == null || s.targetStart != start) {
                BlockRef ref = new BlockRef(s.id, start);
                Target target = targets.get(ref);
                if (target == null) {
                    target = target(v, ref);
                    targets.put(ref, target);
                }
                s.target = target;
                s.targetStart = start;
            }
            s.target.rows.add(t, p.fields());
            newest = Math.max(newest, t);
            written++;
        }

        /** The series of a point, by its measurement and tags: cached, stored, or new in this batch. */
        private BatchSeries series(Point p) throws RocksDBException {
            Identity identity = new Identity(p.measurement(), p.tags());
            BatchSeries s = byIdentity.get(identity);
            if (s == null) {
                Long id = seriesIds.get(identity);
                if (id == null) {
                    id = newIds.get(identity);
                }
                if (id == null) {
                    SeriesKey key = p.seriesKey();
                    String canonical = key.canonical();
                    id = storedSeriesId(v, canonical);
                    if (id != null) {
                        seriesIds.put(identity, id); // stored already, so safe to cache before the write
                    } else {
                        id = next++;
                        newIds.put(identity, id);
                        putSeries(batch, key, canonical, id);
                    }
                }
                s = new BatchSeries(id, p.measurement(), typesOf(v, id));
                byIdentity.put(identity, s);
            }
            byTags.putIfAbsent(p.tags(), s);
            return s;
        }

        /** Writes every block the batch touched, and seals the open ones it makes old enough; how many it sealed. */
        int blocks() throws RocksDBException {
            int sealedCount = 0;
            for (Target target : targets.values()) {
                BlockRef ref = target.ref;
                byte[] sealedKey = TimeSeriesKeyFormat.sealed(prefix, ref.series(), ref.start());
                boolean seal = sealable(ref.start(), newest);
                if (target.sealed != null) {
                    // Late points for a sealed block: decode, merge (the new rows win), encode.
                    TimeBlock.Builder b = TimeBlock.builder().addAll(readBlock(sealedKey, target.sealed));
                    put(batch, sealedKey, b.addAll(target.rows).build().toByteArray());
                    sealedCount++;
                } else if (!target.open) {
                    if (seal) {
                        put(batch, sealedKey, target.rows.build().toByteArray());
                        sealedCount++;
                    } else {
                        putChunk(batch, ref, batchSeq, target.rows.columns());
                        opened.add(ref);
                        if (memoryValues < maxOpenValues) {
                            hold(ref, new OpenBlock(target.rows, batchSeq));
                        }
                    }
                } else if (seal) {
                    TimeBlock.Builder b;
                    if (target.held != null) {
                        b = target.rows; // the held rows, this batch's among them
                        deleteChunks(batch, ref, target.held);
                        release(ref);
                    } else {
                        b = TimeBlock.builder();
                        moveOpenRows(v, batch, ref, b);
                        b.addAll(target.rows);
                        tooLarge.remove(ref);
                    }
                    put(batch, sealedKey, b.build().toByteArray());
                    sealedCount++;
                    sealedNow.add(ref);
                } else {
                    // One chunk per block and batch: no read before the write, duplicates of
                    // earlier batches are merged when the block is read or sealed.
                    putChunk(batch, ref, batchSeq, target.rows.columns(target.from));
                    if (target.held != null) {
                        target.held.chunk(batchSeq);
                        account(target.held);
                    }
                }
            }
            for (BlockRef ref : open) {
                if (!targets.containsKey(ref) && sealable(ref.start(), newest)) {
                    if (sealOpen(v, batch, ref)) {
                        sealedCount++;
                    }
                    sealedNow.add(ref);
                }
            }
            return sealedCount;
        }
    }

    /** A series as one batch writes it: its id, stored types, the field names checked, and its current block. */
    private static final class BatchSeries {
        final long id;
        final String measurement;
        final Map<String, FieldType> stored;
        /** The names and types of the last point whose fields passed the check, in its map's order. */
        private String[] checkedNames = new String[0];

        private FieldType[] checkedTypes = new FieldType[0];
        /** The shape of the last fields that passed, when they came as a {@link FieldMap}. */
        private FieldMap.Shape checkedShape;

        Target target;
        long targetStart;

        BatchSeries(long id, String measurement, Map<String, FieldType> stored) {
            this.id = id;
            this.measurement = measurement;
            this.stored = stored;
        }

        /**
         * Whether {@code fields} has the same names (the same String objects, as the points of a
         * decoded batch share them) and types as the last fields checked: they pass the check again.
         */
        boolean checked(Map<String, FieldValue> fields) {
            if (fields instanceof FieldMap m) {
                return m.shape() == checkedShape;
            }
            if (fields.size() != checkedNames.length) {
                return false;
            }
            int i = 0;
            for (Map.Entry<String, FieldValue> f : fields.entrySet()) {
                if (f.getKey() != checkedNames[i] || f.getValue().type() != checkedTypes[i]) {
                    return false;
                }
                i++;
            }
            return true;
        }

        void passed(Map<String, FieldValue> fields) {
            if (fields instanceof FieldMap m) {
                checkedShape = m.shape();
                return;
            }
            String[] names = new String[fields.size()];
            FieldType[] types = new FieldType[names.length];
            int i = 0;
            for (Map.Entry<String, FieldValue> f : fields.entrySet()) {
                names[i] = f.getKey();
                types[i] = f.getValue().type();
                i++;
            }
            checkedNames = names;
            checkedTypes = types;
        }
    }

    /** The conflict of a point's fields with the types its series has, stored or staged by this batch; or null. */
    private static PointError typeConflict(
            BatchSeries s, Map<Long, Map<String, FieldType>> newTypes, int index, Point p) {
        Map<String, FieldType> staged = newTypes.get(s.id);
        PointError conflict = null;
        for (Map.Entry<String, FieldValue> f : p.fields().entrySet()) {
            FieldType known = s.stored.get(f.getKey());
            if (known == null && staged != null) {
                known = staged.get(f.getKey());
            }
            FieldType given = f.getValue().type();
            // Of several conflicting fields, the first by name is reported, whatever the map's order.
            if (known != null
                    && known != given
                    && (conflict == null || f.getKey().compareTo(conflict.field()) < 0)) {
                conflict = new PointError(
                        index,
                        PointError.Kind.FIELD_TYPE_CONFLICT,
                        f.getKey(),
                        known,
                        given,
                        "field '" + f.getKey() + "' is " + known + " in series " + p.seriesKey() + "; the point gives "
                                + given);
            }
        }
        return conflict;
    }

    /** Stages the types of the fields its series has not had yet, and notes that the fields passed. */
    private void stageTypes(
            WriteBatch batch, BatchSeries s, Map<Long, Map<String, FieldType>> newTypes, Map<String, FieldValue> fields)
            throws RocksDBException {
        Map<String, FieldType> staged = newTypes.get(s.id);
        for (Map.Entry<String, FieldValue> f : fields.entrySet()) {
            if (!s.stored.containsKey(f.getKey()) && (staged == null || !staged.containsKey(f.getKey()))) {
                if (staged == null) {
                    staged = new HashMap<>();
                    newTypes.put(s.id, staged);
                }
                FieldType type = f.getValue().type();
                staged.put(f.getKey(), type);
                put(
                        batch,
                        TimeSeriesKeyFormat.fieldTypes(prefix, s.id)
                                .raw(f.getKey().getBytes(StandardCharsets.UTF_8))
                                .toArray(),
                        new byte[] {(byte) type.code()});
            }
        }
        s.passed(fields);
    }

    /**
     * Where a batch's points of one block go: into the rows held for the block (this batch's
     * points from {@code from} on), or into a builder of their own; and what the block was.
     */
    private static final class Target {
        final BlockRef ref;
        final TimeBlock.Builder rows;
        /** The block's held rows, when {@code rows} are theirs. */
        final OpenBlock held;

        final int from;
        /** Whether the block has open chunks. */
        final boolean open;
        /** The block as it is stored sealed, or null. */
        final byte[] sealed;

        Target(BlockRef ref, TimeBlock.Builder rows, OpenBlock held, boolean open, byte[] sealed) {
            this.ref = ref;
            this.rows = rows;
            this.held = held;
            this.from = rows.size();
            this.open = open;
            this.sealed = sealed;
        }
    }

    /** Where a batch's points of block {@code ref} go. */
    private Target target(View v, BlockRef ref) {
        if (open.contains(ref)) {
            // A block is sealed or open, never both.
            OpenBlock held = held(v, ref);
            return held != null
                    ? new Target(ref, held.rows, held, true, null)
                    : new Target(ref, TimeBlock.builder(), null, true, null);
        }
        byte[] sealed = v.get(TimeSeriesKeyFormat.sealed(prefix, ref.series(), ref.start()));
        // A new open block is sized like the last one sealed from memory: series tend to keep their rate.
        TimeBlock.Builder rows =
                sealed == null ? TimeBlock.builder(blockPoints + blockPoints / 8) : TimeBlock.builder();
        return new Target(ref, rows, null, false, sealed);
    }

    private void putChunk(WriteBatch batch, BlockRef ref, long batchSeq, TimeBlock.Columns rows)
            throws RocksDBException {
        put(
                batch,
                TimeSeriesKeyFormat.open(prefix, ref.series(), ref.start(), batchSeq),
                TimeSeriesKeyFormat.encodeChunk(rows));
    }

    // ------------------------------------------------------------------ open rows held in memory

    /**
     * The rows of an open block as its stored chunks hold them, merged as a read merges them
     * (chunks in batch order), and the batch numbers of those chunks.
     */
    private static final class OpenBlock {
        final TimeBlock.Builder rows;
        private long[] chunks = new long[8];
        private int chunkCount;
        /** The values counted for this block in memoryValues. */
        long values;

        OpenBlock(TimeBlock.Builder rows, long firstChunk) {
            this.rows = rows;
            chunk(firstChunk);
        }

        OpenBlock(TimeBlock.Builder rows, long[] chunks) {
            this.rows = rows;
            this.chunks = chunks.length == 0 ? new long[8] : chunks;
            this.chunkCount = chunks.length;
        }

        void chunk(long batchSeq) {
            if (chunkCount == chunks.length) {
                chunks = Arrays.copyOf(chunks, chunkCount * 2);
            }
            chunks[chunkCount++] = batchSeq;
        }
    }

    /** The most values (a row's time, a field of a row) the open blocks held in memory hold, by default. */
    static final long MAX_OPEN_VALUES = 1L << 20;

    /**
     * The rows of an open block, from memory when they are held there, else read from its chunks
     * and held if there is room; null when they are not held.
     */
    private OpenBlock held(View v, BlockRef ref) {
        OpenBlock b = heldBlocks.get(ref);
        if (b != null || memoryValues >= maxOpenValues || tooLarge.contains(ref)) {
            return b;
        }
        TimeBlock.Builder rows = TimeBlock.builder();
        long[][] chunks = {new long[8]};
        int[] n = {0};
        byte[] from =
                TimeSeriesKeyFormat.open(prefix, ref.series(), ref.start()).toArray();
        int at = from.length;
        // Chunks come in batch order, and a builder lets the row added last win.
        v.forEach(from, end(from), (key, value) -> {
            if (n[0] == chunks[0].length) {
                chunks[0] = Arrays.copyOf(chunks[0], n[0] * 2);
            }
            chunks[0][n[0]++] = new TimeSeriesKeyFormat.Reader(key, at).i64();
            TimeSeriesKeyFormat.decodeChunk(value, rows::add);
        });
        if (rows.size() == 0) {
            return null;
        }
        b = new OpenBlock(rows, Arrays.copyOf(chunks[0], n[0]));
        hold(ref, b);
        return b;
    }

    private void hold(BlockRef ref, OpenBlock b) {
        heldBlocks.put(ref, b);
        account(b);
    }

    /** Counts a held block's values again after it changed. */
    private void account(OpenBlock b) {
        long values = b.rows.values();
        memoryValues += values - b.values;
        b.values = values;
    }

    /** Stops holding an open block's rows (it was sealed, or its stored chunks changed). */
    private void release(BlockRef ref) {
        OpenBlock b = heldBlocks.remove(ref);
        if (b != null) {
            memoryValues -= b.values;
            blockPoints = b.rows.size();
        }
        tooLarge.remove(ref);
    }

    /** Over the room, lets go of the largest held blocks, which stay on disk alone until sealed. */
    private void fitMemory() {
        if (memoryValues <= maxOpenValues) {
            return;
        }
        List<Map.Entry<BlockRef, OpenBlock>> bySize = new ArrayList<>(heldBlocks.entrySet());
        bySize.sort((a, b) -> Long.compare(b.getValue().values, a.getValue().values));
        for (Map.Entry<BlockRef, OpenBlock> e : bySize) {
            if (memoryValues <= maxOpenValues) {
                break;
            }
            heldBlocks.remove(e.getKey());
            memoryValues -= e.getValue().values;
            tooLarge.add(e.getKey());
        }
    }

    /** Lets go of every held block: the stored chunks answer until they are read again. */
    private void forgetOpenRows() {
        heldBlocks.clear();
        memoryValues = 0;
        tooLarge.clear();
    }

    /** The values of open blocks held in memory now. */
    synchronized long heldValues() {
        return memoryValues;
    }

    /** Deletes the stored chunks of a held block. */
    private void deleteChunks(WriteBatch batch, BlockRef ref, OpenBlock held) {
        for (int i = 0; i < held.chunkCount; i++) {
            delete(batch, TimeSeriesKeyFormat.open(prefix, ref.series(), ref.start(), held.chunks[i]));
        }
    }

    @Override
    public synchronized long appliedSeq() {
        return appliedSeq;
    }

    @Override
    public synchronized void flush() {
        ensureOpen();
        if (open.isEmpty()) {
            return;
        }
        boolean committed = false;
        try (View v = new View(false);
                WriteBatch batch = new WriteBatch()) {
            for (BlockRef ref : open) {
                sealOpen(v, batch, ref);
            }
            commit(batch);
            committed = true;
            open.clear();
            forgetOpenRows();
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException("time-series store " + name + ": cannot seal its open blocks", e);
        } finally {
            if (!committed) {
                forgetOpenRows();
            }
        }
    }

    @Override
    public synchronized void dropBefore(long time) {
        ensureOpen();
        List<BlockRef> emptied = new ArrayList<>();
        boolean committed = false;
        try (View v = new View(false);
                WriteBatch batch = new WriteBatch()) {
            long cut;
            try {
                cut = blockStart(time);
            } catch (ArithmeticException e) {
                cut = Long.MIN_VALUE; // no block ends before a time that early
            }
            if (cut != Long.MIN_VALUE) {
                for (long id = 0; id < nextSeriesId; id++) {
                    byte[] from = TimeSeriesKeyFormat.sealed(prefix, id, Long.MIN_VALUE);
                    byte[] to = TimeSeriesKeyFormat.sealed(prefix, id, cut);
                    // A range tombstone only where there is something to drop.
                    if (v.any(from, to)) {
                        batch.deleteRange(cf, from, to);
                    }
                }
            }
            for (BlockRef ref : open) {
                if (ref.start() < time && !dropOpenRowsBefore(v, batch, ref, time)) {
                    emptied.add(ref);
                }
            }
            long newHorizon = Math.max(horizon, time);
            put(
                    batch,
                    TimeSeriesKeyFormat.meta(prefix),
                    TimeSeriesKeyFormat.encodeMeta(duration, appliedSeq, nextSeriesId, watermark, newHorizon));
            commit(batch);
            committed = true;
            horizon = newHorizon;
            emptied.forEach(open::remove);
            // Their chunks may have been rewritten: read again when next touched.
            for (BlockRef ref : new ArrayList<>(heldBlocks.keySet())) {
                if (ref.start() < time) {
                    release(ref);
                }
            }
            tooLarge.removeIf(ref -> ref.start() < time);
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException("time-series store " + name + ": cannot drop what is before " + time, e);
        } finally {
            if (!committed) {
                forgetOpenRows();
            }
        }
    }

    // ------------------------------------------------------------------ downsampling

    /** A window of a rule in a series. */
    private record RollupRef(int rule, long series, long start) {}

    @Override
    public Downsampled downsample(long seq, List<Point> points, List<DownsamplingRule> rules) {
        synchronized (rollupLock) {
            ensureOpen();
            if (seq <= downsampledSeq) {
                return Downsampled.ALREADY;
            }
            long horizon;
            synchronized (this) {
                if (seq > appliedSeq) {
                    return Downsampled.NOT_APPLIED_YET;
                }
                horizon = this.horizon;
            }
            return downsample(seq, points, rules, horizon);
        }
    }

    /**
     * Downsamples an event the store has applied, under rollupLock only: the points it reads are
     * those of this event or later ones (each later event rolls up again the closed windows it
     * touches), and {@code horizon} only grows.
     */
    private Downsampled downsample(long seq, List<Point> points, List<DownsamplingRule> rules, long horizon) {
        long newest = rollupWatermark;
        Set<RollupRef> touched = new HashSet<>();
        try (View v = new View(false);
                WriteBatch batch = new WriteBatch()) {
            java.util.IdentityHashMap<List<Point.Tag>, Object[]> batchSeries = new java.util.IdentityHashMap<>();
            for (Point p : points) {
                Object[] known = batchSeries.get(p.tags());
                Long id = known != null && known[0].equals(p.measurement()) ? (Long) known[1] : null;
                if (id == null) {
                    // The writes' id cache is theirs (guarded by this): the index answers here.
                    id = storedSeriesId(v, p.seriesKey().canonical());
                    if (id == null) {
                        continue; // every point of a series never stored was refused
                    }
                    batchSeries.put(p.tags(), new Object[] {p.measurement(), id});
                }
                long t = p.time();
                newest = Math.max(newest, t);
                for (int r = 0; r < rules.size(); r++) {
                    long start = windowStart(t, rules.get(r).every());
                    if (start != Long.MIN_VALUE) {
                        touched.add(new RollupRef(r, id, start));
                    }
                }
            }
            Set<RollupRef> compute = new HashSet<>();
            for (RollupRef ref : touched) {
                long cutBefore = rollupCut(rules.get(ref.rule()).every(), rollupWatermark);
                if (ref.start() < cutBefore) {
                    // Closed already: a late point; rolled up again if the stored points are whole.
                    if (ref.start() >= horizon) {
                        compute.add(ref);
                    }
                } else if (ref.start() < rollupCut(rules.get(ref.rule()).every(), newest)) {
                    compute.add(ref); // opened and closed by this event
                } else {
                    put(batch, TimeSeriesKeyFormat.pending(prefix, ref.rule(), ref.start(), ref.series()), new byte[0]);
                }
            }
            for (int r = 0; r < rules.size(); r++) {
                long cut = rollupCut(rules.get(r).every(), newest);
                if (cut == Long.MIN_VALUE) {
                    continue;
                }
                int rule = r;
                byte[] from = TimeSeriesKeyFormat.pending(prefix, rule).toArray();
                int at = from.length;
                byte[] to = TimeSeriesKeyFormat.pending(prefix, rule).time(cut).toArray();
                v.forEach(from, to, (key, value) -> {
                    TimeSeriesKeyFormat.Reader kr = new TimeSeriesKeyFormat.Reader(key, at);
                    long start = kr.time();
                    compute.add(new RollupRef(rule, kr.i64(), start));
                });
                if (v.any(from, to)) {
                    batch.deleteRange(cf, from, to);
                }
            }
            rollUp(v, batch, compute, rules);
            put(batch, TimeSeriesKeyFormat.rollupMeta(prefix), TimeSeriesKeyFormat.encodeRollupMeta(seq, newest));
            commit(batch);
            downsampledSeq = seq;
            rollupWatermark = newest;
            return Downsampled.APPLIED;
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException("time-series store " + name + ": cannot downsample event " + seq, e);
        }
    }

    /** Rolls up {@code windows} from the stored points: one read of each series over its windows. */
    private void rollUp(View v, WriteBatch batch, Set<RollupRef> windows, List<DownsamplingRule> rules)
            throws RocksDBException {
        Map<Long, List<RollupRef>> bySeries = new HashMap<>();
        for (RollupRef ref : windows) {
            bySeries.computeIfAbsent(ref.series(), x -> new ArrayList<>()).add(ref);
        }
        for (Map.Entry<Long, List<RollupRef>> s : bySeries.entrySet()) {
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            for (RollupRef ref : s.getValue()) {
                lo = Math.min(lo, ref.start());
                hi = Math.max(hi, windowEnd(ref.start(), rules.get(ref.rule()).every()));
            }
            List<TimeBlock.Row> rows = rowsOf(v, s.getKey(), lo, hi);
            for (RollupRef ref : s.getValue()) {
                DownsamplingRule rule = rules.get(ref.rule());
                long end = windowEnd(ref.start(), rule.every());
                Map<String, RollupCell.Builder> cells = new HashMap<>();
                for (TimeBlock.Row row : rows) {
                    if (row.time() < ref.start() || row.time() >= end) {
                        continue;
                    }
                    for (Map.Entry<String, FieldValue> f : row.fields().entrySet()) {
                        cells.computeIfAbsent(f.getKey(), x -> new RollupCell.Builder(rule.keepsFirstLast()))
                                .add(row.time(), f.getValue());
                    }
                }
                Map<String, RollupCell> built = new HashMap<>();
                cells.forEach((field, b) -> {
                    if (!b.isEmpty()) {
                        built.put(field, b.build());
                    }
                });
                byte[] key = TimeSeriesKeyFormat.rollup(prefix, ref.rule(), ref.series(), ref.start());
                if (built.isEmpty()) {
                    batch.delete(cf, key);
                } else {
                    put(batch, key, TimeSeriesKeyFormat.encodeRollup(built));
                }
            }
        }
    }

    /** The start of the window of length {@code every} holding {@code t}; Long.MIN_VALUE when it overflows. */
    private static long windowStart(long t, long every) {
        try {
            return Math.multiplyExact(Math.floorDiv(t, every), every);
        } catch (ArithmeticException e) {
            return Long.MIN_VALUE;
        }
    }

    private static long windowEnd(long start, long every) {
        return start > Long.MAX_VALUE - every ? Long.MAX_VALUE : start + every;
    }

    /**
     * The end of the closed windows of length {@code every} once the newest time is {@code
     * newest}: a window is closed when its end plus the lateness is at or before {@code newest}.
     */
    private long rollupCut(long every, long newest) {
        if (newest < Long.MIN_VALUE + lateness) {
            return Long.MIN_VALUE;
        }
        long cut = windowStart(newest - lateness, every);
        return cut == Long.MIN_VALUE ? Long.MIN_VALUE : cut;
    }

    @Override
    public long downsampledSeq() {
        synchronized (rollupLock) {
            return downsampledSeq;
        }
    }

    @Override
    public long rolledUpBefore(DownsamplingRule rule) {
        synchronized (rollupLock) {
            return rollupCut(rule.every(), rollupWatermark);
        }
    }

    @Override
    public List<SeriesRollups> rollups(int rule, SeriesFilter filter, long from, long to) {
        ensureOpen();
        List<SeriesRollups> out = new ArrayList<>();
        if (from >= to) {
            return out;
        }
        try (View v = new View(true)) {
            for (Series s : resolve(v, filter)) {
                List<SeriesRollups.Window> windows = new ArrayList<>();
                int at = prefix.length + 1 + 1 + 8;
                v.forEach(
                        TimeSeriesKeyFormat.rollup(prefix, rule, s.id(), from),
                        TimeSeriesKeyFormat.rollup(prefix, rule, s.id(), to),
                        (key, value) -> windows.add(new SeriesRollups.Window(
                                new TimeSeriesKeyFormat.Reader(key, at).time(),
                                TimeSeriesKeyFormat.decodeRollup(value))));
                if (!windows.isEmpty()) {
                    out.add(new SeriesRollups(s.key(), windows));
                }
            }
        }
        return out;
    }

    @Override
    public void dropRollupsBefore(int rule, DownsamplingRule spec, long time) {
        synchronized (rollupLock) {
            dropRollups(rule, spec, time);
        }
    }

    private void dropRollups(int rule, DownsamplingRule spec, long time) {
        ensureOpen();
        long cut = windowStart(time, spec.every());
        if (cut == Long.MIN_VALUE) {
            return;
        }
        long nextSeriesId;
        synchronized (this) {
            nextSeriesId = this.nextSeriesId;
        }
        // A window ends at or before 'time' exactly when it starts before the window holding 'time'.
        try (View v = new View(false);
                WriteBatch batch = new WriteBatch()) {
            for (long id = 0; id < nextSeriesId; id++) {
                byte[] from = TimeSeriesKeyFormat.rollup(prefix, rule, id, Long.MIN_VALUE);
                byte[] to = TimeSeriesKeyFormat.rollup(prefix, rule, id, cut);
                if (v.any(from, to)) {
                    batch.deleteRange(cf, from, to);
                }
            }
            commit(batch);
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException(
                    "time-series store " + name + ": cannot drop rolled-up windows before " + time, e);
        }
    }

    private void putSeries(WriteBatch batch, SeriesKey key, String canonical, long id) throws RocksDBException {
        put(
                batch,
                TimeSeriesKeyFormat.seriesId(prefix, canonical),
                new TimeSeriesKeyFormat.Bytes(8).i64(id).toArray());
        put(batch, TimeSeriesKeyFormat.seriesKey(prefix, id), TimeSeriesKeyFormat.encodeSeriesKey(key));
        put(
                batch,
                TimeSeriesKeyFormat.measurementIndex(prefix, key.measurement())
                        .i64(id)
                        .toArray(),
                new byte[0]);
        for (Point.Tag t : key.tags()) {
            put(
                    batch,
                    TimeSeriesKeyFormat.tagIndex(prefix, key.measurement(), t.key(), t.value())
                            .i64(id)
                            .toArray(),
                    new byte[0]);
        }
    }

    private void put(WriteBatch batch, byte[] key, byte[] value) throws RocksDBException {
        batch.put(cf, key, atRest.toStored(key, value));
    }

    private void commit(WriteBatch batch) throws RocksDBException {
        synchronized (writeLock) {
            db.write(writeOptions, batch);
        }
    }

    /** Seals an open block into {@code batch}; false when it had no rows left (retention). */
    private boolean sealOpen(View v, WriteBatch batch, BlockRef ref) throws RocksDBException {
        OpenBlock held = heldBlocks.get(ref);
        TimeBlock.Builder b;
        if (held != null) {
            b = held.rows;
            deleteChunks(batch, ref, held);
            release(ref);
        } else {
            b = TimeBlock.builder();
            moveOpenRows(v, batch, ref, b);
            tooLarge.remove(ref);
        }
        if (b.size() == 0) {
            return false;
        }
        put(
                batch,
                TimeSeriesKeyFormat.sealed(prefix, ref.series(), ref.start()),
                b.build().toByteArray());
        return true;
    }

    /** Adds the open rows of a block to {@code b}, chunk by chunk in batch order, and deletes the chunks. */
    private void moveOpenRows(View v, WriteBatch batch, BlockRef ref, TimeBlock.Builder b) {
        byte[] from =
                TimeSeriesKeyFormat.open(prefix, ref.series(), ref.start()).toArray();
        v.forEach(from, end(from), (key, value) -> {
            TimeSeriesKeyFormat.decodeChunk(value, b::add);
            delete(batch, key);
        });
    }

    /**
     * Removes the rows before {@code time} from the open chunks of a block, rewriting or deleting
     * the chunks that held any; whether any row is left in the block.
     */
    private boolean dropOpenRowsBefore(View v, WriteBatch batch, BlockRef ref, long time) {
        byte[] from =
                TimeSeriesKeyFormat.open(prefix, ref.series(), ref.start()).toArray();
        boolean[] left = {false};
        v.forEach(from, end(from), (key, value) -> {
            TreeMap<Long, Map<String, FieldValue>> rows = new TreeMap<>();
            TimeSeriesKeyFormat.decodeChunk(value, rows::put);
            SortedMap<Long, Map<String, FieldValue>> kept = rows.tailMap(time);
            if (kept.isEmpty()) {
                delete(batch, key);
            } else {
                left[0] = true;
                if (kept.size() < rows.size()) {
                    try {
                        put(batch, key, TimeSeriesKeyFormat.encodeChunk(kept));
                    } catch (RocksDBException e) {
                        throw new TimeSeriesStoreException(
                                "time-series store " + name + ": cannot rewrite key "
                                        + HexFormat.of().formatHex(key),
                                e);
                    }
                }
            }
        });
        return left[0];
    }

    private void delete(WriteBatch batch, byte[] key) {
        try {
            batch.delete(cf, key);
        } catch (RocksDBException e) {
            throw new TimeSeriesStoreException(
                    "time-series store " + name + ": cannot delete key "
                            + HexFormat.of().formatHex(key),
                    e);
        }
    }

    private Long storedSeriesId(View v, String canonical) {
        byte[] value = v.get(TimeSeriesKeyFormat.seriesId(prefix, canonical));
        if (value == null) {
            return null;
        }
        return new TimeSeriesKeyFormat.Reader(value, 0).i64();
    }

    /** The stored field types of a series (cached; new ones are added after their write). */
    private Map<String, FieldType> typesOf(View v, long id) {
        Map<String, FieldType> types = fieldTypes.get(id);
        if (types == null) {
            types = new HashMap<>();
            Map<String, FieldType> found = types;
            byte[] from = TimeSeriesKeyFormat.fieldTypes(prefix, id).toArray();
            int at = from.length;
            v.forEach(
                    from,
                    end(from),
                    (key, value) -> found.put(
                            new String(key, at, key.length - at, StandardCharsets.UTF_8), FieldType.ofCode(value[0])));
            fieldTypes.put(id, types);
        }
        return types;
    }

    /** The start of the block holding {@code t}; ArithmeticException when it is before Long.MIN_VALUE. */
    private long blockStart(long t) {
        return Math.multiplyExact(Math.floorDiv(t, duration), duration);
    }

    /** Whether the block starting at {@code start} is sealed once the newest time written is {@code newest}. */
    private boolean sealable(long start, long newest) {
        try {
            return start <= Math.subtractExact(Math.subtractExact(newest, duration), lateness);
        } catch (ArithmeticException e) {
            return false;
        }
    }

    private TimeBlock readBlock(byte[] key, byte[] value) {
        try {
            return TimeBlock.read(value);
        } catch (TimeBlockException e) {
            throw new TimeSeriesStoreException(
                    "time-series store " + name + ": block at key "
                            + HexFormat.of().formatHex(key) + " is corrupt: " + e.getMessage(),
                    e);
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public List<SeriesKey> seriesKeys() {
        return series(SeriesFilter.ALL);
    }

    @Override
    public List<SeriesKey> series(SeriesFilter filter) {
        ensureOpen();
        try (View v = new View(true)) {
            return resolve(v, filter).stream().map(Series::key).toList();
        }
    }

    private List<Series> resolve(View v, SeriesFilter filter) {
        Set<Long> ids;
        if (filter.measurement() == null) {
            List<Series> all = new ArrayList<>();
            byte[] from = TimeSeriesKeyFormat.key(prefix, TimeSeriesKeyFormat.SERIES_KEY)
                    .toArray();
            int at = from.length;
            v.forEach(from, end(from), (key, value) -> {
                SeriesKey k = TimeSeriesKeyFormat.decodeSeriesKey(value);
                if (matchesTags(k, filter.tags())) {
                    all.add(new Series(new TimeSeriesKeyFormat.Reader(key, at).i64(), k, utf8(k)));
                }
            });
            all.sort((a, b) -> Arrays.compareUnsigned(a.canonical(), b.canonical()));
            return all;
        }
        if (filter.tags().isEmpty()) {
            ids = idsUnder(
                    v,
                    TimeSeriesKeyFormat.measurementIndex(prefix, filter.measurement())
                            .toArray());
        } else {
            ids = null;
            for (Map.Entry<String, String> t : new TreeMap<>(filter.tags()).entrySet()) {
                Set<Long> found = idsUnder(
                        v,
                        TimeSeriesKeyFormat.tagIndex(prefix, filter.measurement(), t.getKey(), t.getValue())
                                .toArray());
                if (ids == null) {
                    ids = found;
                } else {
                    ids.retainAll(found);
                }
                if (ids.isEmpty()) {
                    break;
                }
            }
        }
        List<Series> out = new ArrayList<>(ids.size());
        for (long id : ids) {
            byte[] key = TimeSeriesKeyFormat.seriesKey(prefix, id);
            byte[] value = v.get(key);
            if (value == null) {
                throw new TimeSeriesStoreException("time-series store " + name + ": the index names series " + id
                        + ", which has no key " + HexFormat.of().formatHex(key));
            }
            SeriesKey k = TimeSeriesKeyFormat.decodeSeriesKey(value);
            out.add(new Series(id, k, utf8(k)));
        }
        out.sort((a, b) -> Arrays.compareUnsigned(a.canonical(), b.canonical()));
        return out;
    }

    private static byte[] utf8(SeriesKey k) {
        return k.canonical().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean matchesTags(SeriesKey k, Map<String, String> tags) {
        if (tags.isEmpty()) {
            return true;
        }
        int matched = 0;
        for (Point.Tag t : k.tags()) {
            if (t.value().equals(tags.get(t.key()))) {
                matched++;
            }
        }
        return matched == tags.size();
    }

    /** The series ids that end the keys under an index prefix. */
    private Set<Long> idsUnder(View v, byte[] from) {
        Set<Long> ids = new TreeSet<>();
        v.forEach(from, end(from), (key, value) -> {
            if (key.length == from.length + 8) {
                ids.add(new TimeSeriesKeyFormat.Reader(key, from.length).i64());
            }
        });
        return ids;
    }

    @Override
    public List<SeriesRows> scan(SeriesFilter filter, long from, long to) {
        ensureOpen();
        List<SeriesRows> out = new ArrayList<>();
        if (from >= to) {
            return out;
        }
        try (View v = new View(true)) {
            for (Series s : resolve(v, filter)) {
                List<TimeBlock.Row> rows = rowsOf(v, s.id(), from, to);
                if (!rows.isEmpty()) {
                    out.add(new SeriesRows(s.key(), rows));
                }
            }
        }
        return out;
    }

    /**
     * The blocks of a series that may hold rows in {@code [from, to)}, in order of start: the
     * sealed ones as stored, the open rows in the range of each open block as they are.
     */
    private List<WindowAggregator.Part> blocksOf(View v, long id, long from, long to) {
        TreeMap<Long, WindowAggregator.Part> parts = new TreeMap<>();
        forEachBlock(
                v,
                id,
                from,
                to,
                (start, block) -> parts.put(start, new WindowAggregator.Part.Sealed(block)),
                (start, rows) -> parts.put(start, new WindowAggregator.Part.Open(rows)));
        return new ArrayList<>(parts.values());
    }

    /**
     * The rows of a series in {@code [from, to)}, in time order, without encoding the open ones
     * into blocks first.
     */
    private List<TimeBlock.Row> rowsOf(View v, long id, long from, long to) {
        TreeMap<Long, List<TimeBlock.Row>> byBlock = new TreeMap<>();
        forEachBlock(
                v,
                id,
                from,
                to,
                (start, block) -> {
                    List<TimeBlock.Row> rows = new ArrayList<>();
                    for (TimeBlock.Row r : block.rows()) {
                        if (r.time() >= from && r.time() < to) {
                            rows.add(r);
                        }
                    }
                    byBlock.put(start, rows);
                },
                (start, rows) -> byBlock.put(start, rows.rows()));
        List<TimeBlock.Row> rows = new ArrayList<>();
        byBlock.values().forEach(rows::addAll);
        return rows;
    }

    /**
     * Hands each sealed block of a series that may hold rows in {@code [from, to)} to {@code
     * sealed}, and the open rows in the range of each open block that has any to {@code open} (a
     * series' block is one or the other), with the block's start. The open rows come from the
     * rows the view took of the writer's held blocks where it took them, else from the chunks.
     */
    private void forEachBlock(
            View v,
            long id,
            long from,
            long to,
            BiConsumer<Long, TimeBlock> sealed,
            BiConsumer<Long, TimeBlock.Columns> open) {
        long lower;
        try {
            lower = blockStart(from);
        } catch (ArithmeticException e) {
            lower = Long.MIN_VALUE;
        }
        int startAt = prefix.length + 1 + 8;
        v.forEach(
                TimeSeriesKeyFormat.sealed(prefix, id, lower),
                TimeSeriesKeyFormat.sealed(prefix, id, to),
                (key, value) ->
                        sealed.accept(new TimeSeriesKeyFormat.Reader(key, startAt).time(), readBlock(key, value)));
        if (v.openBlocks != null) {
            for (Map.Entry<BlockRef, TimeBlock.Builder> e : v.openBlocks
                    .subMap(new BlockRef(id, lower), new BlockRef(id, to))
                    .entrySet()) {
                TimeBlock.Builder rows = openRowsOf(v, e.getKey(), e.getValue());
                TimeBlock.Columns inRange =
                        rows.size() == 0 ? null : rows.columns().between(from, to);
                if (inRange != null) {
                    open.accept(e.getKey().start(), inRange);
                }
            }
            return;
        }
        Map<Long, TimeBlock.Builder> builders = new TreeMap<>();
        v.forEach(
                TimeSeriesKeyFormat.open(prefix, id, lower).toArray(),
                TimeSeriesKeyFormat.open(prefix, id, to).toArray(),
                (key, value) -> {
                    long start = new TimeSeriesKeyFormat.Reader(key, startAt).time();
                    // Chunks come in batch order, and a builder lets the row added last win.
                    TimeSeriesKeyFormat.decodeChunk(value, (t, fields) -> {
                        if (t >= from && t < to) {
                            builders.computeIfAbsent(start, x -> TimeBlock.builder())
                                    .add(t, fields);
                        }
                    });
                });
        builders.forEach((start, b) -> open.accept(start, b.columns()));
    }

    /** The open rows of a block: {@code held} when the view took them, else read from its chunks. */
    private TimeBlock.Builder openRowsOf(View v, BlockRef ref, TimeBlock.Builder held) {
        if (held != null) {
            return held;
        }
        TimeBlock.Builder rows = TimeBlock.builder();
        byte[] chunks =
                TimeSeriesKeyFormat.open(prefix, ref.series(), ref.start()).toArray();
        // Chunks come in batch order, and a builder lets the row added last win.
        v.forEach(chunks, end(chunks), (key, value) -> TimeSeriesKeyFormat.decodeChunk(value, rows::add));
        return rows;
    }

    @Override
    public List<BlockInfo> blocks(SeriesFilter filter) {
        ensureOpen();
        List<BlockInfo> out = new ArrayList<>();
        try (View v = new View(true)) {
            for (Series s : resolve(v, filter)) {
                byte[] from = TimeSeriesKeyFormat.sealed(prefix, s.id()).toArray();
                int at = from.length;
                v.forEach(from, end(from), (key, value) -> {
                    TimeBlock b = readBlock(key, value);
                    out.add(new BlockInfo(
                            s.key(),
                            new TimeSeriesKeyFormat.Reader(key, at).time(),
                            b.count(),
                            b.firstTime(),
                            b.lastTime(),
                            b.encodedSize()));
                });
            }
        }
        return out;
    }

    @Override
    public long openRows() {
        ensureOpen();
        long n = 0;
        try (View v = new View(true)) {
            for (Map.Entry<BlockRef, TimeBlock.Builder> e : v.openBlocks.entrySet()) {
                TimeBlock.Builder rows = openRowsOf(v, e.getKey(), e.getValue());
                n += rows.size() == 0 ? 0 : rows.columns().size();
            }
        }
        return n;
    }

    @Override
    public List<WindowAggregator.Window> aggregate(
            SeriesFilter filter,
            String field,
            long from,
            long to,
            long every,
            WindowAggregator.Aggregate aggregate,
            WindowAggregator.Fill fill) {
        ensureOpen();
        List<WindowAggregator.Part> blocks = new ArrayList<>();
        if (from < to) {
            try (View v = new View(true)) {
                for (Series s : resolve(v, filter)) {
                    blocks.addAll(blocksOf(v, s.id(), from, to));
                }
            }
        }
        return WindowAggregator.aggregateParts(blocks, field, from, to, every, aggregate, fill);
    }

    @Override
    public Map<SeriesKey, List<List<WindowAggregator.Window>>> aggregatesPerSeries(
            SeriesFilter filter,
            String field,
            long from,
            long to,
            long every,
            List<WindowAggregator.Aggregate> aggregates,
            WindowAggregator.Fill fill) {
        ensureOpen();
        // Checks the arguments even when no series matches.
        for (WindowAggregator.Aggregate aggregate : aggregates) {
            WindowAggregator.aggregate(List.of(), field, from, to, every, aggregate, WindowAggregator.Fill.NONE);
        }
        Map<SeriesKey, List<List<WindowAggregator.Window>>> out = new LinkedHashMap<>();
        // One snapshot and one read of each series' blocks for every aggregate.
        try (View v = new View(true)) {
            for (Series s : resolve(v, filter)) {
                List<WindowAggregator.Part> blocks = blocksOf(v, s.id(), from, to);
                List<List<WindowAggregator.Window>> windows = new ArrayList<>(aggregates.size());
                for (WindowAggregator.Aggregate aggregate : aggregates) {
                    windows.add(WindowAggregator.aggregateParts(blocks, field, from, to, every, aggregate, fill));
                }
                out.put(s.key(), windows);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ lifecycle

    private void ensureOpen() {
        if (closed) {
            throw new TimeSeriesStoreException("time-series store " + name + " is closed");
        }
    }

    @Override
    public void close() {
        synchronized (rollupLock) {
            synchronized (this) {
                if (!closed) {
                    closed = true;
                    forgetOpenRows();
                    writeOptions.close();
                }
            }
        }
    }

    /**
     * Reads of one operation: point reads and bounded iterations, on a snapshot when asked (so a
     * read sees one batch entirely or not at all), closed with the operation.
     */
    private final class View implements AutoCloseable {
        private final Snapshot snapshot;
        private final ReadOptions options;
        /**
         * On a snapshot: the blocks that had open chunks when it was taken, each with a snapshot
         * of the rows the writer held for it then (null: not held, read its chunks). Null on a view
         * without a snapshot, which reads every block's chunks.
         */
        final TreeMap<BlockRef, TimeBlock.Builder> openBlocks;

        View(boolean consistent) {
            if (consistent) {
                // Taken together under the writer's lock, so that the held rows are exactly what
                // the snapshot's chunks hold.
                synchronized (RocksTimeSeriesStore.this) {
                    snapshot = db.getSnapshot();
                    openBlocks = new TreeMap<>();
                    for (BlockRef ref : open) {
                        OpenBlock held = heldBlocks.get(ref);
                        openBlocks.put(ref, held == null ? null : held.rows.snapshot());
                    }
                }
            } else {
                snapshot = null;
                openBlocks = null;
            }
            options = new ReadOptions();
            if (snapshot != null) {
                options.setSnapshot(snapshot);
            }
        }

        byte[] get(byte[] key) {
            try {
                return atRest.toPlain(key, db.get(cf, options, key));
            } catch (RocksDBException e) {
                throw new TimeSeriesStoreException(
                        "time-series store " + name + ": cannot read key "
                                + HexFormat.of().formatHex(key),
                        e);
            }
        }

        /** Every key and value in {@code [from, to)} ({@code to} null: to the end), in key order. */
        void forEach(byte[] from, byte[] to, BiConsumer<byte[], byte[]> action) {
            iterate(from, to, it -> {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    action.accept(key, atRest.toPlain(key, it.value()));
                }
                return null;
            });
        }

        /** Whether any key lies in {@code [from, to)}. */
        boolean any(byte[] from, byte[] to) {
            return iterate(from, to, it -> {
                it.seekToFirst();
                return it.isValid();
            });
        }

        private <T> T iterate(byte[] from, byte[] to, java.util.function.Function<RocksIterator, T> body) {
            try (Slice lower = new Slice(from);
                    Slice upper = to == null ? null : new Slice(to);
                    ReadOptions bounded = new ReadOptions().setIterateLowerBound(lower)) {
                if (upper != null) {
                    bounded.setIterateUpperBound(upper);
                }
                if (snapshot != null) {
                    bounded.setSnapshot(snapshot);
                }
                try (RocksIterator it = db.newIterator(cf, bounded)) {
                    T result = body.apply(it);
                    it.status();
                    return result;
                }
            } catch (RocksDBException e) {
                throw new TimeSeriesStoreException(
                        "time-series store " + name + ": cannot read keys from "
                                + HexFormat.of().formatHex(from),
                        e);
            }
        }

        @Override
        public void close() {
            options.close();
            if (snapshot != null) {
                db.releaseSnapshot(snapshot);
            }
        }
    }
}

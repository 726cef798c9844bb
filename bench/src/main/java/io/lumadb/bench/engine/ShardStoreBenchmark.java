package io.lumadb.bench.engine;

import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.internal.RocksShardStores;
import io.lumadb.testkit.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.ReadTier;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * LumaDB's shard state store ({@link ShardStore} over RocksDB) against raw RocksDB JNI doing the
 * same work, one pair of methods per operation: {@code storeXxx} measures the store, {@code
 * rawXxx} the JNI calls the store is built on.
 *
 * <p>Why the comparison is fair: both sides run in the same JVM on the same RocksDB instance, in
 * two column families with identical options (the node's, see {@link Engine}) that share one
 * block cache and one WAL; both are preloaded with the same documents under the same keys ({@code
 * 0x01 ++ id}) and values (8-byte version ++ 1 KiB JSON), then flushed, compacted and read once, so
 * both read the same data volume from a warm cache. Keys come from one pre-generated random
 * sequence, and what is written is prepared in setup, so the measured path allocates only what the
 * APIs themselves allocate. Writes on both sides use default {@link WriteOptions} (WAL on, no
 * sync), as the store does; the raw batch is a new {@link WriteBatch} per call, as the store's.
 * What the store adds is therefore exactly its own cost: id encoding, value copies, the meta put in
 * every batch, the lifecycle lock of {@code lookupInMemory}, and its result objects.
 *
 * <p>Every benchmark runs in its own fork with a freshly loaded database, so writes of one
 * benchmark never change what another reads.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(
        value = 1,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ShardStoreBenchmark {

    /** Documents per apply (and puts per raw batch) of the batch benchmarks. */
    static final int BATCH = 100;

    /**
     * The database, the store, the raw handles and everything the measured methods use, prepared
     * once per fork. The database is a node's own RocksDB, opened by {@link RocksDbNode} with the
     * node's reference configuration, so the comparison runs on exactly the options LumaDB uses:
     * one column family behind the shard store, one used raw, with identical options. Tear-down
     * closes it and deletes its directory.
     */
    @State(Scope.Benchmark)
    public static class Engine {

        /** Documents preloaded into each of the two column families. */
        @Param("100000")
        public int documents;

        static final long PRELOAD_VERSION = 1;
        static final long WRITE_VERSION = 2;
        static final int PRELOAD_CHUNK = 1000;
        static final int ORDER_SIZE = 1 << 18;
        static final int BATCHES = 1 << 10;
        /** Distinct JSON payloads the write benchmarks cycle through (a power of two). */
        static final int WRITE_PAYLOADS = 256;

        // Storage internals on purpose: this benchmark measures the engine beneath the public interfaces.
        Path dir;
        RocksDbNode node;
        ShardStore store;
        RocksDB rocks;
        ColumnFamilyHandle rawColumnFamily;
        WriteOptions writeOptions;
        ReadOptions memoryOnly;

        String[] ids;
        byte[][] keys;
        /** Raw values written by the write benchmarks: encoded like the store's, indexed by key % WRITE_PAYLOADS. */
        byte[][] writeValues;
        /** The store's single-document changes, per key, carrying the same JSON as {@link #writeValues}. */
        List<List<DocumentChange>> singleChanges;

        int[][] batches;
        List<List<DocumentChange>> storeBatches;
        int[] order;
        int cursor;
        int batchCursor;
        long seq;
        long notInMemory;

        @Setup(Level.Trial)
        public void open() throws Exception {
            if (documents < BATCH) {
                throw new IllegalArgumentException("documents must be >= " + BATCH + ", was " + documents);
            }
            dir = Files.createTempDirectory("lumadb-engine-bench");
            node = RocksDbNode.open(ConfigFactory.parseMap(Map.of("dir", dir.toString()))
                    .withFallback(ConfigFactory.defaultReference().getConfig("lumadb.persistence.rocksdb")));
            store = new RocksShardStores(node.db(), node::columnFamily, Engine::refuseDrop, node::columnFamilyNames)
                    .open("bench");
            rocks = node.db();
            rawColumnFamily = node.columnFamily("raw");
            writeOptions = new WriteOptions();
            memoryOnly = new ReadOptions().setReadTier(ReadTier.BLOCK_CACHE_TIER);

            ids = new String[documents];
            keys = new byte[documents][];
            for (int i = 0; i < documents; i++) {
                ids[i] = Documents.id(i);
                keys[i] = Documents.key(ids[i]);
            }
            preload();
            flushAndCompact();
            warmCache();
            prepareWrites();
            order = Documents.randomIndexes(ORDER_SIZE, documents, 7);
            rewind();
        }

        private void preload() throws RocksDBException {
            SplittableRandom random = new SplittableRandom(42);
            for (int from = 0; from < documents; from += PRELOAD_CHUNK) {
                int to = Math.min(documents, from + PRELOAD_CHUNK);
                List<DocumentChange> changes = new ArrayList<>(to - from);
                try (WriteBatch raw = new WriteBatch()) {
                    for (int i = from; i < to; i++) {
                        byte[] json = Documents.json(ids[i], PRELOAD_VERSION, random);
                        changes.add(new DocumentChange(ids[i], DocumentChange.Op.CREATED, PRELOAD_VERSION, json));
                        raw.put(rawColumnFamily, keys[i], Documents.value(PRELOAD_VERSION, json));
                    }
                    rocks.write(writeOptions, raw);
                }
                store.apply(++seq, changes);
            }
        }

        private static void refuseDrop(String name) {
            throw new UnsupportedOperationException("the engine benchmark does not drop column family '" + name + "'");
        }

        /**
         * Flushes both column families and compacts each fully, so that both hold their data in the
         * same shape (SST files on the same level) rather than partly in a memtable.
         */
        private void flushAndCompact() throws RocksDBException {
            List<ColumnFamilyHandle> both =
                    List.of(node.columnFamily(RocksShardStores.STATE_COLUMN_FAMILY), rawColumnFamily);
            try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
                rocks.flush(flush, both);
            }
            for (ColumnFamilyHandle cf : both) {
                rocks.compactRange(cf);
            }
        }

        /** Reads every document once on both sides, so that both start from the same warm block cache. */
        private void warmCache() throws RocksDBException {
            for (int i = 0; i < documents; i++) {
                if (store.get(ids[i]) == null || rocks.get(rawColumnFamily, keys[i]) == null) {
                    throw new IllegalStateException("document '" + ids[i] + "' missing after preload");
                }
            }
        }

        private void prepareWrites() {
            SplittableRandom random = new SplittableRandom(43);
            byte[][] payloads = new byte[WRITE_PAYLOADS][];
            writeValues = new byte[WRITE_PAYLOADS][];
            for (int p = 0; p < WRITE_PAYLOADS; p++) {
                payloads[p] = Documents.json(Documents.id(p), WRITE_VERSION, random);
                writeValues[p] = Documents.value(WRITE_VERSION, payloads[p]);
            }
            singleChanges = new ArrayList<>(documents);
            for (int i = 0; i < documents; i++) {
                singleChanges.add(List.of(new DocumentChange(
                        ids[i], DocumentChange.Op.UPDATED, WRITE_VERSION, payloads[i % WRITE_PAYLOADS])));
            }
            batches = new int[BATCHES][];
            storeBatches = new ArrayList<>(BATCHES);
            for (int b = 0; b < BATCHES; b++) {
                batches[b] = Documents.randomIndexes(BATCH, documents, 1000 + b);
                storeBatches.add(Arrays.stream(batches[b])
                        .mapToObj(k -> singleChanges.get(k).getFirst())
                        .toList());
            }
        }

        /** Starts the key sequence (and batch sequence) from the beginning again. */
        void rewind() {
            cursor = 0;
            batchCursor = 0;
        }

        int nextKey() {
            int k = order[cursor];
            cursor = (cursor + 1) & (ORDER_SIZE - 1);
            return k;
        }

        int nextBatch() {
            int b = batchCursor;
            batchCursor = (b + 1) & (BATCHES - 1);
            return b;
        }

        byte[] writeValue(int key) {
            return writeValues[key & (WRITE_PAYLOADS - 1)];
        }

        /** Closes in reverse order of {@link #open}: read and write options, the store, the database and its directory. */
        @TearDown(Level.Trial)
        public void close() throws IOException {
            if (notInMemory > 0) {
                System.out.println("note: " + notInMemory + " in-memory lookups missed the block cache");
            }
            if (memoryOnly != null) memoryOnly.close();
            if (writeOptions != null) writeOptions.close();
            if (store != null) store.close();
            if (node != null) node.close();
            if (dir != null) TestFiles.deleteRecursively(dir);
        }
    }

    /** {@link ShardStore#get}: key encoding, one JNI get, the version decode and the JSON copy. */
    @Benchmark
    public StoredDocument storeGet(Engine e) {
        return e.store.get(e.ids[e.nextKey()]);
    }

    /** {@link RocksDB#get(ColumnFamilyHandle, byte[])} of the same key bytes the store reads. */
    @Benchmark
    public byte[] rawGet(Engine e) throws RocksDBException {
        return e.rocks.get(e.rawColumnFamily, e.keys[e.nextKey()]);
    }

    /** {@link ShardStore#lookupInMemory}: as {@link #storeGet} from the block cache tier, under the lifecycle lock. */
    @Benchmark
    public ShardStore.Lookup storeLookupInMemory(Engine e) {
        ShardStore.Lookup lookup = e.store.lookupInMemory(e.ids[e.nextKey()]);
        if (!lookup.known()) {
            e.notInMemory++;
        }
        return lookup;
    }

    /** A raw get with {@link ReadTier#BLOCK_CACHE_TIER}, treating Incomplete as "not in memory", like the store. */
    @Benchmark
    public byte[] rawLookupInMemory(Engine e) throws RocksDBException {
        try {
            return e.rocks.get(e.rawColumnFamily, e.memoryOnly, e.keys[e.nextKey()]);
        } catch (RocksDBException ex) {
            if (ex.getStatus() != null && ex.getStatus().getCode() == Status.Code.Incomplete) {
                e.notInMemory++;
                return null;
            }
            throw ex;
        }
    }

    /** {@link ShardStore#apply} of one updated document: one WriteBatch holding the document and the meta. */
    @Benchmark
    public void storePut(Engine e) {
        e.store.apply(++e.seq, e.singleChanges.get(e.nextKey()));
    }

    /** A raw {@link RocksDB#put(ColumnFamilyHandle, WriteOptions, byte[], byte[])} of the same key and value bytes. */
    @Benchmark
    public void rawPut(Engine e) throws RocksDBException {
        int k = e.nextKey();
        e.rocks.put(e.rawColumnFamily, e.writeOptions, e.keys[k], e.writeValue(k));
    }

    /** {@link ShardStore#apply} of 100 updated documents in one event; the score is per document. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void storePutBatch100(Engine e) {
        e.store.apply(++e.seq, e.storeBatches.get(e.nextBatch()));
    }

    /** A raw WriteBatch of the same 100 puts; the score is per document. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void rawPutBatch100(Engine e) throws RocksDBException {
        int[] keys = e.batches[e.nextBatch()];
        try (WriteBatch batch = new WriteBatch()) {
            for (int k : keys) {
                batch.put(e.rawColumnFamily, e.keys[k], e.writeValue(k));
            }
            e.rocks.write(e.writeOptions, batch);
        }
    }
}

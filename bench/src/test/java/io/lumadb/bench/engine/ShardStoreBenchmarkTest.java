package io.lumadb.bench.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ShardStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.annotations.Benchmark;
import org.rocksdb.RocksDBException;

/**
 * Runs the benchmark state and every benchmark method once, directly, against a small preload,
 * and checks that each method did its work: reads return the preloaded document, writes change
 * what both sides read back, and store and raw hold the same bytes under every key.
 */
@Timeout(20)
class ShardStoreBenchmarkTest {

    private static final int DOCUMENTS = 2_000;

    private final ShardStoreBenchmark bench = new ShardStoreBenchmark();
    private ShardStoreBenchmark.Engine engine;
    private Path dir;

    @BeforeEach
    void open() throws Exception {
        engine = new ShardStoreBenchmark.Engine();
        engine.documents = DOCUMENTS;
        engine.open();
        dir = engine.dir;
    }

    @AfterEach
    void close() throws Exception {
        engine.close();
        assertFalse(Files.exists(dir), "the database directory is deleted on tear-down");
    }

    @Test
    void preloadsTheSameDocumentsIntoStoreAndRawColumnFamily() throws RocksDBException {
        assertEquals(DOCUMENTS, engine.store.meta().documentCount());
        assertBothSidesHoldTheSameBytes();
        StoredDocument first = engine.store.get(Documents.id(0));
        assertEquals(Documents.SIZE, first.json().length);
        assertEquals(ShardStoreBenchmark.Engine.PRELOAD_VERSION, first.version());
    }

    @Test
    void usesTheNodeOptionsWithTheConfiguredWriteBuffer() throws Exception {
        // The node's reference configuration: write-buffer-size = 32 MiB, really applied.
        assertEquals(32L << 20, engine.rocks.getOptions(engine.rawColumnFamily).writeBufferSize());
    }

    @Test
    void getReadsTheSameDocumentThroughStoreAndRaw() throws RocksDBException {
        int key = engine.order[0];
        StoredDocument fromStore = bench.storeGet(engine);
        engine.rewind();
        byte[] fromRaw = bench.rawGet(engine);

        assertNotNull(fromStore);
        assertEquals(Documents.id(key), fromStore.id());
        assertArrayEquals(Documents.value(fromStore.version(), fromStore.json()), fromRaw);
    }

    @Test
    void lookupInMemoryFindsTheSameDocumentThroughStoreAndRaw() throws RocksDBException {
        ShardStore.Lookup fromStore = bench.storeLookupInMemory(engine);
        engine.rewind();
        byte[] fromRaw = bench.rawLookupInMemory(engine);

        assertTrue(fromStore.known(), "the warmed block cache answers the store's lookup");
        assertNotNull(fromRaw, "the warmed block cache answers the raw lookup");
        assertArrayEquals(
                Documents.value(
                        fromStore.document().version(), fromStore.document().json()),
                fromRaw);
        assertEquals(0, engine.notInMemory);
    }

    @Test
    void putWritesTheSameBytesThroughStoreAndRaw() throws RocksDBException {
        int key = engine.order[0];
        long seq = engine.store.meta().appliedSeq();
        bench.storePut(engine);
        engine.rewind();
        bench.rawPut(engine);

        assertEquals(seq + 1, engine.store.meta().appliedSeq(), "one apply, one event");
        assertEquals(
                ShardStoreBenchmark.Engine.WRITE_VERSION,
                engine.store.get(Documents.id(key)).version());
        assertArrayEquals(engine.writeValue(key), engine.rocks.get(engine.rawColumnFamily, engine.keys[key]));
        assertBothSidesHoldTheSameBytes();
    }

    @Test
    void putBatch100WritesTheSameHundredDocumentsThroughStoreAndRaw() throws RocksDBException {
        int[] keys = engine.batches[0];
        assertEquals(ShardStoreBenchmark.BATCH, keys.length);
        bench.storePutBatch100(engine);
        engine.rewind();
        bench.rawPutBatch100(engine);

        for (int key : keys) {
            assertEquals(
                    ShardStoreBenchmark.Engine.WRITE_VERSION,
                    engine.store.get(engine.ids[key]).version());
            assertArrayEquals(engine.writeValue(key), engine.rocks.get(engine.rawColumnFamily, engine.keys[key]));
        }
        assertBothSidesHoldTheSameBytes();
    }

    @Test
    void everyBenchmarkMethodIsOneSideOfAStoreAndRawPair() {
        Map<Boolean, Set<String>> operations = Arrays.stream(ShardStoreBenchmark.class.getMethods())
                .filter(m -> m.isAnnotationPresent(Benchmark.class))
                .map(m -> Objects.requireNonNull(EngineBenchmarks.operation(m.getName()), m.getName()))
                .collect(Collectors.partitioningBy(
                        Map.Entry::getValue, Collectors.mapping(Map.Entry::getKey, Collectors.toSet())));
        assertEquals(Set.of("get", "lookup-in-memory", "put", "put-batch100"), operations.get(true));
        assertEquals(operations.get(true), operations.get(false), "every operation has a store and a raw member");
        assertNull(EngineBenchmarks.operation("open"));
    }

    private void assertBothSidesHoldTheSameBytes() throws RocksDBException {
        for (int i = 0; i < DOCUMENTS; i++) {
            StoredDocument doc = engine.store.get(engine.ids[i]);
            assertNotNull(doc, engine.ids[i]);
            assertArrayEquals(
                    Documents.value(doc.version(), doc.json()),
                    engine.rocks.get(engine.rawColumnFamily, engine.keys[i]),
                    engine.ids[i]);
        }
    }
}

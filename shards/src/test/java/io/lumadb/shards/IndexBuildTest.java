package io.lumadb.shards;

import static io.lumadb.shards.TestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secondary index built in the background on a populated collection while writers keep
 * changing it ends up exactly equal to the same index built from scratch afterwards, and the
 * writes were not held up meanwhile. Real shards, real RocksDB.
 */
@Timeout(120)
class IndexBuildTest {

    @TempDir
    Path dir;

    private ActorTestKit kit;
    private TestRocks rocks;
    private Shards shards;

    @BeforeEach
    void setUp() throws Exception {
        // Steps of one document, so the build takes long enough for many writes to interleave.
        kit = TestCluster.start(Map.of("lumadb.query.index-build-chunk", 1));
        rocks = new TestRocks(dir);
        shards = Shards.start(kit.system(), rocks.stores());
        await(shards.catalog().createDatabase("db"));
        await(shards.catalog().createCollection("db", "items", 2));
    }

    @AfterEach
    void tearDown() {
        kit.shutdownTestKit();
        rocks.close();
    }

    private static String document(Random random) {
        StringBuilder tags = new StringBuilder("[");
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            tags.append(i == 0 ? "" : ",")
                    .append("\"t")
                    .append(random.nextInt(20))
                    .append('"');
        }
        String value = random.nextInt(10) == 0 ? "null" : String.valueOf(random.nextInt(500));
        return "{\"n\":" + value + ",\"tags\":" + tags + "],\"pad\":\"" + "x".repeat(random.nextInt(50)) + "\"}";
    }

    private static DocumentWrite randomWrite(Random random) {
        String id = "d" + random.nextInt(7_000);
        return switch (random.nextInt(4)) {
            case 0 -> DocumentWrite.delete(id, DocumentWrite.ANY);
            case 1 ->
                DocumentWrite.patch(
                        id,
                        ("{\"n\":" + random.nextInt(500) + "}").getBytes(StandardCharsets.UTF_8),
                        DocumentWrite.ANY);
            default -> DocumentWrite.put(id, document(random).getBytes(StandardCharsets.UTF_8), DocumentWrite.ANY);
        };
    }

    @Test
    void indexBuiltWhileWritesContinueEqualsARebuildFromScratch() throws Exception {
        Random random = new Random(42);
        for (int batch = 0; batch < 24; batch++) {
            List<DocumentWrite> writes = new ArrayList<>();
            for (int i = 0; i < 250; i++) {
                int k = batch * 250 + i;
                writes.add(DocumentWrite.put(
                        "d" + k, document(random).getBytes(StandardCharsets.UTF_8), DocumentWrite.ANY));
            }
            await(shards.documents().writeAll("db", "items", writes));
        }
        List<IndexDefinition.Field> fields =
                List.of(new IndexDefinition.Field("n", false), new IndexDefinition.Field("tags", true));

        AtomicBoolean building = new AtomicBoolean(true);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writesDuringBuild = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            Random own = new Random(w);
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        WriteOutcome outcome = await(shards.documents().write("db", "items", randomWrite(own)));
                        if (outcome.status().succeeded() && building.get()) {
                            writesDuringBuild.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        Queries.IndexStatus status = await(shards.queries().createIndex("db", "items", "live", fields));
        assertEquals("building", status.state(), "the collection is large enough that the build takes a while");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!status.state().equals("ready") && System.nanoTime() < deadline) {
            Thread.sleep(20);
            status = await(shards.queries().index("db", "items", "live"));
        }
        building.set(false);
        assertEquals("ready", status.state(), "the build finished");
        Thread.sleep(300); // and writes go on after it, maintained by every write
        stop.set(true);
        for (Thread t : writers) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a writer failed", failure.get());
        }
        // Steps of one document: the build spans thousands of steps, and writes are taken between them.
        assertTrue(writesDuringBuild.get() >= 5, "writes went on during the build: " + writesDuringBuild.get());

        Queries.IndexStatus rebuilt = await(shards.queries().createIndex("db", "items", "scratch", fields));
        while (!rebuilt.state().equals("ready")) {
            Thread.sleep(20);
            rebuilt = await(shards.queries().index("db", "items", "scratch"));
        }
        CollectionInfo info = await(shards.catalog().resolveFresh("db", "items", false));
        long live = info.index("live").orElseThrow().id();
        long scratch = info.index("scratch").orElseThrow().id();
        long entries = 0;
        for (int n = 0; n < info.shards(); n++) {
            try (ShardStore store = rocks.stores().open(info.shardEntityId(n));
                    ReadView view = store.readView()) {
                List<String> a = dump(view, live);
                List<String> b = dump(view, scratch);
                assertEquals(b, a, "shard " + n + ": the index built under writes differs from a rebuild");
                entries += a.size();
            }
        }
        assertTrue(entries > 2_000, "the index holds entries: " + entries);
    }

    private static List<String> dump(ReadView view, long indexId) {
        List<String> out = new ArrayList<>();
        view.index(indexId, null, null, false)
                .forEachRemaining(e -> out.add(java.util.HexFormat.of().formatHex(e.key()) + " " + e.id()));
        return out;
    }
}

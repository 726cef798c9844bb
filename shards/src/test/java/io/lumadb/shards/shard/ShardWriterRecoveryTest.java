package io.lumadb.shards.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.store.ShardStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery of a shard's state store from the journal: idempotent, and exactly what is missing. */
class ShardWriterRecoveryTest {

    private static final String ID = "db/c/1/0";

    @TempDir
    Path dir;

    private ActorTestKit kit;
    private TestRocks rocks;

    @BeforeEach
    void start() throws Exception {
        kit = ActorTestKit.create(PersistenceTestKitPlugin.getInstance()
                .config()
                .withFallback(PersistenceTestKitSnapshotPlugin.config())
                .withFallback(ConfigFactory.load()));
        rocks = new TestRocks(dir);
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
        rocks.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private record Started(ActorRef<ShardWriter.Command> writer, TestProbe<ShardEntity.Command> parent, long seq) {}

    private Started startWriter(ShardStore store, int snapshotEvery) {
        TestProbe<ShardEntity.Command> parent = kit.createTestProbe();
        ActorRef<ShardWriter.Command> writer = kit.spawn(ShardWriter.create(
                ID,
                store,
                1 << 20,
                RetentionCriteria.snapshotEvery(snapshotEvery, 2),
                (id, millis, replayed, fromImage) -> {},
                parent.getRef()));
        ShardEntity.WriterReady ready = parent.expectMessageClass(ShardEntity.WriterReady.class);
        return new Started(writer, parent, ready.seq());
    }

    private void writeBatch(Started s, DocumentWrite... writes) {
        TestProbe<ShardEntity.Reply> client = kit.createTestProbe();
        s.writer()
                .tell(new ShardWriter.PersistBatch(
                        List.of(new ShardEntity.Write(List.of(writes), client.getRef())),
                        s.parent().getRef()));
        ShardEntity.Written written = client.expectMessageClass(ShardEntity.Written.class);
        written.outcomes().forEach(o -> assertEquals(true, o.status().succeeded(), o.toString()));
        s.parent().expectMessage(ShardEntity.BatchDone.INSTANCE);
    }

    private List<ShardWriter.DocumentsWritten> writeFiveBatches(int snapshotEvery) {
        ShardStore store = rocks.stores().open(ID);
        Started s = startWriter(store, snapshotEvery);
        for (int i = 1; i <= 5; i++) {
            writeBatch(
                    s,
                    DocumentWrite.put("doc" + i, b("{\"n\":" + i + "}"), DocumentWrite.ANY),
                    DocumentWrite.put("doc1", b("{\"touched\":" + i + "}"), DocumentWrite.ANY));
        }
        kit.stop(s.writer());
        store.close();
        List<ShardWriter.DocumentsWritten> events = new ArrayList<>();
        PersistenceTestKit.create(kit.system())
                .persistedInStorage("shard|" + ID)
                .forEach(e -> events.add((ShardWriter.DocumentsWritten) e));
        assertEquals(5, events.size());
        return events;
    }

    @Test
    void upToDateStoreRecoversWithoutReapplyingAnything() {
        writeFiveBatches(100);
        ShardStore store = rocks.stores().open(ID);
        // Re-applying an applied event would throw in the store and fail recovery.
        Started s = startWriter(store, 100);
        assertEquals(5, s.seq());
        assertEquals(5, store.meta().appliedSeq());
        assertEquals(5, store.meta().documentCount());
        store.close();
    }

    @Test
    void lostStoreIsRebuiltFromTheJournalWithTheSameVersions() {
        writeFiveBatches(2);
        ShardStore before = rocks.stores().open(ID);
        long doc1Version = before.get("doc1").version();
        byte[] doc3 = before.get("doc3").json();
        before.close();
        rocks.drop("shard:" + ID);

        ShardStore store = rocks.stores().open(ID);
        Started s = startWriter(store, 2);
        assertEquals(5, s.seq());
        assertEquals(doc1Version, store.get("doc1").version());
        assertEquals(
                new String(doc3, StandardCharsets.UTF_8),
                new String(store.get("doc3").json(), StandardCharsets.UTF_8));
        assertEquals(5, store.meta().documentCount());
        store.close();
    }

    @Test
    void storeBehindTheNewestSnapshotReplaysFromItsOwnPosition() {
        // Snapshots at events 2 and 4; the store has applied only event 1. Starting from the newest
        // snapshot would skip events 2..4; recovery must start at or before the store's position.
        List<ShardWriter.DocumentsWritten> events = writeFiveBatches(2);
        rocks.drop("shard:" + ID);
        ShardStore store = rocks.stores().open(ID);
        store.apply(1, events.getFirst().changes());
        assertNull(store.get("doc2"));

        Started s = startWriter(store, 2);
        assertEquals(5, s.seq());
        for (int i = 1; i <= 5; i++) {
            assertEquals(true, store.get("doc" + i) != null, "doc" + i);
        }
        assertEquals(
                "{\"_id\":\"doc1\",\"_version\":10,\"touched\":5}",
                new String(store.get("doc1").json(), StandardCharsets.UTF_8));
        assertEquals(5, store.meta().appliedSeq());

        // New writes continue the version sequence after recovery.
        writeBatch(s, DocumentWrite.put("doc6", b("{}"), DocumentWrite.ANY));
        assertEquals(11, store.get("doc6").version());
        store.close();
    }
}

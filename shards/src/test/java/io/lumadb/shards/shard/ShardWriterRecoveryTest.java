package io.lumadb.shards.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.typesafe.config.ConfigFactory;
import io.lumadb.shards.ShardsSettings;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.store.IndexState;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.SnapshotMeta;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery of a shard's state store from the journal: idempotent, and exactly what is missing;
 * with snapshot images, also for a store that is empty or stale on a node the shard moves to.
 */
class ShardWriterRecoveryTest {

    private static final String ID = "db/c/1/0";
    private static final IndexDefinition BY_N =
            new IndexDefinition("n", 1, List.of(new IndexDefinition.Field("n", false)));

    @TempDir
    Path dir;

    private ActorTestKit kit;
    private TestRocks rocks;
    private final List<TestRocks> otherNodes = new ArrayList<>();

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
        otherNodes.forEach(TestRocks::close);
    }

    /** The RocksDB of another node: its own directory, sharing nothing but the journal. */
    private TestRocks otherNode(String name) throws Exception {
        TestRocks other = new TestRocks(Files.createDirectories(dir.resolve(name)));
        otherNodes.add(other);
        return other;
    }

    private static ShardsSettings settings(int snapshotEvery, boolean deleteEvents, boolean snapshotDocuments) {
        return ShardsSettings.from(ConfigFactory.parseMap(Map.of(
                        "lumadb.shards.snapshot-every", snapshotEvery,
                        "lumadb.shards.delete-events-on-snapshot", deleteEvents,
                        "lumadb.shards.snapshot-documents", snapshotDocuments))
                .withFallback(ConfigFactory.load()));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** What the recovery listener heard. */
    private record Recovered(String entityId, long eventsReplayed, boolean fromImage) {}

    private record Started(
            ActorRef<ShardWriter.Command> writer,
            TestProbe<ShardEntity.Command> parent,
            long seq,
            Recovered recovery) {}

    private Started startWriter(ShardStore store, int snapshotEvery) {
        return startWriter(store, settings(snapshotEvery, false, false));
    }

    /** Starts a writer and waits for its recovery, heard through a {@link LocalShards} listener. */
    private Started startWriter(ShardStore store, ShardsSettings settings) {
        TestProbe<ShardEntity.Command> parent = kit.createTestProbe();
        TestProbe<Recovered> recoveries = kit.createTestProbe();
        LocalShards local = new LocalShards();
        local.onRecovered(
                (id, millis, replayed, fromImage) -> recoveries.getRef().tell(new Recovered(id, replayed, fromImage)));
        ActorRef<ShardWriter.Command> writer =
                kit.spawn(ShardWriter.create(ID, store, settings, local::recovered, parent.getRef()));
        ShardEntity.WriterReady ready = parent.expectMessageClass(ShardEntity.WriterReady.class);
        return new Started(writer, parent, ready.seq(), recoveries.receiveMessage());
    }

    private void writeBatch(Started s, DocumentWrite... writes) {
        TestProbe<ShardEntity.Reply> client = kit.createTestProbe();
        s.writer()
                .tell(new ShardWriter.PersistBatch(
                        List.of(new ShardEntity.Write(List.of(writes), null, client.getRef())),
                        null,
                        s.parent().getRef()));
        ShardEntity.Written written = client.expectMessageClass(ShardEntity.Written.class);
        written.outcomes().forEach(o -> assertEquals(true, o.status().succeeded(), o.toString()));
        s.parent().expectMessage(ShardEntity.BatchDone.INSTANCE);
    }

    /** Sends one batch of requests (id, write) and answers each request's outcomes, in order. */
    private List<List<io.lumadb.shards.model.WriteOutcome>> send(
            Started s, List<Pair<String, DocumentWrite>> requests) {
        List<TestProbe<ShardEntity.Reply>> clients = new ArrayList<>();
        List<ShardEntity.Write> writes = new ArrayList<>();
        for (Pair<String, DocumentWrite> r : requests) {
            TestProbe<ShardEntity.Reply> client = kit.createTestProbe();
            clients.add(client);
            writes.add(new ShardEntity.Write(List.of(r.second()), r.first(), client.getRef()));
        }
        s.writer().tell(new ShardWriter.PersistBatch(writes, null, s.parent().getRef()));
        s.parent().expectMessage(ShardEntity.BatchDone.INSTANCE);
        return clients.stream()
                .map(c -> c.expectMessageClass(ShardEntity.Written.class).outcomes())
                .toList();
    }

    @Test
    void aResentRequestGetsTheFirstOutcomesAndIsNotAppliedAgainAlsoAfterRecovery() {
        ShardStore store = rocks.stores().open(ID);
        Started s = startWriter(store, settings(3, false, true));
        DocumentWrite createX = new DocumentWrite("x", DocumentWrite.Kind.PUT, b("{\"n\":1}"), DocumentWrite.ABSENT);
        var first = send(s, List.of(Pair.create("r1", createX)));
        assertEquals(
                io.lumadb.shards.model.WriteOutcome.Status.CREATED,
                first.get(0).get(0).status());
        // Resent alone, and twice within one batch next to a new request: r1 is answered as before.
        var again = send(
                s,
                List.of(
                        Pair.create("r1", createX),
                        Pair.create("r2", DocumentWrite.put("y", b("{}"), DocumentWrite.ANY)),
                        Pair.create("r2", DocumentWrite.put("y", b("{}"), DocumentWrite.ANY))));
        assertEquals(first.get(0).get(0).version(), again.get(0).get(0).version());
        assertEquals(
                io.lumadb.shards.model.WriteOutcome.Status.CREATED,
                again.get(0).get(0).status());
        assertEquals(again.get(1).get(0).version(), again.get(2).get(0).version());
        assertEquals(2, store.meta().appliedSeq(), "r1 and the double r2 must not make events of their own");
        assertEquals(2, store.meta().documentCount());
        long versionOfY = again.get(1).get(0).version();
        // Enough events for a snapshot (every 3), then the shard recovers on another node.
        send(s, List.of(Pair.create("r3", DocumentWrite.put("z", b("{}"), DocumentWrite.ANY))));
        send(s, List.of(Pair.create("r4", DocumentWrite.put("z", b("{\"k\":1}"), DocumentWrite.ANY))));
        kit.stop(s.writer());
        store.close();
        ShardStore moved;
        try {
            moved = otherNode("n2").stores().open(ID);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        Started elsewhere = startWriter(moved, settings(3, false, true));
        // r2 is in the snapshot's image (event 3 onwards), r4 in the journal tail: both remembered.
        var resent = send(
                elsewhere,
                List.of(
                        Pair.create("r2", DocumentWrite.put("y", b("{}"), DocumentWrite.ANY)),
                        Pair.create("r4", DocumentWrite.put("z", b("{\"k\":1}"), DocumentWrite.ANY))));
        assertEquals(versionOfY, resent.get(0).get(0).version());
        assertEquals(4, moved.meta().appliedSeq(), "resent requests must not be applied again");
        // Unknown requests (and requests without an id) are applied as usual.
        var fresh = send(elsewhere, List.of(Pair.create("r5", DocumentWrite.put("y", b("{}"), DocumentWrite.ANY))));
        assertTrue(fresh.get(0).get(0).version() > versionOfY);
        assertEquals(5, moved.meta().appliedSeq());
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
        rocks.stores().drop(ID);

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
        rocks.stores().drop(ID);
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

    // ---- snapshot images

    /** Everything a user can read from a store: meta, documents, index entries and index states. */
    private record Contents(ShardMeta meta, List<String> documents, List<String> entries, List<String> indexes) {}

    private static Contents contents(ShardStore store) {
        List<String> documents = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        try (ReadView view = store.readView()) {
            view.documents(null).forEachRemaining(d -> documents.add(d.toString()));
            view.index(BY_N.id(), null, null, false)
                    .forEachRemaining(e -> entries.add(HexFormat.of().formatHex(e.key()) + " " + e.id()));
        }
        List<String> indexes = store.indexes().stream()
                .map(i -> i.definition().name() + " " + i.phase() + " multikey=" + i.multikey())
                .toList();
        return new Contents(store.meta(), documents, entries, indexes);
    }

    /** A store with the index {@link #BY_N}, as a shard entity opens it before its writer starts. */
    private static ShardStore openIndexed(TestRocks node) {
        ShardStore store = node.stores().open(ID);
        store.syncIndexes(1, List.of(BY_N));
        return store;
    }

    /** Finishes the index builds, as the shard entity does once its writer is ready. */
    private static void buildIndexes(ShardStore store) {
        while (store.buildIndexes(100)) {
            // one step after another
        }
        assertTrue(
                store.indexes().stream().allMatch(IndexState::ready),
                store.indexes().toString());
    }

    /** Batch {@code i} (from 1): a create, and every few batches an update to an array (multikey) or a delete. */
    private void writeMixedBatch(Started s, int i) {
        List<DocumentWrite> writes = new ArrayList<>();
        writes.add(DocumentWrite.put("d" + i, b("{\"n\":" + (i % 5) + "}"), DocumentWrite.ANY));
        if (i % 3 == 0) {
            writes.add(DocumentWrite.put("d" + (i - 2), b("{\"n\":[" + i + "," + (i + 1) + "]}"), DocumentWrite.ANY));
        }
        if (i % 4 == 0) {
            writes.add(DocumentWrite.delete("d" + (i - 3), DocumentWrite.ANY));
        }
        if (i == 10) {
            writes.add(DocumentWrite.put("d1", b("{\"n\":\"again\"}"), DocumentWrite.ANY)); // deleted by batch 4
        }
        writeBatch(s, writes.toArray(DocumentWrite[]::new));
    }

    private List<Pair<SnapshotMeta, Object>> snapshots() {
        return SnapshotTestKit.create(kit.system()).persistedInStorage("shard|" + ID);
    }

    /** Waits until the journal holds exactly {@code events} events of the shard (retention deletes them after a snapshot). */
    private void awaitJournalSize(int events) {
        PersistenceTestKit journal = PersistenceTestKit.create(kit.system());
        kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
            assertEquals(events, journal.persistedInStorage("shard|" + ID).size());
            return null;
        });
    }

    @Test
    void emptyStoreOnAnotherNodeIsRebuiltFromTheNewestImageAndTheJournalTail() throws Exception {
        // 14 events, a snapshot every 3: the newest at event 12, and retention has deleted events
        // 1..6, so a replay from the first event is impossible.
        ShardsSettings settings = settings(3, true, true);
        ShardStore first = openIndexed(rocks);
        buildIndexes(first);
        Started s = startWriter(first, settings);
        assertEquals(new Recovered(ID, 0, false), s.recovery());
        for (int i = 1; i <= 14; i++) {
            writeMixedBatch(s, i);
        }
        awaitJournalSize(8);
        Contents written = contents(first);
        assertEquals(14, written.meta().appliedSeq());
        assertTrue(
                written.indexes().getFirst().contains("multikey=true"),
                written.indexes().toString());
        kit.stop(s.writer());
        first.close();

        Object newest = snapshots().getLast().second();
        ShardWriter.State snapshot = (ShardWriter.State) newest;
        assertEquals(12, snapshot.seq());
        assertNotNull(snapshot.image(), "with snapshot-documents on, a snapshot carries an image");

        ShardStore moved = openIndexed(otherNode("node2"));
        Started again = startWriter(moved, settings);
        assertEquals(14, again.seq());
        assertEquals(new Recovered(ID, 2, true), again.recovery(), "the image, then events 13 and 14");
        buildIndexes(moved);
        assertEquals(written, contents(moved));

        // Versions go on from the image's last version, not from the documents present.
        writeBatch(again, DocumentWrite.put("next", b("{}"), DocumentWrite.ANY));
        assertEquals(written.meta().lastVersion() + 1, moved.get("next").version());
        moved.close();
    }

    @Test
    void staleStoreBehindTheNewestImageConvergesToTheSameContents() throws Exception {
        ShardsSettings settings = settings(3, true, true);
        // Node 1 hosts the shard for four events, then loses it; its store stays behind, at event 4.
        ShardStore stale = openIndexed(rocks);
        buildIndexes(stale);
        Started s = startWriter(stale, settings);
        for (int i = 1; i <= 4; i++) {
            writeMixedBatch(s, i);
        }
        kit.stop(s.writer());
        stale.close();

        // Node 2 takes over (from the image at event 3 and event 4) and writes ten more events.
        ShardStore current = openIndexed(otherNode("node2"));
        Started taken = startWriter(current, settings);
        assertEquals(new Recovered(ID, 1, true), taken.recovery());
        buildIndexes(current);
        for (int i = 5; i <= 14; i++) {
            writeMixedBatch(taken, i);
        }
        awaitJournalSize(8);
        Contents written = contents(current);
        kit.stop(taken.writer());
        current.close();

        // Back on node 1: its stale store (with documents deleted and changed since) is replaced
        // by the image at event 12, then events 13 and 14 are replayed.
        ShardStore back = rocks.stores().open(ID);
        assertEquals(4, back.meta().appliedSeq());
        Started returned = startWriter(back, settings);
        assertEquals(14, returned.seq());
        assertEquals(new Recovered(ID, 2, true), returned.recovery());
        buildIndexes(back);
        assertEquals(written, contents(back));
        back.close();
    }

    @Test
    void storeAtOrPastTheNewestImageIgnoresIt() throws Exception {
        ShardsSettings settings = settings(3, false, true);
        ShardStore store = openIndexed(rocks);
        buildIndexes(store);
        Started s = startWriter(store, settings);
        for (int i = 1; i <= 7; i++) {
            writeMixedBatch(s, i);
        }
        kit.stop(s.writer());
        Contents written = contents(store);
        store.close();

        // Re-installing the image at event 6 would throw (the store has applied event 7).
        ShardStore reopened = rocks.stores().open(ID);
        Started again = startWriter(reopened, settings);
        assertEquals(7, again.seq());
        assertEquals(new Recovered(ID, 0, false), again.recovery());
        assertEquals(written, contents(reopened));
        reopened.close();
    }

    /**
     * A module layered over the store, as the time series are: it keeps the strings appended to it
     * (kind "log"), in memory per node, and images and installs them.
     */
    private static final class LogLayer extends io.lumadb.shards.store.ForwardingShardStore {
        final List<String> log = new ArrayList<>();
        final List<Long> installedAt = new ArrayList<>();

        LogLayer(ShardStore inner) {
            super(inner);
        }

        @Override
        public String appendProblem(String kind, byte[] batch) {
            return kind.equals("log") ? null : inner.appendProblem(kind, batch);
        }

        @Override
        public List<byte[]> append(long seq, String kind, List<byte[]> batches) {
            batches.forEach(b -> log.add(new String(b, StandardCharsets.UTF_8)));
            inner.apply(seq, List.of());
            return batches.stream().map(b -> b("ok")).toList();
        }

        @Override
        public List<LayerImage> layerImages() {
            return log.isEmpty() ? List.of() : List.of(new LayerImage("log", b(String.join(",", log))));
        }

        @Override
        public void installLayers(long seq, List<LayerImage> images, String pendingKind, List<byte[]> pendingBatches) {
            // Before the documents: the store has not reached the image's event yet.
            assertTrue(inner.meta().appliedSeq() < seq, "layers are installed before the documents");
            installedAt.add(seq);
            log.clear();
            images.forEach(i -> log.addAll(List.of(new String(i.contents(), StandardCharsets.UTF_8).split(","))));
            if (pendingKind != null) {
                assertEquals("log", pendingKind);
                pendingBatches.forEach(b -> log.add(new String(b, StandardCharsets.UTF_8)));
            }
        }
    }

    private void appendLog(Started s, String... entries) {
        TestProbe<ShardEntity.Reply> client = kit.createTestProbe();
        List<ShardEntity.Append> appends = new ArrayList<>();
        for (String e : entries) {
            appends.add(new ShardEntity.Append("log", b(e), client.getRef()));
        }
        s.writer()
                .tell(new ShardWriter.PersistAppends("log", appends, s.parent().getRef()));
        for (String ignored : entries) {
            client.expectMessageClass(ShardEntity.Appended.class);
        }
        s.parent().expectMessage(ShardEntity.BatchDone.INSTANCE);
    }

    @Test
    void layeredContentsTravelInTheImageWithTheImagedEventsOwnAppends() throws Exception {
        // A snapshot every 3 events; event 12, the newest snapshot's, is an append, which the
        // layer's image (taken before the event is applied) does not hold yet. Retention then
        // deletes events 1..6.
        ShardsSettings settings = settings(3, true, true);
        LogLayer first = new LogLayer(rocks.stores().open(ID));
        Started s = startWriter(first, settings);
        List<String> appended = new ArrayList<>();
        for (int i = 1; i <= 14; i++) {
            if (i == 2 || i % 3 == 0) {
                appendLog(s, "a" + i, "b" + i);
                appended.addAll(List.of("a" + i, "b" + i));
            } else {
                writeMixedBatch(s, i);
            }
        }
        awaitJournalSize(8);
        Contents written = contents(first);
        assertEquals(appended, first.log);
        kit.stop(s.writer());
        first.close();

        ShardWriter.State newest = (ShardWriter.State) snapshots().getLast().second();
        assertEquals(12, newest.seq());
        assertEquals(1, newest.image().layers().size(), newest.toString());
        assertEquals("log", newest.image().appends().kind());

        // Another node: events 1..6 are gone from the journal, so only the image can bring theirs.
        LogLayer moved = new LogLayer(otherNode("node2").stores().open(ID));
        Started again = startWriter(moved, settings);
        assertEquals(14, again.seq());
        assertEquals(new Recovered(ID, 2, true), again.recovery(), "the image, then events 13 and 14");
        assertEquals(List.of(12L), moved.installedAt);
        assertEquals(appended, moved.log);
        assertEquals(written.documents(), contents(moved).documents());
        assertEquals(written.meta(), contents(moved).meta());
        moved.close();
    }

    @Test
    void withoutSnapshotDocumentsSnapshotsCarryNoImage() {
        ShardStore store = rocks.stores().open(ID);
        Started s = startWriter(store, settings(3, false, false));
        for (int i = 1; i <= 7; i++) {
            writeMixedBatch(s, i);
        }
        kit.stop(s.writer());
        store.close();
        List<Pair<SnapshotMeta, Object>> snapshots = snapshots();
        assertEquals(
                List.of(3L, 6L),
                snapshots.stream().map(p -> p.first().sequenceNr()).toList());
        snapshots.forEach(p -> assertNull(((ShardWriter.State) p.second()).image(), p.toString()));
    }

    @Test
    void storeBehindASnapshotWithoutImageRefusesToRecover() {
        // Snapshots taken with snapshot-documents off, then a new node starts the shard with it on:
        // the snapshot at event 3 cannot rebuild the empty store, and replaying events 4 and 5 on
        // it would lose events 1..3.
        ShardStore first = rocks.stores().open(ID);
        Started s = startWriter(first, settings(3, false, false));
        for (int i = 1; i <= 5; i++) {
            writeMixedBatch(s, i);
        }
        kit.stop(s.writer());
        first.close();

        ShardStore empty = rocks.stores().open("elsewhere");
        TestProbe<ShardEntity.Command> parent = kit.createTestProbe();
        ActorRef<ShardWriter.Command> writer =
                kit.spawn(ShardWriter.create(ID, empty, settings(3, false, true), (a, b, c, d) -> {}, parent.getRef()));
        parent.expectTerminated(writer);
        parent.expectNoMessage(Duration.ofMillis(100));
        assertEquals(ShardMeta.EMPTY, empty.meta());
        empty.close();
    }

    @Test
    void snapshotsWrittenBeforeImagesStillDeserialize() throws Exception {
        Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
        ShardWriter.State current = new ShardWriter.State(5, null);
        Serializer serializer = serialization.findSerializerFor(current);
        // The CBOR of the old State(long seq): no image field at all.
        byte[] old = new ObjectMapper(new CBORFactory()).writeValueAsBytes(Map.of("seq", 5));
        Object read = serialization
                .deserialize(old, serializer.identifier(), Serializers.manifestFor(serializer, current))
                .get();
        assertEquals(current, read);

        // The CBOR of an image written before layers existed: no layers, no appends.
        byte[] oldImage = new ObjectMapper(new CBORFactory())
                .writeValueAsBytes(Map.of(
                        "seq", 5, "image", Map.of("lastVersion", 7, "documents", List.of(), "requests", List.of())));
        ShardWriter.State withImage = (ShardWriter.State) serialization
                .deserialize(oldImage, serializer.identifier(), Serializers.manifestFor(serializer, current))
                .get();
        assertEquals(7, withImage.image().lastVersion());
        assertEquals(List.of(), withImage.image().layers());
        assertNull(withImage.image().appends());
    }
}

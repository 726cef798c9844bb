package io.lumadb.persistence.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.testkit.TestPayloads.Bound;
import io.lumadb.persistence.testkit.TestPayloads.ExplodesOnRead;
import io.lumadb.persistence.testkit.TestPayloads.NotBound;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.DeleteSnapshotSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SaveSnapshotFailure;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.OptionConverters;

/**
 * The contract every LumaDB snapshot store plugin passes, driven through Pekko's snapshot protocol:
 * the cases of Pekko's snapshot store TCK plus lower bounds, fallback to an older snapshot and
 * durability across a restart. Extend it per implementation.
 *
 * <p>Before each test, snapshots {@code "s-1"} ... {@code "s-5"} of a fresh persistence id are
 * saved at sequence numbers 11 ... 15; {@link #metadata} holds what the store confirmed.
 */
public abstract class SnapshotStoreContractTest {

    protected static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    protected Path dir;

    protected ActorSystem system;
    protected ActorRef store;
    protected TestKit probe;
    protected String pid;
    protected List<SnapshotMetadata> metadata;

    /** The plugin id of the snapshot store under test. */
    protected abstract String snapshotPluginId();

    /** The configuration of an actor system whose store keeps its data in {@code dir}. */
    protected abstract Config config(Path dir);

    @BeforeEach
    void startAndSaveFiveSnapshots() {
        start();
        pid = "pid-" + UUID.randomUUID();
        metadata = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            metadata.add(save(SnapshotMetadata.apply(pid, 10 + i), "s-" + i));
        }
    }

    @AfterEach
    void stopSystem() {
        if (system != null) {
            TestKit.shutdownActorSystem(system);
        }
    }

    protected void start() {
        system = ActorSystem.create("snapshot-contract", config(dir));
        store = Persistence.get(system).snapshotStoreFor(snapshotPluginId(), ConfigFactory.empty());
        probe = new TestKit(system);
    }

    protected void restart() {
        TestKit.shutdownActorSystem(system);
        start();
    }

    // ------------------------------------------------------------------ load

    @Test
    void loadsNothingForAnUnknownPersistenceId() {
        assertEquals(
                Optional.empty(),
                load("unknown-" + UUID.randomUUID(), SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }

    @Test
    void loadsNothingWhenNoTimestampMatches() {
        assertEquals(
                Optional.empty(), load(pid, SnapshotSelectionCriteria.create(Long.MAX_VALUE, 100), Long.MAX_VALUE));
    }

    @Test
    void loadsNothingWhenNoSequenceNrMatches() {
        assertEquals(Optional.empty(), load(pid, SnapshotSelectionCriteria.create(7, Long.MAX_VALUE), Long.MAX_VALUE));
        assertEquals(Optional.empty(), load(pid, SnapshotSelectionCriteria.latest(), 7));
    }

    @Test
    void loadsTheYoungestSnapshot() {
        assertEquals(Optional.of(selected(4, "s-5")), load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }

    @Test
    void loadsTheYoungestSnapshotBelowAnUpperSequenceNrBound() {
        assertEquals(
                Optional.of(selected(2, "s-3")),
                load(pid, SnapshotSelectionCriteria.create(13, Long.MAX_VALUE), Long.MAX_VALUE));
        assertEquals(Optional.of(selected(2, "s-3")), load(pid, SnapshotSelectionCriteria.latest(), 13));
    }

    @Test
    void loadsTheYoungestSnapshotBelowUpperSequenceNrAndTimestampBounds() {
        long timestamp = metadata.get(2).timestamp();
        assertEquals(
                Optional.of(selected(2, "s-3")),
                load(pid, SnapshotSelectionCriteria.create(13, timestamp), Long.MAX_VALUE));
        assertEquals(
                Optional.of(selected(2, "s-3")),
                load(pid, SnapshotSelectionCriteria.create(Long.MAX_VALUE, timestamp), 13));
    }

    @Test
    void honoursTheLowerBounds() {
        assertEquals(
                Optional.of(selected(4, "s-5")),
                load(pid, SnapshotSelectionCriteria.create(Long.MAX_VALUE, Long.MAX_VALUE, 14, 0), Long.MAX_VALUE));
        assertEquals(
                Optional.empty(),
                load(pid, SnapshotSelectionCriteria.create(13, Long.MAX_VALUE, 14, 0), Long.MAX_VALUE));
        long afterAll = metadata.get(4).timestamp() + 1;
        assertEquals(
                Optional.empty(),
                load(
                        pid,
                        SnapshotSelectionCriteria.create(Long.MAX_VALUE, Long.MAX_VALUE, 0, afterAll),
                        Long.MAX_VALUE));
    }

    @Test
    void fallsBackToAnOlderSnapshotWhenTheYoungestCannotBeDeserialized() {
        save(SnapshotMetadata.apply(pid, 20), new ExplodesOnRead("unreadable"));
        assertEquals(Optional.of(selected(4, "s-5")), load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }

    @Test
    void roundTripsSnapshotsThroughTheirOwnSerializer() {
        SnapshotMetadata saved = save(SnapshotMetadata.apply(pid, 100), new Bound("state"));
        assertEquals(
                Optional.of(SelectedSnapshot.create(saved, new Bound("state"))),
                load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }

    // ------------------------------------------------------------------ save

    @Test
    void overwritesASnapshotWithTheSameSequenceNr() {
        save(SnapshotMetadata.apply(pid, 15), "s-5-modified");
        Optional<SelectedSnapshot> loaded =
                load(pid, SnapshotSelectionCriteria.create(15, Long.MAX_VALUE), Long.MAX_VALUE);
        assertEquals("s-5-modified", loaded.orElseThrow().snapshot());
        assertEquals(15L, loaded.orElseThrow().metadata().sequenceNr());
    }

    @Test
    void savesALargeSnapshot() {
        String big = "0".repeat(1_000_000);
        save(SnapshotMetadata.apply(pid, 100), big);
        assertEquals(
                big,
                load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE)
                        .orElseThrow()
                        .snapshot());
    }

    @Test
    void failsToSaveAnUnserializableSnapshotAndKeepsTheOthers() {
        store.tell(
                new SnapshotProtocol.SaveSnapshot(SnapshotMetadata.apply(pid, 20), new NotBound("x")), probe.getRef());
        probe.expectMsgClass(TIMEOUT, SaveSnapshotFailure.class);
        assertEquals(Optional.of(selected(4, "s-5")), load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }

    // ------------------------------------------------------------------ delete

    @Test
    void deletesASingleSnapshotBySequenceNr() {
        // The timestamp does not matter when deleting a single snapshot.
        SnapshotMetadata md = new SnapshotMetadata(pid, metadata.get(2).sequenceNr(), 0L);
        store.tell(new SnapshotProtocol.DeleteSnapshot(md), probe.getRef());
        probe.expectMsg(TIMEOUT, new DeleteSnapshotSuccess(md));
        assertEquals(
                Optional.of(selected(1, "s-2")),
                load(pid, SnapshotSelectionCriteria.create(13, Long.MAX_VALUE), Long.MAX_VALUE));
    }

    @Test
    void deletesEverySnapshotMatchingUpperSequenceNrAndTimestampBounds() {
        SnapshotMetadata md = metadata.get(2);
        SnapshotSelectionCriteria criteria = SnapshotSelectionCriteria.create(md.sequenceNr(), md.timestamp());
        deleteAll(criteria);
        assertEquals(Optional.empty(), load(pid, criteria, Long.MAX_VALUE));
        SnapshotMetadata next = metadata.get(3);
        assertEquals(
                Optional.of(selected(3, "s-4")),
                load(pid, SnapshotSelectionCriteria.create(next.sequenceNr(), next.timestamp()), Long.MAX_VALUE));
    }

    @Test
    void doesNotDeleteSnapshotsOutsideTheTimestampBound() {
        SnapshotMetadata md = metadata.get(3);
        deleteAll(SnapshotSelectionCriteria.create(md.sequenceNr(), md.timestamp() - 1));
        assertEquals(
                Optional.of(selected(3, "s-4")),
                load(pid, SnapshotSelectionCriteria.create(md.sequenceNr(), md.timestamp()), Long.MAX_VALUE));
    }

    @Test
    void deletesOnlyWithinTheLowerSequenceNrBound() {
        deleteAll(SnapshotSelectionCriteria.create(Long.MAX_VALUE, Long.MAX_VALUE, 14, 0));
        assertEquals(Optional.of(selected(2, "s-3")), load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }

    // ------------------------------------------------------------------ durability

    @Test
    void snapshotsSurviveARestart() {
        restart();
        assertEquals(Optional.of(selected(4, "s-5")), load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }

    // ------------------------------------------------------------------ helpers

    protected SelectedSnapshot selected(int index, Object snapshot) {
        return SelectedSnapshot.create(metadata.get(index), snapshot);
    }

    protected SnapshotMetadata save(SnapshotMetadata md, Object snapshot) {
        store.tell(new SnapshotProtocol.SaveSnapshot(md, snapshot), probe.getRef());
        Object reply = probe.receiveOne(TIMEOUT);
        assertTrue(reply instanceof SaveSnapshotSuccess, () -> "expected SaveSnapshotSuccess, got " + reply);
        return ((SaveSnapshotSuccess) reply).metadata();
    }

    protected Optional<SelectedSnapshot> load(
            String persistenceId, SnapshotSelectionCriteria criteria, long toSequenceNr) {
        store.tell(new SnapshotProtocol.LoadSnapshot(persistenceId, criteria, toSequenceNr), probe.getRef());
        SnapshotProtocol.LoadSnapshotResult result =
                probe.expectMsgClass(TIMEOUT, SnapshotProtocol.LoadSnapshotResult.class);
        assertEquals(toSequenceNr, result.toSequenceNr());
        return OptionConverters.toJava(result.snapshot());
    }

    protected void deleteAll(SnapshotSelectionCriteria criteria) {
        store.tell(new SnapshotProtocol.DeleteSnapshots(pid, criteria), probe.getRef());
        probe.expectMsg(TIMEOUT, new DeleteSnapshotsSuccess(criteria));
    }
}

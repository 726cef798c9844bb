package io.lumadb.persistence.journal;

import static io.lumadb.persistence.testkit.JournalWrites.atomic;
import static io.lumadb.persistence.testkit.JournalWrites.repr;
import static io.lumadb.persistence.testkit.JournalWrites.writeMessages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.testkit.TestPayloads.Bound;
import io.lumadb.persistence.testkit.TestPayloads.ExplodesOnRead;
import io.lumadb.persistence.testkit.TestPayloads.ExplodesOnWrite;
import io.lumadb.persistence.testkit.TestPayloads.NotBound;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every LumaDB journal plugin passes, driven through Pekko's journal protocol: the
 * cases of Pekko's journal TCK plus rejection, atomicity, ordering and durability across a restart.
 * Extend it per implementation with the plugin id and configuration.
 *
 * <p>Before each test, events 1 to 5 of a fresh persistence id are written, 1 to 3 one per
 * AtomicWrite and 4-5 as one AtomicWrite, with payloads {@code "a-1"} ... {@code "a-5"}.
 */
public abstract class JournalContractTest {

    protected static final Duration TIMEOUT = Duration.ofSeconds(10);
    protected static final String WRITER = "writer-" + UUID.randomUUID();

    @TempDir
    protected Path dir;

    protected ActorSystem system;
    protected ActorRef journal;
    protected String pid;

    /** The plugin id of the journal under test. */
    protected abstract String journalPluginId();

    /** The configuration of an actor system whose journal keeps its data in {@code dir}. */
    protected abstract Config config(Path dir);

    @BeforeEach
    void startAndWriteFiveEvents() {
        start();
        pid = "pid-" + UUID.randomUUID();
        TestKit probe = new TestKit(system);
        journal.tell(
                writeMessages(
                        probe.getRef(),
                        atomic(event(1)),
                        atomic(event(2)),
                        atomic(event(3)),
                        atomic(event(4), event(5))),
                ActorRef.noSender());
        probe.expectMsg(TIMEOUT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
        for (long seq = 1; seq <= 5; seq++) {
            assertEquals(event(seq), success(probe).persistent());
        }
    }

    @AfterEach
    void stopSystem() {
        if (system != null) {
            TestKit.shutdownActorSystem(system);
        }
    }

    /** Starts the actor system on {@link #dir}. */
    protected void start() {
        system = ActorSystem.create("journal-contract", config(dir));
        journal = Persistence.get(system).journalFor(journalPluginId(), ConfigFactory.empty());
    }

    /** Stops the actor system (closing the store) and starts a new one on the same directory. */
    protected void restart() {
        TestKit.shutdownActorSystem(system);
        start();
    }

    // ------------------------------------------------------------------ replay

    @Test
    void replaysAllEvents() {
        assertEquals(new Replay(List.of(1L, 2L, 3L, 4L, 5L), 5L), replay(1, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void replaysFromTheLowerBound() {
        assertEquals(new Replay(List.of(3L, 4L, 5L), 5L), replay(3, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void replaysUpToTheUpperBound() {
        assertEquals(new Replay(List.of(1L, 2L, 3L), 5L), replay(1, 3, Long.MAX_VALUE));
    }

    @Test
    void replaysAtMostMaxEvents() {
        assertEquals(new Replay(List.of(1L, 2L, 3L), 5L), replay(1, Long.MAX_VALUE, 3));
    }

    @Test
    void replaysWithinBothBounds() {
        assertEquals(new Replay(List.of(2L, 3L), 5L), replay(2, 3, Long.MAX_VALUE));
    }

    @Test
    void replaysWithinBothBoundsAndMax() {
        assertEquals(new Replay(List.of(2L, 3L), 5L), replay(2, 5, 2));
    }

    @Test
    void replaysOneEventWhenTheBoundsAreEqual() {
        assertEquals(new Replay(List.of(2L), 5L), replay(2, 2, Long.MAX_VALUE));
    }

    @Test
    void replaysOneEventWhenMaxIsOne() {
        assertEquals(new Replay(List.of(2L), 5L), replay(2, 4, 1));
    }

    @Test
    void replaysNothingWhenMaxIsZero() {
        assertEquals(new Replay(List.of(), 5L), replay(2, 4, 0));
    }

    @Test
    void replaysNothingWhenTheLowerBoundIsAboveTheUpperBound() {
        assertEquals(new Replay(List.of(), 5L), replay(3, 2, Long.MAX_VALUE));
    }

    @Test
    void replaysNothingFromBeyondTheHighestSequenceNr() {
        assertEquals(new Replay(List.of(), 5L), replay(6, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void replaysNothingAndHighestZeroForAnUnknownPersistenceId() {
        assertEquals(
                new Replay(List.of(), 0L),
                replay("never-written-" + UUID.randomUUID(), 0, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void replaysEventsWithPayloadSenderAndWriterAsWritten() {
        TestKit probe = new TestKit(system);
        journal.tell(
                new JournalProtocol.ReplayMessages(1, 5, Long.MAX_VALUE, pid, probe.getRef()), ActorRef.noSender());
        for (long seq = 1; seq <= 5; seq++) {
            // PersistentRepr equality covers payload, sequence number, persistence id, manifest,
            // sender and writer uuid.
            probe.expectMsg(TIMEOUT, new JournalProtocol.ReplayedMessage(event(seq)));
        }
        probe.expectMsg(TIMEOUT, new JournalProtocol.RecoverySuccess(5L));
    }

    @Test
    void replaysPayloadsThroughTheirOwnSerializer() {
        write(atomic(repr(pid, 6, new Bound("custom"), WRITER)));
        assertEquals(List.of(new Bound("custom")), replayPayloads(pid, 6, 6));
    }

    @Test
    void failsTheReplayWhenAnEventCannotBeDeserialized() {
        write(atomic(repr(pid, 6, new ExplodesOnRead("x"), WRITER)));
        TestKit probe = new TestKit(system);
        journal.tell(
                new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, Long.MAX_VALUE, pid, probe.getRef()),
                ActorRef.noSender());
        for (long seq = 1; seq <= 5; seq++) {
            probe.expectMsgClass(TIMEOUT, JournalProtocol.ReplayedMessage.class);
        }
        probe.expectMsgClass(TIMEOUT, JournalProtocol.ReplayMessagesFailure.class);
    }

    @Test
    void storesTaggedPayloadsUnwrapped() {
        write(atomic(repr(pid, 6, new Tagged("tagged-6", Set.of("green", "blue")), WRITER)));
        assertEquals(List.of("tagged-6"), replayPayloads(pid, 6, 6));
    }

    // ------------------------------------------------------------------ delete

    @Test
    void doesNotReplayDeletedEvents() {
        delete(pid, 3);
        assertEquals(new Replay(List.of(4L, 5L), 5L), replay(1, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void deletingAgainBelowTheDeletedRangeChangesNothing() {
        delete(pid, 3);
        delete(pid, 2);
        assertEquals(new Replay(List.of(4L, 5L), 5L), replay(1, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void keepsTheHighestSequenceNrAfterDeletingSomeEvents() {
        delete(pid, 3);
        assertEquals(5L, replay(0, Long.MAX_VALUE, Long.MAX_VALUE).highest());
    }

    @Test
    void keepsTheHighestSequenceNrAfterDeletingAllEvents() {
        delete(pid, Long.MAX_VALUE);
        assertEquals(new Replay(List.of(), 5L), replay(0, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void replaysEventsWrittenAfterDeletingAllEvents() {
        delete(pid, Long.MAX_VALUE);
        write(atomic(event(6)));
        assertEquals(new Replay(List.of(6L), 6L), replay(0, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void deletingAnUnknownPersistenceIdSucceeds() {
        delete("never-written-" + UUID.randomUUID(), 10);
    }

    // ------------------------------------------------------------------ rejection and atomicity

    @Test
    void rejectsAnEventWithoutSerializerButWritesTheOthers() {
        assertRejectsOnlyTheMiddleEvent(new NotBound("no serializer"));
    }

    @Test
    void rejectsAnEventWhoseSerializerThrowsButWritesTheOthers() {
        assertRejectsOnlyTheMiddleEvent(new ExplodesOnWrite("boom"));
    }

    private void assertRejectsOnlyTheMiddleEvent(Object unserializable) {
        TestKit probe = new TestKit(system);
        journal.tell(
                writeMessages(
                        probe.getRef(),
                        atomic(repr(pid, 6, "b-6", WRITER)),
                        atomic(repr(pid, 7, unserializable, WRITER)),
                        atomic(repr(pid, 8, "b-8", WRITER))),
                ActorRef.noSender());
        probe.expectMsg(TIMEOUT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
        assertEquals(6L, success(probe).persistent().sequenceNr());
        JournalProtocol.WriteMessageRejected rejected =
                probe.expectMsgClass(TIMEOUT, JournalProtocol.WriteMessageRejected.class);
        assertEquals(7L, rejected.message().sequenceNr());
        assertEquals(unserializable, rejected.message().payload());
        assertEquals(8L, success(probe).persistent().sequenceNr());
        assertEquals(List.of("b-6", "b-8"), replayPayloads(pid, 6, Long.MAX_VALUE));
    }

    @Test
    void writesAllEventsOfAnAtomicWrite() {
        write(atomic(repr(pid, 6, "c-6", WRITER), repr(pid, 7, "c-7", WRITER), repr(pid, 8, "c-8", WRITER)));
        assertEquals(List.of("c-6", "c-7", "c-8"), replayPayloads(pid, 6, Long.MAX_VALUE));
    }

    @Test
    void writesNoEventOfAnAtomicWriteWithAnUnserializableEvent() {
        TestKit probe = new TestKit(system);
        journal.tell(
                writeMessages(
                        probe.getRef(),
                        atomic(
                                repr(pid, 6, "c-6", WRITER),
                                repr(pid, 7, new NotBound("x"), WRITER),
                                repr(pid, 8, "c-8", WRITER))),
                ActorRef.noSender());
        probe.expectMsg(TIMEOUT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
        for (long seq = 6; seq <= 8; seq++) {
            JournalProtocol.WriteMessageRejected rejected =
                    probe.expectMsgClass(TIMEOUT, JournalProtocol.WriteMessageRejected.class);
            assertEquals(seq, rejected.message().sequenceNr());
        }
        assertEquals(new Replay(List.of(1L, 2L, 3L, 4L, 5L), 5L), replay(1, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    // ------------------------------------------------------------------ ordering and durability

    @Test
    void keepsTheOrderOfEachPersistenceIdAcrossManyRequestsInFlight() {
        List<String> pids = List.of(pid + "-a", pid + "-b", pid + "-c");
        int perPid = 60;
        TestKit probe = new TestKit(system);
        // All requests are sent before any is confirmed, so they share groups.
        for (int seq = 1; seq <= perPid; seq++) {
            for (String p : pids) {
                journal.tell(
                        writeMessages(probe.getRef(), atomic(repr(p, seq, p + ":" + seq, WRITER))),
                        ActorRef.noSender());
            }
        }
        Map<String, List<Long>> confirmed = new HashMap<>();
        for (int i = 0; i < perPid * pids.size(); i++) {
            probe.expectMsg(TIMEOUT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
            PersistentRepr written = success(probe).persistent();
            confirmed
                    .computeIfAbsent(written.persistenceId(), k -> new ArrayList<>())
                    .add(written.sequenceNr());
        }
        List<Long> expected = new ArrayList<>();
        for (long seq = 1; seq <= perPid; seq++) {
            expected.add(seq);
        }
        for (String p : pids) {
            assertEquals(expected, confirmed.get(p), "confirmations of " + p);
            assertEquals(new Replay(expected, perPid), replay(p, 1, Long.MAX_VALUE, Long.MAX_VALUE), "replay of " + p);
        }
    }

    @Test
    void eventsAndHighestSequenceNrSurviveARestart() {
        delete(pid, 2);
        restart();
        assertEquals(new Replay(List.of(3L, 4L, 5L), 5L), replay(1, Long.MAX_VALUE, Long.MAX_VALUE));
        assertEquals(List.of("a-3", "a-4", "a-5"), replayPayloads(pid, 1, Long.MAX_VALUE));
    }

    @Test
    void highestSequenceNrSurvivesARestartAfterDeletingAllEvents() {
        delete(pid, Long.MAX_VALUE);
        restart();
        assertEquals(new Replay(List.of(), 5L), replay(1, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    // ------------------------------------------------------------------ helpers

    /** The outcome of a replay: the sequence numbers replayed and the highest sequence number. */
    protected record Replay(List<Long> sequenceNrs, long highest) {}

    protected PersistentRepr event(long seq) {
        return repr(pid, seq, "a-" + seq, WRITER);
    }

    protected Replay replay(long from, long to, long max) {
        return replay(pid, from, to, max);
    }

    protected Replay replay(String persistenceId, long from, long to, long max) {
        TestKit probe = new TestKit(system);
        journal.tell(
                new JournalProtocol.ReplayMessages(from, to, max, persistenceId, probe.getRef()), ActorRef.noSender());
        List<Long> seqs = new ArrayList<>();
        while (true) {
            Object message = probe.receiveOne(TIMEOUT);
            switch (message) {
                case JournalProtocol.ReplayedMessage replayed -> {
                    assertEquals(persistenceId, replayed.persistent().persistenceId());
                    seqs.add(replayed.persistent().sequenceNr());
                }
                case JournalProtocol.RecoverySuccess done -> {
                    return new Replay(seqs, done.highestSequenceNr());
                }
                case null -> throw new AssertionError("no RecoverySuccess within " + TIMEOUT + " after " + seqs);
                default -> throw new AssertionError("unexpected " + message);
            }
        }
    }

    protected List<Object> replayPayloads(String persistenceId, long from, long to) {
        TestKit probe = new TestKit(system);
        journal.tell(
                new JournalProtocol.ReplayMessages(from, to, Long.MAX_VALUE, persistenceId, probe.getRef()),
                ActorRef.noSender());
        List<Object> payloads = new ArrayList<>();
        while (true) {
            Object message = probe.receiveOne(TIMEOUT);
            if (message instanceof JournalProtocol.ReplayedMessage replayed) {
                payloads.add(replayed.persistent().payload());
            } else {
                assertInstanceOf(JournalProtocol.RecoverySuccess.class, message);
                return payloads;
            }
        }
    }

    /** Writes the AtomicWrites in one WriteMessages and expects every event to succeed. */
    protected void write(AtomicWrite... writes) {
        TestKit probe = new TestKit(system);
        journal.tell(writeMessages(probe.getRef(), writes), ActorRef.noSender());
        probe.expectMsg(TIMEOUT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
        for (AtomicWrite write : writes) {
            for (int i = 0; i < write.size(); i++) {
                success(probe);
            }
        }
    }

    protected void delete(String persistenceId, long toSequenceNr) {
        TestKit probe = new TestKit(system);
        journal.tell(
                new JournalProtocol.DeleteMessagesTo(persistenceId, toSequenceNr, probe.getRef()), ActorRef.noSender());
        probe.expectMsg(TIMEOUT, new DeleteMessagesSuccess(toSequenceNr));
    }

    protected static JournalProtocol.WriteMessageSuccess success(TestKit probe) {
        Object message = probe.receiveOne(TIMEOUT);
        assertTrue(
                message instanceof JournalProtocol.WriteMessageSuccess,
                () -> "expected WriteMessageSuccess, got " + message);
        return (JournalProtocol.WriteMessageSuccess) message;
    }
}

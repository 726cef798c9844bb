package io.lumadb.persistence.journal;

import static io.lumadb.persistence.testkit.JournalWrites.atomic;
import static io.lumadb.persistence.testkit.JournalWrites.repr;
import static io.lumadb.persistence.testkit.JournalWrites.writeMessages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.lumadb.persistence.journal.internal.JournalStore;
import io.lumadb.persistence.testkit.TestConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;

/** The RocksDB journal: the journal contract, plus its own guarantees (group commit, key rules). */
class RocksJournalTest extends JournalContractTest {

    @Override
    protected String journalPluginId() {
        return "lumadb.persistence.journal";
    }

    @Override
    protected Config config(Path dir) {
        return TestConfig.forDir(dir);
    }

    @Test
    void rejectsAPersistenceIdContainingNul() {
        String bad = "bad\0pid";
        TestKit probe = new TestKit(system);
        journal.tell(
                writeMessages(probe.getRef(), atomic(repr(bad, 1, "x", WRITER)), atomic(event(6))),
                ActorRef.noSender());
        probe.expectMsg(TIMEOUT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
        JournalProtocol.WriteMessageRejected rejected =
                probe.expectMsgClass(TIMEOUT, JournalProtocol.WriteMessageRejected.class);
        assertInstanceOf(IllegalArgumentException.class, rejected.cause());
        assertEquals(6L, success(probe).persistent().sequenceNr());
        assertEquals(new Replay(List.of(), 0L), replay(bad, 0, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void rejectsATagContainingNul() {
        TestKit probe = new TestKit(system);
        journal.tell(
                writeMessages(
                        probe.getRef(), atomic(repr(pid, 6, new Tagged("x", java.util.Set.of("bad\0tag")), WRITER))),
                ActorRef.noSender());
        probe.expectMsg(TIMEOUT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
        probe.expectMsgClass(TIMEOUT, JournalProtocol.WriteMessageRejected.class);
        assertEquals(5L, replay(1, Long.MAX_VALUE, Long.MAX_VALUE).highest());
    }

    @Test
    void groupCommitsEveryRequestThatQueuedDuringTheFsync() throws Exception {
        JournalChanges changes = JournalChanges.get(system);
        JournalStore store = JournalStore.get(system);
        List<int[]> groups = new CopyOnWriteArrayList<>();
        CountDownLatch firstGroupCommitted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The hook runs on the writer thread: holding it there stands for a slow fsync, during which
        // the next requests queue up.
        changes.setMetrics((nanos, atomicWrites, events) -> {
            groups.add(new int[] {atomicWrites, events});
            firstGroupCommitted.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long groupsBefore = changes.committedGroups();
        TestKit probe = new TestKit(system);
        journal.tell(writeMessages(probe.getRef(), atomic(event(6))), ActorRef.noSender());
        assertTrue(firstGroupCommitted.await(10, TimeUnit.SECONDS));

        int requests = 40;
        for (int i = 0; i < requests; i++) {
            String other = pid + "-" + i;
            journal.tell(
                    writeMessages(probe.getRef(), atomic(repr(other, 1, "x", WRITER), repr(other, 2, "y", WRITER))),
                    ActorRef.noSender());
        }
        probe.awaitAssert(Duration.ofSeconds(10), () -> {
            assertEquals(requests, store.queued());
            return null;
        });
        release.countDown();

        for (int i = 0; i < 1 + requests; i++) {
            probe.expectMsg(TIMEOUT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
            success(probe);
            if (i > 0) {
                success(probe);
            }
        }
        assertEquals(
                2, changes.committedGroups() - groupsBefore, "groups (fsyncs) for " + (1 + requests) + " requests");
        assertEquals(2, groups.size());
        assertEquals(List.of(1, 1), List.of(groups.get(0)[0], groups.get(0)[1]));
        assertEquals(List.of(requests, 2 * requests), List.of(groups.get(1)[0], groups.get(1)[1]));
        assertEquals(new Replay(List.of(1L, 2L), 2L), replay(pid + "-7", 1, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void reportsTheLatencyAndSizeOfEachGroupToTheMetricsHook() {
        List<long[]> groups = new CopyOnWriteArrayList<>();
        JournalChanges.get(system)
                .setMetrics((nanos, atomicWrites, events) -> groups.add(new long[] {nanos, atomicWrites, events}));
        write(atomic(event(6), event(7)), atomic(event(8)));
        // The hook hears of a group right after its writes are acknowledged, on the writer's thread.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (groups.isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(1, groups.size());
        assertTrue(groups.get(0)[0] > 0, "latency in nanoseconds");
        assertEquals(2, groups.get(0)[1]);
        assertEquals(3, groups.get(0)[2]);
    }

    @Test
    void aThrowingMetricsHookDoesNotBreakTheJournal() {
        JournalChanges.get(system).setMetrics((nanos, atomicWrites, events) -> {
            throw new IllegalStateException("broken hook");
        });
        write(atomic(event(6)));
        write(atomic(event(7)));
        assertEquals(7L, replay(1, Long.MAX_VALUE, Long.MAX_VALUE).highest());
    }
}

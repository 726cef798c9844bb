package io.lumadb.persistence.journal;

import static io.lumadb.persistence.testkit.JournalWrites.atomic;
import static io.lumadb.persistence.testkit.JournalWrites.repr;
import static io.lumadb.persistence.testkit.JournalWrites.writeMessages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.rocksdb.StorageHealth;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.persistence.testkit.TestConfig;
import io.lumadb.testkit.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on a real full disk (a small tmpfs): commits fail and the node's storage health
 * says why; once space is freed, the same journal (no restart) commits again, and a replay holds
 * exactly the events that were confirmed. Needs root to mount the tmpfs; skipped otherwise.
 */
@Timeout(60)
class JournalDiskFullTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String PID = "full-disk";

    @TempDir
    Path dir;

    @Test
    void failsWhileTheDiskIsFullAndCommitsAgainOnceSpaceIsFreedWithoutARestart() throws Exception {
        Path rocksDir = Files.createDirectories(dir.resolve("rocksdb"));
        SmallDisk disk = SmallDisk.mount(rocksDir, "24m");
        ActorSystem system = null;
        try {
            system = ActorSystem.create("journal-disk-full", TestConfig.forDir(rocksDir));
            ActorRef journal = Persistence.get(system).journalFor("lumadb.persistence.journal", ConfigFactory.empty());
            StorageHealth health = RocksDbNode.get(system).storageHealth();
            String payload = "x".repeat(64 * 1024);

            List<Long> confirmed = new ArrayList<>();
            long seq = 1;
            for (; seq <= 3; seq++) {
                assertTrue(write(system, journal, seq, payload) == null, "write before the disk was full");
                confirmed.add(seq);
            }
            Path filler = rocksDir.resolve("filler.bin");
            disk.fill(filler);
            Throwable failure = null;
            for (int i = 0; i < 1000 && failure == null; i++) {
                failure = write(system, journal, seq, payload);
                if (failure == null) {
                    confirmed.add(seq++);
                }
            }
            assertTrue(failure != null, "commits never failed on a full disk");
            assertTrue(
                    String.valueOf(rootCause(failure).getMessage()).contains("No space left on device"),
                    failure.toString());
            StorageHealth.Condition condition = health.current().orElseThrow();
            assertEquals(StorageHealth.Kind.NO_SPACE, condition.kind());
            assertTrue(health.noSpaceErrors() >= 1);
            // Still full: the next commit fails too, and nothing of the failed ones is readable.
            assertTrue(write(system, journal, seq, payload) != null, "a commit succeeded on a full disk");
            assertEquals(confirmed, replay(system, journal));

            Files.delete(filler);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (health.current().isPresent() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(health.current().isPresent(), "still unwritable after space was freed: " + health.current());
            // The same sequence number again: the failed commits left nothing behind.
            assertEquals(null, write(system, journal, seq, payload));
            confirmed.add(seq);
            assertEquals(confirmed, replay(system, journal));
        } finally {
            if (system != null) {
                TestKit.shutdownActorSystem(system);
            }
            disk.close();
        }
    }

    /** Writes one event; null when it was confirmed, else the journal's failure. */
    private static Throwable write(ActorSystem system, ActorRef journal, long seq, String payload) {
        TestKit probe = new TestKit(system);
        journal.tell(writeMessages(probe.getRef(), atomic(repr(PID, seq, payload, "writer"))), ActorRef.noSender());
        Object first = probe.receiveOne(TIMEOUT);
        Object second = probe.receiveOne(TIMEOUT);
        system.stop(probe.getRef());
        if (first instanceof JournalProtocol.WriteMessagesFailed failed) {
            assertInstanceOf(JournalProtocol.WriteMessageFailure.class, second);
            return failed.cause();
        }
        assertEquals(JournalProtocol.WriteMessagesSuccessful$.MODULE$, first);
        assertInstanceOf(JournalProtocol.WriteMessageSuccess.class, second);
        return null;
    }

    private static List<Long> replay(ActorSystem system, ActorRef journal) {
        TestKit probe = new TestKit(system);
        journal.tell(
                new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, Long.MAX_VALUE, PID, probe.getRef()),
                ActorRef.noSender());
        List<Long> seqs = new ArrayList<>();
        while (true) {
            Object message = probe.receiveOne(TIMEOUT);
            if (message instanceof JournalProtocol.ReplayedMessage replayed) {
                seqs.add(replayed.persistent().sequenceNr());
            } else {
                assertInstanceOf(JournalProtocol.RecoverySuccess.class, message, String.valueOf(message));
                system.stop(probe.getRef());
                return seqs;
            }
        }
    }

    private static Throwable rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }
}

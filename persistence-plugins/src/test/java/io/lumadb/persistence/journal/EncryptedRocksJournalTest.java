package io.lumadb.persistence.journal;

import static io.lumadb.persistence.testkit.JournalWrites.atomic;
import static io.lumadb.persistence.testkit.JournalWrites.repr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.lumadb.persistence.crypto.EnvelopeFormat;
import io.lumadb.persistence.journal.internal.JournalFormat;
import io.lumadb.persistence.journal.internal.JournalStore;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.persistence.testkit.TestConfig;
import io.lumadb.persistence.testkit.TestKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

/** The journal contract with encryption at rest on, plus what is sealed and how keys rotate. */
class EncryptedRocksJournalTest extends JournalContractTest {

    private static final String MARKER = "journal-marker-5b1e";

    @TempDir
    Path keys;

    private int[] keyIds = {1};

    @Override
    protected String journalPluginId() {
        return "lumadb.persistence.journal";
    }

    @Override
    protected Config config(Path dir) {
        return TestConfig.forDir(dir, TestKeys.encryption(TestKeys.keyFile(keys.resolve("keys"), keyIds)));
    }

    /** Key id of every raw event value in key order (0: in clear), and the orderings. */
    private Map<String, long[]> raw() {
        RocksDbNode node = RocksDbNode.get(system);
        Map<String, long[]> out = new LinkedHashMap<>();
        try (RocksIterator it = node.db().newIterator(node.columnFamily(JournalFormat.JOURNAL_CF))) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] value = it.value();
                long keyId = value[0] == JournalFormat.SEALED_VERSION ? EnvelopeFormat.keyId(value, 9) : 0;
                assertFalse(
                        new String(value, StandardCharsets.ISO_8859_1).contains(MARKER) && keyId != 0,
                        "a sealed value holds the marker");
                out.put(
                        new String(it.key(), StandardCharsets.ISO_8859_1),
                        new long[] {keyId, JournalFormat.orderingOf(value)});
            }
        }
        return out;
    }

    @Test
    void eventPayloadsAreSealedUnderTheActiveKey() {
        write(atomic(repr(pid, 6, MARKER, WRITER)));
        assertTrue(raw().values().stream().allMatch(v -> v[0] == 1));
        assertEquals(List.of("a-1", "a-2", "a-3", "a-4", "a-5", MARKER), replayPayloads(pid, 1, Long.MAX_VALUE));
    }

    @Test
    void rotationKeepsOldEventsReadableAndReencryptionRewritesThemKeepingTheirOrdering() {
        keyIds = new int[] {1, 2};
        restart();
        write(atomic(repr(pid, 6, MARKER, WRITER)));
        Map<String, long[]> before = raw();
        List<Long> ids = new ArrayList<>();
        before.values().forEach(v -> ids.add(v[0]));
        assertEquals(List.of(1L, 1L, 1L, 1L, 1L, 2L), ids);

        List<Long> progress = new ArrayList<>();
        long rewritten = JournalStore.get(system).reencrypt(2, done -> progress.add(done));
        assertEquals(5, rewritten);
        assertEquals(List.of(2L, 4L, 5L), progress);
        Map<String, long[]> after = raw();
        assertEquals(before.keySet(), after.keySet());
        before.forEach((key, v) -> {
            assertEquals(2, after.get(key)[0]);
            assertEquals(v[1], after.get(key)[1], "the ordering is kept");
        });
        assertEquals(0, JournalStore.get(system).reencrypt(2, done -> true));

        keyIds = new int[] {2};
        restart();
        assertEquals(List.of("a-1", "a-2", "a-3", "a-4", "a-5", MARKER), replayPayloads(pid, 1, Long.MAX_VALUE));
    }

    @Test
    void aReplayWithoutTheKeyFailsNamingTheKeyId() {
        keyIds = new int[] {3};
        restart();
        TestKit probe = new TestKit(system);
        journal.tell(
                new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, Long.MAX_VALUE, pid, probe.getRef()),
                ActorRef.noSender());
        JournalProtocol.ReplayMessagesFailure failure =
                probe.expectMsgClass(TIMEOUT, JournalProtocol.ReplayMessagesFailure.class);
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure.cause(); t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append(" / ");
        }
        assertTrue(messages.toString().contains("key id 1"), messages.toString());
    }
}

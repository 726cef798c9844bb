package io.lumadb.persistence.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import io.lumadb.persistence.crypto.Encryption;
import io.lumadb.persistence.crypto.EnvelopeFormat;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.persistence.snapshot.internal.RocksSnapshotStore;
import io.lumadb.persistence.snapshot.internal.SnapshotFormat;
import io.lumadb.persistence.testkit.TestConfig;
import io.lumadb.persistence.testkit.TestKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

/** The snapshot store contract with encryption at rest on, plus what is sealed and how keys rotate. */
class EncryptedRocksSnapshotStoreTest extends SnapshotStoreContractTest {

    private static final String MARKER = "snapshot-marker-93d0";

    @TempDir
    Path keys;

    private int[] keyIds = {1};

    @Override
    protected String snapshotPluginId() {
        return "lumadb.persistence.snapshot-store";
    }

    @Override
    protected Config config(Path dir) {
        return TestConfig.forDir(dir, TestKeys.encryption(TestKeys.keyFile(keys.resolve("keys"), keyIds)));
    }

    /** The key id of every raw snapshot value (0: in clear). */
    private List<Integer> rawKeyIds() {
        RocksDbNode node = RocksDbNode.get(system);
        List<Integer> out = new ArrayList<>();
        try (RocksIterator it = node.db().newIterator(node.columnFamily(SnapshotFormat.SNAPSHOTS_CF))) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] value = it.value();
                assertFalse(new String(value, StandardCharsets.ISO_8859_1).contains(MARKER));
                out.add(value[0] == 2 ? EnvelopeFormat.keyId(value, 9) : 0);
            }
        }
        return out;
    }

    @Test
    void snapshotsAreSealedAndReencryptionMovesThemToTheNewKey() {
        save(SnapshotMetadata.apply(pid, 20), MARKER);
        assertEquals(List.of(1, 1, 1, 1, 1, 1), rawKeyIds());
        keyIds = new int[] {1, 2};
        restart();
        assertEquals(
                Optional.of(MARKER),
                load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE).map(s -> s.snapshot()));
        save(SnapshotMetadata.apply(pid, 21), "s-21");
        assertEquals(List.of(1, 1, 1, 1, 1, 1, 2), rawKeyIds());
        List<Long> progress = new ArrayList<>();
        long rewritten = RocksSnapshotStore.reencrypt(
                RocksDbNode.get(system), Encryption.get(system).cipher(), 4, done -> progress.add(done));
        assertEquals(6, rewritten);
        assertEquals(List.of(4L, 6L), progress);
        assertEquals(List.of(2, 2, 2, 2, 2, 2, 2), rawKeyIds());
        keyIds = new int[] {2};
        restart();
        assertEquals(
                Optional.of(MARKER),
                load(pid, SnapshotSelectionCriteria.create(20, Long.MAX_VALUE), Long.MAX_VALUE)
                        .map(s -> s.snapshot()));
    }
}

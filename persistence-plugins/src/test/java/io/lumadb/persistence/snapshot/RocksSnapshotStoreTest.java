package io.lumadb.persistence.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import io.lumadb.persistence.rocksdb.internal.Keys;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.persistence.snapshot.internal.SnapshotFormat;
import io.lumadb.persistence.testkit.TestConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.junit.jupiter.api.Test;

/** The RocksDB snapshot store: the snapshot store contract, plus recovery from corrupt bytes. */
class RocksSnapshotStoreTest extends SnapshotStoreContractTest {

    @Override
    protected String snapshotPluginId() {
        return "lumadb.persistence.snapshot-store";
    }

    @Override
    protected Config config(Path dir) {
        return TestConfig.forDir(dir);
    }

    @Test
    void fallsBackToAnOlderSnapshotWhenTheStoredBytesAreCorrupt() throws Exception {
        RocksDbNode node = RocksDbNode.get(system);
        byte[] key = Keys.idKey(Keys.utf8(pid), 15);
        byte[] value = node.db().get(node.columnFamily(SnapshotFormat.SNAPSHOTS_CF), key);
        // Keep the header (so the timestamp still matches) and cut the serialized snapshot short.
        node.db().put(node.columnFamily(SnapshotFormat.SNAPSHOTS_CF), key, Arrays.copyOf(value, 14));
        assertEquals(Optional.of(selected(3, "s-4")), load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }

    @Test
    void fallsBackWhenTheStoredValueIsNotASnapshotAtAll() throws Exception {
        RocksDbNode node = RocksDbNode.get(system);
        byte[] key = Keys.idKey(Keys.utf8(pid), 15);
        node.db().put(node.columnFamily(SnapshotFormat.SNAPSHOTS_CF), key, new byte[] {42});
        assertEquals(Optional.of(selected(3, "s-4")), load(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE));
    }
}

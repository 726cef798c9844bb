package io.lumadb.persistence.rocksdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.testkit.SmallDisk;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.WriteOptions;

/**
 * The node's storage health on a real RocksDB: a storage fault makes it unwritable (reported once,
 * not once per failure), a probe write clears it as soon as the database takes writes again, and
 * failures that are not storage faults change nothing. One test fills a real (tmpfs) disk; it
 * needs root and is skipped otherwise.
 */
@Timeout(60)
class StorageHealthTest {

    @TempDir
    Path dir;

    private static Config config(Path rocksDir) {
        return ConfigFactory.parseString("""
                block-cache-size = 8 MiB
                write-buffer-size = 1 MiB
                total-write-buffer-size = 8 MiB
                max-background-jobs = 2
                max-total-wal-size = 16 MiB
                """)
                .withValue("dir", ConfigValueFactory.fromAnyRef(rocksDir.toString()))
                .withFallback(ConfigFactory.defaultReference().getConfig("lumadb.persistence.rocksdb"));
    }

    /** Records what a listener hears. */
    private static final class Heard implements StorageHealth.Listener {
        final List<Optional<StorageHealth.Condition>> changes = new CopyOnWriteArrayList<>();
        volatile int noSpace;

        @Override
        public void changed(Optional<StorageHealth.Condition> condition) {
            changes.add(condition);
        }

        @Override
        public void noSpaceError() {
            noSpace++;
        }
    }

    private static RocksDBException noSpace() {
        return new RocksDBException(
                "While appending to file: 000004.log: No space left on device",
                new Status(Status.Code.IOError, Status.SubCode.NoSpace, "While appending to file: 000004.log"));
    }

    @Test
    void aNoSpaceFailureIsReportedOnceAndClearedByAProbeWrite() throws Exception {
        RocksDbNode node = RocksDbNode.open(config(dir.resolve("rocksdb")));
        try {
            StorageHealth health = node.storageHealth();
            Heard heard = new Heard();
            health.addListener(heard);
            assertEquals(List.of(Optional.empty()), heard.changes, "a listener hears the current condition");

            health.writeFailed(new RocksStoreException("journal: cannot commit", noSpace()));
            health.writeFailed(new RocksStoreException("journal: cannot commit", noSpace()));

            assertEquals(2, health.noSpaceErrors());
            assertEquals(2, heard.noSpace);
            // The probe may already have cleared it; the first change is the condition, reported once.
            StorageHealth.Condition condition = heard.changes.get(1).orElseThrow();
            assertEquals(StorageHealth.Kind.NO_SPACE, condition.kind());
            assertEquals("no-space", condition.kind().slug());
            assertTrue(condition.reason().contains("no space left in " + node.dir()), condition.reason());

            // The database is healthy, so the first probe write clears it.
            awaitWritable(health);
            assertEquals(3, heard.changes.size(), "changes heard: " + heard.changes);
            assertEquals(Optional.empty(), heard.changes.get(2));
        } finally {
            node.close();
        }
    }

    @Test
    void failuresThatAreNotStorageFaultsChangeNothing() {
        RocksDbNode node = RocksDbNode.open(config(dir.resolve("rocksdb")));
        try {
            StorageHealth health = node.storageHealth();
            health.writeFailed(new IllegalArgumentException("persistence id must be non-empty"));
            health.writeFailed(new RocksStoreException("journal: RocksDB is closed", null));
            health.writeFailed(
                    new RocksDBException("busy", new Status(Status.Code.Busy, Status.SubCode.None, "try again")));
            assertEquals(Optional.empty(), health.current());
            assertEquals(0, health.noSpaceErrors());
        } finally {
            node.close();
        }
    }

    @Test
    void aFailureThatNoWriteCanClearLastsUntilRestart() throws Exception {
        RocksDbNode node = RocksDbNode.open(config(dir.resolve("rocksdb")));
        try {
            StorageHealth health = node.storageHealth();
            health.failedForGood("the journal writer died: java.lang.OutOfMemoryError");
            health.writeSucceeded();
            Thread.sleep(600); // longer than the first probe's delay
            StorageHealth.Condition condition = health.current().orElseThrow();
            assertEquals(StorageHealth.Kind.IO_ERROR, condition.kind());
            assertTrue(condition.reason().contains("restart the node"), condition.reason());
        } finally {
            node.close();
        }
    }

    /**
     * A real full disk: RocksDB's writes fail with NoSpace and it stops taking writes; once the
     * filler is gone RocksDB resumes by itself and the probe sees it, without reopening.
     */
    @Test
    void aRealFullDiskIsDetectedAndRecoveredWithoutReopening() throws Exception {
        Path rocksDir = Files.createDirectories(dir.resolve("tmpfs"));
        SmallDisk disk = SmallDisk.mount(rocksDir, "16m");
        RocksDbNode node = null;
        try {
            node = RocksDbNode.open(config(rocksDir));
            StorageHealth health = node.storageHealth();
            Heard heard = new Heard();
            health.addListener(heard);
            byte[] value = new byte[64 * 1024];
            Path filler = rocksDir.resolve("filler.bin");
            disk.fill(filler);
            RocksDBException failure = null;
            try (WriteOptions sync = new WriteOptions().setSync(true)) {
                for (int i = 0; i < 1000 && failure == null; i++) {
                    try {
                        node.db().put(sync, ("k" + i).getBytes(StandardCharsets.UTF_8), value);
                    } catch (RocksDBException e) {
                        failure = e;
                        health.writeFailed(e); // as the journal does
                    }
                }
            }
            assertTrue(failure != null, "writes never failed on a full disk");
            assertEquals(Status.SubCode.NoSpace, failure.getStatus().getSubCode(), failure.getMessage());
            StorageHealth.Condition condition = health.current().orElseThrow();
            assertEquals(StorageHealth.Kind.NO_SPACE, condition.kind());
            assertTrue(health.noSpaceErrors() >= 1);
            // Still full: the probe keeps failing, and the condition stays.
            Thread.sleep(1000);
            assertTrue(health.current().isPresent(), "cleared while the disk is still full");
            try (WriteOptions sync = new WriteOptions().setSync(true)) {
                RocksDbNode full = node;
                assertThrows(RocksDBException.class, () -> full.db().put(sync, new byte[] {1}, value));
            }

            Files.delete(filler);
            awaitWritable(health);
            try (WriteOptions sync = new WriteOptions().setSync(true)) {
                node.db().put(sync, "after".getBytes(StandardCharsets.UTF_8), value);
            }
            // One condition (its reason may have been refreshed with the free space), then writable.
            long conditions = heard.changes.stream()
                    .flatMap(Optional::stream)
                    .map(StorageHealth.Condition::since)
                    .distinct()
                    .count();
            assertEquals(1, conditions, "the condition started more than once: " + heard.changes);
            assertEquals(Optional.empty(), heard.changes.getLast());
        } finally {
            if (node != null) {
                node.close();
            }
            disk.close();
        }
    }

    private static void awaitWritable(StorageHealth health) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (health.current().isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(health.current().isPresent(), "still unwritable: " + health.current());
    }
}

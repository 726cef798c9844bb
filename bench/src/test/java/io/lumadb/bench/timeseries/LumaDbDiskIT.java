package io.lumadb.bench.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the timeseries section measures LumaDB's bytes on disk, on a real node with ordinary
 * documents (a node has no time-series collections yet): the growth of the data directory between
 * two clean stops, then RocksDB opened with the node's options to flush and compact, with the
 * journal's and the state's column families apart. Both must hold the documents written.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LumaDbDiskIT {

    @TempDir
    Path work;

    @Test
    void measuresTheGrowthAndTheJournalAndStateColumnFamiliesOfAStoppedNode() throws Exception {
        // A copy of the jar: others may rebuild node/target/lumadb.jar while this node runs from it.
        Path jar = Files.copy(NodeProcess.distributionJar(), work.resolve("lumadb.jar"));
        try (NodeProcess node = NodeProcess.builder(Files.createDirectories(work.resolve("data")))
                .jar(jar)
                .log(work.resolve("node.log"))
                .jvmOptions("-Dlumadb.security.enabled=off")
                .build()) {
            start(node);
            TestHttp http = new TestHttp(node.port());
            assertEquals(201, http.put("/api/v1/disk", "").status());
            assertEquals(201, http.put("/api/v1/disk/docs", "{\"shards\": 2}").status());
            node.terminate();
            DiskUsage before = DiskUsage.of(node.dataDir(), TimeSeriesBenchmark.NODE_DATA);
            start(node);
            http = new TestHttp(node.port());
            // Random hex, which LZ4 barely compresses: the documents' bytes must show in the journal.
            java.util.Random random = new java.util.Random(1);
            for (int i = 0; i < 300; i++) {
                StringBuilder text = new StringBuilder();
                while (text.length() < 200) {
                    text.append(Long.toHexString(random.nextLong()));
                }
                http.putDocument("/api/v1/disk/docs", "d" + i, "{\"n\":" + i + ",\"text\":\"" + text + "\"}");
            }
            node.terminate();
            List<String> notes = new ArrayList<>();
            TimeSeriesResults.Disk disk = TimeSeriesBenchmark.lumaDbDisk(node.dataDir(), before, 300, notes);
            assertEquals(List.of(), notes);
            assertTrue(disk.bytes() > 300 * 200, disk.toString());
            assertTrue(
                    disk.parts().get("journal column families (SST), memtables flushed") > 300 * 200, disk.toString());
            assertTrue(
                    disk.parts().get("state column family shard-state (SST), memtables flushed") > 0, disk.toString());
            assertTrue(disk.parts().get("journal column families (SST), after a full compaction") > 0, disk.toString());
            assertTrue(
                    disk.parts().get("growth as the clean stop left it (RocksDB's WAL still holding the memtables)")
                            > 300 * 200,
                    disk.toString());
        }
    }

    private static void start(NodeProcess node) throws Exception {
        node.start();
        TestHttp http = new TestHttp(node.port());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (http.get("/ready").status() != 200) {
            assertTrue(System.nanoTime() < deadline, "the node was not ready within 60 s");
            Thread.sleep(100);
        }
    }
}

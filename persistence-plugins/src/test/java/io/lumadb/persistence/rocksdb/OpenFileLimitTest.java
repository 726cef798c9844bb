package io.lumadb.persistence.rocksdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenFileLimitTest {

    @TempDir
    Path dir;

    private OpenFileLimit parse(String text) throws Exception {
        Path file = dir.resolve("limits");
        Files.writeString(file, text);
        return OpenFileLimit.read(file);
    }

    @Test
    void readsTheSoftAndHardLimitsOfAProcLimitsFile() throws Exception {
        String limits = """
                Limit                     Soft Limit           Hard Limit           Units
                Max cpu time              unlimited            unlimited            seconds
                Max open files            1024                 524288               files
                Max locked memory         8388608              8388608              bytes
                """;
        assertEquals(new OpenFileLimit(1024, 524288), parse(limits));
        assertEquals(
                new OpenFileLimit(Long.MAX_VALUE, Long.MAX_VALUE),
                parse("Max open files            unlimited            unlimited            files\n"));
        assertNull(parse("Max cpu time              unlimited            unlimited            seconds\n"));
        assertNull(OpenFileLimit.read(dir.resolve("missing")));
    }

    @Test
    void rocksDbGetsAtMostHalfTheSoftLimit() {
        assertEquals(512, new OpenFileLimit(1024, 1024).rocksDbBudget(4096));
        assertEquals(512, new OpenFileLimit(1024, 1024).rocksDbBudget(-1));
        assertEquals(100, new OpenFileLimit(1024, 1024).rocksDbBudget(100));
        assertEquals(64, new OpenFileLimit(20, 20).rocksDbBudget(4096));
        assertEquals(4096, new OpenFileLimit(Long.MAX_VALUE, Long.MAX_VALUE).rocksDbBudget(4096));
    }

    @Test
    void theNodeBoundsTheFilesRocksDbKeepsOpen() throws Exception {
        OpenFileLimit limit = OpenFileLimit.ofThisProcess();
        assertNotNull(limit, "this test runs on Linux");
        var config = ConfigFactory.parseMap(Map.of("dir", dir.resolve("db").toString(), "max-open-files", 100))
                .withFallback(ConfigFactory.defaultReference().getConfig("lumadb.persistence.rocksdb"));
        RocksDbNode node = RocksDbNode.open(config);
        try {
            assertEquals(limit.rocksDbBudget(100), node.db().getDBOptions().maxOpenFiles());
        } finally {
            node.close();
        }
    }
}

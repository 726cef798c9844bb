package io.lumadb.persistence.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;

/** Configuration of a test actor system whose RocksDB lives in its own directory. */
public final class TestConfig {

    private TestConfig() {}

    /** Small RocksDB in {@code dir}, the test serializers, the LumaDB plugins as defaults. */
    public static Config forDir(Path dir) {
        return forDir(dir, ConfigFactory.empty());
    }

    /** {@link #forDir(Path)} with {@code overrides} on top. */
    public static Config forDir(Path dir, Config overrides) {
        String testPayloads = TestPayloads.class.getName();
        return overrides
                .withValue("lumadb.persistence.rocksdb.dir", ConfigValueFactory.fromAnyRef(dir.toString()))
                .withFallback(ConfigFactory.parseString("""
                pekko.loglevel = WARNING
                pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
                pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
                pekko.actor.warn-about-java-serializer-usage = off
                pekko.persistence.journal.plugin = "lumadb.persistence.journal"
                pekko.persistence.snapshot-store.plugin = "lumadb.persistence.snapshot-store"
                lumadb.persistence.rocksdb {
                  block-cache-size = 8 MiB
                  write-buffer-size = 4 MiB
                }
                pekko.actor.serializers.lumadb-test = "%1$s$TestSerializer"
                pekko.actor.serialization-bindings {
                  "%1$s$Bound" = lumadb-test
                  "%1$s$ExplodesOnWrite" = lumadb-test
                  "%1$s$ExplodesOnRead" = lumadb-test
                }
                """.formatted(testPayloads)))
                .withFallback(ConfigFactory.load());
    }
}

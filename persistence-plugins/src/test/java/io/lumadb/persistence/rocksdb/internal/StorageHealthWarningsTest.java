package io.lumadb.persistence.rocksdb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lumadb.persistence.rocksdb.StorageHealth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.slf4j.LoggerFactory;

/**
 * A disk that fills again and again (found by the chaos harness: seven full-disk faults 30-40 s
 * apart logged one warning in ten minutes): a fault that begins soon after the last warning is
 * logged at debug, but the next one after the quiet time is warned of again and says how many
 * came in between.
 */
class StorageHealthWarningsTest {

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private Logger logger;

    @BeforeEach
    void capture() {
        logger = (Logger) LoggerFactory.getLogger(StorageHealth.class);
        logger.setLevel(Level.DEBUG);
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
        logger.setLevel(null);
    }

    private static RocksDBException noSpace() {
        return new RocksDBException(
                "While appending to file: 000004.log: No space left on device",
                new Status(Status.Code.IOError, Status.SubCode.NoSpace, "While appending to file: 000004.log"));
    }

    private List<String> warnings() {
        return logged.list.stream()
                .filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    @Test
    void aFaultThatComesBackIsWarnedOfAgainOnceTheQuietTimeHasPassed() throws Exception {
        RocksStorageHealth health = new RocksStorageHealth(dir, 1 << 20, Duration.ofMillis(500));
        try {
            health.writeFailed(noSpace());
            health.writeSucceeded();
            assertEquals(1, warnings().size(), "the first fault is warned of: " + warnings());

            // Back at once, twice: a flapping disk, logged at debug only.
            health.writeFailed(noSpace());
            health.writeSucceeded();
            health.writeFailed(noSpace());
            health.writeSucceeded();
            assertEquals(1, warnings().size(), "flaps are not warned of: " + warnings());
            assertTrue(
                    logged.list.stream()
                            .anyMatch(e -> e.getLevel() == Level.DEBUG
                                    && e.getFormattedMessage().contains("cannot make writes durable again")),
                    "flaps are logged at debug");

            Thread.sleep(700);
            health.writeFailed(noSpace());
            List<String> w = warnings();
            assertEquals(2, w.size(), "a fault after the quiet time is warned of again: " + w);
            assertTrue(w.get(1).contains("(2 more since the last warning, logged at debug level)"), w.get(1));
            assertTrue(health.current()
                    .map(c -> c.kind() == StorageHealth.Kind.NO_SPACE)
                    .orElse(false));
        } finally {
            health.stopProbing();
        }
    }
}

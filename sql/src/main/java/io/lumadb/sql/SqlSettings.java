package io.lumadb.sql;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code lumadb.sql}: see {@code reference.conf}. */
public record SqlSettings(
        int threads,
        int maxRows,
        Duration timeout,
        int sampleSize,
        Duration schemaRefresh,
        int statementCacheSize,
        int maxWriteRows) {

    /** The settings with the default {@code max-write-rows}. */
    public SqlSettings(
            int threads,
            int maxRows,
            Duration timeout,
            int sampleSize,
            Duration schemaRefresh,
            int statementCacheSize) {
        this(threads, maxRows, timeout, sampleSize, schemaRefresh, statementCacheSize, 100_000);
    }

    public SqlSettings {
        positive("threads", threads);
        positive("max-rows", maxRows);
        positive("sample-size", sampleSize);
        positive("statement-cache-size", statementCacheSize);
        positive("max-write-rows", maxWriteRows);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("lumadb.sql.timeout must be positive, got " + timeout);
        }
    }

    public static SqlSettings from(Config root) {
        Config c = root.getConfig("lumadb.sql");
        return new SqlSettings(
                c.getInt("threads"),
                c.getInt("max-rows"),
                c.getDuration("timeout"),
                c.getInt("sample-size"),
                c.getDuration("schema-refresh"),
                c.getInt("statement-cache-size"),
                c.getInt("max-write-rows"));
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("lumadb.sql." + name + " must be positive, got " + value);
        }
    }
}

package io.lumadb.security.audit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * Settings under {@code lumadb.security.audit} (documented in the security module's {@code
 * reference.conf} and README "Audit log").
 *
 * @param enabled whether the node keeps an audit log (only while security is on)
 * @param queueSize events waiting to be written; more are dropped, counted and logged
 * @param flushInterval how often the queue is written out (one bulk write)
 * @param maxBatch most entries in one bulk write
 * @param retention how long entries are kept; {@link Duration#ZERO}: forever
 * @param retentionInterval how often old entries are deleted
 * @param retentionBatch most entries one retention run deletes
 */
public record AuditSettings(
        boolean enabled,
        int queueSize,
        Duration flushInterval,
        int maxBatch,
        Duration retention,
        Duration retentionInterval,
        int retentionBatch) {

    private static final String PREFIX = "lumadb.security.audit.";

    public AuditSettings {
        positive(queueSize, "queue-size");
        positive(maxBatch, "max-batch");
        positive(retentionBatch, "retention-batch");
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new ConfigException.BadValue(PREFIX + "flush-interval", "must be positive, was " + flushInterval);
        }
        if (retention.isNegative()) {
            throw new ConfigException.BadValue(
                    PREFIX + "retention", "must be positive, or 0 to keep entries forever; was " + retention);
        }
        if (retentionInterval.isNegative() || retentionInterval.isZero()) {
            throw new ConfigException.BadValue(
                    PREFIX + "retention-interval", "must be positive, was " + retentionInterval);
        }
    }

    private static void positive(int value, String key) {
        if (value < 1) {
            throw new ConfigException.BadValue(PREFIX + key, "must be at least 1, was " + value);
        }
    }

    public static AuditSettings from(Config root) {
        Config c = root.getConfig("lumadb.security.audit");
        return new AuditSettings(
                c.getBoolean("enabled"),
                c.getInt("queue-size"),
                c.getDuration("flush-interval"),
                c.getInt("max-batch"),
                c.getDuration("retention"),
                c.getDuration("retention-interval"),
                c.getInt("retention-batch"));
    }
}

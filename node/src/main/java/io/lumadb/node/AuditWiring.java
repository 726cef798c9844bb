package io.lumadb.node;

import com.typesafe.config.Config;
import io.lumadb.security.Security;
import io.lumadb.security.audit.AuditSettings;
import io.lumadb.security.audit.AuditTrail;
import io.lumadb.shards.Shards;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Starts the node's audit log ({@code lumadb.security.audit}) when security is on, points the
 * node's security at it, and samples its counts into the metrics. With security off there is
 * nobody to audit, and no {@code system} database is created.
 */
final class AuditWiring {

    private AuditWiring() {}

    static void start(ActorSystem<?> system, Config config, Security security, Shards shards, NodeMetrics metrics) {
        AuditSettings settings = AuditSettings.from(config);
        if (!security.enabled() || !settings.enabled()) {
            return;
        }
        AuditTrail trail = AuditTrail.start(system, settings, shards.catalog(), shards.documents());
        security.auditTo(trail.log());
        Duration every = config.getDuration("lumadb.metrics.shard-sample-interval");
        system.scheduler()
                .scheduleAtFixedRate(every, every, () -> metrics.audit(trail.writer()), system.executionContext());
    }
}

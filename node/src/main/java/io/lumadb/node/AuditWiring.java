package io.lumadb.node;

import com.typesafe.config.Config;
import io.lumadb.security.Security;
import io.lumadb.security.audit.AuditSettings;
import io.lumadb.security.audit.AuditTrail;
import io.lumadb.shards.Shards;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the node's audit log ({@code lumadb.security.audit}) when security is on, points the
 * node's security at it, and samples its counts into the metrics. With security off there is
 * nobody to audit, and no {@code system} database is created.
 *
 * <p>A single node waits (up to 30 s) for {@code system/audit} to exist before it answers
 * requests, so that reading the audit log right after a start finds the collection, empty or
 * not; a cluster node does not wait, since the catalog may only become reachable once the
 * cluster has formed (the creation is retried in the background there).
 */
final class AuditWiring {

    private static final Logger log = LoggerFactory.getLogger(AuditWiring.class);

    private AuditWiring() {}

    static void start(
            ActorSystem<?> system,
            Config config,
            Security security,
            Shards shards,
            NodeMetrics metrics,
            boolean cluster) {
        AuditSettings settings = AuditSettings.from(config);
        if (!security.enabled() || !settings.enabled()) {
            return;
        }
        AuditTrail trail = AuditTrail.start(system, settings, shards.catalog(), shards.documents());
        security.auditTo(trail.log());
        if (!cluster) {
            try {
                trail.collectionReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                log.warn("The audit log collection does not exist yet after 30 s; entries queue until it does");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating the audit log collection", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("could not create the audit log collection", e.getCause());
            }
        }
        Duration every = config.getDuration("lumadb.metrics.shard-sample-interval");
        system.scheduler()
                .scheduleAtFixedRate(every, every, () -> metrics.audit(trail.writer()), system.executionContext());
    }
}

package io.lumadb.shards;

import com.typesafe.config.ConfigFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/**
 * A single-node cluster for tests of the data layer: cluster sharding on loopback, joined to
 * itself, with Pekko's in-memory test journal and snapshot store (so failures can be injected).
 */
final class TestCluster {

    private TestCluster() {}

    /** Starts the node; {@code settings} override the configuration (e.g. {@code lumadb.*} keys). */
    static ActorTestKit start(Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(Map.of(
                "pekko.actor.provider", "cluster",
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on"));
        all.putAll(settings);
        ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseMap(all)
                .withFallback(PersistenceTestKitPlugin.getInstance().config())
                .withFallback(PersistenceTestKitSnapshotPlugin.config())
                .withFallback(ConfigFactory.load()));
        Cluster cluster = Cluster.get(kit.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        return kit;
    }

    /** The stage's value within a minute; a failure is rethrown as its cause. */
    static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}

package io.lumadb.testkit;

import com.typesafe.config.ConfigFactory;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/**
 * A single-node Pekko cluster for tests of sharded, event-sourced entities: cluster sharding on
 * loopback, joined to itself, with Pekko's in-memory test journal and snapshot store. Every
 * message between actors is serialized as it would be between nodes, so a message or state that
 * cannot cross the wire fails the test. Shut it down with {@link ActorTestKit#shutdownTestKit}.
 */
public final class TestClusters {

    private TestClusters() {}

    /** Starts the node; {@code settings} override the configuration. */
    public static ActorTestKit singleNode(Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(Map.of(
                "pekko.actor.provider", "cluster",
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.actor.serialize-messages", "on",
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
}

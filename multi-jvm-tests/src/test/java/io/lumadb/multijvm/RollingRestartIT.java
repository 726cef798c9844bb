package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A rolling restart under load: each node in turn gets SIGTERM (a graceful leave that hands its
 * shards over), exits, starts again and rejoins, while writers and a change consumer run. No
 * acknowledged write is lost, the consumer gets them all, and no request fails at a node that
 * is not itself stopping: a request for a shard being handed over waits for it, it does not fail.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@Tag("services")
class RollingRestartIT {

    private static final String DB = "rolling";
    private static final String COLL = "docs";
    private static final int SHARDS = 6;

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    @Test
    void gracefulRestartsOfEveryNodeLoseNothingAndFailNoRequestAtTheOtherNodes() throws Exception {
        TestCluster cluster = resources.add(TestCluster.create("rolling", 3, 3));
        cluster.startAll();
        Workload load = Workload.start("RollingRestartIT", resources, cluster, DB, COLL, SHARDS);
        Writers writers = load.writers;

        for (ClusterNode node : cluster.nodes()) {
            Map<String, Integer> perNode = cluster.shardsPerNode(cluster.anyUp(), DB, COLL);
            long stopping = System.nanoTime();
            int exit = cluster.stopGracefully(node, 60);
            long exited = System.nanoTime();
            cluster.start(node);
            long up = System.nanoTime();
            Figures.record(
                    "RollingRestartIT",
                    node.name() + " (" + perNode.getOrDefault(node.address(), 0) + " of " + SHARDS
                            + " shards): SIGTERM to exit " + TimeUnit.NANOSECONDS.toMillis(exited - stopping)
                            + " ms (exit code " + exit + "), start to Up " + TimeUnit.NANOSECONDS.toMillis(up - exited)
                            + " ms; failed requests at nodes up throughout so far: "
                            + writers.failuresFromUpNodes().size());
            TimeUnit.SECONDS.sleep(2);
        }
        load.stop();
        List<String> failedAtUpNodes = writers.failuresFromUpNodes();
        Figures.record(
                "RollingRestartIT",
                "3 graceful restarts: write requests failed at nodes up throughout: " + failedAtUpNodes.size()
                        + ", at the stopping/starting node: 503 " + writers.fromOtherNodes(Writers.Kind.UNAVAILABLE)
                        + ", other 5xx " + writers.fromOtherNodes(Writers.Kind.OTHER_5XX) + ", no answer "
                        + writers.fromOtherNodes(Writers.Kind.LOST) + ", refused "
                        + writers.fromOtherNodes(Writers.Kind.REFUSED) + "; " + writers.summary() + "; "
                        + load.consumer.summary());

        load.verify(cluster);
        assertEquals(
                List.of(),
                failedAtUpNodes.subList(0, Math.min(50, failedAtUpNodes.size())),
                failedAtUpNodes.size() + " write requests failed at nodes that were not stopping");
        assertTrue(writers.acknowledgedCount() > 100, writers.summary());
    }
}

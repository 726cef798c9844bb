package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A cluster under load: a fresh collection whose every shard has started, writers through every
 * node and a change-stream consumer, both running. {@link #verify} checks what every scenario
 * promises: every acknowledged write is readable through every node with its version, and the
 * consumer got each one once, with no gap.
 */
final class Workload {

    final Writers writers;
    final ChangeConsumer consumer;
    private final String name;

    private Workload(String name, Writers writers, ChangeConsumer consumer) {
        this.name = name;
        this.writers = writers;
        this.consumer = consumer;
    }

    static Workload start(
            String name, ClusterResources resources, TestCluster cluster, String db, String coll, int shards)
            throws Exception {
        TestCluster.createCollection(cluster.node(0), db, coll, shards);
        ServingProbe.untilEveryShardWrites(cluster, db, coll, shards, System.nanoTime(), Duration.ofSeconds(30));
        Writers writers = resources.add(new Writers(cluster, db, coll, 4, Duration.ofMillis(20)));
        ChangeConsumer consumer = resources.add(new ChangeConsumer(cluster, db, coll));
        writers.start();
        consumer.start();
        TimeUnit.SECONDS.sleep(3);
        return new Workload(name, writers, consumer);
    }

    /** Stops the writers and waits until the consumer has caught up with every acknowledged write. */
    void stop() throws InterruptedException {
        writers.stop();
        consumer.awaitAll(writers, Duration.ofSeconds(60));
        System.out.println("[" + name + "] " + writers.summary());
        System.out.println("[" + name + "] " + consumer.summary());
    }

    void verify(TestCluster cluster) {
        assertEquals(List.of(), writers.rejections(), "writes refused with 4xx");
        for (ClusterNode node : cluster.nodes()) {
            assertEquals(List.of(), writers.verifyThrough(node, 200), "acknowledged writes read through " + node);
        }
        assertEquals(List.of(), consumer.problems(), consumer.summary());
    }
}

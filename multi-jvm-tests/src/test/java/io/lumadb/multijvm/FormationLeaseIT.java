package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A restarted first seed joins the running cluster instead of forming a second one. With the
 * seed list {@code [node0]}, Pekko lets node0 form a new cluster whenever it starts and no other
 * seed answers; after node0 left and node1 carried on alone, a restarted node0 used to become a
 * cluster of its own beside node1's (the chaos harness found this as a split brain that never
 * heals). The formation lease in the journal's database, renewed by node1 as leader, sends it to
 * node1 instead; and a seed that left node1 behind may not take the lease back before node1 has
 * renewed it (a race this test used to lose on a loaded machine).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@Tag("services")
class FormationLeaseIT {

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    @Test
    void aRestartedFirstSeedJoinsTheRunningClusterInsteadOfFormingASecondOne() throws Exception {
        // The new leader renews the lease only every 10 s here, so the seed restarts before it
        // does, with the lease as the seed left it: naming the seed itself, for a cluster of two.
        // It must neither take that back (node1 runs on) nor wait for the lease to go stale (60 s):
        // it joins node1 once node1 renews the lease.
        TestCluster cluster = resources.add(TestCluster.create(
                "lease",
                2,
                1,
                false,
                java.util.Map.of(
                        "lumadb.cluster.formation-lease.renew-interval", "10s",
                        "lumadb.cluster.formation-lease.stale-after", "60s")));
        ClusterNode seed = cluster.node(0);
        ClusterNode other = cluster.node(1);
        cluster.start(seed);
        cluster.start(other);

        cluster.stopGracefully(seed, 60);
        cluster.awaitUp(java.util.List.of(other));

        // start() fails at once if the seed reports a cluster of its own, and otherwise waits until
        // both nodes see each other as Up members of one cluster.
        cluster.start(seed);
        assertEquals(
                2,
                cluster.clusterView(other).path("members").size(),
                cluster.clusterView(other).toString());
    }
}

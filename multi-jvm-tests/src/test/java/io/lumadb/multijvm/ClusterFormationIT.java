package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.Documents;
import io.lumadb.testkit.TestHttp;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three node processes form one cluster: each of them takes writes for every shard and reads
 * back what the others wrote, each shard runs on exactly one member, and cluster membership and
 * health answer on the API and on Pekko Management.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@Tag("services")
class ClusterFormationIT {

    private static final String DB = "formation";
    private static final String COLL = "docs";
    private static final int SHARDS = 6;

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    @Test
    void threeNodesFormOneClusterAndEveryNodeServesEveryShard() throws Exception {
        TestCluster cluster = resources.add(TestCluster.create("formation", 3, 3));
        long started = System.nanoTime();
        cluster.startAll();
        Figures.record(
                "ClusterFormationIT",
                "3 nodes started and Up in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
        List<ClusterNode> nodes = cluster.nodes();
        TestCluster.createCollection(nodes.get(0), DB, COLL, SHARDS);

        // 60 documents, every shard among them, each written through the nodes in turn.
        Map<String, Long> versions = new HashMap<>();
        Set<Integer> shardsWritten = new TreeSet<>();
        for (int i = 0; i < 60; i++) {
            String id = "d" + i;
            ClusterNode through = nodes.get(i % nodes.size());
            TestHttp.Response r = TestCluster.putUntil(through, path(id), "{\"n\":" + i + "}", 201);
            long version = r.json().path("_version").asLong();
            assertTrue(version >= 1, r.toString());
            versions.put(id, version);
            shardsWritten.add(Documents.shardOf(id, SHARDS));
        }
        assertEquals(SHARDS, shardsWritten.size(), "the documents cover every shard");

        for (ClusterNode node : nodes) {
            for (int i = 0; i < 60; i++) {
                String id = "d" + i;
                TestHttp.Response r = TestHttp.attemptGet(node.url(path(id)), Duration.ofSeconds(15))
                        .answer();
                assertEquals(200, r.status(), "GET " + id + " through " + node + ": " + r);
                assertEquals(i, r.json().path("n").asInt(), r.toString());
                assertEquals(
                        versions.get(id), r.json().path("_version").asLong(), "version of " + id + " through " + node);
                assertEquals("\"" + versions.get(id) + "\"", r.header("ETag"), "ETag of " + id);
            }
        }

        Set<String> addresses = nodes.stream().map(ClusterNode::address).collect(Collectors.toCollection(TreeSet::new));
        for (ClusterNode node : nodes) {
            JsonNode view = cluster.clusterView(node);
            assertEquals(node.address(), view.path("self").asText(), "self of " + node + ": " + view);
            assertTrue(addresses.contains(view.path("leader").asText()), "leader: " + view);
            Set<String> up = new TreeSet<>();
            for (JsonNode m : view.path("members")) {
                assertEquals("Up", m.path("status").asText(), view.toString());
                assertTrue(m.path("reachable").asBoolean(), view.toString());
                up.add(m.path("address").asText());
            }
            assertEquals(addresses, up, "members seen by " + node);

            Map<String, List<String>> hosts = cluster.shardHosts(node, DB, COLL);
            assertEquals(SHARDS, hosts.size(), "shards of the collection seen by " + node + ": " + hosts);
            Set<String> shardNumbers = new TreeSet<>();
            hosts.forEach((entity, on) -> {
                assertEquals(1, on.size(), entity + " runs on " + on);
                assertTrue(addresses.contains(on.getFirst()), entity + " on " + on);
                shardNumbers.add(entity.substring(entity.lastIndexOf('/') + 1));
            });
            assertEquals(Set.of("0", "1", "2", "3", "4", "5"), shardNumbers, hosts.toString());
        }
        Figures.record(
                "ClusterFormationIT",
                "shards of a " + SHARDS + "-shard collection per node: "
                        + cluster.shardsPerNode(nodes.get(0), DB, COLL));

        for (ClusterNode node : nodes) {
            assertEquals(
                    200,
                    TestHttp.attemptGet(node.managementUrl(ClusterNode.ALIVE_PATH), Duration.ofSeconds(5))
                            .answer()
                            .status());
            assertEquals(
                    200,
                    TestHttp.attemptGet(node.managementUrl(ClusterNode.READY_PATH), Duration.ofSeconds(5))
                            .answer()
                            .status());
            TestHttp.Response members = TestHttp.attemptGet(
                            node.managementUrl("/cluster/members"), Duration.ofSeconds(5))
                    .answer();
            assertEquals(200, members.status(), members.toString());
            int upMembers = 0;
            for (JsonNode m : members.json().path("members")) {
                if ("Up".equals(m.path("status").asText())) {
                    upMembers++;
                }
            }
            assertEquals(3, upMembers, "Pekko Management's members on " + node + ": " + members);
        }
    }

    private static String path(String id) {
        return "/api/v1/" + DB + "/" + COLL + "/" + id;
    }
}

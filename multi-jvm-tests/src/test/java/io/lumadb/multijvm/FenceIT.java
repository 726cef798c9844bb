package io.lumadb.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A split brain on purpose: two nodes on the same journal that are not one cluster (each its
 * own seed) both run the same shard. The journal's unique (persistence_id, sequence_number) key
 * must fence the writer that is behind: its write is not acknowledged and leaves nothing in the
 * journal, and once its shard has recovered from the journal a retried write succeeds.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@Tag("services")
class FenceIT {

    private static final String DB = "fence";
    private static final String COLL = "docs";

    @RegisterExtension
    final ClusterResources resources = new ClusterResources();

    @Test
    void theJournalKeyFencesAStaleWriterOfTheSameShard() throws Exception {
        // Two clusters on one journal on purpose, which the formation lease exists to prevent: off here.
        TestCluster cluster = resources.add(TestCluster.create(
                "fence", 2, 1, true, java.util.Map.of("lumadb.cluster.formation-lease.enabled", "off")));
        ClusterNode a = cluster.node(0);
        ClusterNode b = cluster.node(1);
        cluster.start(a);
        TestCluster.createCollection(a, DB, COLL, 1);
        long x = version(created(a, "x"));

        // B starts after the collection exists, so its catalog recovers it from the journal;
        // its copy of the shard recovers x, then writes y as the next event.
        cluster.start(b);
        long y = version(created(b, "y"));
        String persistenceId = shardPersistenceId(cluster);
        assertEquals(List.of(1L, 2L), sequenceNumbers(cluster, persistenceId), "events of " + persistenceId);
        List<String> writers = writerColumn(cluster, persistenceId);
        assertNotEquals(writers.get(0), writers.get(1), "x and y were written by two different writers");

        // A's shard still believes the journal ends at event 1: its next event collides with B's.
        long fenced = System.nanoTime();
        TestHttp.Response z = TestHttp.attemptPut(a.url(path("z")), "{\"v\":\"z\"}", Duration.ofSeconds(30))
                .answer();
        Figures.record(
                "FenceIT",
                "stale writer's write answered " + z.status() + " after "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fenced) + " ms: " + z);
        assertEquals(503, z.status(), "the fenced write must not be acknowledged: " + z);
        assertEquals(
                List.of(1L, 2L),
                sequenceNumbers(cluster, persistenceId),
                "the fenced write left nothing in the journal (" + persistenceId + ")");

        // Retried, the write goes through once A's shard has recovered from the journal (x, y).
        long retried = System.nanoTime();
        long zVersion = version(TestCluster.putUntil(a, path("z"), "{\"v\":\"z\"}", 201));
        Figures.record(
                "FenceIT",
                "retried write through the fenced node acknowledged after "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - retried) + " ms");
        assertEquals(List.of(1L, 2L, 3L), sequenceNumbers(cluster, persistenceId));

        for (ClusterNode node : List.of(a, b)) {
            assertDocument(node, "x", "x", x);
            assertDocument(node, "y", "y", y);
        }
        assertDocument(a, "z", "z", zVersion);
    }

    private static void assertDocument(ClusterNode node, String id, String value, long version) {
        TestHttp.Response r =
                TestHttp.attemptGet(node.url(path(id)), Duration.ofSeconds(15)).answer();
        assertEquals(200, r.status(), "GET " + id + " through " + node + ": " + r);
        assertEquals(value, r.json().path("v").asText(), r.toString());
        assertEquals(version, r.json().path("_version").asLong(), "version of " + id + " through " + node);
    }

    /**
     * Writes document {@code id} once through {@code node} and expects it created: a retry after
     * an unknown outcome could add an event and blur the sequence numbers this test checks.
     */
    private static TestHttp.Response created(ClusterNode node, String id) {
        TestHttp.Response r = TestHttp.attemptPut(node.url(path(id)), "{\"v\":\"" + id + "\"}", Duration.ofSeconds(30))
                .answer();
        assertEquals(201, r.status(), "PUT " + id + " through " + node + ": " + r);
        return r;
    }

    private static long version(TestHttp.Response r) {
        return r.json().path("_version").asLong();
    }

    private static String path(String id) {
        return "/api/v1/" + DB + "/" + COLL + "/" + id;
    }

    /** The journal's persistence id of the collection's only shard: {@code shard|fence/docs/<incarnation>/0}. */
    private static String shardPersistenceId(TestCluster cluster) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = TestPostgres.connect(cluster.database());
                PreparedStatement s = c.prepareStatement(
                        "SELECT DISTINCT persistence_id FROM event_journal WHERE persistence_id LIKE ?")) {
            s.setString(1, "shard|" + DB + "/" + COLL + "/%/0");
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
        }
        assertEquals(1, ids.size(), "the shard's persistence ids in the journal: " + ids);
        return ids.getFirst();
    }

    /** The sequence numbers of {@code persistenceId}'s events in the journal, one row each, in order. */
    private static List<Long> sequenceNumbers(TestCluster cluster, String persistenceId) throws Exception {
        List<Long> out = new ArrayList<>();
        try (Connection c = TestPostgres.connect(cluster.database());
                PreparedStatement s = c.prepareStatement(
                        "SELECT sequence_number FROM event_journal WHERE persistence_id = ? ORDER BY sequence_number")) {
            s.setString(1, persistenceId);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    out.add(rows.getLong(1));
                }
            }
        }
        return out;
    }

    /** The {@code writer} column of {@code persistenceId}'s events, in sequence order. */
    private static List<String> writerColumn(TestCluster cluster, String persistenceId) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = TestPostgres.connect(cluster.database());
                PreparedStatement s = c.prepareStatement(
                        "SELECT writer FROM event_journal WHERE persistence_id = ? ORDER BY sequence_number")) {
            s.setString(1, persistenceId);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    out.add(rows.getString(1));
                }
            }
        }
        return out;
    }
}

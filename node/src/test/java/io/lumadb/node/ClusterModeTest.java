package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterModeTest {

    private static Config node(Map<String, Object> settings) {
        return LumaDbServer.config(ConfigFactory.parseMap(settings));
    }

    @Test
    void embeddedModeKeepsTheRocksDbJournalAndNoSeeds() {
        Config c = node(Map.of());
        assertFalse(ClusterMode.enabled(c));
        assertEquals("lumadb.persistence.journal", c.getString("pekko.persistence.journal.plugin"));
        assertEquals("lumadb.persistence.query", c.getString("lumadb.cdc.read-journal"));
        assertTrue(c.getStringList("pekko.cluster.seed-nodes").isEmpty());
        assertFalse(c.getBoolean("lumadb.shards.snapshot-documents"));
    }

    @Test
    void clusterModeUsesTheSharedJournalAndTheGivenSeedsAndPorts() {
        Config c = node(Map.of(
                "lumadb.mode", "cluster",
                "lumadb.cluster.seeds", "127.0.0.1:25521, 10.0.0.2:25522",
                "lumadb.cluster.port", 25523,
                "lumadb.cluster.postgres.url", "jdbc:postgresql://db:5432/prod",
                "lumadb.management.port", 7623));
        assertTrue(ClusterMode.enabled(c));
        assertEquals(
                List.of("pekko://lumadb@127.0.0.1:25521", "pekko://lumadb@10.0.0.2:25522"),
                c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(25523, c.getInt("pekko.remote.artery.canonical.port"));
        assertEquals("jdbc-journal", c.getString("pekko.persistence.journal.plugin"));
        assertEquals("jdbc-snapshot-store", c.getString("pekko.persistence.snapshot-store.plugin"));
        assertEquals("jdbc-read-journal", c.getString("lumadb.cdc.read-journal"));
        assertEquals(
                "jdbc:postgresql://db:5432/prod", c.getString("pekko-persistence-jdbc.shared-databases.slick.db.url"));
        assertEquals(7623, c.getInt("pekko.management.http.port"));
        assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
        assertTrue(c.getBoolean("lumadb.shards.snapshot-documents"));
        assertEquals(List.of("data"), c.getStringList("pekko.cluster.roles"));
    }

    @Test
    void clusterModeWithoutSeedsFormsItsOwnCluster() {
        Config c = node(Map.of("lumadb.mode", "cluster", "lumadb.cluster.port", 25600));
        assertEquals(List.of("pekko://lumadb@127.0.0.1:25600"), c.getStringList("pekko.cluster.seed-nodes"));
    }

    @Test
    void userSettingsWinOverTheClusterDefaults() {
        Config c = node(Map.of("lumadb.mode", "cluster", "pekko.cluster.split-brain-resolver.stable-after", "9s"));
        assertEquals(
                9,
                c.getDuration("pekko.cluster.split-brain-resolver.stable-after").toSeconds());
    }

    @Test
    void badModesAndSeedsAreClearErrors() {
        var mode = assertThrows(IllegalArgumentException.class, () -> node(Map.of("lumadb.mode", "clustered")));
        assertTrue(mode.getMessage().contains("\"clustered\""), mode.getMessage());
        var seed = assertThrows(
                IllegalArgumentException.class,
                () -> node(Map.of("lumadb.mode", "cluster", "lumadb.cluster.seeds", "host-without-port")));
        assertTrue(seed.getMessage().contains("host-without-port"), seed.getMessage());
        var port = assertThrows(
                IllegalArgumentException.class,
                () -> node(Map.of("lumadb.mode", "cluster", "lumadb.cluster.seeds", "h:99999")));
        assertTrue(port.getMessage().contains("h:99999"), port.getMessage());
    }
}

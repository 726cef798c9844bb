package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.testkit.TestCertificates;
import io.lumadb.testkit.TestCertificates.Issued;
import io.lumadb.testkit.TestCertificates.KeyForm;
import io.lumadb.testkit.TestCertificates.KeyType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void theJournalsBreakersProbePostgresEveryTwoSecondsAfterAnOutage() {
        Config c = node(Map.of("lumadb.mode", "cluster"));
        for (String plugin : List.of("jdbc-journal", "jdbc-snapshot-store")) {
            assertEquals(
                    2, c.getDuration(plugin + ".circuit-breaker.reset-timeout").toSeconds(), plugin);
        }
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

    @TempDir
    Path dir;

    @Test
    void clusterTlsUsesTlsTcpWithTheRotatingKeysEngineOnThePemFiles() {
        TestCertificates ca = TestCertificates.authority(dir, "cluster CA");
        Issued node = ca.issue(dir, "node1", "lumadb-cluster", KeyType.RSA, KeyForm.TRADITIONAL);
        Config c = node(Map.of(
                "lumadb.mode", "cluster",
                "lumadb.cluster.tls.enabled", true,
                "lumadb.cluster.tls.certificate", node.certificate().toString(),
                "lumadb.cluster.tls.private-key", node.privateKey().toString(),
                "lumadb.cluster.tls.ca-certificate", ca.caFile().toString()));
        assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
        assertEquals(
                "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
                c.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
        Config engine = c.getConfig("pekko.remote.artery.ssl.rotating-keys-engine");
        assertEquals(node.certificate().toString(), engine.getString("cert-file"));
        assertEquals(node.privateKey().toString(), engine.getString("key-file"));
        assertEquals(ca.caFile().toString(), engine.getString("ca-cert-file"));
        assertEquals("TLSv1.3", engine.getString("protocol"));
        assertEquals(java.time.Duration.ofMinutes(5), engine.getDuration("ssl-context-cache-ttl"));

        // Off (the default): Artery's plain TCP, as before.
        assertEquals("tcp", node(Map.of("lumadb.mode", "cluster")).getString("pekko.remote.artery.transport"));
    }

    @Test
    void clusterTlsRefusesMissingForeignAndNonRsaFilesNamingTheSetting() {
        TestCertificates ca = TestCertificates.authority(dir, "cluster CA");
        Issued rsa = ca.issue(dir, "node1", "lumadb-cluster", KeyType.RSA, KeyForm.PKCS8);
        Issued ec = ca.issue(dir, "node2", "lumadb-cluster", KeyType.EC, KeyForm.PKCS8);
        Path otherDir = dir.resolve("other");
        assertTrue(otherDir.toFile().mkdir());
        TestCertificates other = TestCertificates.authority(otherDir, "another CA");
        Map<String, Object> good = Map.of(
                "lumadb.mode", "cluster",
                "lumadb.cluster.tls.enabled", true,
                "lumadb.cluster.tls.certificate", rsa.certificate().toString(),
                "lumadb.cluster.tls.private-key", rsa.privateKey().toString(),
                "lumadb.cluster.tls.ca-certificate", ca.caFile().toString());
        assertTlsFails(
                good,
                "lumadb.cluster.tls.private-key",
                dir.resolve("missing.key").toString(),
                "no such file");
        assertTlsFails(good, "lumadb.cluster.tls.private-key", ec.privateKey().toString(), "must be an RSA key");
        assertTlsFails(good, "lumadb.cluster.tls.ca-certificate", other.caFile().toString(), "is not signed by the CA");
        assertTlsFails(good, "lumadb.cluster.tls.certificate", "", "lumadb.cluster.tls.certificate is not set");
    }

    private void assertTlsFails(Map<String, Object> good, String key, String value, String message) {
        Map<String, Object> bad = new java.util.HashMap<>(good);
        bad.put(key, value);
        RuntimeException e = assertThrows(RuntimeException.class, () -> node(bad));
        assertTrue(e.getMessage().contains(key), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void postgresSslSettingsGoToTheJournalUrl() {
        TestCertificates ca = TestCertificates.authority(dir, "postgres CA");
        Config unset = node(Map.of("lumadb.mode", "cluster"));
        assertEquals(
                "jdbc:postgresql://127.0.0.1:5432/lumadb",
                unset.getString("pekko-persistence-jdbc.shared-databases.slick.db.url"));
        Config verified = node(Map.of(
                "lumadb.mode", "cluster",
                "lumadb.cluster.postgres.url", "jdbc:postgresql://db:5432/prod?ApplicationName=lumadb",
                "lumadb.cluster.postgres.ssl-mode", "verify-full",
                "lumadb.cluster.postgres.ssl-root-cert", ca.caFile().toString()));
        assertEquals(
                "jdbc:postgresql://db:5432/prod?ApplicationName=lumadb&sslmode=verify-full&sslrootcert="
                        + java.net.URLEncoder.encode(ca.caFile().toString(), java.nio.charset.StandardCharsets.UTF_8),
                verified.getString("pekko-persistence-jdbc.shared-databases.slick.db.url"));
        assertEquals(
                "jdbc:postgresql://db:5432/prod?sslmode=require",
                node(Map.of(
                                "lumadb.mode", "cluster",
                                "lumadb.cluster.postgres.url", "jdbc:postgresql://db:5432/prod",
                                "lumadb.cluster.postgres.ssl-mode", "require"))
                        .getString("pekko-persistence-jdbc.shared-databases.slick.db.url"));
        RuntimeException bad = assertThrows(
                RuntimeException.class,
                () -> node(Map.of("lumadb.mode", "cluster", "lumadb.cluster.postgres.ssl-mode", "sometimes")));
        assertTrue(bad.getMessage().contains("lumadb.cluster.postgres.ssl-mode"), bad.getMessage());
        RuntimeException twice = assertThrows(
                RuntimeException.class,
                () -> node(Map.of(
                        "lumadb.mode", "cluster",
                        "lumadb.cluster.postgres.url", "jdbc:postgresql://db/x?sslmode=disable",
                        "lumadb.cluster.postgres.ssl-mode", "require")));
        assertTrue(twice.getMessage().contains("keep one of them"), twice.getMessage());
    }
}

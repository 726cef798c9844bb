package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.Ports;
import io.lumadb.testkit.TestCertificates;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TlsPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode's journal over TLS, end to end, on a PostgreSQL server of the test's own that
 * accepts TLS 1.3 only ({@link TlsPostgres}): with {@code ssl-mode = verify-full} and the server's
 * CA in {@code ssl-root-cert} a node starts, writes and reads, and every connection of its journal
 * is TLS 1.3 (PostgreSQL's {@code pg_stat_ssl} says so); with another CA the node does not start
 * and says the certificate could not be verified; and plaintext ({@code ssl-mode = disable}) is
 * refused by the server, so the first check cannot pass over an unencrypted connection.
 */
@Tag("services")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterPostgresTlsIT {

    private static TlsPostgres postgres;

    @TempDir
    Path temp;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = TlsPostgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    /** A single node in cluster mode whose journal is {@code database} on the TLS server. */
    private static Map<String, Object> settings(String database, String sslMode, Path rootCert) {
        Map<String, Object> s = new HashMap<>();
        s.put("lumadb.mode", "cluster");
        s.put("lumadb.cluster.port", Ports.free());
        s.put("lumadb.management.port", Ports.free());
        s.put("lumadb.cluster.postgres.url", postgres.jdbcUrl(database));
        s.put("lumadb.cluster.postgres.user", TlsPostgres.USER);
        s.put("lumadb.cluster.postgres.ssl-mode", sslMode);
        if (rootCert != null) {
            s.put("lumadb.cluster.postgres.ssl-root-cert", rootCert.toString());
        }
        // A refused connection is retried until this runs out; the failing cases wait this long.
        s.put("lumadb.cluster.postgres.connect-timeout", "2s");
        return s;
    }

    @Test
    void verifyFullWithTheServersCaPutsEveryJournalConnectionOnTls13() throws Exception {
        String journal = "journal_verified";
        try (InProcessServer node = new InProcessServer(settings(journal, "verify-full", postgres.caFile()))) {
            TestHttp http = node.http();
            awaitStatus(http, "PUT", "/api/v1/tls", 201, null);
            awaitStatus(http, "PUT", "/api/v1/tls/c", 201, "{\"shards\":1}");
            http.putDocument("/api/v1/tls/c", "d1", "{\"over\":\"tls\"}");
            TestHttp.Response read = http.get("/api/v1/tls/c/d1");
            assertEquals(200, read.status(), read.toString());
            assertEquals("tls", read.json().get("over").asText());

            try (Connection c = postgres.connect("postgres");
                    PreparedStatement s =
                            c.prepareStatement("SELECT count(*), bool_and(s.ssl), min(s.version) FROM pg_stat_ssl s"
                                    + " JOIN pg_stat_activity a USING (pid) WHERE a.datname = ?")) {
                s.setString(1, journal);
                try (ResultSet r = s.executeQuery()) {
                    assertTrue(r.next());
                    assertTrue(r.getLong(1) > 0, "the node holds no connection to its journal");
                    assertTrue(r.getBoolean(2), "a connection of the journal is not TLS");
                    assertEquals("TLSv1.3", r.getString(3));
                }
            }
            // The write went to this server's journal, not anywhere else.
            try (Connection c = postgres.connect(journal);
                    Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT count(*) FROM event_journal")) {
                assertTrue(r.next());
                assertTrue(r.getLong(1) > 0, "the journal on the TLS server holds no event");
            }
        }
    }

    @Test
    void aServerCertificateFromAnotherCaStopsTheNodeNamingTheVerification() throws Exception {
        TestCertificates other = TestCertificates.authority(temp, "another CA");
        String journal = "journal_other_ca";
        RuntimeException failure = assertThrows(
                RuntimeException.class,
                () -> new InProcessServer(settings(journal, "verify-full", other.caFile())).close());
        // What `lumadb` prints after "LumaDB failed to start: ".
        String seen = StartupChecks.describe(failure);
        assertTrue(seen.contains("cannot reach the cluster journal"), seen);
        assertTrue(seen.contains("SSL error"), seen);
        assertTrue(seen.contains("unable to find valid certification path"), seen);
        assertTrue(seen.contains("must hold the CA that signed it"), "the failure names what to fix: " + seen);
        assertFalse(databaseExists(journal), "the node created its journal on a server it could not verify");
    }

    @Test
    void theServerRefusesPlaintextSoTheTlsCheckIsNotVacuous() throws Exception {
        String journal = "journal_plaintext";
        RuntimeException failure = assertThrows(
                RuntimeException.class, () -> new InProcessServer(settings(journal, "disable", null)).close());
        String seen = StartupChecks.describe(failure);
        assertTrue(seen.contains("cannot reach the cluster journal"), seen);
        assertTrue(seen.contains("pg_hba.conf rejects connection"), seen);
        assertTrue(seen.contains("no encryption"), seen);
        assertTrue(seen.contains("pg_hba.conf rejects") && seen.contains(".ssl-mode"), "names what to fix: " + seen);
        assertFalse(databaseExists(journal), "the node created its journal over plaintext");
    }

    private static boolean databaseExists(String name) throws SQLException {
        try (Connection c = postgres.connect("postgres");
                PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            s.setString(1, name);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** Retries until the node answers {@code status} (a new cluster takes a moment to host shards). */
    private static void awaitStatus(TestHttp http, String method, String path, int status, String body)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        TestHttp.Response last;
        do {
            last = http.method(method, path, body == null ? null : "application/json", body);
            if (last.status() == status) {
                return;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(method + " " + path + " did not answer " + status + ": " + last);
    }
}

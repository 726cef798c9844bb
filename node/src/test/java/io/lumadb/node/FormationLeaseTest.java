package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lumadb.testkit.TestPostgres;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The formation lease on a real PostgreSQL: a node may form a cluster only while no running
 * cluster renews the lease (or the lease is its own earlier run's, which led nobody else), and
 * learns the running cluster's leader otherwise.
 */
@Tag("services")
class FormationLeaseTest {

    private String database;
    private FormationLease lease;

    @BeforeEach
    void setUp() throws Exception {
        TestPostgres.ensureRunning();
        database = TestPostgres.createDatabase();
        ClusterMode.ensureJournal(ConfigFactory.parseMap(Map.of(
                "lumadb.cluster.postgres.url", TestPostgres.jdbcUrl(database),
                "lumadb.cluster.postgres.user", TestPostgres.USER,
                "lumadb.cluster.postgres.password", "",
                "lumadb.cluster.postgres.connect-timeout", "10s",
                "lumadb.cluster.postgres.ssl-mode", "",
                "lumadb.cluster.postgres.ssl-root-cert", "")));
        lease = new FormationLease(TestPostgres.jdbcUrl(database), TestPostgres.USER, "", Duration.ofSeconds(1));
    }

    @AfterEach
    void tearDown() throws Exception {
        TestPostgres.dropDatabase(database);
    }

    @Test
    void onlyOneNodeMayFormWhileTheLeaseIsFresh() throws Exception {
        assertEquals(Optional.empty(), lease.liveHolder(), "a new journal has no running cluster");
        assertTrue(lease.claim("10.0.0.1:25520"), "the first claim of a stale lease wins");
        assertFalse(lease.claim("10.0.0.2:25520"), "a second node may not form while the lease is fresh");
        assertEquals(Optional.of("10.0.0.1:25520"), lease.liveHolder());
        assertTrue(lease.claim("10.0.0.1:25520"), "the holder's own restart may claim it again");
    }

    @Test
    void aLeaseNobodyRenewsGoesStaleAndMayBeClaimed() throws Exception {
        assertTrue(lease.claim("10.0.0.1:25520"));
        Thread.sleep(600);
        lease.renew("10.0.0.3:25520", 2); // the leader changed and renews
        Thread.sleep(600);
        assertFalse(lease.claim("10.0.0.2:25520"), "renewed 0.6 s ago, stale only after 1 s");
        assertEquals(Optional.of("10.0.0.3:25520"), lease.liveHolder());
        Thread.sleep(1_200);
        assertEquals(Optional.empty(), lease.liveHolder());
        assertTrue(lease.claim("10.0.0.2:25520"), "stale: the whole cluster is gone");
    }

    @Test
    void aLeaderLeavingReleasesTheLease() throws Exception {
        assertTrue(lease.claim("10.0.0.1:25520"));
        lease.release("10.0.0.2:25520");
        assertFalse(lease.claim("10.0.0.2:25520"), "only the holder releases it");
        lease.release("10.0.0.1:25520");
        assertTrue(lease.claim("10.0.0.2:25520"));
    }

    @Test
    void aLeaderOfOthersMayNotTakeTheLeaseBackAtItsRestart() throws Exception {
        assertTrue(lease.claim("10.0.0.1:25520"));
        lease.renew("10.0.0.1:25520", 2); // node 1 leads node 2
        // Node 1 crashes and restarts at once: node 2 runs on and will lead, so node 1 must join it.
        assertFalse(lease.claim("10.0.0.1:25520"), "its cluster had another member, who may run on");
        lease.release("10.0.0.1:25520"); // a leader leaving another member keeps the lease
        assertFalse(lease.claim("10.0.0.1:25520"), "a release that left another member must not free the lease");
        assertEquals(Optional.of("10.0.0.1:25520"), lease.liveHolder());
        lease.renew("10.0.0.2:25520", 1); // node 2 leads alone now
        assertEquals(Optional.of("10.0.0.2:25520"), lease.liveHolder());
        assertFalse(lease.claim("10.0.0.1:25520"));
        Thread.sleep(1_200);
        assertTrue(lease.claim("10.0.0.1:25520"), "stale: no cluster renews it any more");
    }

    @Test
    void aSoleLeaderMayTakeItsLeaseBackAtOnceAfterACrash() throws Exception {
        assertTrue(lease.claim("10.0.0.1:25520"));
        lease.renew("10.0.0.1:25520", 1);
        assertTrue(lease.claim("10.0.0.1:25520"), "it led nobody else: nothing can run on without it");
        assertFalse(lease.claim("10.0.0.2:25520"));
    }
}

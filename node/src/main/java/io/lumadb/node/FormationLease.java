package io.lumadb.node;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * The cluster's formation lease, a row in the shared journal's database: the leader of the
 * running cluster renews it every few seconds, and a node may form a new cluster only by claiming
 * it while it is stale. Pekko lets the first seed node form a new cluster when no other seed
 * answers within the seed-node timeout; when that node restarts while the other seeds are paused,
 * partitioned away or gone, it forms a second cluster beside the running one, and two clusters
 * never merge. The lease closes that: a fresh lease means a cluster is running (its leader is
 * the holder), so the node joins it instead. PostgreSQL's clock decides staleness, so the nodes'
 * clocks do not matter.
 */
final class FormationLease {

    private final String url;
    private final String user;
    private final String password;
    private final Duration staleAfter;

    FormationLease(String url, String user, String password, Duration staleAfter) {
        if (staleAfter.isNegative() || staleAfter.isZero()) {
            throw new IllegalArgumentException(
                    "lumadb.cluster.formation-lease.stale-after must be positive, not " + staleAfter);
        }
        this.url = url;
        this.user = user;
        this.password = password;
        this.staleAfter = staleAfter;
    }

    /**
     * Claims the lease for {@code self} if it is stale (no cluster has renewed it within {@code
     * stale-after}), or if {@code self} holds it from an earlier run in which it led a cluster of
     * its own alone (it died, and nobody else can be running on); whether this node may now form a
     * new cluster. A holder whose cluster had other members must wait until the lease is stale or
     * join the leader that renews it: those members may run on under a new leader.
     */
    boolean claim(String self) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password);
                PreparedStatement s = c.prepareStatement(
                        "UPDATE lumadb_cluster_lease SET holder = ?, renewed_at = now(), members = 1 WHERE id = 1"
                                + " AND (renewed_at < now() - make_interval(secs => ?)"
                                + " OR (holder = ? AND members <= 1))")) {
            s.setString(1, self);
            s.setDouble(2, staleAfter.toMillis() / 1000.0);
            s.setString(3, self);
            return s.executeUpdate() == 1;
        }
    }

    /**
     * Gives the lease up if {@code self} holds it as the leader of a cluster of its own alone (the
     * last member leaving), so that the next start need not wait until it is stale. A leader that
     * leaves other members keeps it until one of them, the next leader, renews it.
     */
    void release(String self) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password);
                PreparedStatement s = c.prepareStatement("UPDATE lumadb_cluster_lease SET renewed_at = 'epoch'"
                        + " WHERE id = 1 AND holder = ? AND members <= 1")) {
            s.setString(1, self);
            s.executeUpdate();
        }
    }

    /** Renews the lease for {@code self}, the leader of the running cluster of {@code members} members. */
    void renew(String self, int members) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password);
                PreparedStatement s = c.prepareStatement(
                        "UPDATE lumadb_cluster_lease SET holder = ?, renewed_at = now(), members = ? WHERE id = 1")) {
            s.setString(1, self);
            s.setInt(2, members);
            s.executeUpdate();
        }
    }

    /** The address of the leader that holds a fresh lease, if a cluster is running. */
    Optional<String> liveHolder() throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password);
                PreparedStatement s = c.prepareStatement("SELECT holder FROM lumadb_cluster_lease WHERE id = 1"
                        + " AND renewed_at >= now() - make_interval(secs => ?)")) {
            s.setDouble(1, staleAfter.toMillis() / 1000.0);
            try (ResultSet r = s.executeQuery()) {
                return r.next() && !r.getString(1).isEmpty() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        }
    }
}

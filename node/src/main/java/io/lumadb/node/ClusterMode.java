package io.lumadb.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode ({@code lumadb.mode = cluster}): several nodes form one Pekko cluster and share
 * one journal and snapshot store in PostgreSQL. This class turns LumaDB's few cluster settings
 * into Pekko's configuration ({@code lumadb-cluster.conf} plus the seed-node addresses) and
 * creates the journal's database and tables on first start.
 */
final class ClusterMode {

    private static final Logger log = LoggerFactory.getLogger(ClusterMode.class);
    private static final String SCHEMA = "lumadb-postgres-schema.sql";
    /** Any fixed number: the advisory lock that makes concurrent first starts create the schema once. */
    private static final long SCHEMA_LOCK = 0x4c756d6144424a4cL;

    private ClusterMode() {}

    /** Whether {@code config} asks for cluster mode; fails on a mode that does not exist. */
    static boolean enabled(Config config) {
        String mode = config.getString("lumadb.mode");
        return switch (mode) {
            case "embedded" -> false;
            case "cluster" -> true;
            default ->
                throw new IllegalArgumentException(
                        "lumadb.mode must be \"embedded\" or \"cluster\", not \"" + mode + "\"");
        };
    }

    /**
     * The configuration cluster mode adds under the user's own settings: the seed nodes derived
     * from {@code lumadb.cluster.seeds}, then {@code lumadb-cluster.conf}.
     */
    static Config layer(Config config) {
        String system = config.getString("lumadb.cluster.system-name");
        List<String> seeds = new ArrayList<>();
        for (String seed : seeds(config)) {
            seeds.add("pekko://" + system + "@" + hostPort(seed));
        }
        if (seeds.isEmpty()) {
            // No seeds: this node forms a cluster of its own that the others can join.
            seeds.add("pekko://" + system + "@" + config.getString("lumadb.cluster.host") + ":"
                    + config.getInt("lumadb.cluster.port"));
        }
        return ConfigFactory.parseMap(Map.of("pekko.cluster.seed-nodes", seeds))
                .withFallback(ConfigFactory.parseResources(ClusterMode.class.getClassLoader(), "lumadb-cluster.conf"));
    }

    private static List<String> seeds(Config config) {
        String path = "lumadb.cluster.seeds";
        if (config.getValue(path).valueType() == ConfigValueType.LIST) {
            return config.getStringList(path);
        }
        return Arrays.stream(config.getString(path).split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    private static String hostPort(String seed) {
        int colon = seed.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(
                    "lumadb.cluster.seeds: \"" + seed + "\" is not host:port (for example 127.0.0.1:25520)");
        }
        try {
            int port = Integer.parseInt(seed.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lumadb.cluster.seeds: \"" + seed + "\" has no valid port (1-65535)", e);
        }
        return seed;
    }

    /**
     * Makes sure the journal's database and tables exist, waiting up to {@code
     * lumadb.cluster.postgres.connect-timeout} for PostgreSQL. Nodes starting together create
     * them once: the database creation tolerates a concurrent one, the tables are created under
     * an advisory lock.
     */
    static void ensureJournal(Config config) {
        String url = config.getString("lumadb.cluster.postgres.url");
        String user = config.getString("lumadb.cluster.postgres.user");
        String password = config.getString("lumadb.cluster.postgres.password");
        Duration timeout = config.getDuration("lumadb.cluster.postgres.connect-timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        SQLException last;
        do {
            try (Connection c = DriverManager.getConnection(url, user, password)) {
                createTables(c);
                return;
            } catch (SQLException e) {
                last = e;
                if ("3D000".equals(e.getSQLState())) {
                    createDatabase(url, user, password);
                    continue;
                }
                log.warn("The cluster journal at {} is not reachable yet: {}", url, e.getMessage());
            }
            sleep();
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException(
                "cannot reach the cluster journal at " + url + " within " + timeout.toSeconds() + " s: "
                        + last.getMessage(),
                last);
    }

    private static void createTables(Connection c) throws SQLException {
        String script;
        try (InputStream in = ClusterMode.class.getClassLoader().getResourceAsStream(SCHEMA)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + SCHEMA);
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SCHEMA, e);
        }
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
            for (String statement : script.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!statement.isBlank()) {
                    s.execute(statement);
                }
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }

    /** Creates the database named in {@code url} through the server's {@code postgres} database. */
    private static void createDatabase(String url, String user, String password) {
        int slash = url.indexOf('/', "jdbc:postgresql://".length());
        int end = url.indexOf('?', slash);
        String name = url.substring(slash + 1, end < 0 ? url.length() : end);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalStateException("the journal database \"" + name
                    + "\" does not exist and LumaDB only creates plainly named ones; create it yourself");
        }
        String admin = url.substring(0, slash + 1) + "postgres" + (end < 0 ? "" : url.substring(end));
        try (Connection c = DriverManager.getConnection(admin, user, password);
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
            log.info("Created the cluster journal database {}", name);
        } catch (SQLException e) {
            // Created meanwhile by another node: 42P04, or 23505 when both inserted at once.
            if (!"42P04".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
                throw new IllegalStateException(
                        "the journal database \"" + name + "\" does not exist and cannot be created: " + e.getMessage(),
                        e);
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster journal", e);
        }
    }
}

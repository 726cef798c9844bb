package io.lumadb.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The local PostgreSQL the tests use: 127.0.0.1:5432, user {@code postgres}, trust
 * authentication, database {@code test} unless a test makes its own. {@link #ensureRunning}
 * starts an installed but stopped cluster, and {@link #stopIfStarted} (or, failing that, a JVM
 * shutdown hook) stops it again, so a run leaves the machine as it found it. A test that needs
 * a database of its own gets it from {@link #createDatabase} and drops it with {@link
 * #dropDatabase}.
 */
public final class TestPostgres {

    public static final String HOST = "127.0.0.1";
    public static final int PORT = 5432;
    public static final String USER = "postgres";
    /** The shared database {@code test}, with the user in the URL. */
    public static final String JDBC_URL = jdbcUrl("test") + "?user=" + USER;

    private static final List<String> started = new ArrayList<>();
    private static boolean stopOnExit;

    private TestPostgres() {}

    /** The JDBC URL of {@code database}, without credentials (for a node, which takes user and password apart). */
    public static String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + PORT + "/" + database;
    }

    /** A connection to the shared database {@code test}. */
    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(JDBC_URL);
    }

    /** A connection to {@code database}. */
    public static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database) + "?user=" + USER);
    }

    /**
     * The rows of the cluster journal and snapshot tables in {@code database} whose payload holds
     * {@code text} (as UTF-8), compared as bytes by PostgreSQL: what encryption at rest must leave
     * at zero.
     */
    public static long journalRowsHolding(String database, String text) throws SQLException {
        long n = 0;
        for (String sql : List.of(
                "SELECT count(*) FROM event_journal WHERE position(convert_to(?, 'UTF8') in event_payload) > 0",
                "SELECT count(*) FROM snapshot WHERE position(convert_to(?, 'UTF8') in snapshot_payload) > 0")) {
            try (Connection c = connect(database);
                    PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, text);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    n += r.getLong(1);
                }
            }
        }
        return n;
    }

    /** Makes sure PostgreSQL answers on 127.0.0.1:5432; fails with a clear message if it cannot. */
    public static synchronized void ensureRunning() throws IOException, InterruptedException {
        if (listening()) {
            return;
        }
        Path clusters = Path.of("/etc/postgresql");
        if (!Files.isDirectory(clusters) || !Commands.onPath("pg_ctlcluster")) {
            throw new AssertionError("PostgreSQL is not listening on 127.0.0.1:5432 and is not installed here"
                    + " (no /etc/postgresql or pg_ctlcluster); these tests need it");
        }
        if (!stopOnExit) {
            Runtime.getRuntime().addShutdownHook(new Thread(TestPostgres::stopQuietly, "stop-test-postgres"));
            stopOnExit = true;
        }
        try (Stream<Path> versions = Files.list(clusters)) {
            for (Path version : versions.toList()) {
                String v = version.getFileName().toString();
                Commands.run("pg_ctlcluster", "--skip-systemctl-redirect", v, "main", "start");
                started.add(v);
            }
        }
        Commands.awaitListening("PostgreSQL", PORT, 30);
    }

    /** Stops the clusters {@link #ensureRunning} started, if any. */
    public static synchronized void stopIfStarted() throws IOException, InterruptedException {
        while (!started.isEmpty()) {
            Commands.run("pg_ctlcluster", "--skip-systemctl-redirect", started.getFirst(), "main", "stop");
            started.removeFirst();
        }
    }

    private static void stopQuietly() {
        try {
            stopIfStarted();
        } catch (IOException | InterruptedException e) {
            System.err.println("could not stop the PostgreSQL cluster these tests started: " + e);
        }
    }

    /** Creates an empty database with a name no other test uses: {@code lumadb_it_<random>}. */
    public static String createDatabase() throws SQLException {
        String name =
                "lumadb_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = connect("postgres");
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return name;
    }

    /** Ends every session on {@code database} (nodes killed with -9 may leave some behind), then drops it. */
    public static void dropDatabase(String database) throws SQLException {
        try (Connection c = connect("postgres");
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database
                    + "' AND pid <> pg_backend_pid()");
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    /** Drops {@code schema} of the shared database and everything in it. */
    public static void dropSchema(String schema) throws SQLException {
        try (Connection c = connect();
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /** Whether the shared database has {@code schema}. */
    public static boolean schemaExists(String schema) throws SQLException {
        try (Connection c = connect();
                var s = c.prepareStatement("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?")) {
            s.setString(1, schema);
            try (var rows = s.executeQuery()) {
                return rows.next();
            }
        }
    }

    /** Whether something accepts connections on 127.0.0.1:5432. */
    public static boolean listening() {
        return Ports.listening(HOST, PORT);
    }
}

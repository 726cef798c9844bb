package io.lumadb.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The local PostgreSQL the tests use (127.0.0.1:5432, user postgres, trust authentication,
 * database {@code test}). {@link #ensureRunning} starts an installed but stopped cluster and
 * {@link #stopIfStarted} stops it again, so a test run leaves the machine as it found it.
 */
final class TestPostgres {

    static final String JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    private static final List<String> started = new ArrayList<>();

    private TestPostgres() {}

    /** Makes sure PostgreSQL answers on 127.0.0.1:5432; fails with a clear message if it cannot. */
    static synchronized void ensureRunning() throws IOException, InterruptedException {
        if (listening()) {
            return;
        }
        Path clusters = Path.of("/etc/postgresql");
        if (!Files.isDirectory(clusters) || !onPath("pg_ctlcluster")) {
            throw new AssertionError("PostgreSQL is not listening on 127.0.0.1:5432 and is not installed here"
                    + " (no /etc/postgresql or pg_ctlcluster); these tests need it");
        }
        try (Stream<Path> versions = Files.list(clusters)) {
            for (Path version : versions.toList()) {
                String v = version.getFileName().toString();
                run("pg_ctlcluster", "--skip-systemctl-redirect", v, "main", "start");
                started.add(v);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!listening()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("PostgreSQL was started but does not listen on 127.0.0.1:5432 after 30 s");
            }
            Thread.sleep(200);
        }
    }

    /** Stops the clusters {@link #ensureRunning} started, if any. */
    static synchronized void stopIfStarted() throws IOException, InterruptedException {
        for (String v : started) {
            run("pg_ctlcluster", "--skip-systemctl-redirect", v, "main", "stop");
        }
        started.clear();
    }

    static Connection connect() throws SQLException {
        return DriverManager.getConnection(JDBC_URL);
    }

    /** Drops {@code schema} and everything in it (tables of the model and of the offset store). */
    static void dropSchema(String schema) throws SQLException {
        try (Connection c = connect();
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    static boolean schemaExists(String schema) throws SQLException {
        try (Connection c = connect();
                var s = c.prepareStatement("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?")) {
            s.setString(1, schema);
            try (var rows = s.executeQuery()) {
                return rows.next();
            }
        }
    }

    private static boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 5432), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}

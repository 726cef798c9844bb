package io.lumadb.multijvm;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The local PostgreSQL the cluster tests use as their shared journal: 127.0.0.1:5432, user
 * {@code postgres}, trust authentication. {@link #ensureRunning} starts an installed but stopped
 * cluster (and a JVM shutdown hook stops it again, so a run leaves the machine as it found it);
 * each test gets a database of its own from {@link #createDatabase} and drops it with
 * {@link #dropDatabase}.
 */
final class TestPostgres {

    static final String HOST = "127.0.0.1";
    static final int PORT = 5432;
    static final String USER = "postgres";

    private TestPostgres() {}

    /** The JDBC URL of {@code database}, without credentials (the nodes pass user and password apart). */
    static String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + PORT + "/" + database;
    }

    static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database) + "?user=" + USER);
    }

    /** Makes sure PostgreSQL answers on 127.0.0.1:5432; fails with a clear message if it cannot. */
    static synchronized void ensureRunning() throws IOException, InterruptedException {
        if (listening()) {
            return;
        }
        Path clusters = Path.of("/etc/postgresql");
        if (!Files.isDirectory(clusters) || !onPath("pg_ctlcluster")) {
            throw new AssertionError("PostgreSQL is not listening on 127.0.0.1:5432 and is not installed here"
                    + " (no /etc/postgresql or pg_ctlcluster); the cluster tests need it as their journal");
        }
        try (Stream<Path> versions = Files.list(clusters)) {
            for (Path version : versions.toList()) {
                String v = version.getFileName().toString();
                run("pg_ctlcluster", "--skip-systemctl-redirect", v, "main", "start");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(v)));
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

    /** Creates an empty database with a name no other test uses: {@code lumadb_it_<random>}. */
    static String createDatabase() throws SQLException {
        String name =
                "lumadb_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = connect("postgres");
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return name;
    }

    /** Ends every session on {@code database} (nodes killed with -9 may leave some behind), then drops it. */
    static void dropDatabase(String database) throws SQLException {
        try (Connection c = connect("postgres");
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database
                    + "' AND pid <> pg_backend_pid()");
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    private static void stop(String version) {
        try {
            run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop");
        } catch (IOException | InterruptedException e) {
            System.err.println("could not stop the PostgreSQL cluster " + version + " these tests started: " + e);
        }
    }

    private static boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, PORT), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
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

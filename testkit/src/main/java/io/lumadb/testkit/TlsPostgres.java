package io.lumadb.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A private PostgreSQL server that accepts TLS only, for tests of LumaDB's connections to
 * PostgreSQL over TLS (the shared server on 127.0.0.1:5432 has TLS off and stays as it is). It runs
 * from the installed server binaries ({@code /usr/lib/postgresql/<newest>/bin}) on a temporary
 * directory and a free port on 127.0.0.1: user {@code postgres} with trust authentication, but only
 * over TLS ({@code hostssl}; plaintext connections are rejected), TLS 1.3 at least, with a
 * certificate for {@code 127.0.0.1} and {@code localhost} issued by its own test CA ({@link
 * #caFile()}). {@link #close()} stops it (SIGTERM to the postmaster, SIGKILL after a grace period)
 * and deletes the directory; a JVM shutdown hook does the same if the test never gets there.
 *
 * <p>PostgreSQL refuses to run as root: when the tests run as root, the directory is given to the
 * system user {@code postgres} and the server runs as that user through {@code runuser}.
 */
public final class TlsPostgres implements AutoCloseable {

    /** Where Debian and Ubuntu install the server binaries, one directory per major version. */
    private static final Path INSTALLED = Path.of("/usr/lib/postgresql");

    private static final String SYSTEM_USER = "postgres";
    /** The database superuser, with trust authentication over TLS. */
    public static final String USER = "postgres";

    public static final String HOST = "127.0.0.1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final Path dir;
    private final Path data;
    private final Path log;
    private final int port;
    private final TestCertificates authority;
    private final Thread stopOnExit;
    private Process launcher;
    private long postmasterPid = -1;

    private TlsPostgres(Path dir) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.log = dir.resolve("server.log");
        this.port = Ports.free();
        Path tls = dir.resolve("tls");
        try {
            Files.createDirectories(tls);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.authority = TestCertificates.authority(tls, "LumaDB test PostgreSQL CA");
        this.stopOnExit = new Thread(this::stopAndDelete, "stop-tls-postgres");
    }

    /**
     * Starts a server and waits until it accepts a verified TLS connection; fails with a message
     * saying what to install when the server binaries are missing, or with the server's log when
     * it does not come up.
     */
    public static TlsPostgres start() throws IOException, InterruptedException {
        Path bin = binaries();
        boolean root = runningAsRoot();
        UserPrincipal owner = root ? systemUser() : null;
        Path dir = Files.createTempDirectory("lumadb-tls-postgres");
        TlsPostgres server;
        try {
            server = new TlsPostgres(dir);
        } catch (RuntimeException | Error e) {
            TestFiles.deleteRecursively(dir);
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(server.stopOnExit);
        try {
            server.launch(bin, owner);
            return server;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            try {
                server.close();
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** The server's port on {@link #HOST}. */
    public int port() {
        return port;
    }

    /** The PEM file of the CA that issued the server's certificate. */
    public Path caFile() {
        return authority.caFile();
    }

    /** The CA that issued the server's certificate. */
    public TestCertificates authority() {
        return authority;
    }

    /** The server's log (its start-up and connection messages). */
    public Path log() {
        return log;
    }

    /** The JDBC URL of {@code database}, without TLS parameters or credentials. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    /** A connection to {@code database} over TLS, with the server's certificate and host name verified. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(
                jdbcUrl(database) + "?sslmode=verify-full&sslrootcert=" + caFile() + "&connectTimeout=5", USER, "");
    }

    private void launch(Path bin, UserPrincipal owner) throws IOException, InterruptedException {
        Path tls = dir.resolve("tls");
        Path socket = Files.createDirectories(dir.resolve("socket"));
        TestCertificates.Issued certificate = authority.issue(
                tls, "server", "localhost", TestCertificates.KeyType.EC, TestCertificates.KeyForm.PKCS8);
        // PostgreSQL reads a key only if nobody but its owner (the server's user) may read it.
        Files.setPosixFilePermissions(certificate.privateKey(), PosixFilePermissions.fromString("rw-------"));
        if (owner != null) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.toList()) {
                    Files.setOwner(p, owner);
                }
            }
        }
        Commands.run(
                dir,
                asServerUser(
                        owner,
                        List.of(
                                bin.resolve("initdb").toString(),
                                "-D",
                                data.toString(),
                                "-U",
                                USER,
                                "-A",
                                "trust",
                                "-E",
                                "UTF8",
                                "--locale=C",
                                "--no-sync")));
        Files.writeString(data.resolve("pg_hba.conf"), """
                # Written by LumaDB's TlsPostgres: trust, but over TLS only.
                local     all all                trust
                hostssl   all all 127.0.0.1/32   trust
                hostnossl all all 0.0.0.0/0      reject
                hostnossl all all ::/0           reject
                """, StandardCharsets.US_ASCII);
        List<String> command = asServerUser(
                owner,
                List.of(
                        bin.resolve("postgres").toString(),
                        "-D",
                        data.toString(),
                        "-p",
                        Integer.toString(port),
                        "-k",
                        socket.toString(),
                        "-c",
                        "listen_addresses=" + HOST,
                        "-c",
                        "ssl=on",
                        "-c",
                        "ssl_cert_file=" + certificate.certificate(),
                        "-c",
                        "ssl_key_file=" + certificate.privateKey(),
                        "-c",
                        "ssl_min_protocol_version=TLSv1.3",
                        "-c",
                        "shared_buffers=16MB",
                        "-c",
                        "max_connections=40",
                        "-c",
                        "fsync=off",
                        "-c",
                        "log_connections=on"));
        Files.writeString(log, "==== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8);
        synchronized (this) {
            launcher = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        }
        awaitReady();
    }

    /** Waits until a verified TLS connection succeeds, then notes the postmaster's PID. */
    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!launcher.isAlive()) {
                throw new IllegalStateException("the TLS PostgreSQL server exited with " + launcher.exitValue()
                        + "; its log:\n" + Files.readString(log));
            }
            try (Connection c = connect("postgres")) {
                synchronized (this) {
                    postmasterPid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid"))
                            .getFirst()
                            .strip());
                }
                return;
            } catch (SQLException notYet) {
                last = notYet;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the TLS PostgreSQL server on port " + port + " did not accept a TLS"
                + " connection within " + START_TIMEOUT.toSeconds() + " s (last: " + last + "); its log:\n"
                + Files.readString(log));
    }

    /** Stops the server and deletes its directory. */
    @Override
    public void close() throws IOException {
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        stop();
        TestFiles.deleteRecursively(dir);
    }

    private void stopAndDelete() {
        try {
            stop();
            TestFiles.deleteRecursively(dir);
        } catch (IOException | RuntimeException e) {
            System.err.println("could not stop the TLS PostgreSQL server in " + dir + ": " + e);
        }
    }

    /**
     * SIGTERM to the postmaster (which ends the server once its sessions are gone), then SIGKILL
     * to it and its children after {@link #STOP_GRACE}; the launcher ({@code runuser} as root) goes
     * with it.
     */
    private synchronized void stop() {
        Optional<ProcessHandle> postmaster = postmasterPid > 0 ? ProcessHandle.of(postmasterPid) : Optional.empty();
        ProcessHandle target = postmaster.orElse(launcher == null ? null : launcher.toHandle());
        if (target != null && target.isAlive()) {
            target.destroy();
            if (!awaitExit(target)) {
                List<ProcessHandle> all = new ArrayList<>(target.descendants().toList());
                all.add(target);
                all.forEach(ProcessHandle::destroyForcibly);
                all.forEach(TlsPostgres::awaitExit);
            }
        }
        if (launcher != null) {
            try {
                if (!launcher.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    launcher.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                launcher.destroyForcibly();
            }
        }
    }

    /** Waits up to {@link #STOP_GRACE} for {@code process} to end; whether it did. */
    private static boolean awaitExit(ProcessHandle process) {
        try {
            process.onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** {@code command}, run as the system user {@code postgres} when {@code owner} is set (we are root). */
    private static List<String> asServerUser(UserPrincipal owner, List<String> command) {
        if (owner == null) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", SYSTEM_USER, "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** The bin directory of the newest installed PostgreSQL server. */
    static Path binaries() throws IOException {
        List<Path> versions = new ArrayList<>();
        if (Files.isDirectory(INSTALLED)) {
            try (Stream<Path> dirs = Files.list(INSTALLED)) {
                dirs.map(d -> d.resolve("bin"))
                        .filter(b ->
                                Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("postgres")))
                        .forEach(versions::add);
            }
        }
        return versions.stream()
                .max(Comparator.comparing(b -> b.getParent().getFileName().toString(), TlsPostgres::compareVersions))
                .orElseThrow(() -> new AssertionError("this test starts a PostgreSQL server of its own, with TLS on,"
                        + " and needs PostgreSQL's server binaries (initdb and postgres in "
                        + INSTALLED + "/<version>/bin), which are not installed: install the postgresql package"
                        + " (apt-get install postgresql; ./bin/test does so itself when run as root)"));
    }

    /** Orders {@code 9.6} before {@code 15} before {@code 16}. */
    private static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(number(x, i), number(y, i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static int number(String[] parts, int i) {
        if (i >= parts.length) {
            return 0;
        }
        try {
            return Integer.parseInt(parts[i]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean runningAsRoot() throws IOException, InterruptedException {
        return Commands.run(null, List.of("id", "-u")).strip().equals("0");
    }

    private static UserPrincipal systemUser() throws IOException {
        try {
            return Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SYSTEM_USER);
        } catch (IOException e) {
            throw new AssertionError("these tests run as root, which PostgreSQL's server refuses, and the system user "
                    + SYSTEM_USER + " to run it as is missing (the postgresql package creates it): " + e);
        }
    }

    @Override
    public String toString() {
        return "TLS PostgreSQL on " + HOST + ":" + port + " (" + dir + ")";
    }
}

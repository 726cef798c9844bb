package io.lumadb.chaos.hosts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The journal of a chaos run: a throwaway PostgreSQL cluster made with the machine's {@code
 * initdb}, owned by the {@code postgres} user, listening only on the bridge address (where the
 * node namespaces reach it) on a port of its own, so it never meets the machine's own server. It keeps PostgreSQL's durable defaults ({@code fsync},
 * synchronous commit). {@link #crash} stops it the way a crash would ({@code pg_ctl stop -m
 * immediate}); {@link #start} brings it back with crash recovery. {@link #close} stops it and
 * leaves its directory to the run's cleanup.
 */
public final class JournalPostgres implements AutoCloseable {

    /** The database the nodes keep their journal, snapshots and change-stream positions in. */
    public static final String DATABASE = "lumadb";

    private static final String OWNER = "postgres";

    private final Path dir;
    private final String listen;
    private final int port;

    private JournalPostgres(Path dir, String listen, int port) {
        this.dir = dir;
        this.listen = listen;
        this.port = port;
    }

    /** Makes a cluster in {@code dir} (which must not exist), starts it and creates {@link #DATABASE}. */
    public static JournalPostgres create(Path dir, String listenIp, int port) throws IOException {
        Files.createDirectories(dir.getParent());
        Files.createDirectories(dir);
        Sh.run("chown", OWNER + ":", dir.toString());
        Sh.run("chmod", "700", dir.toString());
        Sh.run(asOwner(
                bin("initdb"),
                "-D",
                dir.resolve("data").toString(),
                "-A",
                "trust",
                "-U",
                OWNER,
                "-E",
                "UTF8",
                "--no-instructions"));
        Files.writeString(
                dir.resolve("data/pg_hba.conf"),
                "\n# the chaos run's node namespaces\nhost all all " + listenIp + "/24 trust\n",
                StandardOpenOption.APPEND);
        JournalPostgres pg = new JournalPostgres(dir, listenIp, port);
        try {
            pg.start();
            Sh.run(bin("createdb"), "-h", listenIp, "-p", Integer.toString(port), "-U", OWNER, DATABASE);
        } catch (RuntimeException e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    /** The JDBC URL the nodes use (through the bridge address). */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + listen + ":" + port + "/" + DATABASE;
    }

    /** Starts the server (after {@link #crash}, with crash recovery) and waits until it accepts connections. */
    public synchronized void start() {
        String options = "-p " + port + " -c listen_addresses='" + listen + "' -c unix_socket_directories='" + dir
                + "' -c max_connections=200";
        Sh.run(asOwner(
                bin("pg_ctl"),
                "-D",
                dir.resolve("data").toString(),
                "-l",
                dir.resolve("server.log").toString(),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start"));
    }

    /** Stops the server at once, as a crash would: no checkpoint, clients cut off. */
    public synchronized void crash() {
        Sh.run(asOwner(bin("pg_ctl"), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"));
    }

    @Override
    public synchronized void close() {
        stopLeftover(dir);
    }

    /** Stops the server in {@code dir} if it runs: at the end of a run, and for a harness that died without. */
    static void stopLeftover(Path dir) {
        if (Files.exists(dir.resolve("data/postmaster.pid"))) {
            Sh.attempt(asOwner(bin("pg_ctl"), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"));
        }
    }

    private static List<String> asOwner(String... command) {
        List<String> out = new ArrayList<>(List.of("runuser", "-u", OWNER, "--"));
        out.addAll(List.of(command));
        return out;
    }

    /** A PostgreSQL server program: from the newest installed version, else from the PATH. */
    static String bin(String program) {
        Path versions = Path.of("/usr/lib/postgresql");
        try (var list = Files.list(versions)) {
            return list.map(v -> v.resolve("bin").resolve(program))
                    .filter(Files::isExecutable)
                    .max(Path::compareTo)
                    .map(Path::toString)
                    .orElse(program);
        } catch (IOException e) {
            return program;
        }
    }
}

package io.lumadb.bench.suite;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;

/**
 * The peer systems of the suite, PostgreSQL and Redis, as installed on this machine: checks
 * they are up (starting them if they are installed but stopped, failing clearly otherwise),
 * pins their processes to the server CPU and sets Redis's durability for the run, and puts
 * everything back as it was afterwards.
 */
public final class Services implements AutoCloseable {

    static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    static final String PG_USER = "postgres";

    private final List<Runnable> undo = new ArrayList<>();
    private final Map<String, String> facts = new LinkedHashMap<>();

    /** Versions and durability settings, for the report. */
    Map<String, String> facts() {
        return facts;
    }

    static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Makes sure PostgreSQL and Redis answer on 127.0.0.1, starting them when installed but stopped. */
    void ensureUp() throws IOException, InterruptedException {
        ensurePostgres();
        ensureRedis();
    }

    /** Makes sure PostgreSQL answers on 127.0.0.1:5432, starting it when installed but stopped. */
    public static void ensurePostgres() throws IOException, InterruptedException {
        if (!listening(5432)) {
            if (!Shell.exists("pg_ctlcluster") || !Files.isDirectory(Path.of("/etc/postgresql"))) {
                throw new IOException("PostgreSQL is not listening on 127.0.0.1:5432 and is not installed here");
            }
            try (var versions = Files.list(Path.of("/etc/postgresql"))) {
                for (Path v : versions.toList()) {
                    Shell.run(
                            "pg_ctlcluster",
                            "--skip-systemctl-redirect",
                            v.getFileName().toString(),
                            "main",
                            "start");
                }
            }
            waitFor(5432, "PostgreSQL");
        }
    }

    /** Makes sure Redis answers on 127.0.0.1:6379, starting it when installed but stopped. */
    public static void ensureRedis() throws IOException, InterruptedException {
        if (!listening(6379)) {
            if (!Shell.exists("redis-server")) {
                throw new IOException("Redis is not listening on 127.0.0.1:6379 and is not installed here");
            }
            Shell.run(
                    "redis-server",
                    "--daemonize",
                    "yes",
                    "--bind",
                    "127.0.0.1",
                    "-::1",
                    "--port",
                    "6379",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    "/var/lib/redis",
                    "--logfile",
                    "/var/log/redis/ci.log");
            waitFor(6379, "Redis");
        }
    }

    private static void waitFor(int port, String name) throws IOException, InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (listening(port)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IOException(name + " did not come up on 127.0.0.1:" + port);
    }

    /** Records versions and durability; turns Redis's AOF on with fsync every second for the run. */
    void configure() throws SQLException {
        try (Connection c = DriverManager.getConnection(PG_URL, PG_USER, "");
                Statement s = c.createStatement()) {
            facts.put("postgresql.version", one(s, "SHOW server_version"));
            facts.put("postgresql.synchronous_commit", one(s, "SHOW synchronous_commit"));
            facts.put("postgresql.fsync", one(s, "SHOW fsync"));
            facts.put("postgresql.shared_buffers", one(s, "SHOW shared_buffers"));
        }
        try (Jedis redis = new Jedis("127.0.0.1", 6379)) {
            String info = redis.info("server");
            facts.put("redis.version", info.replaceAll("(?s).*redis_version:([^\\r\\n]+).*", "$1"));
            String appendonly = redis.configGet("appendonly").get("appendonly");
            String appendfsync = redis.configGet("appendfsync").get("appendfsync");
            redis.configSet("appendonly", "yes");
            redis.configSet("appendfsync", "everysec");
            undo.add(() -> {
                try (Jedis r = new Jedis("127.0.0.1", 6379)) {
                    r.configSet("appendfsync", appendfsync);
                    r.configSet("appendonly", appendonly);
                }
            });
            facts.put("redis.appendonly", "yes (for the run; was " + appendonly + ")");
            facts.put("redis.appendfsync", "everysec (for the run; was " + appendfsync + ")");
        }
    }

    private static String one(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    /** Pins every thread of the PostgreSQL and Redis processes to {@code cpu}; new PostgreSQL backends inherit it. */
    void pin(int cpu) throws IOException, InterruptedException {
        for (String process : List.of("postgres", "redis-server")) {
            Shell.Result pids = Shell.run("pgrep", "-x", process);
            for (String pid : pids.output().split("\\s+")) {
                if (pid.isBlank()) {
                    continue;
                }
                String before = Shell.run("taskset", "-pc", pid)
                        .output()
                        .replaceAll(".*list:\\s*", "")
                        .trim();
                Shell.Result set = Shell.run("taskset", "-a", "-pc", Integer.toString(cpu), pid);
                if (!set.ok()) {
                    throw new IOException(
                            "cannot pin " + process + " (pid " + pid + ") to CPU " + cpu + ": " + set.output());
                }
                undo.add(() -> {
                    try {
                        Shell.run("taskset", "-a", "-pc", before, pid);
                    } catch (IOException | InterruptedException ignored) {
                        // the process may have ended; nothing to restore then
                    }
                });
            }
        }
    }

    @Override
    public void close() {
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                undo.get(i).run();
            } catch (RuntimeException e) {
                System.err.println("warning: could not restore a service setting: " + e.getMessage());
            }
        }
        undo.clear();
    }
}

package io.lumadb.bench.suite;

import io.lumadb.testkit.TestPostgres;
import io.lumadb.testkit.TestRedis;
import java.io.IOException;
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
final class Services implements AutoCloseable {

    static final String PG_URL = TestPostgres.jdbcUrl("test");
    static final String PG_USER = TestPostgres.USER;

    private final List<Runnable> undo = new ArrayList<>();
    private final Map<String, String> facts = new LinkedHashMap<>();

    /** Versions and durability settings, for the report. */
    Map<String, String> facts() {
        return facts;
    }

    /** Makes sure PostgreSQL and Redis answer on 127.0.0.1, starting them when installed but stopped. */
    void ensureUp() throws IOException, InterruptedException {
        try {
            TestPostgres.ensureRunning();
            TestRedis.ensureRunning();
        } catch (AssertionError e) {
            throw new IOException("the suite compares LumaDB with PostgreSQL and Redis: " + e.getMessage(), e);
        }
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
        try (Jedis redis = new Jedis(TestRedis.HOST, TestRedis.PORT)) {
            String info = redis.info("server");
            facts.put("redis.version", info.replaceAll("(?s).*redis_version:([^\\r\\n]+).*", "$1"));
            String appendonly = redis.configGet("appendonly").get("appendonly");
            String appendfsync = redis.configGet("appendfsync").get("appendfsync");
            redis.configSet("appendonly", "yes");
            redis.configSet("appendfsync", "everysec");
            undo.add(() -> {
                try (Jedis r = new Jedis(TestRedis.HOST, TestRedis.PORT)) {
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

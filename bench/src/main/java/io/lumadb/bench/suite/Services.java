package io.lumadb.bench.suite;

import io.lumadb.testkit.TestPostgres;
import io.lumadb.testkit.TestRedis;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
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
    /** Puts the services back also when the suite is stopped by a signal, not only on a normal end. */
    private final Thread restoreOnExit = new Thread(this::close, "restore-services");

    Services() {
        Runtime.getRuntime().addShutdownHook(restoreOnExit);
    }

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
        try (Connection c = TestPostgres.connect();
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
            onClose(() -> {
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
            for (String pid : run("pgrep", "-x", process).output().split("\\s+")) {
                if (pid.isBlank()) {
                    continue;
                }
                String before = run("taskset", "-pc", pid).output().replaceAll(".*list:\\s*", "");
                Result set = run("taskset", "-a", "-pc", Integer.toString(cpu), pid);
                if (set.exit() != 0) {
                    throw new IOException(
                            "cannot pin " + process + " (pid " + pid + ") to CPU " + cpu + ": " + set.output());
                }
                onClose(() -> {
                    try {
                        run("taskset", "-a", "-pc", before, pid);
                    } catch (IOException | InterruptedException ignored) {
                        // the process may have ended; nothing to restore then
                    }
                });
            }
        }
    }

    /** The CPUs this process may run on, from taskset, or an empty list when taskset is not installed. */
    static List<Integer> allowedCpus() throws InterruptedException {
        String list;
        try {
            list = run("taskset", "-pc", Long.toString(ProcessHandle.current().pid()))
                    .output()
                    .replaceAll(".*list:\\s*", "");
        } catch (IOException noTaskset) {
            return List.of();
        }
        List<Integer> cpus = new ArrayList<>();
        for (String part : list.split(",")) {
            if (!part.isBlank()) {
                String[] range = part.trim().split("-");
                int from = Integer.parseInt(range[0]);
                IntStream.rangeClosed(from, range.length > 1 ? Integer.parseInt(range[1]) : from)
                        .forEach(cpus::add);
            }
        }
        return cpus;
    }

    /** The exit status and merged output of a command. */
    record Result(int exit, String output) {}

    /** Runs a short command (taskset, pgrep) to its end, at most 60 s. */
    static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("command timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
    }

    private synchronized void onClose(Runnable restore) {
        undo.add(restore);
    }

    @Override
    public synchronized void close() {
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                undo.get(i).run();
            } catch (RuntimeException e) {
                System.err.println("warning: could not restore a service setting: " + e.getMessage());
            }
        }
        undo.clear();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreOnExit);
        } catch (IllegalStateException shuttingDown) {
            // close() is running as that hook: the JVM is already exiting
        }
    }
}

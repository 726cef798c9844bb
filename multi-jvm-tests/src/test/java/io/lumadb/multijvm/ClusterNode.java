package io.lumadb.multijvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One LumaDB node of a {@link TestCluster}: a {@code java -jar lumadb.jar} process with fixed
 * ports and a data directory that survive its restarts, logging to its own file. Its
 * {@link State} tells the load clients whether to send it requests and how to count their
 * failures.
 */
final class ClusterNode {

    /** Where a node is in its life, as the test drives it. */
    enum State {
        /** Not started yet. */
        NEW,
        /** Started, not yet a ready, Up member. */
        STARTING,
        /** A ready, Up member. */
        UP,
        /** Sent SIGTERM: leaving gracefully. */
        STOPPING,
        /** Exited or killed. */
        DOWN
    }

    /** Pekko Management's readiness check: 200 once the node is an Up member and its API and catalog answer. */
    static final String READY_PATH = "/ready";
    /** Pekko Management's liveness check. */
    static final String ALIVE_PATH = "/alive";

    private final String name;
    private final int httpPort;
    private final int clusterPort;
    private final int managementPort;
    private final Path dataDir;
    private final Path log;
    private volatile State state = State.NEW;
    private Process process;
    private int starts;

    ClusterNode(String name, int httpPort, int clusterPort, int managementPort, Path dataDir, Path log) {
        this.name = name;
        this.httpPort = httpPort;
        this.clusterPort = clusterPort;
        this.managementPort = managementPort;
        this.dataDir = dataDir;
        this.log = log;
    }

    String name() {
        return name;
    }

    /** The node's cluster address as {@code /api/v1/_cluster} shows it: {@code 127.0.0.1:<artery port>}. */
    String address() {
        return "127.0.0.1:" + clusterPort;
    }

    /** The URL of {@code path} on the node's HTTP API. */
    String url(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    /** The URL of {@code path} on the node's Pekko Management endpoint. */
    String managementUrl(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    Path log() {
        return log;
    }

    State state() {
        return state;
    }

    void state(State next) {
        state = next;
    }

    int starts() {
        return starts;
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** Starts the process (not waiting for anything); {@code seeds} are cluster addresses. */
    synchronized void start(String jar, List<String> seeds, String journalUrl, Map<String, String> extra)
            throws IOException {
        if (alive()) {
            throw new IllegalStateException(name + " is already running");
        }
        Files.createDirectories(dataDir);
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(javaCommand, "--enable-native-access=ALL-UNNAMED", "-Xmx384m"));
        command.addAll(ClassArchive.options(jar));
        command.add("-Dlumadb.mode=cluster");
        command.add("-Dlumadb.data-dir=" + dataDir);
        command.add("-Dlumadb.http.port=" + httpPort);
        command.add("-Dlumadb.cluster.port=" + clusterPort);
        command.add("-Dlumadb.cluster.seeds=" + String.join(",", seeds));
        command.add("-Dlumadb.cluster.postgres.url=" + journalUrl);
        command.add("-Dlumadb.cluster.postgres.user=" + TestPostgres.USER);
        command.add("-Dlumadb.cluster.postgres.password=");
        command.add("-Dlumadb.management.port=" + managementPort);
        extra.forEach((k, v) -> command.add("-D" + k + "=" + v));
        // A diagnostic hook: -Dlumadb.it.node-options="-Dkey=value ..." on the Maven command line
        // adds JVM options to every node (to try a setting without changing the tests).
        String options = System.getProperty("lumadb.it.node-options", "").trim();
        if (!options.isEmpty()) {
            command.addAll(List.of(options.split("\\s+")));
        }
        command.add("-jar");
        command.add(jar);
        Files.writeString(
                log,
                "==== " + Instant.now() + " start " + (starts + 1) + " of " + name + ": " + String.join(" ", command)
                        + "\n",
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        starts++;
        state = State.STARTING;
    }

    /** SIGKILL: a crash, with no shutdown hook and no leaving. Waits until the process is gone. */
    synchronized void kill9() throws InterruptedException {
        state = State.DOWN;
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError(name + " (pid " + process.pid() + ") survived SIGKILL for 30 s");
            }
        }
    }

    /** Sends SIGTERM (a graceful leave) and returns at once; see {@link #awaitExit}. */
    synchronized void terminate() {
        state = State.STOPPING;
        process.destroy();
    }

    /** Waits for the process to exit after {@link #terminate}; returns its exit code. */
    int awaitExit(long seconds) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " (pid " + p.pid() + ") did not exit within " + seconds + " s of SIGTERM");
        }
        state = State.DOWN;
        return p.exitValue();
    }

    /** Kills the process if it still runs; for cleanup, never throws. */
    synchronized void destroy() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        state = State.DOWN;
    }

    @Override
    public String toString() {
        return name + "(" + address() + ", http " + httpPort + ", " + state + ")";
    }
}

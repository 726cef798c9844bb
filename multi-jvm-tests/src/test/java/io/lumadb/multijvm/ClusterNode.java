package io.lumadb.multijvm;

import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
    private final int clusterPort;
    private final int managementPort;
    private final NodeProcess process;
    private volatile State state = State.NEW;

    ClusterNode(String name, Path jar, int httpPort, int clusterPort, int managementPort, Path dataDir, Path log)
            throws IOException {
        this.name = name;
        this.clusterPort = clusterPort;
        this.managementPort = managementPort;
        this.process = NodeProcess.builder(dataDir)
                .name(name)
                .jar(jar)
                .port(httpPort)
                .log(log)
                .heap("384m")
                .build();
    }

    String name() {
        return name;
    }

    /** The node's cluster address as {@code /api/v1/_cluster} shows it: {@code 127.0.0.1:<artery port>}. */
    String address() {
        return "127.0.0.1:" + clusterPort;
    }

    /** The node's Artery (cluster transport) port. */
    int clusterPort() {
        return clusterPort;
    }

    /** A client of the node's HTTP API (anonymous; see {@link TestHttp#asUser}). */
    TestHttp http() {
        return new TestHttp(process.port());
    }

    /** The URL of {@code path} on the node's HTTP API. */
    String url(String path) {
        return process.url(path);
    }

    /** The URL of {@code path} on the node's Pekko Management endpoint. */
    String managementUrl(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    Path dataDir() {
        return process.dataDir();
    }

    Path log() {
        return process.log();
    }

    State state() {
        return state;
    }

    void state(State next) {
        state = next;
    }

    int starts() {
        return process.starts();
    }

    boolean alive() {
        return process.alive();
    }

    long pid() {
        return process.pid();
    }

    /** Starts the process (not waiting for anything); {@code seeds} are cluster addresses. */
    synchronized void start(List<String> seeds, String journalUrl, Map<String, String> extra) throws IOException {
        List<String> options =
                new ArrayList<>(ClassArchive.options(process.jar().toString()));
        options.addAll(clusterOptions(clusterPort, seeds, journalUrl, managementPort));
        extra.forEach((k, v) -> options.add("-D" + k + "=" + v));
        // A diagnostic hook: -Dlumadb.it.node-options="-Dkey=value ..." on the Maven command line
        // adds JVM options to every node (to try a setting without changing the tests).
        String more = System.getProperty("lumadb.it.node-options", "").trim();
        if (!more.isEmpty()) {
            options.addAll(List.of(more.split("\\s+")));
        }
        process.launch(options);
        state = State.STARTING;
    }

    /** The JVM options that make a node a cluster member on 127.0.0.1 with {@code journalUrl} as its journal. */
    static List<String> clusterOptions(int clusterPort, List<String> seeds, String journalUrl, int managementPort) {
        return List.of(
                "-Dlumadb.mode=cluster",
                "-Dlumadb.cluster.port=" + clusterPort,
                "-Dlumadb.cluster.seeds=" + String.join(",", seeds),
                "-Dlumadb.cluster.postgres.url=" + journalUrl,
                "-Dlumadb.cluster.postgres.user=" + TestPostgres.USER,
                "-Dlumadb.cluster.postgres.password=",
                "-Dlumadb.management.port=" + managementPort);
    }

    /** SIGKILL: a crash, with no shutdown hook and no leaving. Waits until the process is gone. */
    synchronized void kill9() throws InterruptedException {
        state = State.DOWN;
        if (process.starts() > 0) {
            process.kill9();
        }
    }

    /** Sends SIGTERM (a graceful leave) and returns at once; see {@link #awaitExit}. */
    synchronized void terminate() {
        state = State.STOPPING;
        process.sigterm();
    }

    /** Waits for the process to exit after {@link #terminate}; returns its exit code. */
    int awaitExit(long seconds) throws InterruptedException {
        int exit = process.awaitExit(seconds);
        state = State.DOWN;
        return exit;
    }

    /** Kills the process if it still runs; for cleanup, never throws. */
    void destroy() {
        process.destroy();
        state = State.DOWN;
    }

    @Override
    public String toString() {
        return name + "(" + address() + ", http " + process.port() + ", " + state + ")";
    }
}

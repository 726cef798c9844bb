package io.lumadb.bench.suite;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A LumaDB node for the suite: the distribution jar started as its own process (behind a
 * command prefix such as {@code taskset -c 0}), on a free port with a fresh data directory.
 * Closing stops it (SIGTERM, then SIGKILL) and deletes the directory.
 */
public final class LumaDbNode implements AutoCloseable {

    /** The node's JVM options, the same as bin/server's collector choice. */
    static final List<String> JVM_OPTIONS = List.of("--enable-native-access=ALL-UNNAMED", "-Xmx2g", "-XX:+UseZGC");

    private final Path dir;
    private final int port;
    private final Process process;
    private final Path log;

    /**
     * Starts a node from {@code jar} behind {@code prefix} (may be empty), logging to {@code
     * logDir}/lumadb-node.log, and waits until it is ready.
     */
    public LumaDbNode(Path jar, List<String> prefix, Path logDir) throws IOException, InterruptedException {
        this(jar, prefix, logDir, "lumadb-node.log", List.of());
    }

    /**
     * Like {@link #LumaDbNode(Path, List, Path)}, logging to {@code logDir}/{@code logName}, with
     * {@code extraOptions} after {@link #JVM_OPTIONS} (such as {@code -D} overrides of the node's
     * configuration).
     */
    public LumaDbNode(Path jar, List<String> prefix, Path logDir, String logName, List<String> extraOptions)
            throws IOException, InterruptedException {
        if (!Files.exists(jar)) {
            throw new IOException(
                    "the LumaDB distribution " + jar + " is missing; build it with mvn package -pl node -am");
        }
        this.dir = Files.createTempDirectory("lumadb-bench");
        try (ServerSocket s = new ServerSocket(0)) {
            this.port = s.getLocalPort();
        }
        List<String> command = new ArrayList<>(prefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(JVM_OPTIONS);
        command.addAll(extraOptions);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("LUMADB_HTTP_PORT", Integer.toString(port));
        pb.environment().put("LUMADB_DATA_DIR", dir.toString());
        this.log = logDir.resolve(logName);
        pb.redirectOutput(log.toFile());
        this.process = pb.start();
        // Should this JVM die before close(), the node must not outlive it.
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        awaitReady();
    }

    /** The node's process id (the prefix, such as taskset, execs the JVM in place). */
    public long pid() {
        return process.pid();
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    private void awaitReady() throws IOException, InterruptedException {
        ChildProcesses.awaitReady(process, url(), log, "the LumaDB node", Duration.ofSeconds(60), this::close);
    }

    /** Stops the node (SIGTERM, then SIGKILL after 30 s) and deletes its data directory. */
    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(30));
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("warning: could not delete " + dir + ": " + e.getMessage());
        }
    }
}

package io.lumadb.bench.suite;

import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the suite runs a LumaDB node: a {@link NodeProcess} of the distribution jar with the
 * suite's JVM options, behind a command prefix (such as {@code taskset -c 0}), on a free port and
 * a fresh data directory that closing deletes; measured only once {@code /ready} answers.
 */
public final class LumaDbNode {

    private static final String HEAP = "2g";

    /** The node's JVM options, the same as bin/server's collector choice; the reference server's too. */
    static final List<String> JVM_OPTIONS = List.of(
            "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector", "-Xmx" + HEAP, "-XX:+UseZGC");

    private LumaDbNode() {}

    /**
     * A node (not started) from {@code jar} behind {@code prefix} (may be empty), logging to
     * {@code log}, with {@code extraOptions} after {@link #JVM_OPTIONS} (such as {@code -D}
     * overrides of the node's configuration).
     */
    public static NodeProcess.Builder builder(Path jar, List<String> prefix, Path log, List<String> extraOptions)
            throws IOException {
        if (!Files.exists(jar)) {
            throw new IOException(
                    "the LumaDB distribution " + jar + " is missing; build it with mvn package -pl node -am");
        }
        // NodeProcess puts the first three options (native access, the Vector API, heap) on the command line itself.
        return NodeProcess.builder(Files.createTempDirectory("lumadb-bench"))
                .name("the LumaDB node")
                .jar(jar)
                .commandPrefix(prefix)
                .heap(HEAP)
                .jvmOptions(JVM_OPTIONS.subList(3, JVM_OPTIONS.size()))
                .jvmOptions(extraOptions)
                .log(log)
                .deleteDataDirOnClose();
    }

    /** Starts a node from {@code jar} as {@link #builder} describes it and waits until it is {@link #awaitReady ready}. */
    public static NodeProcess start(Path jar, List<String> prefix, Path log, List<String> extraOptions)
            throws IOException, InterruptedException {
        NodeProcess node = builder(jar, prefix, log, extraOptions).build();
        try {
            launch(node, Duration.ofSeconds(60));
            return node;
        } catch (IOException | InterruptedException | RuntimeException e) {
            node.close();
            throw e;
        }
    }

    /**
     * Starts {@code node} (again) and waits until {@code /health} and then {@code /ready} answer
     * 200, at most {@code timeout} for each.
     */
    static void launch(NodeProcess node, Duration timeout) throws IOException, InterruptedException {
        node.launch(List.of());
        node.awaitHealthy(timeout);
        TestHttp http = new TestHttp(node.port());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (http.get("/ready").status() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IOException(
                        node.name() + " was not ready within " + timeout.toSeconds() + " s; see " + node.log());
            }
            Thread.sleep(100);
        }
    }
}

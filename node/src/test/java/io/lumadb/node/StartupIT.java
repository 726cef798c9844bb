package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.NodeProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting the distribution as a user does: a mistake in the settings (or a JVM without the
 * Vector API) ends the process with one line naming the setting and no stack trace, {@code
 * --help} prints the usage and an argument is a usage error (the node takes settings only), and a good start of the embedded default logs no
 * cluster-formation chatter and, on ZGC, the heap it keeps to ({@link HeapTarget}).
 */
@Timeout(180)
class StartupIT {

    @TempDir
    Path dir;

    /** Runs the jar with JVM options {@code args} to its end; returns its exit code and its whole output. */
    private static Run run(String... args) throws Exception {
        return run(NodeProcess.command(args));
    }

    private static Run run(ProcessBuilder pb) throws Exception {
        pb.redirectErrorStream(true);
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the node did not give up");
            return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }

    private record Run(int exit, String output) {
        /** The lines LumaDB printed (not the JVM's own warnings about libraries). */
        List<String> lines() {
            return output.lines().filter(l -> !l.startsWith("WARNING:")).toList();
        }
    }

    private static void assertOneLine(Run run, String... mentions) {
        assertEquals(1, run.exit(), run.output());
        assertEquals(1, run.lines().size(), run.output());
        String line = run.lines().getFirst();
        assertTrue(line.startsWith("LumaDB failed to start: "), line);
        for (String m : mentions) {
            assertTrue(line.contains(m), "'" + m + "' missing from: " + line);
        }
    }

    @Test
    void helpPrintsTheUsageAndAnArgumentIsAUsageError() throws Exception {
        ProcessBuilder help = NodeProcess.command();
        help.command().add("--help");
        help.environment().put("LUMADB_DATA_DIR", dir.resolve("data").toString());
        Run usage = run(help);
        assertEquals(0, usage.exit(), usage.output());
        assertTrue(
                usage.lines().getFirst().startsWith("Usage: java --add-modules jdk.incubator.vector -jar lumadb.jar"),
                usage.output());
        assertFalse(usage.output().contains("listening"), usage.output());

        ProcessBuilder bad = NodeProcess.command();
        bad.command().add("--port=9090");
        bad.environment().put("LUMADB_DATA_DIR", dir.resolve("data").toString());
        Run wrong = run(bad);
        assertEquals(64, wrong.exit(), wrong.output());
        assertTrue(wrong.lines().getFirst().equals("LumaDB takes no arguments (got: --port=9090)"), wrong.output());
        assertFalse(Files.exists(dir.resolve("data")), "a refused start wrote its data directory");
    }

    @Test
    void withoutTheVectorModuleTheStartEndsInOneLineBeforeAnythingOpens() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(
                java,
                "-Dlumadb.http.port=0",
                "-jar",
                NodeProcess.distributionJar().toString());
        pb.environment().put("LUMADB_DATA_DIR", dir.resolve("data").toString());
        Run run = run(pb);
        assertOneLine(run, "--add-modules jdk.incubator.vector");
        assertFalse(Files.exists(dir.resolve("data")), "the node opened its data directory before the check");
    }

    @Test
    void aDataDirectoryThatIsAFileEndsTheStartInOneLine() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        Run run = run("-Dlumadb.data-dir=" + file, "-Dlumadb.http.port=0");
        assertOneLine(run, "lumadb.data-dir", file.toString(), "not a directory");
    }

    @Test
    void aTakenPortEndsTheStartInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Run run = run("-Dlumadb.data-dir=" + dir.resolve("data"), "-Dlumadb.http.port=" + taken.getLocalPort());
            assertOneLine(run, "lumadb.http.port", Integer.toString(taken.getLocalPort()), "in use");
        }
    }

    @Test
    void theEmbeddedDefaultLogsNoClusterFormationKeepsItsHeapCompactAndASecondNodeOnItsDataIsRefused()
            throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        // On ZGC with a 2 GiB heap, as bin/server starts it.
        try (NodeProcess server =
                NodeProcess.builder(data).heap("2g").jvmOptions("-XX:+UseZGC").build()) {
            server.start();
            Run second = run("-Dlumadb.data-dir=" + data, "-Dlumadb.http.port=0");
            assertOneLine(second, "in use by another running LumaDB node", data.toString());
            server.terminate();
            String log = Files.readString(server.log());
            assertTrue(log.contains("LumaDB listening on"), log);
            assertTrue(log.contains("Heap: ZGC keeps to 512 MiB of the 2048 MiB limit"), log);
            for (String chatter :
                    List.of("manual cluster join required", "SBR started", "JOINING itself", "Shard Region")) {
                assertFalse(log.contains(chatter), "'" + chatter + "' in the log:\n" + log);
            }
        }
    }
}

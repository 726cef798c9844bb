package io.lumadb.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestFiles;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ServerCpuTest {

    @Test
    void aJvmsCpuGrowsWithTheWorkItDoes() {
        long pid = ProcessHandle.current().pid();
        double before = ServerCpu.read("lumadb", pid);
        long sink = 0;
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
        while (System.nanoTime() < until) {
            sink += Long.numberOfTrailingZeros(sink + System.nanoTime());
        }
        double used = ServerCpu.read("lumadb", pid) - before;
        assertTrue(used >= 0.2, "400 ms of spinning used " + used + " CPU s (" + sink + ")");
        assertTrue(Double.isNaN(ServerCpu.read("lumadb", Long.MAX_VALUE)), "a process that does not exist");
    }

    /**
     * A server whose worker processes come and go, as PostgreSQL's backends do: the CPU of a
     * worker that exited before the reading still counts, through its parent, and only once.
     */
    @Test
    void theCpuOfWorkersThatAlreadyExitedIsCountedOnceThroughTheirParent() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-servercpu");
        String name = "lumacpu" + ProcessHandle.current().pid() % 100_000;
        Path shell = dir.resolve(name);
        Files.createSymbolicLink(shell, Path.of("/bin/sh"));
        Process parent = null;
        try {
            assertTrue(Double.isNaN(ServerCpu.named(name)), "no such process yet");
            String busy = "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done";
            // The worker spins and exits; the parent waits for it, says so, then idles until told to end.
            parent = new ProcessBuilder(shell.toString(), "-c", shell + " -c '" + busy + "'; echo done; read x")
                    .redirectErrorStream(true)
                    .start();
            String line = new String(parent.getInputStream().readNBytes(5)).trim();
            assertEquals("done", line);
            double counted = ServerCpu.named(name);
            assertTrue(counted >= 0.1, "the exited worker's spinning is counted: " + counted + " CPU s");
            assertTrue(counted < 30, "counted once, not absurdly: " + counted);
        } finally {
            if (parent != null) {
                try (OutputStream in = parent.getOutputStream()) {
                    in.write('\n');
                } catch (java.io.IOException gone) {
                    // it has ended already
                }
                if (!parent.waitFor(10, TimeUnit.SECONDS)) {
                    parent.destroyForcibly().waitFor();
                }
            }
            TestFiles.deleteRecursively(dir);
        }
    }
}

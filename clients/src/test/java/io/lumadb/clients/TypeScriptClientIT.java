package io.lumadb.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The TypeScript client's own test suite ({@code clients/typescript/test}, Node.js's built-in
 * test runner) against a real node: CRUD, queries, indexes, SQL, search, every typed error,
 * change streams and live queries as async iterators and callbacks, abort, and both surviving a
 * restart of the node with exactly the changes they missed. The suite's output is this test's
 * output; the test fails with it when the suite does, when no test ran, or when one was skipped.
 * It also packs the package ({@code npm pack --dry-run}, whose {@code prepack} builds it) to
 * prove that it can be published.
 *
 * <p>{@code npm ci} installs the development dependencies (TypeScript and Node's types) into
 * {@code clients/typescript/node_modules}, which git ignores, as it does the build outputs
 * {@code dist/} and {@code build/}. The install and the builds run while the node starts: they
 * need no node, and the suite's wall time is what the project's test budget counts.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class TypeScriptClientIT {

    /** No colours, prompts, update checks or audit requests: plain output a test can read. */
    private static final Map<String, String> ENV = Map.of(
            "NO_COLOR", "1",
            "npm_config_update_notifier", "false",
            "npm_config_fund", "false",
            "npm_config_audit", "false",
            "npm_config_progress", "false");

    @Test
    void typeScriptSuitePassesAgainstARealNode() throws Exception {
        String install = "Node.js 20 or newer with npm (apt-get install nodejs npm; bin/test installs them as root)";
        String node = ClientSuite.requireTool("node", install);
        String npm = ClientSuite.requireTool("npm", install);
        Path project = ClientSuite.clientsDir().resolve("typescript");

        CompletableFuture<ClientSuite> starting = ClientSuite.startAsync("typescript");
        try {
            ClientSuite.Result version = run(
                    project, Duration.ofSeconds(30), node, "-p", "Number(process.versions.node.split('.')[0]) >= 20");
            assertEquals(
                    "true", version.output().strip(), () -> node + " is older than Node.js 20: " + version.output());
            ClientSuite.Result installed = run(project, Duration.ofMinutes(3), npm, "ci", "--no-audit", "--no-fund");
            assertEquals(0, installed.exit(), () -> "npm ci failed in " + project + ":\n" + installed.output());

            // Packing runs the prepack build: the package builds and holds its compiled code and types.
            ClientSuite.Result pack = run(project, Duration.ofMinutes(2), npm, "pack", "--dry-run");
            assertEquals(0, pack.exit(), () -> "npm pack failed:\n" + pack.output());
            for (String file :
                    List.of("dist/index.js", "dist/index.d.ts", "dist/streams.js", "package.json", "README.md")) {
                assertTrue(pack.output().contains(file), () -> "the package lacks " + file + ":\n" + pack.output());
            }
            ClientSuite.Result built = run(project, Duration.ofMinutes(2), npm, "run", "pretest");
            assertEquals(0, built.exit(), () -> "the suite does not compile:\n" + built.output());
        } catch (Throwable prepare) {
            try {
                ClientSuite.closeOnceStarted(starting);
            } catch (IOException | RuntimeException stopping) {
                prepare.addSuppressed(stopping);
            }
            throw prepare;
        }

        long waitingSince = System.nanoTime();
        try (ClientSuite suite = ClientSuite.started(starting)) {
            System.out.printf(
                    "[typescript] the node was ready %d ms after the package was built%n",
                    (System.nanoTime() - waitingSince) / 1_000_000);
            ClientSuite.Result run = suite.run(project, ENV, Duration.ofMinutes(4), List.of(npm, "test"));
            System.out.printf("[typescript] npm test took %d ms%n", run.took().toMillis());
            String failure = "the TypeScript client's suite failed (exit " + run.exit() + ", "
                    + run.took().toSeconds() + " s); its output:\n" + run.output()
                    + "\nthe end of the node's log:\n" + ClientSuite.tail(suite.nodeLog(), 80);
            assertEquals(0, run.exit(), failure);
            ClientSuite.assertAllPassed(run.output(), 1, failure);
        }
    }

    /** Runs a command that needs no node (install, pack, build) in {@code directory}, without any node's variables. */
    private static ClientSuite.Result run(Path directory, Duration timeout, String... command)
            throws IOException, InterruptedException {
        return ClientSuite.runCommand(directory, ENV, timeout, List.of(command));
    }
}

package io.lumadb.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /** The closing counters of the TAP reporter: {@code # pass 57}, {@code # skipped 0}, ... */
    private static final Pattern COUNTER =
            Pattern.compile("^# (tests|pass|fail|cancelled|skipped|todo) (\\d+)$", Pattern.MULTILINE);

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

        CompletableFuture<ClientSuite> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return ClientSuite.start("typescript");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the node started", e);
            }
        });
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
                closeOnceStarted(starting);
            } catch (IOException | RuntimeException stopping) {
                prepare.addSuppressed(stopping);
            }
            throw prepare;
        }

        long waitingSince = System.nanoTime();
        try (ClientSuite suite = started(starting)) {
            System.out.printf(
                    "[typescript] the node was ready %d ms after the package was built%n",
                    (System.nanoTime() - waitingSince) / 1_000_000);
            ClientSuite.Result run = suite.run(project, ENV, Duration.ofMinutes(4), List.of(npm, "test"));
            System.out.printf("[typescript] npm test took %d ms%n", run.took().toMillis());
            String failure = "the TypeScript client's suite failed (exit " + run.exit() + ", "
                    + run.took().toSeconds() + " s); its output:\n" + run.output()
                    + "\nthe end of the node's log:\n" + ClientSuite.tail(suite.nodeLog(), 80);
            assertEquals(0, run.exit(), failure);
            Map<String, Integer> counters = counters(run.output());
            assertTrue(counters.getOrDefault("pass", 0) > 0, () -> "no test passed: " + counters + "\n" + failure);
            assertEquals(counters.get("tests"), counters.get("pass"), () -> "not every test passed\n" + failure);
            // Every test needs to have run against the node: a skipped one would hide a gap.
            for (String none : List.of("fail", "cancelled", "skipped", "todo")) {
                assertEquals(0, counters.get(none), () -> "# " + none + " is not 0: " + counters + "\n" + failure);
            }
        }
    }

    /** The last value of each TAP counter; a counter missing from the output is missing from the map. */
    private static Map<String, Integer> counters(String output) {
        Map<String, Integer> counters = new TreeMap<>();
        Matcher m = COUNTER.matcher(output);
        while (m.find()) {
            counters.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return counters;
    }

    /** The started suite, or what made its start fail. */
    private static ClientSuite started(CompletableFuture<ClientSuite> starting) throws Exception {
        try {
            return starting.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Stops the node once its start (which cleans up after itself when it fails) has ended. */
    private static void closeOnceStarted(CompletableFuture<ClientSuite> starting) throws IOException {
        ClientSuite suite = starting.handle((s, e) -> s).join();
        if (suite != null) {
            suite.close();
        }
    }

    /** Runs a command that needs no node (install, pack, build) in {@code directory}, without any node's variables. */
    private static ClientSuite.Result run(Path directory, Duration timeout, String... command)
            throws IOException, InterruptedException {
        return ClientSuite.runCommand(directory, ENV, timeout, List.of(command));
    }
}

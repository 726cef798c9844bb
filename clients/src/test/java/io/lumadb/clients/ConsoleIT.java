package io.lumadb.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestFiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The web console's browser suite ({@code console/e2e}, Playwright with the system's Chromium and
 * axe-core) against a real node with security on, which serves the console at {@code /console}
 * from its jar: sign in, create a database, a collection and documents, edit one into a version
 * conflict, query (JQL with completion, explain, SQL), a live query that shows the row another
 * client writes, a change stream with its resume token, the admin views, theme switching, drops
 * after confirmation; no serious or critical accessibility violation on any main view in either
 * theme. Screenshots of the main views are kept in {@code clients/target/console-screenshots}.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConsoleIT {

    private static final Pattern PASSED = Pattern.compile("^\\s*(\\d+) passed", Pattern.MULTILINE);
    private static final Pattern NOT_PASSED =
            Pattern.compile("^\\s*\\d+ (failed|skipped|flaky|did not run|interrupted)", Pattern.MULTILINE);
    private static final String INSTALLED_STAMP = "node_modules/.lumadb-installed-from-package-lock.json";

    /** The main views, each screenshotted in both themes by the suite. */
    private static final List<String> VIEWS =
            List.of("sign-in", "documents", "query", "live", "indexes", "cluster", "metrics", "security");

    @Test
    void consoleSuitePassesAgainstARealNode() throws Exception {
        String node = ClientSuite.requireTool("node", "Node.js 20+ (apt-get install nodejs npm)");
        ClientSuite.requireTool("npm", "npm (apt-get install nodejs npm)");
        Path chromium = chromium();
        Path clients = ClientSuite.clientsDir();
        Path console = clients.getParent().resolve("console");
        installDependencies(console);

        Path screenshots = clients.resolve("target/console-screenshots");
        TestFiles.deleteRecursively(screenshots);
        Files.createDirectories(screenshots);
        Path results = clients.resolve("target/console-test-results");

        try (ClientSuite suite = ClientSuite.start("console")) {
            Map<String, String> env = Map.of(
                    "LUMADB_CHROMIUM", chromium.toString(),
                    "LUMADB_CONSOLE_SCREENSHOTS", screenshots.toString(),
                    "LUMADB_CONSOLE_TEST_OUTPUT", results.toString(),
                    "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1",
                    "CI", "1");
            ClientSuite.Result run = suite.run(
                    console,
                    env,
                    Duration.ofMinutes(3),
                    List.of(
                            node,
                            console.resolve("node_modules/@playwright/test/cli.js")
                                    .toString(),
                            "test",
                            "--reporter=list"));
            String failure = "the console's browser suite failed (exit " + run.exit() + ", "
                    + run.took().toSeconds() + " s); its output:\n" + run.output()
                    + "\nthe end of the node's log:\n" + ClientSuite.tail(suite.nodeLog(), 80);
            assertEquals(0, run.exit(), failure);
            Matcher passed = PASSED.matcher(run.output());
            assertTrue(passed.find() && Integer.parseInt(passed.group(1)) > 0, failure);
            // Every test must have run against the node: a skipped one would hide a gap.
            assertFalse(NOT_PASSED.matcher(run.output()).find(), failure);
        }
        List<String> missing = new ArrayList<>();
        for (String view : VIEWS) {
            for (String theme : List.of("light", "dark")) {
                Path shot = screenshots.resolve(view + "-" + theme + ".png");
                if (!Files.isRegularFile(shot) || Files.size(shot) == 0) {
                    missing.add(shot.getFileName().toString());
                }
            }
        }
        assertEquals(List.of(), missing, "screenshots the suite should have kept in " + screenshots);
    }

    /** The system's Chromium: {@code -DLUMADB_CHROMIUM} or {@code /usr/bin/chromium}; never a download. */
    private static Path chromium() {
        Path chromium = Path.of(System.getProperty("LUMADB_CHROMIUM", "/usr/bin/chromium"));
        assertTrue(
                Files.isExecutable(chromium),
                "the console's browser tests need Chromium at " + chromium
                        + ": apt-get update && apt-get install -y chromium (or -DLUMADB_CHROMIUM=/path/to/chromium)");
        return chromium;
    }

    /**
     * {@code npm ci} in {@code console/} unless its node_modules was installed from this very
     * package-lock.json (the console's Maven build leaves the same stamp).
     */
    private static void installDependencies(Path console) throws IOException, InterruptedException {
        Path stamp = console.resolve(INSTALLED_STAMP);
        byte[] lock = Files.readAllBytes(console.resolve("package-lock.json"));
        if (Files.isRegularFile(stamp) && Arrays.equals(lock, Files.readAllBytes(stamp))) {
            return;
        }
        ProcessBuilder pb = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
                .directory(console.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Process npm = pb.start();
        try {
            assertTrue(npm.waitFor(5, TimeUnit.MINUTES), "npm ci in " + console + " did not end within 5 minutes");
            assertEquals(0, npm.exitValue(), "npm ci in " + console + " failed (its output is above)");
        } finally {
            npm.destroyForcibly();
        }
        Files.write(stamp, lock);
    }
}

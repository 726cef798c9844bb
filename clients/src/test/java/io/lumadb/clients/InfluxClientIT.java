package io.lumadb.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * InfluxDB's own client libraries from npm against a real node: {@code @influxdata/influxdb-client}
 * (InfluxDB 2.x's official JavaScript client) writes points through LumaDB's {@code
 * /api/v2/write}, and {@code influx} (node-influx, for InfluxDB 1.x) through {@code /write}; every
 * point read back through {@code _tsquery} must equal the one written: measurement, tags (with the
 * characters line protocol escapes), each field's type and value, and the time to the nanosecond.
 * The suite also checks what the clients report when LumaDB refuses a write (a field type
 * conflict, a malformed line, unknown credentials) and that a large batch really goes out gzipped.
 *
 * <p>The suite is {@code clients/influx/test} (Node.js's built-in test runner); its output is this
 * test's output, and the test fails with it when the suite does, when fewer tests than expected
 * ran, or when one was skipped. {@code npm ci} installs the two pinned packages into {@code
 * clients/influx/node_modules}, which git ignores, with npm's cache under {@code
 * clients/target/npm-cache}; it runs while the node starts.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InfluxClientIT {

    /** The tests of the suite; fewer passing means some did not run. */
    private static final int TESTS = 9;

    @Test
    void influxDbClientsWritePointsThatReadBackEqual() throws Exception {
        String install = "Node.js 20 or newer with npm (apt-get install nodejs npm; bin/test installs them as root)";
        String node = ClientSuite.requireTool("node", install);
        String npm = ClientSuite.requireTool("npm", install);
        Path clients = ClientSuite.clientsDir();
        Path project = clients.resolve("influx");
        Path cache = Files.createDirectories(clients.resolve("target/npm-cache"));
        // No colours, prompts, update checks or audit requests: plain output a test can read.
        Map<String, String> env = Map.of(
                "NO_COLOR", "1",
                "npm_config_cache", cache.toString(),
                "npm_config_update_notifier", "false",
                "npm_config_fund", "false",
                "npm_config_audit", "false",
                "npm_config_progress", "false");

        CompletableFuture<ClientSuite> starting = ClientSuite.startAsync("influx");
        try {
            ClientSuite.Result version = ClientSuite.runCommand(
                    project,
                    env,
                    Duration.ofSeconds(30),
                    List.of(node, "-p", "Number(process.versions.node.split('.')[0]) >= 20"));
            assertEquals(
                    "true", version.output().strip(), () -> node + " is older than Node.js 20: " + version.output());
            ClientSuite.Result installed = ClientSuite.runCommand(
                    project, env, Duration.ofMinutes(2), List.of(npm, "ci", "--no-audit", "--no-fund"));
            assertEquals(0, installed.exit(), () -> "npm ci failed in " + project + ":\n" + installed.output());
        } catch (Throwable prepare) {
            try {
                ClientSuite.closeOnceStarted(starting);
            } catch (IOException | RuntimeException stopping) {
                prepare.addSuppressed(stopping);
            }
            throw prepare;
        }

        try (ClientSuite suite = ClientSuite.started(starting)) {
            ClientSuite.Result run = suite.run(project, env, Duration.ofMinutes(2), List.of(npm, "test"));
            System.out.printf("[influx] npm test took %d ms%n", run.took().toMillis());
            String failure = "the InfluxDB clients' suite failed (exit " + run.exit() + ", "
                    + run.took().toSeconds() + " s); its output:\n" + run.output()
                    + "\nthe end of the node's log:\n" + ClientSuite.tail(suite.nodeLog(), 80);
            assertEquals(0, run.exit(), failure);
            ClientSuite.assertAllPassed(run.output(), TESTS, failure);
        }
    }
}

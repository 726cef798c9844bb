package io.lumadb.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Go client's own test suite ({@code clients/go}, {@code go test}) against a real node: CRUD,
 * queries, indexes, SQL, search, every typed error, context cancellation, change streams and
 * live queries, and both surviving a restart of the node with exactly the changes they missed.
 * {@code go vet} runs first. Go writes its build cache and module cache under {@code
 * clients/target/go}, never into the source tree or the home directory, and fetches nothing (the
 * client uses the standard library only). The test fails with the suite's output when the suite
 * fails, or when it skipped a test.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GoClientIT {

    @Test
    void goSuitePassesAgainstARealNode() throws Exception {
        String go = ClientSuite.requireTool(
                "go", "Go 1.19 or newer (apt-get install golang-go; bin/test installs it when run as root)");
        Path clients = ClientSuite.clientsDir();
        Path module = clients.resolve("go");
        Path cache = clients.resolve("target/go");
        Files.createDirectories(cache.resolve("cache"));
        Files.createDirectories(cache.resolve("path"));
        Map<String, String> env = Map.of(
                "GOFLAGS", "-mod=mod",
                "GOPROXY", "off",
                "GOCACHE", cache.resolve("cache").toString(),
                "GOPATH", cache.resolve("path").toString(),
                "CGO_ENABLED", "0",
                "GOTOOLCHAIN", "local",
                "HOME", cache.toString());
        try (ClientSuite suite = ClientSuite.start("go")) {
            ClientSuite.Result vet = suite.run(module, env, Duration.ofMinutes(2), List.of(go, "vet", "./..."));
            assertEquals(
                    0,
                    vet.exit(),
                    () -> "go vet found problems in the Go client (exit " + vet.exit() + "):\n" + vet.output());

            ClientSuite.Result run =
                    suite.run(module, env, Duration.ofMinutes(4), List.of(go, "test", "-count=1", "-v", "./..."));
            String failure = "the Go client's suite failed (exit " + run.exit() + ", "
                    + run.took().toSeconds()
                    + " s); its output:\n" + run.output() + "\nthe end of the node's log:\n"
                    + ClientSuite.tail(suite.nodeLog(), 80);
            assertEquals(0, run.exit(), failure);
            assertTrue(run.output().contains("--- PASS: "), failure);
            assertTrue(run.output().lines().anyMatch(l -> l.startsWith("ok ")), failure);
            // Every test needs to have run against the node: a skipped one would hide a gap.
            assertFalse(run.output().contains("--- SKIP"), failure);
        }
    }
}

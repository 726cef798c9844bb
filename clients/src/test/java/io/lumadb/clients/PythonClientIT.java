package io.lumadb.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Python client's own test suite ({@code clients/python/tests}, unittest) against a real
 * node: CRUD, queries, indexes, SQL, every typed error, change streams and live queries, and
 * both surviving a restart of the node with exactly the changes they missed. The suite's output
 * is this test's output; the test fails with it when the suite does, or when it skipped a test.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PythonClientIT {

    private static final Pattern RAN = Pattern.compile("^Ran (\\d+) tests? in ", Pattern.MULTILINE);

    @Test
    void pythonSuitePassesAgainstARealNode() throws Exception {
        String python = ClientSuite.requireTool(
                "python3", "Python 3.11 or newer (apt-get install python3; bin/test installs it when run as root)");
        Path clients = ClientSuite.clientsDir();
        Path root = clients.getParent();
        try (ClientSuite suite = ClientSuite.start("python")) {
            // Python's own files are kept out of the source tree (no __pycache__ next to the code).
            Map<String, String> env = Map.of("PYTHONUNBUFFERED", "1", "PYTHONDONTWRITEBYTECODE", "1");
            ClientSuite.Result version = suite.run(
                    root,
                    env,
                    Duration.ofSeconds(30),
                    List.of(python, "-c", "import sys; print(sys.version_info >= (3, 11))"));
            assertEquals(
                    "True", version.output().strip(), () -> python + " is older than Python 3.11: " + version.output());

            ClientSuite.Result run = suite.run(
                    root,
                    env,
                    Duration.ofMinutes(4),
                    List.of(python, "-m", "unittest", "discover", "-s", "clients/python/tests", "-v"));
            String failure = "the Python client's suite failed (exit " + run.exit() + ", "
                    + run.took().toSeconds()
                    + " s); its output:\n" + run.output() + "\nthe end of the node's log:\n"
                    + ClientSuite.tail(suite.nodeLog(), 80);
            assertEquals(0, run.exit(), failure);
            Matcher ran = RAN.matcher(run.output());
            assertTrue(ran.find() && Integer.parseInt(ran.group(1)) > 0, failure);
            // Every test needs to have run against the node: a skipped one would hide a gap.
            assertFalse(run.output().contains(" ... skipped"), failure);
        }
    }
}

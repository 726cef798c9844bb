package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.fail;

import io.lumadb.testkit.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium for browser tests, run as a child process on a fresh profile. {@link #locate}
 * finds it ({@code LUMADB_CHROMIUM}, then {@code /usr/bin/chromium}, {@code
 * /usr/bin/chromium-browser}); when it is missing and the test runs as root with {@code apt-get},
 * it installs Debian's package, and otherwise fails saying how to install it: a browser test never
 * skips silently. {@link #close} kills the browser's whole process tree and deletes every file it
 * wrote.
 */
final class HeadlessChromium implements AutoCloseable {

    /** System property or environment variable naming the Chromium (or Chrome) executable. */
    static final String LOCATION = "LUMADB_CHROMIUM";

    private static final List<Path> KNOWN = List.of(Path.of("/usr/bin/chromium"), Path.of("/usr/bin/chromium-browser"));
    private static final Path APT_GET = Path.of("/usr/bin/apt-get");
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    private static final String HOW_TO_INSTALL = "Browser tests need Chromium. Install it (Debian/Ubuntu:"
            + " `sudo apt-get install -y chromium`), or name any Chromium or Chrome executable with -D"
            + LOCATION + "=/path/to/chromium or the environment variable " + LOCATION
            + ". Run as root with apt-get, the test installs it itself.";

    private final Process process;
    /** Holds everything the browser writes: its profile, its temporary files and its output. */
    private final Path dir;

    private final Path profile;
    private final Path log;

    private HeadlessChromium(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
        this.profile = profile(dir);
        this.log = log(dir);
    }

    private static Path profile(Path dir) {
        return dir.resolve("profile");
    }

    private static Path log(Path dir) {
        return dir.resolve("output.log");
    }

    /** The executable to run; installs Chromium if it is missing and this process may; else fails. */
    static Path locate() throws IOException, InterruptedException {
        String named = System.getProperty(LOCATION, System.getenv(LOCATION));
        if (named != null && !named.isBlank()) {
            Path p = Path.of(named);
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                fail(LOCATION + " names " + p + ", which is not an executable file. " + HOW_TO_INSTALL);
            }
            return p;
        }
        Optional<Path> found = installed();
        if (found.isPresent()) {
            return found.get();
        }
        if (!isRoot() || !Files.isExecutable(APT_GET)) {
            fail("Chromium not found at " + KNOWN + " and this process cannot install it (it is not root with "
                    + APT_GET + "). " + HOW_TO_INSTALL);
        }
        long deadline = System.nanoTime() + INSTALL_TIMEOUT.toNanos();
        List<String> install = List.of(APT_GET.toString(), "install", "-y", "--no-install-recommends", "chromium");
        String output = run(install, deadline);
        if (installed().isEmpty()) {
            // A fresh machine often has no package lists yet.
            output += run(List.of(APT_GET.toString(), "update"), deadline) + run(install, deadline);
        }
        Optional<Path> now = installed();
        if (now.isEmpty()) {
            fail("Chromium is missing and `" + String.join(" ", install) + "` did not install it. " + HOW_TO_INSTALL
                    + "\napt-get said:\n" + tail(output, 4000));
        }
        return now.get();
    }

    private static Optional<Path> installed() {
        return KNOWN.stream().filter(Files::isExecutable).findFirst();
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Runs a command until it ends or the deadline passes; returns what it printed. */
    private static String run(List<String> command, long deadline) throws IOException, InterruptedException {
        Path out = Files.createTempFile("lumadb-apt", ".log");
        try {
            ProcessBuilder pb =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            long left = Math.max(0, deadline - System.nanoTime());
            if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
                kill(p.toHandle());
                fail("`" + String.join(" ", command) + "` did not finish within " + INSTALL_TIMEOUT + ". "
                        + HOW_TO_INSTALL + "\nIt said:\n" + tail(Files.readString(out, StandardCharsets.UTF_8), 4000));
            }
            return "$ " + String.join(" ", command) + " (exit " + p.exitValue() + ")\n"
                    + Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Starts the browser on {@code url} with a fresh profile. */
    static HeadlessChromium open(Path executable, String url) throws IOException {
        Path dir = Files.createTempDirectory("lumadb-chromium");
        Path profile = Files.createDirectory(profile(dir));
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        List<String> command = List.of(
                executable.toString(),
                "--headless",
                // Root in a container has no user namespace for the sandbox.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                // The network is closed: nothing may wait on Google's services.
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-breakpad",
                "--password-store=basic",
                "--mute-audio",
                // Console messages (a CORS refusal is one) go to stderr, into the failure message.
                "--enable-logging=stderr",
                "--user-data-dir=" + profile,
                url);
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(dir).toFile());
        // Nothing of the user's is read or written, and the files a killed browser cannot clean
        // up (its singleton socket, shared memory) stay in the directory deleted on close.
        pb.environment().putAll(Map.of("HOME", profile.toString(), "TMPDIR", tmp.toString()));
        try {
            return new HeadlessChromium(pb.start(), dir);
        } catch (IOException e) {
            TestFiles.deleteRecursively(dir);
            throw e;
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The end of what the browser printed, for failure messages. */
    String output() {
        String state = process.isAlive() ? "running" : "exited with " + process.exitValue();
        try {
            // Without a D-Bus (a container, CI), Chromium complains about it at length; that is noise.
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> kept =
                    lines.stream().filter(l -> !l.contains(":ERROR:dbus/")).toList();
            return "Chromium (" + state + ") printed (" + (lines.size() - kept.size()) + " D-Bus errors left out):\n"
                    + tail(String.join("\n", kept), 8000);
        } catch (IOException e) {
            return "Chromium (" + state + "); its output cannot be read: " + e;
        }
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - max);
    }

    /** Kills the browser and every process it started, then deletes its profile, files and output. */
    @Override
    public void close() throws IOException {
        kill(process.toHandle());
        // A process that left the tree (re-parented when its parent died) still names the profile.
        String marker = "--user-data-dir=" + profile;
        ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .arguments()
                        .map(a -> List.of(a).contains(marker))
                        .orElse(false))
                .forEach(HeadlessChromium::kill);
        TestFiles.deleteRecursively(dir);
    }

    /** Kills a process and its descendants (collected first: they are re-parented once it dies). */
    private static void kill(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.addFirst(root);
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // Already SIGKILLed; there is nothing more to do for this one. Wait for the rest.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

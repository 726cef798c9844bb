package io.lumadb.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Running the machine's own commands (service control) for the service helpers. */
final class Commands {

    private Commands() {}

    /** Whether {@code command} is an executable on the PATH. */
    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code command} to its end (at most 60 s); fails with its output unless it exits with 0. */
    static void run(String... command) throws IOException, InterruptedException {
        run(null, List.of(command));
    }

    /**
     * Runs {@code command} in {@code directory} (null: this JVM's) to its end (at most 60 s) and
     * returns its output; fails with the output unless it exits with 0.
     */
    static String run(Path directory, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        Process p = builder.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    /** Waits until {@code name} listens on 127.0.0.1:{@code port}; fails after {@code seconds}. */
    static void awaitListening(String name, int port, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Ports.listening("127.0.0.1", port)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        name + " was started but does not listen on 127.0.0.1:" + port + " after " + seconds + " s");
            }
            Thread.sleep(200);
        }
    }
}

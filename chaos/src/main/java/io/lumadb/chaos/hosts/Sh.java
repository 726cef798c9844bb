package io.lumadb.chaos.hosts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The machine's commands ({@code ip}, {@code nft}, {@code iptables}, {@code pg_ctl}, {@code
 * apt-get}, {@code kill}) as the harness runs them: to their end, output and exit code captured,
 * in the C locale and without interactive prompts; a command that outlives its timeout is killed
 * and counts as failed.
 */
public final class Sh {

    /** What a command did. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    private static final Executor READERS =
            task -> Thread.ofVirtual().name("sh-output").start(task);

    private Sh() {}

    /** Runs {@code command}; fails with its output unless it exits with 0. */
    public static String run(String... command) {
        return run(List.of(command));
    }

    /** Runs {@code command}; fails with its output unless it exits with 0. */
    public static String run(List<String> command) {
        Result r = attempt(command);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + r.exit() + ": "
                    + r.output().strip());
        }
        return r.output();
    }

    /** Runs {@code command} (at most a minute) and tells what happened; never throws for a failing command. */
    public static Result attempt(String... command) {
        return attempt(List.of(command));
    }

    /** Runs {@code command} (at most a minute) and tells what happened; never throws for a failing command. */
    public static Result attempt(List<String> command) {
        try {
            return attempt(command, DEFAULT_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while running " + command, e));
        }
    }

    /**
     * Runs {@code command} to its end, at most {@code timeout}, and tells what happened. Its output
     * is read on a thread of its own, so a command that writes much cannot stall on a full pipe.
     */
    public static Result attempt(List<String> command, Duration timeout) throws InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(Map.of("DEBIAN_FRONTEND", "noninteractive", "LC_ALL", "C"));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return new Result(-1, "could not run " + command.getFirst() + ": " + e.getMessage());
        }
        try {
            process.getOutputStream().close();
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process), READERS);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return new Result(-1, "timed out after " + timeout.toSeconds() + " s: " + output.getNow(""));
            }
            return new Result(process.exitValue(), output.get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (IOException | ExecutionException | TimeoutException e) {
            return new Result(process.isAlive() ? -1 : process.exitValue(), "output lost: " + e);
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    private static String readAll(Process process) {
        try (InputStream in = process.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    /** Whether this process runs as root (network namespaces, mounts and packet filters need it). */
    public static boolean root() {
        return "0".equals(attempt("id", "-u").output().strip());
    }
}

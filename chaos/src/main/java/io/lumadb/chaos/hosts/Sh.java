package io.lumadb.chaos.hosts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The machine's commands ({@code ip}, {@code nft}, {@code pg_ctl}, {@code kill}) as the harness
 * runs them: to their end, output and exit code captured, never longer than a minute.
 */
public final class Sh {

    /** What a command did. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

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

    /** Runs {@code command} and tells what happened; never throws for a failing command. */
    public static Result attempt(String... command) {
        return attempt(List.of(command));
    }

    /** Runs {@code command} and tells what happened; never throws for a failing command. */
    public static Result attempt(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, output + " (still running after 60 s, killed)");
            }
            return new Result(p.exitValue(), output);
        } catch (IOException e) {
            return new Result(-1, "could not run " + command.getFirst() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while running " + command, e));
        }
    }

    /** Whether this process runs as root (network namespaces, mounts and packet filters need it). */
    public static boolean root() {
        return "0".equals(attempt("id", "-u").output().strip());
    }
}

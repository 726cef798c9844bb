package io.lumadb.bench.vector;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The vector section's native reference: the {@code usearch} npm package (its prebuilt binary,
 * HNSW in C++ with SIMD distance kernels), installed with the machine's npm into a directory of
 * its own and driven by {@code usearch-bench.js} (a resource beside this class) on the same
 * vectors and queries as LumaDB. When Node.js or npm is missing, or the install or the script
 * fails, the reference is {@linkplain Outcome#unavailable() unavailable} with the reason: the
 * section reports it and goes on.
 */
public final class UsearchReference {

    /** The usearch release the suite installs (the npm registry's latest when this was written). */
    public static final String VERSION = "2.26.2";

    private static final String SCRIPT = "usearch-bench.js";

    /**
     * What the script measured.
     *
     * @param buildSeconds adding every vector with one thread
     * @param buildCpuSeconds the process's CPU time meanwhile
     * @param indexBytes the saved index's size (vectors and graph)
     * @param sweep one point per {@code expansion_search}
     */
    public record Result(
            String version,
            String node,
            int vectors,
            double buildSeconds,
            double buildCpuSeconds,
            double buildPerSecond,
            int buildThreads,
            long indexBytes,
            List<Sweep.Point> sweep) {
        public Result {
            sweep = List.copyOf(sweep);
        }
    }

    /** The reference's result, or why there is none (then {@code result} is null). */
    public record Outcome(Result result, String unavailable) {}

    private UsearchReference() {}

    /**
     * Installs usearch into {@code dir} unless it is there already, and runs the script behind
     * {@code prefix} (a CPU pinning) on {@code data}; the output of npm and the script go to {@code
     * log}. Never throws for a missing or failing reference: the outcome says why.
     */
    public static Outcome run(
            Path dir,
            Path data,
            List<String> prefix,
            double minSeconds,
            List<Integer> expansions,
            int connectivity,
            int expansionAdd,
            Path log,
            Duration timeout)
            throws InterruptedException {
        try {
            Files.createDirectories(dir);
            Files.writeString(log, "");
            Run node = exec(dir, List.of("node", "--version"), log, Duration.ofSeconds(30));
            if (node.exit() != 0) {
                return unavailable("Node.js is not usable here (`node --version` " + node.describe() + ")");
            }
            if (!installed(dir)) {
                Files.writeString(
                        dir.resolve("package.json"),
                        "{\"name\":\"lumadb-bench-usearch\",\"private\":true,\"description\":\"installed by the"
                                + " LumaDB benchmark suite\"}\n");
                Run npm = exec(
                        dir,
                        List.of(
                                "npm",
                                "install",
                                "--no-audit",
                                "--no-fund",
                                "--no-package-lock",
                                "--loglevel=error",
                                // fail soon without a registry, rather than retrying for minutes
                                "--fetch-retries=1",
                                "--fetch-timeout=60000",
                                "usearch@" + VERSION),
                        log,
                        Duration.ofMinutes(3));
                if (npm.exit() != 0 || !installed(dir)) {
                    return unavailable("`npm install usearch@" + VERSION + "` " + npm.describe() + "; see " + log);
                }
            }
            try (InputStream script = UsearchReference.class.getResourceAsStream(SCRIPT)) {
                if (script == null) {
                    throw new IOException("the resource " + SCRIPT + " is missing from the class path");
                }
                Files.copy(script, dir.resolve(SCRIPT), StandardCopyOption.REPLACE_EXISTING);
            }
            Path index = dir.resolve("index.usearch");
            List<String> command = new ArrayList<>(prefix);
            command.addAll(List.of(
                    "node",
                    SCRIPT,
                    data.toAbsolutePath().toString(),
                    Double.toString(minSeconds),
                    expansions.stream().map(String::valueOf).collect(Collectors.joining(",")),
                    Integer.toString(connectivity),
                    Integer.toString(expansionAdd),
                    index.toString()));
            Path stdout = dir.resolve("usearch-bench.json");
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectOutput(stdout.toFile())
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            try {
                if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    return unavailable("the usearch script did not finish within " + timeout.toSeconds() + " s");
                }
            } finally {
                p.destroyForcibly();
                Files.deleteIfExists(index);
            }
            if (p.exitValue() != 0) {
                return unavailable("the usearch script exited with status " + p.exitValue() + "; see " + log);
            }
            Result result = new ObjectMapper().readValue(stdout.toFile(), Result.class);
            return new Outcome(result, null);
        } catch (IOException e) {
            return unavailable(e.toString());
        }
    }

    /** Whether usearch {@link #VERSION} is installed in {@code dir}. */
    static boolean installed(Path dir) {
        Path pkg = dir.resolve("node_modules/usearch/package.json");
        try {
            return Files.exists(pkg)
                    && new ObjectMapper()
                            .readTree(pkg.toFile())
                            .path("version")
                            .asText()
                            .equals(VERSION);
        } catch (IOException e) {
            return false;
        }
    }

    private static Outcome unavailable(String why) {
        return new Outcome(null, why);
    }

    /** How a command ended. */
    private record Run(int exit, String problem) {
        String describe() {
            return problem != null ? problem : "exited with status " + exit;
        }
    }

    /** Runs a short command in {@code dir}, its output appended to {@code log}; a missing program is exit -1. */
    private static Run exec(Path dir, List<String> command, Path log, Duration timeout)
            throws IOException, InterruptedException {
        Files.writeString(
                log,
                "$ " + String.join(" ", command) + "\n",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException notFound) {
            return new Run(-1, "could not start: " + notFound.getMessage());
        }
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return new Run(-1, "did not finish within " + timeout.toSeconds() + " s");
        }
        return new Run(p.exitValue(), null);
    }

    /**
     * Where the suite installs usearch: {@code usearch/} in the directory of the benchmark jar
     * (bench/target), or beside the class directory when run from classes (tests).
     */
    public static Path defaultDirectory() {
        try {
            Path code = Path.of(UsearchReference.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return code.getParent().resolve("usearch");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("bench/target/usearch");
        }
    }
}

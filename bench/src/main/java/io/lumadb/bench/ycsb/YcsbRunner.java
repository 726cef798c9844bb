package io.lumadb.bench.ycsb;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Runs YCSB 0.17's {@code site.ycsb.Client} against LumaDB, PostgreSQL or Redis through the bindings
 * of this package, one phase (load or transactions) of one workload file per call, and returns what
 * it measured.
 *
 * <p>Each run is a child JVM (this JVM's own {@code java} and class path, after the spec's command
 * prefix), so runs do not share JIT state, heap or threads with the caller or each other. Its output
 * and HdrHistogram logs stay in the work directory. A run that YCSB did not complete cleanly (non-zero
 * exit, no {@code [OVERALL]} line, any non-OK operation, fewer operations than asked) throws instead of
 * returning numbers that look valid.
 */
public final class YcsbRunner {

    /** Database calls, the operation types merged into "ALL" (not READ-MODIFY-WRITE, not VERIFY). */
    static final List<String> DB_OPERATIONS = List.of("READ", "UPDATE", "INSERT", "SCAN", "DELETE");

    private static final Map<String, String> BINDINGS = Map.of(
            "lumadb", LumaDbYcsbClient.class.getName(),
            "postgresql", PostgresYcsbClient.class.getName(),
            "redis", RedisYcsbClient.class.getName());
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final int TAIL_LINES = 40;

    private YcsbRunner() {}

    /**
     * Runs YCSB's site.ycsb.Client in a child JVM (commandPrefix, e.g. ["taskset","-c","1"], goes
     * before the java command; the java is this JVM's own binary; classpath = this JVM's
     * java.class.path), writes its stdout/stderr to a file in workDir, parses the result, and throws
     * IOException with the tail of the output if YCSB exited non-zero or reported any Return=ERROR or
     * failed operations. Uses -p measurementtype=hdrhistogram -p hdrhistogram.percentiles=50,95,99
     * and -s.
     *
     * <p>The spec's properties are passed as {@code -p key=value}; record and operation counts and the
     * measurement settings are passed after them and so always win. The histogram logs ({@code
     * <run>-<OP>.hdr}) are written next to the output and merged into the "ALL" entry. (YCSB 0.17's
     * own HdrHistogram, 2.1.4, cannot write them on Java 11+: it needs javax.xml.bind. The build
     * pins 2.2.x, which can.)
     */
    public static YcsbResult run(YcsbSpec spec, Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        String name = runName(spec, workDir);
        Path output = workDir.resolve(name + ".log").toAbsolutePath();
        String histogramPrefix = workDir.resolve(name + "-").toAbsolutePath().toString();
        List<String> command = command(spec, histogramPrefix);
        // The command heads the file, so a run can be repeated by hand from its output alone.
        Files.writeString(output, "# " + String.join(" ", command) + "\n", StandardCharsets.UTF_8);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(output.toFile()))
                .start();
        int exit;
        try {
            exit = process.waitFor();
        } catch (InterruptedException e) {
            stop(process);
            throw e;
        }
        List<String> lines = readLines(output);
        YcsbOutput parsed = YcsbOutput.parse(lines);

        List<String> problems = new ArrayList<>();
        if (exit != 0) {
            problems.add("YCSB exited with status " + exit);
        }
        if (Double.isNaN(parsed.throughputOpsPerSec())) {
            problems.add("YCSB printed no [OVERALL], Throughput(ops/sec) line");
        }
        if (parsed.failures() > 0) {
            problems.add(parsed.failures() + " operations failed: " + String.join("; ", parsed.failureDetails()));
        }
        long expected = expectedOperations(spec);
        if (expected >= 0 && parsed.operationsDone() != expected) {
            problems.add(
                    parsed.operationsDone() < 0
                            ? "YCSB printed no status line with the operations done"
                            : "YCSB did " + parsed.operationsDone() + " of " + expected + " operations");
        }
        if (!problems.isEmpty()) {
            throw new IOException("YCSB " + (spec.load() ? "load" : "run") + " of workload " + spec.workload()
                    + " on " + spec.system() + " failed: " + String.join("; ", problems) + ". Last lines of "
                    + output + ":\n" + tail(lines));
        }

        Map<String, OpStats> operations = new LinkedHashMap<>();
        OpStats all = mergedDbOperations(histogramPrefix, parsed.operations());
        if (all != null) {
            operations.put("ALL", all);
        }
        operations.putAll(parsed.operations());
        return new YcsbResult(spec, parsed.throughputOpsPerSec(), parsed.runtimeMillis(), operations, output);
    }

    /**
     * Empties the system's benchmark data so each run starts clean: LumaDB drops and re-creates
     * database/collection (with lumadb.shards if given), PostgreSQL drops and re-creates usertable,
     * Redis flushes the configured database. The properties are the ones a run gets (same names and
     * defaults as the bindings', e.g. {@code lumadb.url}, {@code table}, {@code fieldcount}).
     */
    public static void reset(String system, Map<String, String> properties) throws IOException, InterruptedException {
        Properties p = new Properties();
        p.putAll(properties);
        try {
            switch (system) {
                case "lumadb" -> LumaDbYcsbClient.reset(p);
                case "postgresql" -> PostgresYcsbClient.reset(p);
                case "redis" -> RedisYcsbClient.reset(p);
                default ->
                    throw new IllegalArgumentException(
                            "system must be one of " + YcsbSpec.SYSTEMS + ", got '" + system + "'");
            }
        } catch (SQLException | JedisException e) {
            throw new IOException(system + " reset failed: " + e.getMessage(), e);
        }
    }

    /**
     * The workload file of workload "a".."f": in the directory named by system property {@code
     * lumadb.bench.workloads} if set, else in bench/workloads beside the jar or classes this class was
     * loaded from (bench/target/lumadb-bench.jar or bench/target/classes), whatever the working
     * directory.
     *
     * @throws IllegalArgumentException for another workload name
     * @throws IllegalStateException if no directory holds the file (the message lists where it looked)
     */
    public static Path workloadFile(String workload) {
        if (workload == null || !workload.matches("[a-f]")) {
            throw new IllegalArgumentException("workload must be one letter a..f, got '" + workload + "'");
        }
        String file = "workload" + workload;
        List<Path> tried = new ArrayList<>();
        String configured = System.getProperty("lumadb.bench.workloads");
        if (configured != null) {
            tried.add(Path.of(configured));
        }
        for (Path dir = codeLocation(); dir != null; dir = dir.getParent()) {
            tried.add(dir.resolve("workloads"));
        }
        for (Path dir : tried) {
            Path candidate = dir.resolve(file);
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("workload file " + file + " not found; looked in " + tried);
    }

    // ---- the child process

    static List<String> command(YcsbSpec spec, String histogramPrefix) {
        List<String> c = new ArrayList<>(spec.commandPrefix());
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.add("-cp");
        c.add(System.getProperty("java.class.path"));
        c.add("site.ycsb.Client");
        c.add(spec.load() ? "-load" : "-t");
        c.add("-db");
        c.add(BINDINGS.get(spec.system()));
        c.add("-P");
        c.add(workloadFile(spec.workload()).toString());
        c.add("-threads");
        c.add(Integer.toString(spec.threads()));
        c.add("-s");
        // Sorted, so that the same spec always gives the same command line.
        for (Map.Entry<String, String> e : new TreeMap<>(spec.properties()).entrySet()) {
            c.add("-p");
            c.add(e.getKey() + "=" + e.getValue());
        }
        property(c, "recordcount", spec.recordCount());
        property(c, "operationcount", spec.operationCount());
        property(c, "measurementtype", "hdrhistogram");
        property(c, "hdrhistogram.percentiles", "50,95,99");
        property(c, "hdrhistogram.fileoutput", "true");
        property(c, "hdrhistogram.output.path", histogramPrefix);
        return c;
    }

    private static void property(List<String> c, String key, Object value) {
        c.add("-p");
        c.add(key + "=" + value);
    }

    /** What YCSB should report as done: insertcount or recordcount when loading, else operationcount. */
    static long expectedOperations(YcsbSpec spec) {
        if (spec.properties().containsKey("maxexecutiontime")) {
            return -1; // a time limit may legitimately stop the run early
        }
        if (spec.load()) {
            String insertCount = spec.properties().get("insertcount");
            return insertCount != null ? Long.parseLong(insertCount.strip()) : spec.recordCount();
        }
        return spec.operationCount();
    }

    private static String runName(YcsbSpec spec, Path workDir) {
        String base = "ycsb-" + spec.system() + "-" + spec.workload() + "-" + (spec.load() ? "load" : "run") + "-"
                + STAMP.format(Instant.now());
        String name = base;
        for (int i = 2; Files.exists(workDir.resolve(name + ".log")); i++) {
            name = base + "-" + i;
        }
        return name;
    }

    private static void stop(Process process) throws InterruptedException {
        // Descendants too: with a command prefix, the JVM may be a child of the prefix's process.
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    private static List<String> readLines(Path file) throws IOException {
        // Decoded leniently: a stray byte in a log line must not hide the measurements.
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
                .lines()
                .toList();
    }

    private static String tail(List<String> lines) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
    }

    // ---- the merged histogram

    /**
     * The percentiles of every database call of the run together, from the per-operation HdrHistogram
     * logs YCSB wrote (each holds interval histograms whose sum is the whole run); null if there are
     * none.
     */
    static OpStats mergedDbOperations(String histogramPrefix, Map<String, OpStats> operations) throws IOException {
        Histogram merged = new Histogram(3); // auto-resizing, so any recorded range fits
        boolean any = false;
        long failures = 0;
        for (String op : DB_OPERATIONS) {
            Path log = Path.of(histogramPrefix + op + ".hdr");
            if (!Files.isRegularFile(log)) {
                continue;
            }
            any = true;
            OpStats stats = operations.get(op);
            failures += stats == null ? 0 : stats.failures();
            try (InputStream in = Files.newInputStream(log)) {
                HistogramLogReader reader = new HistogramLogReader(in);
                for (EncodableHistogram h = reader.nextIntervalHistogram();
                        h != null;
                        h = reader.nextIntervalHistogram()) {
                    if (!(h instanceof Histogram interval)) {
                        throw new IOException(log + " holds a " + h.getClass().getSimpleName() + ", not a Histogram");
                    }
                    merged.add(interval);
                }
            }
        }
        if (!any || merged.getTotalCount() == 0) {
            return null;
        }
        return new OpStats(
                merged.getTotalCount(),
                merged.getValueAtPercentile(50),
                merged.getValueAtPercentile(95),
                merged.getValueAtPercentile(99),
                failures);
    }

    private static Path codeLocation() {
        try {
            CodeSource source = YcsbRunner.class.getProtectionDomain().getCodeSource();
            return source == null
                    ? null
                    : Path.of(source.getLocation().toURI()).toAbsolutePath().getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return null; // only a hint; the other places are still searched
        }
    }
}

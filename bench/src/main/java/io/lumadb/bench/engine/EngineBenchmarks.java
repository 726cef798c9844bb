package io.lumadb.bench.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the engine micro-benchmarks ({@link ShardStoreBenchmark}) with JMH: LumaDB's shard state
 * store against raw RocksDB JNI on the same database, per operation, so that the ratio store/raw
 * is the cost of the store's own layer. Each benchmark runs in its own forked JVM.
 */
@Command(
        name = "EngineBenchmarks",
        mixinStandardHelpOptions = true,
        description = "Runs the engine micro-benchmarks with JMH and prints the table.")
public final class EngineBenchmarks implements Callable<Integer> {

    @Option(names = "--quick", description = "1 warm-up + 2 measured iterations of 1 s, 20,000 documents")
    private boolean quick;

    @Option(names = "--json", description = "JMH's JSON results (default engine-benchmarks.json)")
    private Path json = Path.of("engine-benchmarks.json");

    @Option(names = "--results", description = "also write the results (operation, implementation, ops/s) as JSON")
    private Path results;

    @Option(names = "--prefix", split = " ", description = "a command prefix for the forked JVM, e.g. 'taskset -c 1'")
    private List<String> prefix = List.of();

    public static final String STORE = "lumadb-store";
    public static final String RAW = "raw-rocksdb";

    /** Benchmark method → (operation, implementation), in table order. */
    static final Map<String, Measured> METHODS = methods();

    record Measured(String operation, String implementation) {}

    private static Map<String, Measured> methods() {
        Map<String, Measured> m = new LinkedHashMap<>();
        m.put("storeGet", new Measured("get", STORE));
        m.put("rawGet", new Measured("get", RAW));
        m.put("storeLookupInMemory", new Measured("lookup-in-memory", STORE));
        m.put("rawLookupInMemory", new Measured("lookup-in-memory", RAW));
        m.put("storePut", new Measured("put", STORE));
        m.put("rawPut", new Measured("put", RAW));
        m.put("storePutBatch100", new Measured("put-batch100", STORE));
        m.put("rawPutBatch100", new Measured("put-batch100", RAW));
        return Collections.unmodifiableMap(m);
    }

    /**
     * Runs every engine benchmark with JMH (quick: 1 warm-up + 2 measurement iterations of 1 s,
     * 20,000 docs; full: 3 x 2 s warm-up + 5 x 2 s, 100,000 docs), writes JMH's JSON to jsonOut,
     * and returns the results. A non-empty commandPrefix (e.g. {@code taskset -c 1}) is applied
     * to the forked JVM through JMH's jvm option (a wrapper script), or ignored with a note where
     * no script can be made.
     */
    public static List<EngineResult> run(boolean quick, Path jsonOut, List<String> commandPrefix) throws Exception {
        Path parent = jsonOut.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("^" + Pattern.quote(ShardStoreBenchmark.class.getName() + ".") + "\\w+$")
                .warmupIterations(quick ? 1 : 3)
                .warmupTime(TimeValue.seconds(quick ? 1 : 2))
                .measurementIterations(quick ? 2 : 5)
                .measurementTime(TimeValue.seconds(quick ? 1 : 2))
                .forks(1)
                .threads(1)
                .param("documents", quick ? "20000" : "100000")
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(jsonOut.toString());
        Path wrapper = commandPrefix.isEmpty() ? null : jvmWrapper(commandPrefix);
        if (wrapper != null) {
            options.jvm(wrapper.toString());
        }
        try {
            return results(new Runner(options.build()).run());
        } finally {
            if (wrapper != null) {
                Files.deleteIfExists(wrapper);
            }
        }
    }

    /** A script that runs this JVM's java behind the prefix, or null (with a note) where that cannot work. */
    private static Path jvmWrapper(List<String> commandPrefix) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (!Files.isExecutable(java)
                || !java.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            System.err.println(
                    "note: command prefix " + commandPrefix + " ignored: no POSIX shell wrapper possible here");
            return null;
        }
        String script = "#!/bin/sh\nexec "
                + commandPrefix.stream().map(EngineBenchmarks::shellQuote).collect(Collectors.joining(" "))
                + " " + shellQuote(java.toString()) + " \"$@\"\n";
        Path wrapper = Files.createTempFile(
                "lumadb-engine-jvm-",
                ".sh",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(wrapper, script);
        return wrapper;
    }

    private static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    static List<EngineResult> results(Collection<RunResult> runs) {
        List<String> order = List.copyOf(METHODS.keySet());
        return runs.stream()
                .map(run -> {
                    String benchmark = run.getParams().getBenchmark();
                    return Map.entry(benchmark.substring(benchmark.lastIndexOf('.') + 1), run);
                })
                .sorted(Comparator.comparingInt(e -> order.indexOf(e.getKey())))
                .map(e -> result(e.getKey(), e.getValue()))
                .toList();
    }

    private static EngineResult result(String method, RunResult run) {
        Measured measured = METHODS.get(method);
        if (measured == null) {
            throw new IllegalStateException("benchmark method " + method + " has no entry in EngineBenchmarks.METHODS");
        }
        return new EngineResult(
                measured.operation(),
                measured.implementation(),
                run.getPrimaryResult().getScore(),
                run.getPrimaryResult().getScoreError());
    }

    /** A table with one row per operation: both throughputs and the ratio store/raw. */
    static String table(List<EngineResult> results) {
        Map<String, Map<String, EngineResult>> byOperation = new LinkedHashMap<>();
        for (EngineResult r : results) {
            byOperation
                    .computeIfAbsent(r.operation(), o -> new LinkedHashMap<>())
                    .put(r.implementation(), r);
        }
        StringBuilder out = new StringBuilder(
                String.format("%-18s %24s %24s %10s%n", "operation", STORE + " ops/s", RAW + " ops/s", "store/raw"));
        for (var row : byOperation.entrySet()) {
            EngineResult store = row.getValue().get(STORE);
            EngineResult raw = row.getValue().get(RAW);
            String ratio = store != null && raw != null && raw.opsPerSec() > 0
                    ? String.format("%.2f", store.opsPerSec() / raw.opsPerSec())
                    : "-";
            out.append(String.format("%-18s %24s %24s %10s%n", row.getKey(), cell(store), cell(raw), ratio));
        }
        return out.toString();
    }

    private static String cell(EngineResult r) {
        if (r == null) {
            return "-";
        }
        return Double.isNaN(r.error())
                ? String.format("%,.0f", r.opsPerSec())
                : String.format("%,.0f ± %,.0f", r.opsPerSec(), r.error());
    }

    public static void main(String[] args) {
        Cli.exit(new EngineBenchmarks(), args);
    }

    @Override
    public Integer call() throws Exception {
        List<EngineResult> measured =
                run(quick, json, prefix.stream().filter(w -> !w.isBlank()).toList());
        if (results != null) {
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(results.toFile(), measured);
        }
        System.out.println();
        System.out.print(table(measured));
        System.out.println("JMH JSON: " + json.toAbsolutePath());
        return 0;
    }
}

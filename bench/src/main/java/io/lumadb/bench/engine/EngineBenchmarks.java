package io.lumadb.bench.engine;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the engine micro-benchmarks ({@link ShardStoreBenchmark}) with JMH: LumaDB's shard state
 * store against raw RocksDB JNI on the same database, per operation, so that the ratio store/raw
 * is the cost of the store's own layer. Each benchmark runs in its own forked JVM, which inherits
 * this one's CPU affinity: to pin the benchmarks, run this behind {@code taskset -c N} (the suite
 * does).
 */
@Command(
        name = "EngineBenchmarks",
        mixinStandardHelpOptions = true,
        description = "Runs the engine micro-benchmarks with JMH and prints the ratio store/raw per operation.")
public final class EngineBenchmarks implements Callable<Integer> {

    @Option(names = "--quick", description = "1 warm-up + 2 measured iterations of 1 s, 20,000 documents")
    private boolean quick;

    @Option(names = "--json", description = "JMH's JSON results (default engine-benchmarks.json)")
    private Path json = Path.of("engine-benchmarks.json");

    @Option(names = "--results", description = "also write the pairs (operation, both ops/s and errors) as JSON")
    private Path results;

    /** A benchmark method: {@code storeXxx} or {@code rawXxx} measure operation {@code Xxx}. */
    private static final Pattern METHOD = Pattern.compile("(store|raw)([A-Z]\\w*)");

    /**
     * One operation through the shard store and through raw RocksDB, in operations (documents) per
     * second, each with JMH's score error (the half-width of its 99.9% confidence interval; NaN
     * when there are too few iterations to compute one, or when that side did not run).
     */
    public record Pair(
            String operation, double storeOpsPerSec, double storeError, double rawOpsPerSec, double rawError) {
        @JsonProperty(value = "ratio", access = JsonProperty.Access.READ_ONLY)
        public double ratio() {
            return storeOpsPerSec / rawOpsPerSec;
        }
    }

    /**
     * The operation a benchmark method measures and whether through the store, from its name
     * ({@code storeLookupInMemory}: "lookup-in-memory", true), or null for any other name.
     */
    static Map.Entry<String, Boolean> operation(String method) {
        Matcher m = METHOD.matcher(method);
        if (!m.matches()) {
            return null;
        }
        String operation = m.group(2).replaceAll("(?<=[a-z0-9])(?=[A-Z])", "-").toLowerCase(Locale.ROOT);
        return Map.entry(operation, m.group(1).equals("store"));
    }

    /**
     * Runs every engine benchmark with JMH (quick: 1 warm-up + 2 measurement iterations of 1 s,
     * 20,000 docs; full: 3 x 2 s warm-up + 5 x 2 s, 100,000 docs), writes JMH's JSON to jsonOut,
     * and returns the pairs by operation.
     */
    public static List<Pair> run(boolean quick, Path jsonOut) throws Exception {
        Files.createDirectories(jsonOut.toAbsolutePath().getParent());
        var options = new OptionsBuilder()
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
                .result(jsonOut.toString())
                .build();
        return pairs(new Runner(options).run());
    }

    /** The runs paired by operation, in the operations' alphabetical order. */
    static List<Pair> pairs(Collection<RunResult> runs) {
        Map<String, Result<?>[]> byOperation = new TreeMap<>();
        for (RunResult run : runs) {
            String benchmark = run.getParams().getBenchmark();
            var op = operation(benchmark.substring(benchmark.lastIndexOf('.') + 1));
            if (op == null) {
                throw new IllegalStateException("benchmark " + benchmark + " is neither storeXxx nor rawXxx");
            }
            byOperation.computeIfAbsent(op.getKey(), k -> new Result<?>[2])[op.getValue() ? 0 : 1] =
                    run.getPrimaryResult();
        }
        return byOperation.entrySet().stream()
                .map(e -> new Pair(
                        e.getKey(),
                        score(e.getValue()[0]),
                        error(e.getValue()[0]),
                        score(e.getValue()[1]),
                        error(e.getValue()[1])))
                .toList();
    }

    private static double score(Result<?> r) {
        return r == null ? Double.NaN : r.getScore();
    }

    private static double error(Result<?> r) {
        return r == null ? Double.NaN : r.getScoreError();
    }

    public static void main(String[] args) {
        Cli.exit(new EngineBenchmarks(), args);
    }

    @Override
    public Integer call() throws Exception {
        List<Pair> measured = run(quick, json);
        if (results != null) {
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(results.toFile(), measured);
        }
        // JMH printed every score with its error and where its JSON went; the ratios are ours.
        System.out.printf("%nshard store / raw RocksDB, per operation:%n");
        measured.forEach(p -> System.out.printf("%-18s %.2f%n", p.operation(), p.ratio()));
        return 0;
    }
}

package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.ApiBenchmark;
import io.lumadb.bench.Cli;
import io.lumadb.bench.Machine;
import io.lumadb.bench.Stats;
import io.lumadb.bench.engine.EngineBenchmarks;
import io.lumadb.bench.query.QueryBenchmark;
import io.lumadb.bench.query.QueryReport;
import io.lumadb.bench.streams.StreamBenchmark;
import io.lumadb.bench.streams.StreamReport;
import io.lumadb.bench.ycsb.OpStats;
import io.lumadb.bench.ycsb.YcsbResult;
import io.lumadb.bench.ycsb.YcsbRunner;
import io.lumadb.bench.ycsb.YcsbSpec;
import io.lumadb.testkit.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark suite: LumaDB side by side with PostgreSQL and Redis on the standard YCSB
 * workloads (load, A-F), LumaDB's shard store against raw RocksDB (JMH), LumaDB's HTTP
 * ceiling, and LumaDB's queries on secondary indexes against a full scan and PostgreSQL
 * ({@link QueryBenchmark}), and LumaDB's change-stream fan-out to many SSE subscribers against a
 * trivial broadcast server ({@link StreamBenchmark}), all in one run, reported as medians and as
 * ratios against references measured in the same run.
 *
 * <p>Fairness: every system gets the same record count, field layout (10 x 100 bytes), client
 * threads and operation count; every server (LumaDB, PostgreSQL, Redis) is pinned to the first
 * CPU and every load generator to the second. Durability is stated: LumaDB answers a write
 * after its journal's fsync, PostgreSQL commits with {@code synchronous_commit=on}, Redis runs
 * with an append-only file fsynced every second (weaker: up to a second of acknowledged writes
 * can be lost).
 */
@Command(
        name = "BenchSuite",
        mixinStandardHelpOptions = true,
        description = "LumaDB side by side with PostgreSQL and Redis (YCSB), its HTTP ceiling, queries, change"
                + " streams, engine and many collections; writes suite-<timestamp>/suite.md, .json and .svg.",
        footer = {
            "Default: 3 runs (medians) of 20,000 records and 20,000 operations per workload, 8 client threads,"
                    + " queries on 100,000 items (a 5 s warm-up pass, then 3 rounds of 2 s warm-up + 5 s per query"
                    + " and variant), change-stream fan-out to 1,000 SSE subscribers (3 rounds of throughput and of"
                    + " latency) and 10,000 idle subscriptions, 10,000 collections.",
            "streams: 1 writer, N SSE subscribers of LumaDB's _changes and of a trivial NIO broadcast server (the"
                    + " reference, same CPU and JVM options): deliveries/s, latency at 10 writes/s, and the heap of"
                    + " idle subscriptions; every delivery checked (once, in order, none lost). It runs on the node"
                    + " of the sections before it (a fresh one when it runs alone), after them.",
            "Exit status 1 when the query or the stream benchmark failed a check (the report is written anyway)."
        })
public final class BenchSuite implements Callable<Integer> {

    /** YCSB's standard order: D and E insert, so E runs on a freshly loaded data set. */
    private static final List<String> FIRST_PASS = List.of("a", "b", "c", "f", "d");

    static final List<String> SYSTEMS = List.of("lumadb", "postgresql", "redis");

    /** The suite's sections, in the order they run. */
    static final List<String> SECTIONS = List.of("ycsb", "http", "query", "streams", "engine", "collections");

    @Option(
            names = "--quick",
            description = "1 run of 1,000 records and 2,000 operations per workload, short JMH and HTTP runs,"
                    + " queries on 20,000 items (30 s of load), change-stream fan-out to 200 SSE subscribers"
                    + " and 1,000 idle subscriptions, 1,000 collections (a few minutes)")
    private boolean quick;

    @Option(names = "--runs", description = "runs, reported as medians (default 3; quick 1)")
    private Integer runs;

    @Option(names = "--records", description = "YCSB records (default 20,000; quick 1,000)")
    private Long records;

    @Option(names = "--operations", description = "YCSB operations per workload (default 20,000; quick 2,000)")
    private Long operations;

    @Option(names = "--threads", description = "client threads (default 8; quick 4)")
    private Integer threads;

    @Option(names = "--systems", split = ",", description = "lumadb,postgresql,redis (default all)")
    private List<String> systems = SYSTEMS;

    @Option(
            names = "--sections",
            split = ",",
            description = "run only these parts of the suite: ycsb,http,query,streams,engine,collections (default all)")
    private List<String> sections = SECTIONS;

    @Option(names = "--query-records", description = "items of the query benchmark (default 100,000; quick 20,000)")
    private Integer queryRecords;

    @Option(names = "--out", description = "where suite-<timestamp>/ goes (default bench/results)")
    private Path outDir = Path.of("bench/results");

    @Option(names = "--node-jar", description = "the node's jar (default node/target/lumadb.jar)")
    private Path nodeJar = Path.of("node/target/lumadb.jar");

    @Option(names = "--command", description = "the command line to record (default bin/bench)")
    private String command = "bin/bench";

    private Path out;
    private final List<String> serverPrefix = new ArrayList<>();
    private final List<String> clientPrefix = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private QueryReport query;
    private StreamReport streams;

    public static void main(String[] args) {
        Cli.exit(new BenchSuite(), args);
    }

    @Override
    public Integer call() throws Exception {
        Cli.check("--systems", systems, SYSTEMS);
        Cli.check("--sections", sections, SECTIONS);
        runs = Cli.orDefault(runs, quick, 1, 3);
        records = Cli.orDefault(records, quick, 1_000L, 20_000L);
        operations = Cli.orDefault(operations, quick, 2_000L, 20_000L);
        threads = Cli.orDefault(threads, quick, 4, 8);
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
        out = outDir.resolve("suite-" + stamp);
        Files.createDirectories(out);
        Path report = run();
        System.out.println("Report: " + report);
        boolean failed = false;
        if (query != null && !query.ok()) {
            System.err.println("The query benchmark FAILED (see the report and " + out.resolve("query.log") + "):\n  "
                    + String.join("\n  ", query.failures()));
            failed = true;
        }
        if (streams != null && !streams.ok()) {
            System.err.println("The stream benchmark FAILED (see the report and " + out.resolve("streams.log")
                    + "):\n  " + String.join("\n  ", streams.failures()));
            failed = true;
        }
        return failed ? 1 : 0;
    }

    private Path run() throws Exception {
        long started = System.nanoTime();
        List<Integer> cpus = Shell.allowedCpus();
        if (cpus.size() >= 2) {
            serverPrefix.addAll(List.of("taskset", "-c", Integer.toString(cpus.get(0))));
            clientPrefix.addAll(List.of("taskset", "-c", Integer.toString(cpus.get(1))));
        } else {
            notes.add("CPU pinning off: " + (cpus.isEmpty() ? "taskset is not available" : "only one CPU") + ".");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("mode", quick ? "quick" : "full");
        settings.put("runs", Integer.toString(runs));
        settings.put("records", Long.toString(records));
        settings.put("operations per workload", Long.toString(operations));
        settings.put("client threads", Integer.toString(threads));
        settings.put("record layout", "10 fields x 100 bytes (YCSB CoreWorkload)");
        settings.put(
                "pinning",
                cpus.size() >= 2
                        ? "servers (LumaDB, PostgreSQL, Redis, JMH) on CPU " + cpus.get(0) + ", load generators on CPU "
                                + cpus.get(1)
                        : "none");
        settings.put("lumadb.jvm", String.join(" ", nodeOptions()));
        settings.put(
                "durability",
                "LumaDB: answered after the journal's fsync (group commit); PostgreSQL: synchronous_commit=on;"
                        + " Redis: appendonly yes, appendfsync everysec (weaker: up to 1 s of acknowledged writes lost"
                        + " on power failure)");
        settings.put("sections", String.join(", ", sections));
        settings.put("command", command);

        List<SuiteResults.YcsbRow> ycsb = List.of();
        SuiteResults.HttpCeiling http = null;
        if (runs("ycsb") || runs("http") || runs("query")) {
            try (Services services = new Services()) {
                services.ensureUp();
                services.configure();
                if (cpus.size() >= 2) {
                    services.pin(cpus.get(0));
                }
                settings.putAll(services.facts());
                try (NodeProcess node = startNode()) {
                    if (runs("ycsb")) {
                        ycsb = ycsb(node.url(""));
                    }
                    if (runs("http")) {
                        http = httpCeiling(node.url(""));
                    }
                    if (runs("query")) {
                        query = queryBenchmark(node.url(""));
                    }
                    if (runs("streams")) {
                        long t = System.nanoTime();
                        streams = streamBenchmark(node, "the node of the sections before, on its own now");
                        settings.put(
                                "streams section duration", String.format("%.0f s", (System.nanoTime() - t) / 1e9));
                    }
                }
            }
        } else if (runs("streams")) {
            long t = System.nanoTime();
            try (NodeProcess node = startNode()) {
                streams = streamBenchmark(node, "a fresh node");
            }
            settings.put(
                    "streams section duration",
                    String.format("%.0f s with the node's start and stop", (System.nanoTime() - t) / 1e9));
        }
        List<SuiteResults.EngineRow> engine = runs("engine") ? engine() : List.of();
        if (runs("collections")) {
            collections(settings);
        }
        settings.put("suite duration", String.format("%.1f min", (System.nanoTime() - started) / 60e9));
        SuiteResults results =
                new SuiteResults(Machine.describe(), settings, ycsb, engine, http, query, streams, notes);
        return Report.write(results, out);
    }

    private boolean runs(String section) {
        return sections.contains(section);
    }

    // ---- YCSB

    private Map<String, String> properties(String system, String lumadbUrl) {
        Map<String, String> p = new LinkedHashMap<>();
        switch (system) {
            case "lumadb" -> {
                p.put("lumadb.url", lumadbUrl);
                p.put("lumadb.database", "ycsb");
            }
            case "postgresql" -> {
                p.put("postgres.url", Services.PG_URL);
                p.put("postgres.user", Services.PG_USER);
            }
            default -> {
                p.put("redis.host", "127.0.0.1");
                p.put("redis.port", "6379");
            }
        }
        return p;
    }

    private List<SuiteResults.YcsbRow> ycsb(String lumadbUrl) throws IOException, InterruptedException {
        // (system, workload, operation) -> the run's stats, one per run
        Map<String, List<Double>> throughput = new TreeMap<>();
        Map<String, List<OpStats>> ops = new TreeMap<>();
        Path work = out.resolve("ycsb");
        Files.createDirectories(work);
        for (int run = 1; run <= runs; run++) {
            for (String system : systems) {
                Map<String, String> props = properties(system, lumadbUrl);
                System.out.printf("YCSB run %d/%d, %s%n", run, runs, system);
                YcsbRunner.reset(system, props);
                collect(throughput, ops, "load", phase(system, "a", true, records, props, work));
                // Warm-up, not measured: the same read-heavy work every system sees first.
                phase(system, "c", false, Math.max(operations / 4, 500), props, work);
                for (String w : FIRST_PASS) {
                    collect(throughput, ops, w, phase(system, w, false, operations, props, work));
                }
                YcsbRunner.reset(system, props);
                phase(system, "e", true, records, props, work);
                collect(throughput, ops, "e", phase(system, "e", false, operations, props, work));
            }
        }
        List<SuiteResults.YcsbRow> rows = new ArrayList<>();
        for (Map.Entry<String, List<OpStats>> e : ops.entrySet()) {
            String[] key = e.getKey().split("\\|");
            List<OpStats> stats = e.getValue();
            rows.add(new SuiteResults.YcsbRow(
                    key[1],
                    key[0],
                    key[2],
                    Stats.median(throughput.get(key[0] + "|" + key[1])),
                    (long) Stats.median(stats, OpStats::count),
                    Stats.median(stats, OpStats::p50Micros),
                    Stats.median(stats, OpStats::p95Micros),
                    Stats.median(stats, OpStats::p99Micros),
                    stats.size()));
        }
        return rows;
    }

    private YcsbResult phase(
            String system, String workload, boolean load, long count, Map<String, String> props, Path work)
            throws IOException, InterruptedException {
        YcsbSpec spec =
                new YcsbSpec(system, workload, load, threads, records, load ? records : count, props, clientPrefix);
        return YcsbRunner.run(spec, work);
    }

    private static void collect(
            Map<String, List<Double>> throughput, Map<String, List<OpStats>> ops, String workload, YcsbResult r) {
        String system = r.spec().system();
        throughput
                .computeIfAbsent(system + "|" + workload, k -> new ArrayList<>())
                .add(r.throughputOpsPerSec());
        for (Map.Entry<String, OpStats> op : r.operations().entrySet()) {
            if (op.getKey().equals("CLEANUP") || op.getKey().endsWith("-FAILED")) {
                continue;
            }
            ops.computeIfAbsent(system + "|" + workload + "|" + op.getKey(), k -> new ArrayList<>())
                    .add(op.getValue());
        }
    }

    // ---- HTTP ceiling

    private SuiteResults.HttpCeiling httpCeiling(String url) throws IOException, InterruptedException {
        Path json = out.resolve("api.json");
        List<String> command = client(
                ApiBenchmark.class,
                "--url",
                url,
                "--json",
                json.toString(),
                "--markdown",
                out.resolve("api.md").toString(),
                "--db",
                "httpceiling");
        if (quick) {
            command.add("--quick");
        }
        int exit = runLogged("HTTP ceiling and API scenarios", command, out.resolve("api.log"));
        if (exit != 0 || !Files.exists(json)) {
            throw new IOException("ApiBenchmark failed (exit " + exit + "); see " + out.resolve("api.log"));
        }
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        JsonNode health = scenario(report, "a");
        JsonNode get = scenario(report, "b");
        @SuppressWarnings("unchecked")
        Map<String, Object> asMap = new ObjectMapper().convertValue(report, Map.class);
        return new SuiteResults.HttpCeiling(
                health.get("throughputPerSecond").asDouble(),
                health.get("latencyMs").get("p99").asDouble(),
                get.get("throughputPerSecond").asDouble(),
                get.get("latencyMs").get("p99").asDouble(),
                asMap);
    }

    private static JsonNode scenario(JsonNode report, String id) throws IOException {
        for (JsonNode s : report.get("scenarios")) {
            if (s.get("id").asText().equals(id)) {
                return s;
            }
        }
        throw new IOException("ApiBenchmark's report has no scenario " + id);
    }

    // ---- queries

    /**
     * Runs {@link QueryBenchmark} as its own process pinned to the load generator's CPU, like the
     * other load generators, and reads its report. A failed run is reported, not thrown: the rest
     * of the suite's report is worth having, and {@link #main} exits non-zero afterwards.
     */
    private QueryReport queryBenchmark(String url) throws IOException, InterruptedException {
        Path json = out.resolve("query.json");
        Path log = out.resolve("query.log");
        List<String> command = client(
                QueryBenchmark.class,
                "--url",
                url,
                "--json",
                json.toString(),
                "--pg-url",
                Services.PG_URL,
                "--pg-user",
                Services.PG_USER,
                "--threads",
                Integer.toString(threads),
                "--rounds",
                Integer.toString(runs));
        if (quick) {
            command.add("--quick");
        }
        if (queryRecords != null) {
            command.addAll(List.of("--records", queryRecords.toString()));
        }
        int exit = runLogged("Queries: secondary index, full scan, PostgreSQL", command, log);
        String failure = childFailure("query", exit, json, log);
        if (failure != null) {
            return QueryReport.failed(failure);
        }
        QueryReport report = new ObjectMapper().readValue(json.toFile(), QueryReport.class);
        for (QueryReport.Measurement m : report.measurements()) {
            System.out.printf(
                    "  %-5s %-13s %,10.0f queries/s, p99 %.2f ms%s%n",
                    m.query(),
                    m.variant(),
                    m.throughput(),
                    m.p99Ms(),
                    m.errors() > 0 ? ", " + m.errors() + " ERRORS" : "");
        }
        if (!report.ok()) {
            System.out.println("  FAILED: " + String.join("; ", report.failures()));
        }
        return report;
    }

    /** The node's JVM options: {@link LumaDbNode#JVM_OPTIONS} and {@link #NODE_OPTIONS}. */
    private static List<String> nodeOptions() {
        List<String> all = new ArrayList<>(LumaDbNode.JVM_OPTIONS);
        all.addAll(NODE_OPTIONS);
        return all;
    }

    private NodeProcess startNode() throws IOException, InterruptedException {
        return LumaDbNode.start(nodeJar, serverPrefix, out.resolve("lumadb-node.log"), NODE_OPTIONS);
    }

    // ---- many collections

    /**
     * Runs {@link CollectionsBenchmark} on a fresh node of its own (10,000 collections, 1,000
     * with --quick); its figures go into the notes and collections.md. A failed run is noted.
     */
    private void collections(Map<String, String> settings) {
        int count = quick ? 1_000 : 10_000;
        System.out.printf("Many collections: %,d collections on one node%n", count);
        long t = System.nanoTime();
        try {
            CollectionsBenchmark.Result r = CollectionsBenchmark.run(nodeJar, serverPrefix, null, out, count, 8);
            CollectionsBenchmark.write(r, out);
            notes.addAll(r.lines());
        } catch (IOException | RuntimeException e) {
            notes.add("collections: the benchmark failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            notes.add("collections: interrupted");
        }
        settings.put("collections section duration", String.format("%.0f s", (System.nanoTime() - t) / 1e9));
    }

    // ---- change streams

    /**
     * Runs {@link StreamBenchmark} pinned to the load generator's CPU against a fresh LumaDB node
     * and the reference server, both on the server CPU with the same JVM options, and reads its
     * report. Like the query benchmark, a failed run is reported rather than thrown.
     */
    /** Connections the node accepts: 10,000 idle subscriptions, the measurements' and some to spare. */
    private static final int STREAM_MAX_CONNECTIONS = 16_384;

    /**
     * Configuration the node runs with beyond {@link LumaDbNode#JVM_OPTIONS}. Pekko HTTP's default
     * max-connections (1024) leaves every later connection unanswered, so a node as configured by
     * default cannot hold 10,000 subscriptions; the report says so. It matters to no other section.
     */
    static final List<String> NODE_OPTIONS = List.of("-Dpekko.http.server.max-connections=" + STREAM_MAX_CONNECTIONS);

    private StreamReport streamBenchmark(NodeProcess node, String nodeNote) throws IOException, InterruptedException {
        Path json = out.resolve("streams.json");
        Path log = out.resolve("streams.log");
        int exit;
        try (ReferenceServer reference = new ReferenceServer(serverPrefix, out)) {
            List<String> command = client(
                    StreamBenchmark.class,
                    "--json",
                    json.toString(),
                    "--lumadb-url",
                    node.url(""),
                    "--lumadb-pid",
                    Long.toString(node.pid()),
                    "--reference-url",
                    reference.url(),
                    "--reference-pid",
                    Long.toString(reference.pid()),
                    "--rounds",
                    Integer.toString(runs),
                    "--meta",
                    "servers=LumaDB (" + String.join(" ", nodeOptions()) + "; " + nodeNote
                            + ") and the reference (" + String.join(" ", LumaDbNode.JVM_OPTIONS)
                            + "), both on the server CPU, each idle while the other is measured",
                    "--meta",
                    "max-connections=the node runs with pekko.http.server.max-connections="
                            + STREAM_MAX_CONNECTIONS + ": with the default, 1024, a node leaves every connection after"
                            + " the 1,024th unanswered (no error), so it cannot hold 10,000 subscriptions as shipped");
            if (quick) {
                command.add("--quick");
            }
            exit = runLogged("Change streams: SSE fan-out against a trivial broadcast server", command, log);
        }
        String failure = childFailure("stream", exit, json, log);
        StreamReport report = Files.exists(json)
                ? new ObjectMapper().readValue(json.toFile(), StreamReport.class)
                : StreamReport.failed(failure);
        for (StreamReport.Throughput t : report.throughput()) {
            System.out.printf(
                    "  %-9s round %d: %,10.0f deliveries/s (%,.0f writes/s, server %.2f CPU)%n",
                    t.system(), t.round(), t.deliveriesPerSec(), t.writesPerSec(), t.serverCpu());
        }
        for (StreamReport.Latency l : report.latency()) {
            System.out.printf(
                    "  %-9s round %d: at %s writes/s p50 %.1f ms, p99 %.1f ms%n",
                    l.system(), l.round(), StreamBenchmark.rateText(l.rate()), l.p50Ms(), l.p99Ms());
        }
        for (StreamReport.Idle i : report.idle()) {
            System.out.printf(
                    "  %-9s %,d idle subscriptions: heap +%.0f MB (%.1f KB each)%n",
                    i.system(), i.subscriptions(), i.heapDeltaMb(), i.kbPerSubscription());
        }
        if (failure != null) {
            return StreamReport.failed(failure);
        }
        if (!report.ok()) {
            System.out.println("  FAILED: " + String.join("; ", report.failures()));
        }
        return report;
    }

    // ---- engine

    private List<SuiteResults.EngineRow> engine() throws IOException, InterruptedException {
        Path json = out.resolve("engine.json");
        List<String> command = java(
                serverPrefix,
                List.of("--enable-native-access=ALL-UNNAMED"),
                EngineBenchmarks.class,
                "--json",
                out.resolve("jmh.json").toString(),
                "--results",
                json.toString());
        if (quick) {
            command.add("--quick");
        }
        int exit = runLogged("Engine micro-benchmarks (JMH)", command, out.resolve("engine.log"));
        if (exit != 0 || !Files.exists(json)) {
            throw new IOException("the engine benchmarks failed (exit " + exit + "); see " + out.resolve("engine.log"));
        }
        Map<String, double[]> byOperation = new TreeMap<>();
        for (JsonNode r : new ObjectMapper().readTree(json.toFile())) {
            double[] pair = byOperation.computeIfAbsent(r.get("operation").asText(), k -> new double[2]);
            pair[r.get("implementation").asText().equals("raw-rocksdb") ? 1 : 0] =
                    r.get("opsPerSec").asDouble();
        }
        List<SuiteResults.EngineRow> rows = new ArrayList<>();
        byOperation.forEach((op, pair) -> {
            if (pair[0] > 0 && pair[1] > 0) {
                rows.add(new SuiteResults.EngineRow(op, pair[0], pair[1]));
            }
        });
        return rows;
    }

    /**
     * Why a benchmark run as a child failed where its report does not say so (no report, or a
     * non-zero exit with a report that says ok), or null.
     */
    private static String childFailure(String name, int exit, Path json, Path log) throws IOException {
        if (!Files.exists(json)) {
            return "the " + name + " benchmark ended with exit status " + exit + " and no report; see " + log;
        }
        return exit != 0
                        && new ObjectMapper()
                                .readTree(json.toFile())
                                .path("status")
                                .asText()
                                .equals("ok")
                ? "the " + name + " benchmark ended with exit status " + exit + "; see " + log
                : null;
    }

    /** A load generator's command: this JVM's java on the client CPU, a fixed 1 GB heap, the serial collector. */
    private List<String> client(Class<?> main, String... args) {
        return java(clientPrefix, List.of("-Xms1g", "-Xmx1g", "-XX:+UseSerialGC"), main, args);
    }

    private static List<String> java(List<String> prefix, List<String> jvmOptions, Class<?> main, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Announces a section, runs its process with output into {@code log}, and returns its exit status. */
    private static int runLogged(String title, List<String> command, Path log)
            throws IOException, InterruptedException {
        System.out.println(title);
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return p.waitFor();
    }
}

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
import io.lumadb.bench.streams.BroadcastServer;
import io.lumadb.bench.streams.StreamBenchmark;
import io.lumadb.bench.streams.StreamReport;
import io.lumadb.bench.timeseries.QuestDbServer;
import io.lumadb.bench.timeseries.TimeSeriesBenchmark;
import io.lumadb.bench.timeseries.TimeSeriesResults;
import io.lumadb.bench.vector.UsearchReference;
import io.lumadb.bench.ycsb.OpStats;
import io.lumadb.bench.ycsb.YcsbResult;
import io.lumadb.bench.ycsb.YcsbRunner;
import io.lumadb.bench.ycsb.YcsbSpec;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark suite: LumaDB side by side with PostgreSQL and Redis on the standard YCSB
 * workloads (load, A-F), LumaDB's shard store against raw RocksDB (JMH), LumaDB's HTTP
 * ceiling, and LumaDB's queries on secondary indexes against a full scan and PostgreSQL
 * ({@link QueryBenchmark}), and LumaDB's change-stream fan-out to many SSE subscribers against a
 * trivial broadcast server ({@link StreamBenchmark}), what security costs ({@link
 * SecurityBenchmark}) and vector and text search against a native vector index and Lucene ({@link
 * VectorBenchmark}), and the erasure coders of the cold tier against ISA-L called from C and cold
 * point reads against warm ones on a node ({@link TieringBenchmark}), and time-series ingest and a
 * window aggregate against QuestDB ({@link TimeSeriesBenchmark}), all in one run, reported as
 * medians and as ratios against references measured in the same run.
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
                + " streams, engine, many collections, security, vector search, tiering, import and time series;"
                + " writes suite-<timestamp>/suite.md,"
                + " .json and .svg.",
        footer = {
            "Default: 3 runs (medians) of 20,000 records and 20,000 operations per workload (each system warmed"
                    + " up first by an unmeasured load and read pass), 8 client threads,"
                    + " queries on 100,000 items (a 5 s warm-up pass, then 3 rounds of 2 s warm-up + 5 s per query"
                    + " and variant), change-stream fan-out to 1,000 SSE subscribers (3 rounds of throughput and of"
                    + " latency) and 10,000 idle subscriptions, 10,000 collections.",
            "streams: 1 writer, N SSE subscribers of LumaDB's _changes and of a trivial NIO broadcast server (the"
                    + " reference, same CPU and JVM options): deliveries/s, latency at 10 writes/s, and the heap of"
                    + " idle subscriptions; every delivery checked (once, in order, none lost). It runs on the node"
                    + " of the sections before it (a fresh one when it runs alone), after them.",
            "security: YCSB load, A and C on LumaDB with security off, with an API key, with HTTP Basic and with"
                    + " encryption at rest (each on fresh nodes, taking turns), ratios against security off; and the"
                    + " cost of an Argon2id password check (in this JVM and as a first HTTP request).",
            "vector: kNN on 100,000 clustered 128-d vectors (1,000 queries, brute-force top 10) by the usearch npm"
                    + " package (native reference), LumaDB's shard search index in-process (floats and 8-bit) and a"
                    + " node over HTTP (1 and 4 shards), compared at recall@10 >= 0.95; BM25 against Lucene used"
                    + " directly. Quick: 3,000 vectors, 50 queries, 1 shard.",
            "tiering: Reed-Solomon 6+3 encode and rebuild (3 lost: 2 data, 1 parity), one thread, 6 x 64 KiB and"
                    + " 6 x 1 MiB fragments: LumaDB's ISA-L coder (FFM) and Java coder (Vector API) against ISA-L"
                    + " called from a C program compiled at run time (gcc, libisal2); on a fresh node (hot cache 0):"
                    + " 50,000 documents of 1 KB, 20,000 random point reads warm (after 20,000 unmeasured), the move"
                    + " of the collection to the cold tier (documents/s), the same reads cold (target: p99 < 10 ms),"
                    + " and again with one data fragment of every segment deleted. Quick: 3 rounds of 0.3 GB; 5,000"
                    + " documents, 2,000 reads.",
            "timeseries: TSBS cpu-only data (10 tags, 10 float fields, a row per host every 10 s) as InfluxDB line"
                    + " protocol over HTTP into QuestDB (the reference: its jar from Maven Central, run by a JDK 17 on a"
                    + " fresh root under bench/target) and into LumaDB (POST /api/v2/write into a time-series"
                    + " collection): rows/s until the last row is queryable, bytes on disk per row after a clean stop,"
                    + " and the mean and max of usage_user per host and hour, both answers checked against the"
                    + " generator's. Full: 100 hosts x 1 day (864,000 rows); quick: 100 hosts x 4 h; smoke: 10 hosts x"
                    + " 2 h. While LumaDB has no time-series collections its half is reported as unavailable.",
            "Exit status 1 when the query, the stream, the security, the vector, the tiering or the timeseries"
                    + " benchmark failed a check (the report is written anyway)."
        })
public final class BenchSuite implements Callable<Integer> {

    /** YCSB's standard order: D and E insert, so E runs on a freshly loaded data set. */
    private static final List<String> FIRST_PASS = List.of("a", "b", "c", "f", "d");

    static final List<String> SYSTEMS = List.of("lumadb", "postgresql", "redis");

    /** The suite's sections, in the order they run. */
    static final List<String> SECTIONS = List.of(
            "ycsb",
            "http",
            "query",
            "streams",
            "engine",
            "collections",
            "security",
            "vector",
            "tiering",
            "import",
            "timeseries");

    /** Connections the node accepts: 10,000 idle subscriptions, the measurements' and some to spare. */
    private static final int STREAM_MAX_CONNECTIONS = 16_384;

    /**
     * Configuration the node runs with beyond {@link LumaDbNode#JVM_OPTIONS}. Pekko HTTP's default
     * max-connections (1024) leaves every later connection unanswered, so a node as configured by
     * default cannot hold 10,000 subscriptions; the report says so. It matters to no other section.
     */
    static final List<String> NODE_OPTIONS = List.of("-Dpekko.http.server.max-connections=" + STREAM_MAX_CONNECTIONS);

    @Option(
            names = "--quick",
            description = "1 run of 1,000 records and 2,000 operations per workload, short JMH and HTTP runs,"
                    + " queries on 20,000 items (30 s of load), change-stream fan-out to 200 SSE subscribers"
                    + " and 1,000 idle subscriptions, 1,000 collections, 1 security run per variant, 3,000 vectors,"
                    + " 4 hours of TSBS cpu rows (a few minutes)")
    private boolean quick;

    @Option(
            names = "--smoke",
            description = "quick mode with every measurement window cut to about a second and the warm-ups left"
                    + " out: every section runs end to end, every answer is still checked, in the least time (the"
                    + " suite's own test uses it); its figures are too short to be read as measurements")
    private boolean smoke;

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
            description =
                    "run only these parts of the suite: ycsb,http,query,streams,engine,collections,security,vector,"
                            + "tiering,import,timeseries (default all); sql is another name for query, which measures SQL over"
                            + " HTTP and over the PostgreSQL protocol beside JQL and PostgreSQL")
    private List<String> sections = SECTIONS;

    @Option(names = "--query-records", description = "items of the query benchmark (default 100,000; quick 20,000)")
    private Integer queryRecords;

    @Option(names = "--out", description = "where suite-<timestamp>/ goes (default bench/results)")
    private Path outDir = Path.of("bench/results");

    @Option(names = "--node-jar", description = "the node's jar (default node/target/lumadb.jar)")
    private Path nodeJar = Path.of("node/target/lumadb.jar");

    @Option(
            names = "--cli-jar",
            description = "the command line's jar, for the import section (default cli/target/lumadb-cli.jar)")
    private Path cliJar = Path.of("cli/target/lumadb-cli.jar");

    @Option(
            names = "--import-documents",
            description = "documents of the import section (default 1,000,000; quick 100,000)")
    private Long importDocuments;

    @Option(
            names = "--questdb-jar",
            description = "QuestDB's server jar, the timeseries section's reference (default: questdb/questdb.jar"
                    + " beside the benchmark's jar or classes, where the build copies it)")
    private Path questDbJar;

    @Option(
            names = "--questdb-java",
            description = "the java that runs QuestDB (default: the first JDK 17, then 21, in /usr/lib/jvm, else this"
                    + " JVM's)")
    private Path questDbJava;

    @Option(names = "--command", description = "the command line to record (default bin/bench)")
    private String command = "bin/bench";

    private Path out;
    private final List<String> serverPrefix = new ArrayList<>();
    private final List<String> clientPrefix = new ArrayList<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private QueryReport query;
    private StreamReport streams;
    private SecurityResults security;
    private VectorResults vector;
    private TieringResults tiering;
    private TimeSeriesResults timeseries;

    public static void main(String[] args) {
        Cli.exit(new BenchSuite(), args);
    }

    @Override
    public Integer call() throws Exception {
        Cli.check("--systems", systems, SYSTEMS);
        sections = sections.stream()
                .map(n -> n.equals("sql") ? "query" : n)
                .distinct()
                .toList();
        Cli.check("--sections", sections, SECTIONS);
        quick |= smoke;
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
        if (security != null && !security.ok()) {
            System.err.println("The security benchmark FAILED (see the report and the logs in "
                    + out.resolve("security") + "):\n  " + String.join("\n  ", security.failures()));
            failed = true;
        }
        if (vector != null && !vector.ok()) {
            System.err.println("The vector benchmark FAILED (see the report and the vector-*.log files in " + out
                    + "):\n  " + String.join("\n  ", vector.failures()));
            failed = true;
        }
        if (tiering != null && !tiering.ok()) {
            System.err.println("The tiering benchmark FAILED (see the report and the tiering-*.log files in " + out
                    + "):\n  " + String.join("\n  ", tiering.failures()));
            failed = true;
        }
        if (timeseries != null && !timeseries.ok()) {
            System.err.println("The timeseries benchmark FAILED (see the report and the timeseries-*.log files in "
                    + out + "):\n  " + String.join("\n  ", timeseries.failures()));
            failed = true;
        }
        return failed ? 1 : 0;
    }

    private Path run() throws Exception {
        long started = System.nanoTime();
        List<Integer> cpus = Services.allowedCpus();
        if (cpus.size() >= 2) {
            serverPrefix.addAll(List.of("taskset", "-c", Integer.toString(cpus.get(0))));
            clientPrefix.addAll(List.of("taskset", "-c", Integer.toString(cpus.get(1))));
        } else {
            notes.add("CPU pinning off: " + (cpus.isEmpty() ? "taskset is not available" : "only one CPU") + ".");
        }
        settings.put("mode", smoke ? "smoke (figures not meant to be read)" : quick ? "quick" : "full");
        settings.put("runs", Integer.toString(runs));
        settings.put("records", Long.toString(records));
        settings.put("operations per workload", Long.toString(operations));
        settings.put("client threads", Integer.toString(threads));
        settings.put("record layout", "10 fields x 100 bytes (YCSB CoreWorkload)");
        settings.put(
                "ycsb warm-up",
                "per system and run, unmeasured: a whole load (then reset) before the measured load, and a pass of C"
                        + " before A");
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
                    ycsb = runs("ycsb") ? ycsb(node.url(""), node.pid()) : List.of();
                    http = runs("http") ? httpCeiling(node.url(""), node.pid()) : null;
                    query = runs("query") ? queryBenchmark(node.url(""), node.postgresPort()) : null;
                    if (runs("streams")) {
                        long t = System.nanoTime();
                        streams = streamBenchmark(node, "the node of the sections before, on its own now");
                        settings.put("streams section duration", seconds(t, "%.0f s"));
                    }
                }
            }
        } else if (runs("streams")) {
            long t = System.nanoTime();
            try (NodeProcess node = startNode()) {
                streams = streamBenchmark(node, "a fresh node");
            }
            settings.put("streams section duration", seconds(t, "%.0f s with the node's start and stop"));
        }
        List<EngineBenchmarks.Pair> engine = runs("engine") ? engine() : List.of();
        if (runs("collections")) {
            collections();
        }
        if (runs("security")) {
            long t = System.nanoTime();
            security = new SecurityBenchmark(
                            nodeJar,
                            serverPrefix,
                            clientPrefix,
                            NODE_OPTIONS,
                            out,
                            runs,
                            records,
                            operations,
                            threads,
                            20,
                            quick ? 3 : 5)
                    .run();
            settings.put("security section duration", seconds(t, "%.0f s with its nodes' starts and stops"));
        }
        if (runs("vector")) {
            long t = System.nanoTime();
            vector = new VectorBenchmark(
                            nodeJar,
                            serverPrefix,
                            clientPrefix,
                            NODE_OPTIONS,
                            out,
                            VectorBenchmark.Settings.defaults(quick),
                            UsearchReference.defaultDirectory())
                    .run();
            settings.put("vector section duration", seconds(t, "%.0f s with its node's start and stop"));
        }
        if (runs("tiering")) {
            long t = System.nanoTime();
            tiering = new TieringBenchmark(nodeJar, serverPrefix, clientPrefix, NODE_OPTIONS, out, quick).run();
            settings.put("tiering section duration", seconds(t, "%.0f s with its node's start and stop"));
        }
        ImportBenchmark.Result imports = null;
        if (runs("import")) {
            long t = System.nanoTime();
            imports = importBenchmark();
            settings.put("import section duration", seconds(t, "%.0f s with its node's start and stop"));
        }
        if (runs("timeseries")) {
            long t = System.nanoTime();
            timeseries = timeSeries();
            settings.put(
                    "timeseries section duration", seconds(t, "%.0f s with QuestDB's and the node's starts and stops"));
        }
        settings.put("suite duration", String.format("%.1f min", (System.nanoTime() - started) / 60e9));
        return Report.write(
                new SuiteResults(
                        Machine.describe(),
                        settings,
                        ycsb,
                        engine,
                        http,
                        query,
                        streams,
                        security,
                        vector,
                        tiering,
                        imports,
                        timeseries,
                        notes),
                out);
    }

    private boolean runs(String section) {
        return sections.contains(section);
    }

    /** The seconds since {@code start}, formatted. */
    private static String seconds(long start, String format) {
        return String.format(format, (System.nanoTime() - start) / 1e9);
    }

    /** The node's JVM options: {@link LumaDbNode#JVM_OPTIONS} and {@link #NODE_OPTIONS}. */
    private static List<String> nodeOptions() {
        List<String> all = new ArrayList<>(LumaDbNode.JVM_OPTIONS);
        all.addAll(NODE_OPTIONS);
        return all;
    }

    private NodeProcess startNode() throws IOException, InterruptedException {
        // With the PostgreSQL protocol on a free port, for the query section's SQL over the wire.
        NodeProcess node = LumaDbNode.builder(nodeJar, serverPrefix, out.resolve("lumadb-node.log"), NODE_OPTIONS)
                .postgresProtocol()
                .build();
        try {
            LumaDbNode.launch(node, java.time.Duration.ofSeconds(60));
            return node;
        } catch (IOException | InterruptedException | RuntimeException e) {
            node.close();
            throw e;
        }
    }

    // ---- YCSB

    private Map<String, String> properties(String system, String lumadbUrl) {
        return switch (system) {
            case "lumadb" -> Map.of("lumadb.url", lumadbUrl, "lumadb.database", "ycsb");
            case "postgresql" -> Map.of("postgres.url", Services.PG_URL, "postgres.user", Services.PG_USER);
            default -> Map.of("redis.host", "127.0.0.1", "redis.port", "6379");
        };
    }

    private List<SuiteResults.YcsbRow> ycsb(String lumadbUrl, long nodePid) throws IOException, InterruptedException {
        Map<String, List<YcsbResult>> measured = new TreeMap<>(); // "system|workload" -> one result per run
        Map<YcsbResult, Double> cpuPer1000 = new java.util.IdentityHashMap<>();
        Path work = out.resolve("ycsb");
        Files.createDirectories(work);
        for (int run = 1; run <= runs; run++) {
            for (String system : systems) {
                Map<String, String> props = properties(system, lumadbUrl);
                System.out.printf("YCSB run %d/%d, %s%n", run, runs, system);
                // Warm-up, not measured: a whole load, thrown away. A JVM compiles its write path
                // during its first thousands of writes; measured cold, the load phase would count
                // the JIT compiler's CPU as the cost of inserting, which a server that has run for
                // a minute no longer pays. Every system gets the same pass.
                YcsbRunner.reset(system, props);
                if (!smoke) {
                    phase(system, "a", true, records, props, work);
                    YcsbRunner.reset(system, props);
                }
                List<YcsbResult> results = new ArrayList<>();
                results.add(measuredPhase(system, "a", true, records, props, work, nodePid, cpuPer1000));
                // Warm-up, not measured: the same read-heavy work every system sees first.
                if (!smoke) {
                    phase(system, "c", false, Math.max(operations / 4, 500), props, work);
                }
                for (String w : FIRST_PASS) {
                    results.add(measuredPhase(system, w, false, operations, props, work, nodePid, cpuPer1000));
                }
                YcsbRunner.reset(system, props);
                phase(system, "e", true, records, props, work);
                results.add(measuredPhase(system, "e", false, operations, props, work, nodePid, cpuPer1000));
                for (YcsbResult r : results) {
                    String workload = r.spec().load() ? "load" : r.spec().workload();
                    measured.computeIfAbsent(system + "|" + workload, k -> new ArrayList<>())
                            .add(r);
                }
            }
        }
        List<SuiteResults.YcsbRow> rows = new ArrayList<>();
        measured.forEach((key, results) -> {
            String[] systemAndWorkload = key.split("\\|");
            var operationNames = new TreeSet<String>();
            results.forEach(r -> operationNames.addAll(r.operations().keySet()));
            operationNames.removeIf(op -> op.equals("CLEANUP") || op.endsWith("-FAILED"));
            for (String op : operationNames) {
                List<OpStats> stats = results.stream()
                        .map(r -> r.operations().get(op))
                        .filter(Objects::nonNull)
                        .toList();
                rows.add(new SuiteResults.YcsbRow(
                        systemAndWorkload[1],
                        systemAndWorkload[0],
                        op,
                        Stats.median(results, YcsbResult::throughputOpsPerSec),
                        (long) Stats.median(stats, OpStats::count),
                        Stats.median(stats, OpStats::p50Micros),
                        Stats.median(stats, OpStats::p95Micros),
                        Stats.median(stats, OpStats::p99Micros),
                        Stats.median(results, cpuPer1000::get),
                        stats.size()));
            }
        });
        return rows;
    }

    /**
     * A phase whose server CPU is measured too: the CPU seconds {@code system}'s server used per
     * 1,000 operations go into {@code cpuPer1000} (NaN where /proc cannot tell).
     */
    private YcsbResult measuredPhase(
            String system,
            String workload,
            boolean load,
            long count,
            Map<String, String> props,
            Path work,
            long nodePid,
            Map<YcsbResult, Double> cpuPer1000)
            throws IOException, InterruptedException {
        double before = ServerCpu.read(system, nodePid);
        YcsbResult result = phase(system, workload, load, count, props, work);
        double used = ServerCpu.read(system, nodePid) - before;
        long operations = result.spec().operationCount(); // YCSB runs exactly this many
        cpuPer1000.put(result, operations == 0 ? Double.NaN : used * 1000.0 / operations);
        return result;
    }

    private YcsbResult phase(
            String system, String workload, boolean load, long count, Map<String, String> props, Path work)
            throws IOException, InterruptedException {
        YcsbSpec spec =
                new YcsbSpec(system, workload, load, threads, records, load ? records : count, props, clientPrefix);
        return YcsbRunner.run(spec, work);
    }

    // ---- the sections run as processes of their own

    /**
     * Announces {@code title} and runs {@code main} of this class path as a process of its own
     * behind {@code prefix} with {@code jvmOptions} and {@code args} ({@code --quick} added in
     * quick mode), its output into {@code <name>.log}; returns its exit status.
     */
    private int child(
            String title, String name, List<String> prefix, List<String> jvmOptions, Class<?> main, String... args)
            throws IOException, InterruptedException {
        System.out.println(title);
        List<String> command = java(prefix, jvmOptions, main, args);
        if (quick) {
            command.add("--quick");
        }
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.resolve(name + ".log").toFile())
                .start()
                .waitFor();
    }

    /** {@code args}, followed in smoke mode by {@code smokeArgs}: the short windows a section runs with there. */
    private String[] withSmoke(List<String> smokeArgs, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (smoke) {
            all.addAll(smokeArgs);
        }
        return all.toArray(String[]::new);
    }

    /** A load generator: on the client CPU, a fixed 1 GB heap, the serial collector. */
    private int client(String title, String name, Class<?> main, String... args)
            throws IOException, InterruptedException {
        return child(title, name, clientPrefix, List.of("-Xms1g", "-Xmx1g", "-XX:+UseSerialGC"), main, args);
    }

    /** The command that runs {@code main} with this JVM's java and class path. */
    static List<String> java(List<String> prefix, List<String> jvmOptions, Class<?> main, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(Arrays.asList(args));
        return command;
    }

    /** The JSON report {@code name}.json of a child that must have succeeded. */
    private JsonNode required(String what, String name, int exit) throws IOException {
        Path json = out.resolve(name + ".json");
        if (exit != 0 || !Files.exists(json)) {
            throw new IOException(what + " failed (exit " + exit + "); see " + out.resolve(name + ".log"));
        }
        return new ObjectMapper().readTree(json.toFile());
    }

    /**
     * Why a benchmark run as a child failed where its report does not say so (no report, or a
     * non-zero exit with a report that says ok), or null.
     */
    private String childFailure(String what, String name, int exit) throws IOException {
        Path json = out.resolve(name + ".json");
        String failed = "the " + what + " benchmark ended with exit status " + exit;
        if (!Files.exists(json)) {
            return failed + " and no report; see " + out.resolve(name + ".log");
        }
        boolean saysOk = new ObjectMapper()
                .readTree(json.toFile())
                .path("status")
                .asText()
                .equals("ok");
        return exit != 0 && saysOk ? failed + "; see " + out.resolve(name + ".log") : null;
    }

    // ---- HTTP ceiling

    private SuiteResults.HttpCeiling httpCeiling(String url, long pid) throws IOException, InterruptedException {
        String md = out.resolve("api.md").toString();
        String json = out.resolve("api.json").toString();
        int exit = client(
                "HTTP ceiling and API scenarios",
                "api",
                ApiBenchmark.class,
                withSmoke(
                        List.of("--warmup", "200ms", "--duration", "1s"),
                        "--url",
                        url,
                        "--json",
                        json,
                        "--markdown",
                        md,
                        "--db",
                        "httpceiling",
                        "--server-pid",
                        Long.toString(pid)));
        JsonNode report = required("ApiBenchmark", "api", exit);
        JsonNode health = scenario(report, "a");
        JsonNode get = scenario(report, "b");
        @SuppressWarnings("unchecked")
        Map<String, Object> asMap = new ObjectMapper().convertValue(report, Map.class);
        return new SuiteResults.HttpCeiling(
                health.get("throughputPerSecond").asDouble(),
                health.get("latencyMs").get("p99").asDouble(),
                get.get("throughputPerSecond").asDouble(),
                get.get("latencyMs").get("p99").asDouble(),
                health.path("serverCpuMicrosPerRequest").asDouble(Double.NaN),
                get.path("serverCpuMicrosPerRequest").asDouble(Double.NaN),
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
    private QueryReport queryBenchmark(String url, int pgPort) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of(
                "--url",
                url,
                "--lumadb-pg-port",
                Integer.toString(pgPort),
                "--json",
                out.resolve("query.json").toString(),
                "--pg-url",
                Services.PG_URL,
                "--pg-user",
                Services.PG_USER,
                "--threads",
                threads.toString(),
                "--rounds",
                runs.toString()));
        if (queryRecords != null) {
            args.addAll(List.of("--records", queryRecords.toString()));
        }
        String[] all = withSmoke(
                List.of("--warmup-pass", "0s", "--warmup", "200ms", "--duration", "1s"), args.toArray(String[]::new));
        int exit = client("Queries: secondary index, full scan, PostgreSQL", "query", QueryBenchmark.class, all);
        String failure = childFailure("query", "query", exit);
        if (failure != null) {
            return QueryReport.failed(failure);
        }
        QueryReport report =
                new ObjectMapper().readValue(out.resolve("query.json").toFile(), QueryReport.class);
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

    // ---- change streams

    /**
     * Runs {@link StreamBenchmark} pinned to the load generator's CPU against {@code node} and the
     * reference, {@link BroadcastServer} started like the node (on the server CPU, with {@link
     * LumaDbNode#JVM_OPTIONS}, on a free port), and reads its report. Like the query benchmark, a
     * failed run is reported rather than thrown.
     */
    private StreamReport streamBenchmark(NodeProcess node, String nodeNote) throws IOException, InterruptedException {
        int port = Ports.free();
        Process reference = new ProcessBuilder(java(
                        serverPrefix, LumaDbNode.JVM_OPTIONS, BroadcastServer.class, "--port", Integer.toString(port)))
                .redirectErrorStream(true)
                .redirectOutput(out.resolve("reference-server.log").toFile())
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(reference::destroyForcibly));
        int exit;
        try {
            // It serves connections as soon as it accepts them.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Ports.listening("127.0.0.1", port)) {
                if (!reference.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException(
                            "the reference server did not start; see " + out.resolve("reference-server.log"));
                }
                Thread.sleep(100);
            }
            exit = client(
                    "Change streams: SSE fan-out against a trivial broadcast server",
                    "streams",
                    StreamBenchmark.class,
                    withSmoke(
                            List.of("--warmup", "500ms", "--window", "1s", "--latency-window", "1s", "--idle", "200"),
                            "--json",
                            out.resolve("streams.json").toString(),
                            "--lumadb-url",
                            node.url(""),
                            "--lumadb-pid",
                            Long.toString(node.pid()),
                            "--reference-url",
                            "http://127.0.0.1:" + port,
                            "--reference-pid",
                            Long.toString(reference.pid()),
                            "--rounds",
                            runs.toString(),
                            "--meta",
                            "servers=LumaDB (" + String.join(" ", nodeOptions()) + "; " + nodeNote
                                    + ") and the reference ("
                                    + String.join(" ", LumaDbNode.JVM_OPTIONS)
                                    + "), both on the server CPU, each idle while the other is measured",
                            "--meta",
                            "max-connections=the node runs with pekko.http.server.max-connections="
                                    + STREAM_MAX_CONNECTIONS
                                    + ": with the default, 1024, a node leaves every connection after the 1,024th"
                                    + " unanswered (no error), so it cannot hold 10,000 subscriptions as shipped"));
        } finally {
            // SIGTERM, then SIGKILL if it still runs after 10 s.
            reference.destroy();
            if (!reference.waitFor(10, TimeUnit.SECONDS)) {
                reference.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        String failure = childFailure("stream", "streams", exit);
        Path json = out.resolve("streams.json");
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

    /** Runs {@link EngineBenchmarks} on the server CPU (its JMH forks inherit the pinning) and keeps the complete pairs. */
    private List<EngineBenchmarks.Pair> engine() throws IOException, InterruptedException {
        int exit = child(
                "Engine micro-benchmarks (JMH)",
                "engine",
                serverPrefix,
                List.of("--enable-native-access=ALL-UNNAMED"),
                EngineBenchmarks.class,
                "--json",
                out.resolve("jmh.json").toString(),
                "--results",
                out.resolve("engine.json").toString());
        JsonNode pairs = required("the engine benchmarks", "engine", exit);
        return Arrays.stream(new ObjectMapper().treeToValue(pairs, EngineBenchmarks.Pair[].class))
                .filter(p -> p.storeOpsPerSec() > 0 && p.rawOpsPerSec() > 0)
                .toList();
    }

    // ---- import

    /**
     * Runs {@link ImportBenchmark}: one NDJSON file loaded by {@code lumadb import} into a fresh
     * node and by {@code COPY} into PostgreSQL, both pinned like the other sections.
     */
    private ImportBenchmark.Result importBenchmark() throws IOException, InterruptedException {
        long documents = importDocuments != null ? importDocuments : quick ? 100_000 : 1_000_000;
        System.out.printf("Import: %,d NDJSON documents, lumadb import against PostgreSQL COPY%n", documents);
        ImportBenchmark.Result r;
        try (Services services = new Services()) {
            services.ensureUp();
            services.configure();
            List<Integer> cpus = Services.allowedCpus();
            if (cpus.size() >= 2) {
                services.pin(cpus.get(0));
            }
            r = ImportBenchmark.run(nodeJar, cliJar, serverPrefix, clientPrefix, NODE_OPTIONS, out, documents);
        } catch (java.sql.SQLException e) {
            r = new ImportBenchmark.Result(documents, 0, Double.NaN, Double.NaN, e.toString());
        }
        r.lines().forEach(l -> System.out.println("  " + l));
        notes.addAll(r.lines());
        return r;
    }

    // ---- time series

    /**
     * Runs {@link TimeSeriesBenchmark}: QuestDB and then a fresh node on the server CPU, each loaded
     * from the client CPU. QuestDB's jar and root directories live beside the benchmark's jar.
     */
    private TimeSeriesResults timeSeries() throws InterruptedException {
        Path target = benchTarget();
        Path jar = questDbJar != null ? questDbJar : target.resolve("questdb/questdb.jar");
        Path java = QuestDbServer.java(questDbJava, List.of(Path.of("/usr/lib/jvm"), Path.of("/usr/local/lib/jvm")));
        return new TimeSeriesBenchmark(
                        () -> {
                            try {
                                return LumaDbNode.builder(
                                        nodeJar, serverPrefix, out.resolve("timeseries-node.log"), NODE_OPTIONS);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        },
                        "a fresh node (" + String.join(" ", nodeOptions()) + ", security off)"
                                + (serverPrefix.isEmpty() ? "" : " behind " + String.join(" ", serverPrefix)),
                        serverPrefix,
                        clientPrefix,
                        out,
                        jar,
                        java,
                        target.resolve("questdb-runs"),
                        TimeSeriesBenchmark.Settings.defaults(quick, smoke))
                .run();
    }

    /**
     * The benchmark module's target directory: where lumadb-bench.jar is (bench/target), or the
     * parent of the classes directory when run from the build's classes.
     */
    private static Path benchTarget() {
        try {
            Path code = Path.of(BenchSuite.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return code.toAbsolutePath().getParent();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Path.of("bench/target").toAbsolutePath();
        }
    }

    // ---- many collections

    /**
     * Runs {@link CollectionsBenchmark} on a fresh node of its own (10,000 collections, 1,000
     * with --quick); its figures go into the notes and collections.md. A failed run is noted.
     */
    private void collections() {
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
        settings.put("collections section duration", seconds(t, "%.0f s"));
    }
}

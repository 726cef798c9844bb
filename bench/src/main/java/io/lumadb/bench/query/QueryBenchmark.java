package io.lumadb.bench.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.bench.Cli;
import io.lumadb.bench.Stats;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The query benchmark: an indexed equality point query and a range query with sort and limit,
 * each measured on LumaDB with a secondary index, on LumaDB as a full scan of the same query
 * ({@code "hint":"scan"}) and on PostgreSQL with an equivalent expression B-tree index, on the same
 * data ({@link ItemData}) with the same closed loop ({@link ClosedLoop}: same client threads, same
 * query sequence, every answer checked).
 *
 * <p>Before measuring it checks, and fails loudly otherwise, that LumaDB's indexes are ready,
 * that LumaDB's explain says "index" on every shard for the indexed variant and "scan" for the
 * scan variant, that PostgreSQL's plan uses its index, and that all three return exactly the
 * expected documents for a few sample parameters. It drops what it created afterwards. It runs
 * as its own process (the suite starts it pinned to the load generator's CPU) and writes a
 * {@link QueryReport} as JSON; exit status 0 when everything held, 1 otherwise.
 */
@Command(
        name = "QueryBenchmark",
        mixinStandardHelpOptions = true,
        description = "Indexed point and range queries on LumaDB (index and full scan) and PostgreSQL.",
        footer = "Default: 100,000 items, 8 threads; a warm-up pass of 5 s per query and variant, then 3 rounds"
                + " (medians) of 2 s warm-up + 5 s measured per query and variant.")
public final class QueryBenchmark implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int SAMPLES = 5;
    private static final long CHECK_SEED = 77;

    @Option(names = "--json", required = true, description = "where the report goes")
    private Path json;

    @Option(names = "--url", description = "the node (default http://127.0.0.1:8080)")
    private String url = "http://127.0.0.1:8080";

    @Option(
            names = "--quick",
            description = "20,000 items; a warm-up pass of 1.5 s per query and variant, then 1 round of"
                    + " 0.5 s warm-up + 3 s measured (30 s of load in all)")
    private boolean quick;

    @Option(names = "--systems", split = ",", description = "lumadb,postgresql (default both)")
    private List<String> systems = List.of("lumadb", "postgresql");

    @Option(names = "--records", description = "items (default 100,000; quick 20,000)")
    private Integer records;

    @Option(names = "--threads", description = "client threads per system (default 8)")
    private int threads = 8;

    @Option(names = "--rounds", description = "rounds, reported as medians (default 3; quick 1)")
    private Integer rounds;

    @Option(names = "--warmup-pass", description = "warm-up pass per query and variant (default 5 s; quick 1.5 s)")
    private Duration warmupPass;

    @Option(names = "--warmup", description = "warm-up per measurement (default 2 s; quick 0.5 s)")
    private Duration warmup;

    @Option(names = "--duration", description = "measured per query and variant (default 5 s; quick 3 s)")
    private Duration duration;

    @Option(names = "--shards", description = "shards of LumaDB's collection (default: the server's default)")
    private Integer shards;

    @Option(
            names = "--lumadb-pg-port",
            description = "the port of the node's PostgreSQL protocol (default 0: not measured)")
    private int lumadbPgPort;

    @Option(names = "--pg-url", description = "PostgreSQL's JDBC URL")
    private String pgUrl = "jdbc:postgresql://127.0.0.1:5432/test";

    @Option(names = "--pg-user", description = "PostgreSQL's user")
    private String pgUser = "postgres";

    @Option(names = "--index-timeout", description = "how long the indexes may take to build (default 300 s)")
    private Duration indexTimeout = Duration.ofSeconds(300);

    @Option(names = "--keep", description = "leave the LumaDB database and the PostgreSQL table in place afterwards")
    private boolean keep;

    private final List<String> failures = new ArrayList<>();
    private final List<String> checks = new ArrayList<>();
    private final List<QueryReport.PlanCheck> plans = new ArrayList<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final Map<String, Double> indexBuild = new LinkedHashMap<>();
    /** The variants measured, in report order, and the system that answers each. */
    private final Map<Variant, QuerySystem> variants = new LinkedHashMap<>();
    /** (query, variant) -> one outcome per round. */
    private final Map<String, List<ClosedLoop.Outcome>> outcomes = new LinkedHashMap<>();

    public static void main(String[] args) {
        Cli.exit(new QueryBenchmark(), args);
    }

    @Override
    public Integer call() throws Exception {
        Cli.check("--systems", systems, List.of("lumadb", "postgresql"));
        records = Cli.orDefault(records, quick, 20_000, 100_000);
        rounds = Cli.orDefault(rounds, quick, 1, 3);
        warmupPass = Cli.orDefault(warmupPass, quick, Duration.ofMillis(1500), Duration.ofMillis(5000));
        warmup = Cli.orDefault(warmup, quick, Duration.ofMillis(500), Duration.ofMillis(2000));
        duration = Cli.orDefault(duration, quick, Duration.ofSeconds(3), Duration.ofSeconds(5));
        if (threads < 1 || rounds < 1 || duration.isZero() || warmup.isNegative() || warmupPass.isNegative()) {
            throw new IllegalArgumentException("--threads and --rounds must be at least 1, --duration positive,"
                    + " --warmup and --warmup-pass not negative");
        }
        QueryReport report = run();
        MAPPER.enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
        for (QueryReport.Measurement m : report.measurements()) {
            log(
                    "%-5s %-13s %10.1f queries/s  p50 %8.2f ms  p99 %8.2f ms  %d errors",
                    m.query(), m.variant(), m.throughput(), m.p50Ms(), m.p99Ms(), m.errors());
        }
        for (QueryReport.Ratio r : report.measurements().isEmpty() ? List.<QueryReport.Ratio>of() : report.ratios()) {
            log(
                    "%-5s LumaDB index / PostgreSQL %.2fx, LumaDB index / LumaDB scan %.2fx",
                    r.query(), r.indexedOverPostgresql(), r.indexedOverScan());
        }
        if (!report.ok()) {
            log("FAILED:%n  %s", String.join("\n  ", report.failures()));
            return 1;
        }
        return 0;
    }

    QueryReport run() {
        setting("items", "%,d", records);
        settings.put("client threads", threads + " per system (one connection each, closed loop)");
        settings.put("rounds", rounds + (rounds > 1 ? " (medians)" : ""));
        setting(
                "warm-up pass",
                "%.1f s per query and variant before the first round (the node's JIT compiles the query"
                        + " paths; not measured, errors counted)",
                warmupPass.toMillis() / 1000.0);
        setting(
                "per measurement",
                "%.1f s warm-up + %.1f s measured (stretched up to 2x until %d answers)",
                warmup.toMillis() / 1000.0,
                duration.toMillis() / 1000.0,
                minSamples());
        long t0 = System.nanoTime();
        ItemData data = new ItemData(records);
        double avgBytes = IntStream.range(0, data.size())
                .map(i -> data.document(i).length())
                .average()
                .orElse(0);
        setting(
                "document",
                "%.0f bytes of JSON on average: sku (unique), category (1 of %d), price (uniform double in"
                        + " [0, %.0f)), stock, name",
                avgBytes,
                ItemData.CATEGORIES,
                ItemData.PRICE_MAX);
        setting(
                "range window",
                "%.3f wide: %d matching items on average, limit %d",
                data.windowWidth(),
                ItemData.WINDOW_ITEMS,
                ItemData.RANGE_LIMIT);
        log("%,d items generated in %.1f s", data.size(), (System.nanoTime() - t0) / 1e9);

        List<QuerySystem> opened = new ArrayList<>();
        try {
            if (systems.contains("lumadb")) {
                opened.add(new LumaDbQueries(url, TIMEOUT, shards, indexTimeout, lumadbPgPort));
            }
            if (systems.contains("postgresql")) {
                opened.add(new PostgresQueries(pgUrl, pgUser, TIMEOUT));
            }
            for (QuerySystem system : opened) {
                system.variants().forEach(v -> variants.put(v, system));
                system.load(data, settings);
            }
            // Indexes after the load on both sides: LumaDB builds them in the background, PostgreSQL
            // with CREATE INDEX; either way the build time is a by-product worth reporting.
            for (QuerySystem system : opened) {
                system.index(data, indexBuild, settings);
            }
            verify(data);
            if (failures.isEmpty()) {
                measure(data);
            }
        } catch (Exception e) {
            failures.add(describe(e));
            log("FAILED: %s", describe(e));
        } finally {
            for (QuerySystem system : opened) {
                try (system) {
                    if (!keep) {
                        system.drop();
                    }
                } catch (Exception e) {
                    log("warning: could not drop %s: %s", system.created(), describe(e));
                }
            }
        }
        return report();
    }

    // ---- checks before measuring

    private void verify(ItemData data) throws Exception {
        for (Query query : Query.values()) {
            QueryParams sample = data.next(query, new SplittableRandom(CHECK_SEED));
            for (Map.Entry<Variant, QuerySystem> v : variants.entrySet()) {
                if (v.getKey().answers(query)) {
                    plans.add(v.getValue().plan(sample, v.getKey(), failures));
                }
            }
            SplittableRandom random = new SplittableRandom(CHECK_SEED + 1);
            int agreed = 0;
            for (int k = 0; k < SAMPLES; k++) {
                QueryParams p = data.next(query, random);
                if (query == Query.JOIN ? sameRows(data, p) : sameAnswers(data, p)) {
                    agreed++;
                }
            }
            checks.add(String.format(
                    Locale.ROOT,
                    "%s: %d of %d sample queries answered with exactly the expected %s, in order, by %s",
                    query.id(),
                    agreed,
                    SAMPLES,
                    query == Query.JOIN ? "rows" : "documents",
                    variants.keySet().stream()
                            .filter(v -> v.answers(query))
                            .map(Variant::id)
                            .toList()));
        }
        plans.forEach(p -> log(
                "plan %-5s %-13s %s%s%s",
                p.query(),
                p.variant(),
                p.plan(),
                p.returned() >= 0
                        ? "; examined " + p.keysExamined() + " keys, " + p.documentsExamined() + " documents; returned "
                                + p.returned()
                        : "",
                p.ok() ? "" : "  WRONG"));
        checks.forEach(c -> log("check %s", c));
    }

    /** Whether every variant answers {@code p} with the expected ids, in order, and the documents as loaded. */
    private boolean sameAnswers(ItemData data, QueryParams p) throws Exception {
        List<Integer> expected = data.expected(p);
        List<String> expectedIds = expected.stream().map(data::id).toList();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Variant, QuerySystem> v : variants.entrySet()) {
            List<JsonNode> docs = v.getValue().documents(p, v.getKey());
            List<String> got = docs.stream().map(d -> d.path("_id").asText()).toList();
            if (!got.equals(expectedIds)) {
                problems.add(v.getKey().id() + " answered " + got + ", expected " + expectedIds);
                continue;
            }
            for (int k = 0; k < docs.size(); k++) {
                ObjectNode content = ((ObjectNode) docs.get(k)).deepCopy();
                content.properties().removeIf(e -> e.getKey().startsWith("_"));
                JsonNode loaded = MAPPER.readTree(data.body(expected.get(k)));
                if (!loaded.equals(SAME_VALUE, content)) {
                    problems.add(
                            v.getKey().id() + " answered " + got.get(k) + " as " + content + ", loaded as " + loaded);
                }
            }
        }
        if (!problems.isEmpty()) {
            failures.add(p.query().id() + ", " + p + ": the answers differ: " + String.join("; ", problems));
            return false;
        }
        return true;
    }

    /** Whether every variant that answers joins answers {@code p} with exactly the expected rows. */
    private boolean sameRows(ItemData data, QueryParams p) throws Exception {
        List<String> expected = data.expectedRows(p);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Variant, QuerySystem> v : variants.entrySet()) {
            if (!v.getKey().answers(p.query())) {
                continue;
            }
            List<String> got = v.getValue().rows(p, v.getKey());
            if (!got.equals(expected)) {
                problems.add(v.getKey().id() + " answered " + got + ", expected " + expected);
            }
        }
        if (!problems.isEmpty()) {
            failures.add(p.query().id() + ", " + p + ": the answers differ: " + String.join("; ", problems));
            return false;
        }
        return true;
    }

    /** Numbers compare by value (100.5 and 100.50 are the same price), everything else exactly. */
    private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return Double.compare(a.asDouble(), b.asDouble());
        }
        return a.equals(b) ? 0 : 1;
    };

    // ---- measurement

    private int minSamples() {
        return 4 * threads;
    }

    private void measure(ItemData data) throws InterruptedException {
        ClosedLoop.Settings loop = new ClosedLoop.Settings(threads, warmup, duration, minSamples());
        List<Variant> order = List.copyOf(variants.keySet());
        if (!warmupPass.isZero()) {
            // A node fresh from loading has compiled none of the query paths yet; without this pass
            // the first variant measured would pay for the JIT (3x slower in a quick run).
            ClosedLoop.Settings pass = new ClosedLoop.Settings(threads, Duration.ZERO, warmupPass, 0);
            for (Query query : Query.values()) {
                for (Variant v : order.stream().filter(x -> x.answers(query)).toList()) {
                    ClosedLoop.Outcome o = ClosedLoop.run(pass, data, query, 1, client(v));
                    log(
                            "warm-up   %-5s %-13s %10.1f queries/s (%d errors)",
                            query.id(), v.id(), o.throughput(), o.errors());
                    if (o.errors() > 0) {
                        failures.add(query.id() + ", " + v.id() + ": " + o.errors()
                                + " failed or wrong answers in the warm-up pass, e.g. " + o.errorSamples());
                    }
                }
            }
        }
        for (int round = 1; round <= rounds; round++) {
            for (Query query : Query.values()) {
                // Rotated each round, so that no system always runs first (or right after a scan).
                List<Variant> answering =
                        order.stream().filter(x -> x.answers(query)).toList();
                for (int k = 0; k < answering.size(); k++) {
                    Variant v = answering.get((k + round - 1) % answering.size());
                    long seed = 1000L * round + query.ordinal();
                    ClosedLoop.Outcome o = ClosedLoop.run(loop, data, query, seed, client(v));
                    outcomes.computeIfAbsent(key(query, v), x -> new ArrayList<>())
                            .add(o);
                    log(
                            "round %d/%d %-5s %-13s %10.1f queries/s  p50 %8.2f ms  p99 %8.2f ms  (%d answers in"
                                    + " %.1f s, %d errors)%s",
                            round,
                            rounds,
                            query.id(),
                            v.id(),
                            o.throughput(),
                            o.percentileMillis(50),
                            o.percentileMillis(99),
                            o.answered(),
                            o.seconds(),
                            o.errors(),
                            o.errorSamples().isEmpty() ? "" : "\n    e.g. " + String.join("\n    ", o.errorSamples()));
                }
            }
        }
    }

    /** Opens a client thread's connection answering as {@code v}. */
    private Callable<QuerySystem.Client> client(Variant v) {
        return () -> variants.get(v).client(v);
    }

    private static String key(Query q, Variant v) {
        return q.id() + "|" + v.id();
    }

    // ---- report

    private QueryReport report() {
        List<QueryReport.Measurement> measurements = new ArrayList<>();
        for (Query q : Query.values()) {
            for (Variant v : variants.keySet()) {
                List<ClosedLoop.Outcome> os = outcomes.get(key(q, v));
                if (os == null) {
                    continue;
                }
                long errors = os.stream().mapToLong(ClosedLoop.Outcome::errors).sum();
                List<String> samples = os.stream()
                        .flatMap(o -> o.errorSamples().stream())
                        .limit(5)
                        .toList();
                measurements.add(new QueryReport.Measurement(
                        q.id(),
                        v.id(),
                        throughput(q, v),
                        Stats.median(os, o -> o.percentileMillis(50)),
                        Stats.median(os, o -> o.percentileMillis(99)),
                        os.stream().mapToLong(ClosedLoop.Outcome::answered).sum(),
                        errors,
                        samples,
                        os.size()));
                if (errors > 0) {
                    failures.add(q.id() + ", " + v.id() + ": " + errors + " failed or wrong answers, e.g. " + samples);
                }
            }
        }
        List<QueryReport.Ratio> ratios = new ArrayList<>();
        for (Query q : Query.INDEXED) {
            double indexed = throughput(q, Variant.LUMADB_INDEX);
            ratios.add(new QueryReport.Ratio(
                    q.id(), indexed / throughput(q, Variant.POSTGRESQL), indexed / throughput(q, Variant.LUMADB_SCAN)));
        }
        return new QueryReport(
                failures.isEmpty() ? "ok" : "failed",
                failures,
                settings,
                measurements,
                ratios,
                plans,
                checks,
                indexBuild);
    }

    private void setting(String name, String format, Object... args) {
        settings.put(name, String.format(Locale.ROOT, format, args));
    }

    /** The median throughput of {@code q} answered as {@code v}, NaN if not measured. */
    private double throughput(Query q, Variant v) {
        return Stats.median(outcomes.getOrDefault(key(q, v), List.of()), ClosedLoop.Outcome::throughput);
    }

    /** {@code d} in seconds, to hundredths. */
    static double secs(Duration d) {
        return Math.round(d.toMillis() / 10.0) / 100.0;
    }

    static String seconds(double s) {
        return String.format(Locale.ROOT, "%.1f s", s);
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.toString() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, format + "%n", args);
        System.out.flush();
    }
}

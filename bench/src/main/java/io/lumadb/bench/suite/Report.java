package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lumadb.bench.query.Query;
import io.lumadb.bench.query.QueryReport;
import io.lumadb.bench.query.Variant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Writes a suite's results as markdown (suite.md), JSON (suite.json) and a chart (suite.svg). */
final class Report {

    static final List<String> WORKLOADS = List.of("load", "a", "b", "c", "d", "e", "f");
    static final Map<String, String> NAMES = Map.of("lumadb", "LumaDB", "postgresql", "PostgreSQL", "redis", "Redis");
    static final Map<String, String> COLORS = Map.of("lumadb", "#6a3d9a", "postgresql", "#1f78b4", "redis", "#e31a1c");

    private Report() {}

    /** A target of the issue: what was measured against what is required. */
    record Target(String name, double measured, double required, String unit) {
        boolean met() {
            return !Double.isNaN(measured) && measured >= required;
        }
    }

    static Path write(SuiteResults r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("machine", r.machine());
        json.put("settings", r.settings());
        json.put("ycsb", r.ycsb());
        json.put("throughputRatios", ratios(r));
        json.put(
                "engine",
                r.engine().stream()
                        .map(e -> Map.of(
                                "operation", e.operation(),
                                "storeOpsPerSec", e.storeOpsPerSec(),
                                "rawOpsPerSec", e.rawOpsPerSec(),
                                "ratio", e.ratio()))
                        .toList());
        if (r.http() != null) {
            json.put(
                    "http",
                    Map.of(
                            "healthPerSec", r.http().healthPerSec(),
                            "pointGetPerSec", r.http().getPerSec(),
                            "ratio", r.http().ratio(),
                            "apiBenchmark", r.http().apiReport()));
        }
        if (r.query() != null) {
            json.put("query", r.query());
        }
        json.put("targets", targets(r));
        json.put("notes", r.notes());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("suite.json").toFile(), json);
        Files.writeString(dir.resolve("suite.svg"), Chart.svg(r));
        Path md = dir.resolve("suite.md");
        Files.writeString(md, markdown(r));
        return md;
    }

    static Optional<Double> throughput(SuiteResults r, String system, String workload) {
        return r.ycsb().stream()
                .filter(y -> y.system().equals(system) && y.workload().equals(workload))
                .map(SuiteResults.YcsbRow::throughput)
                .findFirst();
    }

    private static Map<String, Map<String, Double>> ratios(SuiteResults r) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (String w : WORKLOADS) {
            Map<String, Double> row = new LinkedHashMap<>();
            Optional<Double> luma = throughput(r, "lumadb", w);
            throughput(r, "postgresql", w).ifPresent(pg -> luma.ifPresent(l -> row.put("lumadb/postgresql", l / pg)));
            throughput(r, "redis", w).ifPresent(rd -> luma.ifPresent(l -> row.put("lumadb/redis", l / rd)));
            out.put(w, row);
        }
        return out;
    }

    private static double ratio(SuiteResults r, String w, String other) {
        return throughput(r, "lumadb", w)
                .flatMap(l -> throughput(r, other, w).map(o -> l / o))
                .orElse(Double.NaN);
    }

    static List<Target> targets(SuiteResults r) {
        List<Target> t = new ArrayList<>();
        if (!r.ycsb().isEmpty()) {
            t.add(new Target("YCSB C: LumaDB / PostgreSQL", ratio(r, "c", "postgresql"), 0.5, "x"));
            t.add(new Target("YCSB C: LumaDB / Redis", ratio(r, "c", "redis"), 0.25, "x"));
            t.add(new Target("YCSB A: LumaDB / PostgreSQL", ratio(r, "a", "postgresql"), 0.5, "x"));
            t.add(new Target("YCSB B: LumaDB / PostgreSQL", ratio(r, "b", "postgresql"), 0.5, "x"));
        }
        if (r.http() != null) {
            t.add(new Target("point GET / GET /health", r.http().ratio(), 0.5, "x"));
        }
        for (SuiteResults.EngineRow e : r.engine()) {
            if (e.operation().equals("get") || e.operation().equals("put")) {
                t.add(new Target("shard store / raw RocksDB: " + e.operation(), e.ratio(), 0.8, "x"));
            }
        }
        if (r.query() != null) {
            // A failed run (a wrong plan, a wrong answer, a failed query) meets no target.
            double measured = r.query().ok() ? queryRatio(r.query(), Query.POINT, Variant.POSTGRESQL) : Double.NaN;
            t.add(new Target("indexed point query: LumaDB / PostgreSQL", measured, 0.5, "x"));
        }
        return t;
    }

    /** Throughput of the query by {@code variant}, or NaN. */
    static double queryThroughput(QueryReport q, Query query, Variant variant) {
        return q.measurement(query.id(), variant.id())
                .map(QueryReport.Measurement::throughput)
                .orElse(Double.NaN);
    }

    /** LumaDB with its index against {@code other}, in throughput, or NaN. */
    static double queryRatio(QueryReport q, Query query, Variant other) {
        return queryThroughput(q, query, Variant.LUMADB_INDEX) / queryThroughput(q, query, other);
    }

    private static void queries(StringBuilder md, QueryReport q) {
        md.append("\n## Queries: secondary index against a full scan and PostgreSQL\n\n");
        if (q.ok()) {
            md.append("Status: ok (plans and answers checked before measuring; no failed or wrong answer).\n\n");
        } else {
            md.append("Status: **FAILED**; these figures are not a clean measurement:\n\n");
            q.failures()
                    .forEach(f -> md.append("- ").append(f.replace("\n", " ")).append('\n'));
            md.append('\n');
        }
        if (!q.measurements().isEmpty()) {
            md.append(
                    "| query | LumaDB, index | LumaDB, full scan | PostgreSQL, B-tree | index / PostgreSQL | index / scan |\n");
            md.append("|---|--:|--:|--:|--:|--:|\n");
            for (Query query : Query.values()) {
                md.append("| ").append(query.id()).append(": ").append(query.description());
                for (Variant v : Variant.values()) {
                    md.append(" | ").append(fmt(queryThroughput(q, query, v))).append(" q/s");
                }
                md.append(" | ")
                        .append(fmt(queryRatio(q, query, Variant.POSTGRESQL)))
                        .append("x");
                md.append(" | ")
                        .append(fmt(queryRatio(q, query, Variant.LUMADB_SCAN)))
                        .append("x |\n");
            }
            int rounds = q.measurements().stream()
                    .mapToInt(QueryReport.Measurement::rounds)
                    .max()
                    .orElse(0);
            md.append("\nLatency (ms, send to whole answer read; medians over ")
                    .append(rounds)
                    .append(rounds == 1 ? " round" : " rounds")
                    .append(") and the plan each system chose, checked before measuring:\n\n");
            md.append("| query | variant | queries/s | p50 | p99 | answers | errors | plan |\n");
            md.append("|---|---|--:|--:|--:|--:|--:|---|\n");
            for (QueryReport.Measurement m : q.measurements()) {
                String plan = q.plans().stream()
                        .filter(p -> p.query().equals(m.query()) && p.variant().equals(m.variant()))
                        .map(p -> p.plan()
                                + (p.returned() >= 0
                                        ? "; examined " + p.keysExamined() + " keys, " + p.documentsExamined()
                                                + " documents; returned " + p.returned()
                                        : "")
                                + (p.ok() ? "" : " (**wrong plan**)"))
                        .findFirst()
                        .orElse("—");
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %s | %.2f | %.2f | %,d | %s | %s |%n",
                        m.query(),
                        variantName(m.variant()),
                        fmt(m.throughput()),
                        m.p50Ms(),
                        m.p99Ms(),
                        m.answered(),
                        m.errors() == 0 ? "0" : "**" + m.errors() + "**",
                        plan));
            }
        }
        md.append('\n');
        q.settings().forEach((k, v) -> {
            boolean code = v.startsWith("SELECT") || v.startsWith("POST");
            md.append("- ")
                    .append(k)
                    .append(": ")
                    .append(code ? "`" + v + "`" : v)
                    .append('\n');
        });
        if (!q.indexBuildSeconds().isEmpty()) {
            md.append("- index build (s): ");
            List<String> builds = new ArrayList<>();
            q.indexBuildSeconds().forEach((k, v) -> builds.add(k + " " + fmt(v)));
            md.append(String.join(", ", builds)).append('\n');
        }
        q.checks().forEach(c -> md.append("- checked: ").append(c).append('\n'));
    }

    private static String variantName(String id) {
        for (Variant v : Variant.values()) {
            if (v.id().equals(id)) {
                return v.description();
            }
        }
        return id;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String markdown(SuiteResults r) {
        StringBuilder md = new StringBuilder();
        md.append("# LumaDB benchmark suite\n\n");
        md.append("![throughput and p99 per workload and system](suite.svg)\n\n");
        md.append("## Machine and settings\n\n| | |\n|---|---|\n");
        r.machine()
                .forEach((k, v) ->
                        md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        r.settings()
                .forEach((k, v) ->
                        md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        if (!r.ycsb().isEmpty()) {
            int runs =
                    r.ycsb().stream().mapToInt(SuiteResults.YcsbRow::runs).max().orElse(0);
            md.append("\n## YCSB throughput (operations/s, median of ")
                    .append(runs)
                    .append(" runs)\n\n");
            md.append("| workload | LumaDB | PostgreSQL | Redis | LumaDB / PostgreSQL | LumaDB / Redis |\n");
            md.append("|---|--:|--:|--:|--:|--:|\n");
            for (String w : WORKLOADS) {
                md.append("| ").append(w.equals("load") ? "load (insert)" : w.toUpperCase(Locale.ROOT));
                for (String s : List.of("lumadb", "postgresql", "redis")) {
                    md.append(" | ").append(fmt(throughput(r, s, w).orElse(Double.NaN)));
                }
                md.append(" | ").append(fmt(ratio(r, w, "postgresql"))).append("x");
                md.append(" | ").append(fmt(ratio(r, w, "redis"))).append("x |\n");
            }
            md.append("\n## YCSB latency (microseconds, medians over the runs)\n\n");
            md.append(
                    "| workload | system | operation | operations | p50 | p95 | p99 |\n|---|---|---|--:|--:|--:|--:|\n");
            for (String w : WORKLOADS) {
                for (SuiteResults.YcsbRow y : r.ycsb()) {
                    if (y.workload().equals(w)) {
                        md.append(String.format(
                                Locale.ROOT,
                                "| %s | %s | %s | %,d | %s | %s | %s |%n",
                                w,
                                NAMES.getOrDefault(y.system(), y.system()),
                                y.operation(),
                                y.operations(),
                                fmt(y.p50Micros()),
                                fmt(y.p95Micros()),
                                fmt(y.p99Micros())));
                    }
                }
            }
        }
        if (!r.engine().isEmpty()) {
            md.append("\n## Engine: shard store against raw RocksDB (JMH, same database and options)\n\n");
            md.append("| operation | shard store ops/s | raw RocksDB ops/s | store / raw |\n|---|--:|--:|--:|\n");
            for (SuiteResults.EngineRow e : r.engine()) {
                md.append("| ").append(e.operation()).append(" | ").append(fmt(e.storeOpsPerSec()));
                md.append(" | ")
                        .append(fmt(e.rawOpsPerSec()))
                        .append(" | ")
                        .append(fmt(e.ratio()))
                        .append("x |\n");
            }
        }
        if (r.http() != null) {
            md.append("\n## HTTP ceiling (same load generator, same run)\n\n");
            md.append(
                    "| GET /health | p99 | point GET of a 1 KB document | p99 | point GET / health |\n|--:|--:|--:|--:|--:|\n");
            md.append(String.format(
                    Locale.ROOT,
                    "| %s req/s | %.2f ms | %s req/s | %.2f ms | %sx |%n",
                    fmt(r.http().healthPerSec()),
                    r.http().healthP99Ms(),
                    fmt(r.http().getPerSec()),
                    r.http().getP99Ms(),
                    fmt(r.http().ratio())));
            md.append("\nThe API scenarios (PUT, bulk, GET at half rate) are in api.md beside this report.\n");
        }
        if (r.query() != null) {
            queries(md, r.query());
        }
        md.append("\n## Targets\n\n| target | measured | required | result |\n|---|--:|--:|---|\n");
        for (Target t : targets(r)) {
            md.append("| ")
                    .append(t.name())
                    .append(" | ")
                    .append(fmt(t.measured()))
                    .append(t.unit());
            md.append(" | ≥ ").append(fmt(t.required())).append(t.unit());
            md.append(" | ").append(t.met() ? "met" : "**missed**").append(" |\n");
        }
        if (!r.notes().isEmpty()) {
            md.append("\n## Notes\n\n");
            r.notes().forEach(n -> md.append("- ").append(n).append('\n'));
        }
        return md.toString();
    }
}

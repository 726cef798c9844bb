package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lumadb.bench.Stats;
import io.lumadb.bench.query.Query;
import io.lumadb.bench.query.QueryReport;
import io.lumadb.bench.query.Variant;
import io.lumadb.bench.streams.ProcessProbe;
import io.lumadb.bench.streams.StreamBenchmark;
import io.lumadb.bench.streams.StreamReport;
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

    /**
     * A target of the issue: what was measured against what is required, at least {@code
     * required} or, when {@code atMost}, less than it.
     */
    record Target(String name, double measured, double required, String unit, boolean atMost) {
        Target(String name, double measured, double required, String unit) {
            this(name, measured, required, unit, false);
        }

        boolean met() {
            return !Double.isNaN(measured) && (atMost ? measured < required : measured >= required);
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
        if (r.streams() != null) {
            json.put("streams", r.streams());
            json.put("streamsSummary", streamSummary(r.streams()));
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
        if (r.streams() != null) {
            t.addAll(streamTargets(r.streams()));
        }
        return t;
    }

    // ---- change streams

    /** A median over the rounds of one system's figure. */
    private static <T> double median(
            List<T> rows,
            String system,
            java.util.function.Function<T, String> systemOf,
            java.util.function.ToDoubleFunction<T> figure) {
        return Stats.median(
                rows.stream().filter(row -> systemOf.apply(row).equals(system)).toList(), figure);
    }

    static double deliveries(StreamReport s, String system) {
        return median(
                s.throughput(), system, StreamReport.Throughput::system, StreamReport.Throughput::deliveriesPerSec);
    }

    /** Deliveries per CPU-second of the server: a ratio that a busy machine distorts less. */
    static double deliveriesPerCpu(StreamReport s, String system) {
        return median(
                s.throughput(), system, StreamReport.Throughput::system, t -> t.deliveriesPerSec() / t.serverCpu());
    }

    static double latencyP99(StreamReport s, String system) {
        return median(s.latency(), system, StreamReport.Latency::system, StreamReport.Latency::p99Ms);
    }

    static Optional<StreamReport.Idle> idle(StreamReport s, String system) {
        return s.idle().stream().filter(i -> i.system().equals(system)).findFirst();
    }

    /** The heap 10,000 idle subscriptions take: measured, or extrapolated from the count measured. */
    static double idleHeapFor10k(StreamReport s) {
        return idle(s, StreamReport.LUMADB)
                .filter(i -> i.problem() == null)
                .map(i -> i.subscriptions() == 10_000 ? i.heapDeltaMb() : i.kbPerSubscription() * 10_000 / 1024)
                .orElse(Double.NaN);
    }

    private static Map<String, Object> streamSummary(StreamReport s) {
        Map<String, Object> m = new LinkedHashMap<>();
        double luma = deliveries(s, StreamReport.LUMADB);
        double ref = deliveries(s, StreamReport.REFERENCE);
        m.put("lumadbDeliveriesPerSec", luma);
        m.put("referenceDeliveriesPerSec", ref);
        m.put("deliveriesRatio", luma / ref);
        m.put(
                "deliveriesPerServerCpuSecondRatio",
                deliveriesPerCpu(s, StreamReport.LUMADB) / deliveriesPerCpu(s, StreamReport.REFERENCE));
        m.put("lumadbP99Ms", latencyP99(s, StreamReport.LUMADB));
        m.put("referenceP99Ms", latencyP99(s, StreamReport.REFERENCE));
        m.put("lumadbIdleHeapMbFor10k", idleHeapFor10k(s));
        return m;
    }

    static List<Target> streamTargets(StreamReport s) {
        // A failed run (a lost, duplicated or reordered delivery, an overflow) meets no target.
        boolean ok = s.ok();
        List<Target> t = new ArrayList<>();
        // The verdict compares deliveries per server CPU-second: on a machine shared with other work
        // the scheduler gives a many-threaded server (LumaDB) more of its CPU than a one-thread one
        // (the reference), so raw deliveries/s can flatter either; with a CPU each, both agree.
        double raw = deliveries(s, StreamReport.LUMADB) / deliveries(s, StreamReport.REFERENCE);
        double perCpu = deliveriesPerCpu(s, StreamReport.LUMADB) / deliveriesPerCpu(s, StreamReport.REFERENCE);
        t.add(new Target(
                String.format(
                        Locale.ROOT,
                        "change-stream deliveries per server CPU-second: LumaDB / trivial broadcast server"
                                + " (raw deliveries/s: %sx)",
                        fmt(raw)),
                ok ? perCpu : Double.NaN,
                0.5,
                "x"));
        String rate = s.latency().isEmpty()
                ? "?"
                : StreamBenchmark.rateText(s.latency().get(0).rate());
        int subscribers = s.latency().isEmpty() ? 0 : s.latency().get(0).subscribers();
        t.add(new Target(
                "change-stream p99 commit-to-delivery at " + rate + " writes/s, " + subscribers + " subscribers",
                ok ? latencyP99(s, StreamReport.LUMADB) : Double.NaN,
                50,
                " ms",
                true));
        String measured = idle(s, StreamReport.LUMADB)
                .filter(i -> i.subscriptions() != 10_000)
                .map(i -> String.format(Locale.ROOT, " (extrapolated from %,d)", i.subscriptions()))
                .orElse("");
        t.add(new Target(
                "heap of 10,000 idle subscriptions" + measured, ok ? idleHeapFor10k(s) : Double.NaN, 200, " MB", true));
        return t;
    }

    private static void streams(StringBuilder md, StreamReport s) {
        md.append("\n## Change streams: one writer, many SSE subscribers, against a trivial broadcast server\n\n");
        if (s.ok()) {
            md.append("Status: ok (every subscriber received every acknowledged write exactly once, in order;"
                    + " no overflow, no failed write).\n\n");
        } else {
            md.append("Status: **FAILED**; these figures are not a clean measurement:\n\n");
            s.failures()
                    .forEach(f -> md.append("- ").append(f.replace("\n", " ")).append('\n'));
            md.append('\n');
        }
        if (!s.throughput().isEmpty()) {
            int rounds = s.throughput().stream()
                    .mapToInt(StreamReport.Throughput::round)
                    .max()
                    .orElse(0);
            int subscribers = s.throughput().get(0).subscribers();
            md.append(String.format(
                    Locale.ROOT,
                    "Most deliveries per second, %,d subscribers (median of %d %s):%n%n",
                    subscribers,
                    rounds,
                    rounds == 1 ? "round" : "rounds"));
            md.append("| system | deliveries/s | writes/s | server CPU | deliveries per server CPU-second"
                    + " | client CPU | bytes/delivery | p50 | p99 |\n");
            md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
            for (String system : List.of(StreamReport.LUMADB, StreamReport.REFERENCE)) {
                var rows = s.throughput().stream()
                        .filter(t -> t.system().equals(system))
                        .toList();
                if (rows.isEmpty()) {
                    continue;
                }
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %s | %.2f | %s | %.2f | %.0f | %.1f ms | %.1f ms |%n",
                        streamName(system),
                        fmt(deliveries(s, system)),
                        fmt(Stats.median(rows, StreamReport.Throughput::writesPerSec)),
                        Stats.median(rows, StreamReport.Throughput::serverCpu),
                        fmt(deliveriesPerCpu(s, system)),
                        Stats.median(rows, StreamReport.Throughput::clientCpu),
                        Stats.median(rows, StreamReport.Throughput::bytesPerDelivery),
                        Stats.median(rows, StreamReport.Throughput::p50Ms),
                        Stats.median(rows, StreamReport.Throughput::p99Ms)));
            }
            md.append(String.format(
                    Locale.ROOT,
                    "| LumaDB / reference | %sx | | | %sx | | | | |%n",
                    fmt(deliveries(s, StreamReport.LUMADB) / deliveries(s, StreamReport.REFERENCE)),
                    fmt(deliveriesPerCpu(s, StreamReport.LUMADB) / deliveriesPerCpu(s, StreamReport.REFERENCE))));
            md.append("\nThe writer keeps at most ")
                    .append(s.throughput().get(0).inFlight())
                    .append(" writes on their way (not yet received by every subscriber), so it runs at the speed"
                            + " of the fan-out and no subscriber can overflow; latencies here are under saturation."
                            + " A server CPU below 1.0 means the server did not get its CPU (the machine was shared:"
                            + " the scheduler favours the many-threaded LumaDB over the one-thread reference) or"
                            + " waited for the load generator, whose one thread costs about as much per delivery"
                            + " as the reference's; so the reference's deliveries/s is a lower bound, and the"
                            + " target is judged on deliveries per server CPU-second, the ratio of what a delivery"
                            + " costs each server.\n");
        }
        if (!s.latency().isEmpty()) {
            StreamReport.Latency first = s.latency().get(0);
            int rounds = s.latency().stream()
                    .mapToInt(StreamReport.Latency::round)
                    .max()
                    .orElse(0);
            md.append(String.format(
                    Locale.ROOT,
                    "%nLatency at %s writes/s (%,.0f deliveries/s) to %,d subscribers, from the write's due send time"
                            + " to the subscriber's read, in ms (median of %d %s; for LumaDB it includes the write's"
                            + " durable commit, shown as write ack):%n%n",
                    StreamBenchmark.rateText(first.rate()),
                    first.rate() * first.subscribers(),
                    first.subscribers(),
                    rounds,
                    rounds == 1 ? "round" : "rounds"));
            md.append("| system | p50 | p90 | p99 | p99.9 | max | write ack p50 | write ack p99 | deliveries"
                    + " | writer late by (max) | server CPU |\n");
            md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
            for (String system : List.of(StreamReport.LUMADB, StreamReport.REFERENCE)) {
                var rows = s.latency().stream()
                        .filter(l -> l.system().equals(system))
                        .toList();
                if (rows.isEmpty()) {
                    continue;
                }
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %.2f | %,d | %.1f ms | %.2f |%n",
                        streamName(system),
                        Stats.median(rows, StreamReport.Latency::p50Ms),
                        Stats.median(rows, StreamReport.Latency::p90Ms),
                        Stats.median(rows, StreamReport.Latency::p99Ms),
                        Stats.median(rows, StreamReport.Latency::p999Ms),
                        Stats.median(rows, StreamReport.Latency::maxMs),
                        Stats.median(rows, StreamReport.Latency::ackP50Ms),
                        Stats.median(rows, StreamReport.Latency::ackP99Ms),
                        rows.stream()
                                .mapToLong(StreamReport.Latency::deliveries)
                                .sum(),
                        Stats.median(rows, StreamReport.Latency::lagMaxMs),
                        Stats.median(rows, StreamReport.Latency::serverCpu)));
            }
        }
        if (!s.idle().isEmpty()) {
            md.append("\nIdle subscriptions (`from=now`), the server's heap after a forced full GC (`jcmd GC.run`)"
                    + " before and after:\n\n");
            md.append("| system | subscriptions | layout | heap used before → after | growth | per subscription"
                    + " | live objects growth | per subscription | opened in | subscriptions/s |\n");
            md.append("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|\n");
            for (StreamReport.Idle i : s.idle()) {
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %,d | %s | %.0f → %.0f MB | %.0f MB | %.1f KB | %.1f MB | %.1f KB | %.1f s | %,.0f |%n",
                        streamName(i.system()),
                        i.subscribed(),
                        i.layout(),
                        i.heapBeforeMb(),
                        i.heapAfterMb(),
                        i.heapDeltaMb(),
                        i.kbPerSubscription(),
                        i.liveDeltaMb(),
                        i.liveKbPerSubscription(),
                        i.openSeconds(),
                        i.subscribed() / i.openSeconds()));
            }
            idle(s, StreamReport.LUMADB).ifPresent(i -> {
                if (!i.topClasses().isEmpty()) {
                    md.append("\nWhat grew most in LumaDB's heap (class histogram, live objects):\n\n"
                            + "| class | instances | bytes | bytes per subscription |\n|---|--:|--:|--:|\n");
                    for (ProcessProbe.ClassDelta c : i.topClasses()) {
                        md.append(String.format(
                                Locale.ROOT,
                                "| `%s` | %,d | %,d | %.0f |%n",
                                c.name(),
                                c.instances(),
                                c.bytes(),
                                (double) c.bytes() / Math.max(1, i.subscribed())));
                    }
                }
            });
        }
        List<String> checks = new ArrayList<>();
        s.throughput().forEach(t -> checks.add(check("throughput", t.system(), t.round(), t.check())));
        s.latency().forEach(l -> checks.add(check("latency", l.system(), l.round(), l.check())));
        md.append('\n');
        s.settings()
                .forEach((k, v) ->
                        md.append("- ").append(k).append(": ").append(v).append('\n'));
        checks.forEach(c -> md.append("- checked: ").append(c).append('\n'));
        s.notes().forEach(n -> md.append("- note: ").append(n).append('\n'));
    }

    private static String check(String part, String system, int round, StreamReport.Check c) {
        String what = part + " round " + round + ", " + streamName(system) + ": ";
        if (c.clean()) {
            return what
                    + String.format(
                            Locale.ROOT,
                            "%,d writes × %,d subscribers = %,d deliveries, each once and in" + " order",
                            c.writes(),
                            c.subscribers().subscribers(),
                            c.subscribers().received());
        }
        return what + "**" + String.join("; ", c.problems()) + "**";
    }

    private static String streamName(String system) {
        return system.equals(StreamReport.LUMADB) ? "LumaDB" : "reference (NIO broadcast)";
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
        if (r.streams() != null) {
            streams(md, r.streams());
        }
        md.append("\n## Targets\n\n| target | measured | required | result |\n|---|--:|--:|---|\n");
        for (Target t : targets(r)) {
            md.append("| ")
                    .append(t.name())
                    .append(" | ")
                    .append(fmt(t.measured()))
                    .append(t.unit());
            md.append(t.atMost() ? " | < " : " | ≥ ").append(fmt(t.required())).append(t.unit());
            md.append(" | ").append(t.met() ? "met" : "**missed**").append(" |\n");
        }
        if (!r.notes().isEmpty()) {
            md.append("\n## Notes\n\n");
            r.notes().forEach(n -> md.append("- ").append(n).append('\n'));
        }
        return md.toString();
    }
}

package io.lumadb.bench.suite;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.lumadb.bench.Stats;
import io.lumadb.bench.engine.EngineBenchmarks;
import io.lumadb.bench.query.Query;
import io.lumadb.bench.query.QueryReport;
import io.lumadb.bench.query.Variant;
import io.lumadb.bench.streams.StreamBenchmark;
import io.lumadb.bench.streams.StreamReport;
import io.lumadb.bench.timeseries.TimeSeriesResults;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Everything one suite run measured, as the report shows it (medians over the runs), and what
 * follows from it: the ratios and the targets. It is suite.json as it is. A section left out of
 * the run ({@code --sections}) is an empty list, or null (and absent from the JSON) for {@code
 * http}, {@code query}, {@code streams}, {@code security}, {@code vector}, {@code tiering} and {@code
 * timeseries}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
    "machine",
    "settings",
    "ycsb",
    "throughputRatios",
    "engine",
    "http",
    "query",
    "streams",
    "streamsSummary",
    "security",
    "vector",
    "tiering",
    "imports",
    "timeseries",
    "targets",
    "notes"
})
record SuiteResults(
        Map<String, Object> machine,
        Map<String, String> settings,
        List<YcsbRow> ycsb,
        List<EngineBenchmarks.Pair> engine,
        HttpCeiling http,
        QueryReport query,
        StreamReport streams,
        SecurityResults security,
        VectorResults vector,
        TieringResults tiering,
        ImportBenchmark.Result imports,
        TimeSeriesResults timeseries,
        List<String> notes) {

    static final List<String> WORKLOADS = List.of("load", "a", "b", "c", "d", "e", "f");

    /** One operation type of one workload on one system: medians over the runs. */
    record YcsbRow(
            String workload,
            String system,
            String operation,
            double throughput,
            long operations,
            double p50Micros,
            double p95Micros,
            double p99Micros,
            double serverCpuSecondsPer1000Ops,
            int runs) {}

    /**
     * The HTTP ceiling: GET /health against point GET of a 1 KB document, by the same load
     * generator, with the node's CPU time per request of each (NaN if not measured).
     */
    record HttpCeiling(
            double healthPerSec,
            double healthP99Ms,
            double pointGetPerSec,
            double pointGetP99Ms,
            double healthCpuMicros,
            double pointGetCpuMicros,
            Map<String, Object> apiBenchmark) {
        @JsonProperty("ratio")
        double ratio() {
            return pointGetPerSec / healthPerSec;
        }
    }

    /**
     * A target of the issue: what was measured against what is required, at least {@code
     * required} or, when {@code atMost}, less than it.
     */
    record Target(String name, double measured, double required, String unit, boolean atMost) {
        Target(String name, double measured, double required) {
            this(name, measured, required, "x", false);
        }

        boolean met() {
            return !Double.isNaN(measured) && (atMost ? measured < required : measured >= required);
        }
    }

    /** The change streams' headline figures, medians over the rounds. */
    record StreamSummary(
            double lumadbDeliveriesPerSec,
            double referenceDeliveriesPerSec,
            double deliveriesRatio,
            double deliveriesPerServerCpuSecondRatio,
            double lumadbP99Ms,
            double referenceP99Ms,
            double lumadbIdleHeapMbFor10k) {}

    Optional<Double> throughput(String system, String workload) {
        return ycsb.stream()
                .filter(y -> y.system().equals(system) && y.workload().equals(workload))
                .map(YcsbRow::throughput)
                .findFirst();
    }

    /** Server CPU seconds per 1,000 operations of {@code system} in workload {@code w}, or NaN. */
    double cpuPer1000(String system, String workload) {
        return ycsb.stream()
                .filter(y -> y.system().equals(system) && y.workload().equals(workload))
                .mapToDouble(YcsbRow::serverCpuSecondsPer1000Ops)
                .findFirst()
                .orElse(Double.NaN);
    }

    /** LumaDB's throughput over {@code other}'s in workload {@code w}, or NaN. */
    double ratio(String w, String other) {
        return throughput("lumadb", w)
                .flatMap(l -> throughput(other, w).map(o -> l / o))
                .orElse(Double.NaN);
    }

    @JsonProperty("throughputRatios")
    Map<String, Map<String, Double>> throughputRatios() {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (String w : WORKLOADS) {
            Map<String, Double> row = new LinkedHashMap<>();
            for (String other : List.of("postgresql", "redis")) {
                double ratio = ratio(w, other);
                if (!Double.isNaN(ratio)) {
                    row.put("lumadb/" + other, ratio);
                }
            }
            out.put(w, row);
        }
        return out;
    }

    @JsonProperty("streamsSummary")
    StreamSummary streamsSummary() {
        if (streams == null) {
            return null;
        }
        double luma = deliveries(StreamReport.LUMADB);
        double ref = deliveries(StreamReport.REFERENCE);
        return new StreamSummary(
                luma,
                ref,
                luma / ref,
                deliveriesPerCpu(StreamReport.LUMADB) / deliveriesPerCpu(StreamReport.REFERENCE),
                latencyP99(StreamReport.LUMADB),
                latencyP99(StreamReport.REFERENCE),
                idleHeapFor10k());
    }

    /** The rows of {@code system}. */
    static <T> List<T> bySystem(List<T> rows, String system, Function<T, String> systemOf) {
        return rows.stream().filter(row -> systemOf.apply(row).equals(system)).toList();
    }

    double deliveries(String system) {
        return Stats.median(
                bySystem(streams.throughput(), system, StreamReport.Throughput::system),
                StreamReport.Throughput::deliveriesPerSec);
    }

    /** Deliveries per CPU-second of the server: a ratio that a busy machine distorts less. */
    double deliveriesPerCpu(String system) {
        ToDoubleFunction<StreamReport.Throughput> perCpu = t -> t.deliveriesPerSec() / t.serverCpu();
        return Stats.median(bySystem(streams.throughput(), system, StreamReport.Throughput::system), perCpu);
    }

    double latencyP99(String system) {
        return Stats.median(
                bySystem(streams.latency(), system, StreamReport.Latency::system), StreamReport.Latency::p99Ms);
    }

    Optional<StreamReport.Idle> idle(String system) {
        return bySystem(streams.idle(), system, StreamReport.Idle::system).stream()
                .findFirst();
    }

    /** The heap 10,000 idle subscriptions take: measured, or extrapolated from the count measured. */
    double idleHeapFor10k() {
        return idle(StreamReport.LUMADB)
                .filter(i -> i.problem() == null)
                .map(i -> i.subscriptions() == 10_000 ? i.heapDeltaMb() : i.kbPerSubscription() * 10_000 / 1024)
                .orElse(Double.NaN);
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

    @JsonProperty("targets")
    List<Target> targets() {
        List<Target> t = new ArrayList<>();
        if (!ycsb.isEmpty()) {
            t.add(new Target("YCSB C: LumaDB / PostgreSQL", ratio("c", "postgresql"), 0.5));
            t.add(new Target("YCSB C: LumaDB / Redis", ratio("c", "redis"), 0.25));
            t.add(new Target("YCSB A: LumaDB / PostgreSQL", ratio("a", "postgresql"), 0.5));
            t.add(new Target("YCSB B: LumaDB / PostgreSQL", ratio("b", "postgresql"), 0.5));
        }
        if (http != null) {
            t.add(new Target("point GET / GET /health", http.ratio(), 0.5));
        }
        for (EngineBenchmarks.Pair e : engine) {
            if (e.operation().equals("get") || e.operation().equals("put")) {
                t.add(new Target("shard store / raw RocksDB: " + e.operation(), e.ratio(), 0.8));
            }
        }
        if (query != null) {
            // A failed run (a wrong plan, a wrong answer, a failed query) meets no target.
            double measured = query.ok() ? queryRatio(query, Query.POINT, Variant.POSTGRESQL) : Double.NaN;
            t.add(new Target("indexed point query: LumaDB / PostgreSQL", measured, 0.5));
            // A cached SQL statement may cost at most 20% over the same query in JQL: 1 / 1.2.
            double sql = query.ok()
                    ? queryThroughput(query, Query.POINT, Variant.LUMADB_SQL)
                            / queryThroughput(query, Query.POINT, Variant.LUMADB_INDEX)
                    : Double.NaN;
            t.add(new Target("point query: SQL over HTTP / the same in JQL", sql, 1 / 1.2));
            double wire = query.ok()
                    ? queryThroughput(query, Query.POINT, Variant.LUMADB_PGWIRE)
                            / queryThroughput(query, Query.POINT, Variant.POSTGRESQL)
                    : Double.NaN;
            t.add(new Target("point query: SQL over the PostgreSQL protocol / PostgreSQL", wire, 0.5));
        }
        if (streams != null) {
            t.addAll(streamTargets());
        }
        if (security != null) {
            t.addAll(security.targets());
        }
        if (vector != null) {
            t.addAll(vector.targets());
        }
        if (tiering != null) {
            t.addAll(tiering.targets());
        }
        if (imports != null) {
            t.add(imports.target());
        }
        if (timeseries != null) {
            timeseries
                    .targets()
                    .forEach(x -> t.add(new Target(x.name(), x.measured(), x.required(), x.unit(), x.atMost())));
        }
        return t;
    }

    private List<Target> streamTargets() {
        // A failed run (a lost, duplicated or reordered delivery, an overflow) meets no target.
        boolean ok = streams.ok();
        StreamSummary s = streamsSummary();
        // The verdict compares deliveries per server CPU-second: on a machine shared with other work
        // the scheduler gives a many-threaded server (LumaDB) more of its CPU than a one-thread one
        // (the reference), so raw deliveries/s can flatter either; with a CPU each, both agree.
        String perCpu = "change-stream deliveries per server CPU-second: LumaDB / trivial broadcast server"
                + " (raw deliveries/s: " + Report.fmt(s.deliveriesRatio()) + "x)";
        Optional<StreamReport.Latency> first = streams.latency().stream().findFirst();
        String latency = "change-stream p99 commit-to-delivery at "
                + first.map(l -> StreamBenchmark.rateText(l.rate())).orElse("?") + " writes/s, "
                + first.map(StreamReport.Latency::subscribers).orElse(0) + " subscribers";
        List<Target> targets = new ArrayList<>(List.of(
                new Target(perCpu, ok ? s.deliveriesPerServerCpuSecondRatio() : Double.NaN, 0.5),
                new Target(
                        latency + ": LumaDB / trivial broadcast server",
                        ok ? s.lumadbP99Ms() / s.referenceP99Ms() : Double.NaN,
                        2.0,
                        "x",
                        true)));
        // Idle subscriptions: heap per subscription, each on its own SSE connection, and multiplexed
        // over WebSocket connections (where a subscription, not a connection, is what is measured).
        idle(StreamReport.LUMADB)
                .ifPresent(i -> targets.add(idleTarget(
                        i,
                        ok,
                        String.format(Locale.ROOT, "heap per idle SSE subscription (%,d)", i.subscribed()),
                        15)));
        idle(StreamReport.LUMADB_WEBSOCKET)
                .ifPresent(i ->
                        targets.add(idleTarget(i, ok, "heap per idle WebSocket subscription (" + i.layout() + ")", 3)));
        return targets;
    }

    /** At most {@code kb} of heap per idle subscription; a failed section or measurement meets none. */
    private static Target idleTarget(StreamReport.Idle i, boolean ok, String name, double kb) {
        return new Target(name, ok && i.problem() == null ? i.kbPerSubscription() : Double.NaN, kb, " KB", true);
    }
}

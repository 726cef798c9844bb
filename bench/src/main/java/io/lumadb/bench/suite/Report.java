package io.lumadb.bench.suite;

import static io.lumadb.bench.suite.SuiteResults.WORKLOADS;
import static io.lumadb.bench.suite.SuiteResults.queryRatio;
import static io.lumadb.bench.suite.SuiteResults.queryThroughput;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lumadb.bench.Stats;
import io.lumadb.bench.engine.EngineBenchmarks;
import io.lumadb.bench.query.Query;
import io.lumadb.bench.query.QueryReport;
import io.lumadb.bench.query.Variant;
import io.lumadb.bench.streams.ProcessProbe;
import io.lumadb.bench.streams.StreamBenchmark;
import io.lumadb.bench.streams.StreamReport;
import io.lumadb.bench.timeseries.TimeSeriesReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Writes a suite's results as markdown (suite.md), JSON (suite.json) and a chart (suite.svg). */
final class Report {

    static final Map<String, String> NAMES = Map.of("lumadb", "LumaDB", "postgresql", "PostgreSQL", "redis", "Redis");
    static final Map<String, String> COLORS = Map.of("lumadb", "#6a3d9a", "postgresql", "#1f78b4", "redis", "#e31a1c");

    private Report() {}

    static Path write(SuiteResults r, Path dir) throws IOException {
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("suite.json").toFile(), r);
        Files.writeString(dir.resolve("suite.svg"), Chart.svg(r));
        Path md = dir.resolve("suite.md");
        Files.writeString(md, markdown(r));
        return md;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%,.0f" : "%.2f", v);
    }

    /** CPU seconds, to the millisecond. */
    private static String cpu(double seconds) {
        return Double.isNaN(seconds) ? "—" : String.format(Locale.ROOT, "%.3f", seconds);
    }

    /** "1 round", "3 rounds": the most rounds (or runs) of {@code rounds}. */
    private static String rounds(IntStream rounds, String noun) {
        int n = rounds.max().orElse(0);
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** A section's status: ok and why, or FAILED with the failures, one per line. */
    static void status(Markdown md, boolean ok, String why, List<String> failures) {
        if (ok) {
            md.line("Status: ok (%s).%n", why);
        } else {
            md.line("Status: **FAILED**; these figures are not a clean measurement:%n");
            failures.forEach(f -> md.line("- %s", f.replace("\n", " ")));
            md.line("");
        }
    }

    private static String markdown(SuiteResults r) {
        Markdown md = new Markdown();
        md.line("# LumaDB benchmark suite%n");
        md.line("![throughput and p99 per workload and system](suite.svg)%n");
        md.line("## Machine and settings%n").table("ll", " | ");
        r.machine().forEach(md::row);
        r.settings().forEach(md::row);
        if (!r.ycsb().isEmpty()) {
            int runs =
                    r.ycsb().stream().mapToInt(SuiteResults.YcsbRow::runs).max().orElse(0);
            md.line("%n## YCSB throughput (operations/s, median of %d runs)%n", runs);
            md.table("lrrrrr", "workload | LumaDB | PostgreSQL | Redis | LumaDB / PostgreSQL | LumaDB / Redis");
            for (String w : WORKLOADS) {
                md.row(
                        w.equals("load") ? "load (insert)" : w.toUpperCase(Locale.ROOT),
                        fmt(r.throughput("lumadb", w).orElse(Double.NaN)),
                        fmt(r.throughput("postgresql", w).orElse(Double.NaN)),
                        fmt(r.throughput("redis", w).orElse(Double.NaN)),
                        fmt(r.ratio(w, "postgresql")) + "x",
                        fmt(r.ratio(w, "redis")) + "x");
            }
            md.line("%n## YCSB server CPU (CPU seconds per 1,000 operations, medians over the runs)%n");
            md.line("The server's processes only, read from /proc: LumaDB's JVM (every thread), PostgreSQL's"
                    + " postmaster, background processes and backends (also those that exited), redis-server."
                    + " Lower is better; the last column is PostgreSQL's cost over LumaDB's.%n");
            md.table("lrrrr", "workload | LumaDB | PostgreSQL | Redis | PostgreSQL / LumaDB");
            for (String w : WORKLOADS) {
                md.row(
                        w.equals("load") ? "load (insert)" : w.toUpperCase(Locale.ROOT),
                        cpu(r.cpuPer1000("lumadb", w)),
                        cpu(r.cpuPer1000("postgresql", w)),
                        cpu(r.cpuPer1000("redis", w)),
                        fmt(r.cpuPer1000("postgresql", w) / r.cpuPer1000("lumadb", w)) + "x");
            }
            md.line("%n## YCSB latency (microseconds, medians over the runs)%n");
            md.table("lllrrrr", "workload | system | operation | operations | p50 | p95 | p99");
            for (String w : WORKLOADS) {
                r.ycsb().stream()
                        .filter(y -> y.workload().equals(w))
                        .forEach(y -> md.row(
                                w,
                                NAMES.getOrDefault(y.system(), y.system()),
                                y.operation(),
                                String.format(Locale.ROOT, "%,d", y.operations()),
                                fmt(y.p50Micros()),
                                fmt(y.p95Micros()),
                                fmt(y.p99Micros())));
            }
        }
        if (!r.engine().isEmpty()) {
            md.line("%n## Engine: shard store against raw RocksDB (JMH, same database and options)%n");
            md.table("lrrr", "operation | shard store ops/s | raw RocksDB ops/s | store / raw");
            for (EngineBenchmarks.Pair e : r.engine()) {
                md.row(e.operation(), fmt(e.storeOpsPerSec()), fmt(e.rawOpsPerSec()), fmt(e.ratio()) + "x");
            }
        }
        if (r.http() != null) {
            SuiteResults.HttpCeiling h = r.http();
            md.line("%n## HTTP ceiling (same load generator, same run)%n");
            md.table(
                    "rrrrrrr",
                    "GET /health | p99 | node CPU per request | point GET of a 1 KB document | p99 | node CPU per"
                            + " request | point GET / health");
            md.line(
                    "| %s req/s | %.2f ms | %s µs | %s req/s | %.2f ms | %s µs | %sx |",
                    fmt(h.healthPerSec()),
                    h.healthP99Ms(),
                    fmt(h.healthCpuMicros()),
                    fmt(h.pointGetPerSec()),
                    h.pointGetP99Ms(),
                    fmt(h.pointGetCpuMicros()),
                    fmt(h.ratio()));
            double pgRead = r.cpuPer1000("postgresql", "c") * 1000; // CPU s per 1,000 operations -> µs per operation
            if (!Double.isNaN(pgRead) && !Double.isNaN(h.healthCpuMicros())) {
                md.line(
                        "%nThe node's CPU per `GET /health` (routing, no storage) is %s µs; PostgreSQL's whole YCSB C"
                                + " read in this run cost it %s µs: the HTTP stack alone costs %sx of PostgreSQL's read.",
                        fmt(h.healthCpuMicros()), fmt(pgRead), fmt(h.healthCpuMicros() / pgRead));
            }
            md.line("%nThe API scenarios (PUT, bulk, GET at half rate) are in api.md beside this report.");
        }
        if (r.query() != null) {
            queries(md, r.query());
        }
        if (r.streams() != null) {
            streams(md, r);
        }
        if (r.security() != null) {
            security(md, r.security());
        }
        if (r.vector() != null) {
            VectorReport.write(md, r.vector());
        }
        if (r.tiering() != null) {
            TieringReport.write(md, r.tiering());
        }
        if (r.imports() != null) {
            md.line("%n## Import%n");
            md.line("The same NDJSON file loaded by `lumadb import` (bulk requests of 1,000, 2 in flight, each"
                    + " acknowledged after the journal's fsync) into a fresh node, and by `COPY` into a PostgreSQL table"
                    + " `(id text PRIMARY KEY GENERATED ALWAYS AS (doc->>'_id') STORED, doc jsonb)` with"
                    + " `synchronous_commit = on`; wall time from start to end of each load, counts checked.%n");
            r.imports().lines().forEach(l -> md.line("- " + l.replace("%", "%%")));
        }
        if (r.timeseries() != null) {
            TimeSeriesReport.write(md, r.timeseries());
        }
        md.line("%n## Targets%n").table("lrrl", "target | measured | required | result");
        for (SuiteResults.Target t : r.targets()) {
            md.row(
                    t.name(),
                    fmt(t.measured()) + t.unit(),
                    (t.atMost() ? "< " : "≥ ") + fmt(t.required()) + t.unit(),
                    t.met() ? "met" : "**missed**");
        }
        if (!r.notes().isEmpty()) {
            md.line("%n## Notes%n");
            r.notes().forEach(n -> md.line("- %s", n));
        }
        return md.toString();
    }

    private static void queries(Markdown md, QueryReport q) {
        md.line("%n## Queries: secondary index against a full scan and PostgreSQL%n");
        status(md, q.ok(), "plans and answers checked before measuring; no failed or wrong answer", q.failures());
        if (!q.measurements().isEmpty()) {
            md.table(
                    "lrrrrr",
                    "query | LumaDB, index | LumaDB, full scan | PostgreSQL, B-tree | index / PostgreSQL | index / scan");
            for (Query query : Query.INDEXED) {
                md.line(
                        "| %s: %s | %s q/s | %s q/s | %s q/s | %sx | %sx |",
                        query.id(),
                        query.description(),
                        fmt(queryThroughput(q, query, Variant.LUMADB_INDEX)),
                        fmt(queryThroughput(q, query, Variant.LUMADB_SCAN)),
                        fmt(queryThroughput(q, query, Variant.POSTGRESQL)),
                        fmt(queryRatio(q, query, Variant.POSTGRESQL)),
                        fmt(queryRatio(q, query, Variant.LUMADB_SCAN)));
            }
            md.line(
                    "%nThe same queries as SQL: over HTTP (`POST _sql` with parameters) and over the PostgreSQL"
                            + " protocol (JDBC, a prepared statement per client thread); planned once, then cached. The"
                            + " join (%s) has no JQL form:%n",
                    Query.JOIN.description());
            md.table(
                    "lrrrrrrr",
                    "query | SQL, HTTP | SQL, wire | JQL, index | HTTP / JQL | wire / JQL | HTTP / PostgreSQL"
                            + " | wire / PostgreSQL");
            for (Query query : Query.values()) {
                double sql = queryThroughput(q, query, Variant.LUMADB_SQL);
                double wire = queryThroughput(q, query, Variant.LUMADB_PGWIRE);
                double jql = queryThroughput(q, query, Variant.LUMADB_INDEX);
                double pg = queryThroughput(q, query, Variant.POSTGRESQL);
                md.line(
                        "| %s | %s q/s | %s q/s | %s q/s | %sx | %sx | %sx | %sx |",
                        query.id(),
                        fmt(sql),
                        fmt(wire),
                        fmt(jql),
                        fmt(sql / jql),
                        fmt(wire / jql),
                        fmt(sql / pg),
                        fmt(wire / pg));
            }
            md.line(
                    "%nLatency (ms, send to whole answer read; medians over %s) and the plan each system chose,"
                            + " checked before measuring:%n",
                    rounds(q.measurements().stream().mapToInt(QueryReport.Measurement::rounds), "round"));
            md.table("llrrrrrl", "query | variant | queries/s | p50 | p99 | answers | errors | plan");
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
                md.line(
                        "| %s | %s | %s | %.2f | %.2f | %,d | %s | %s |",
                        m.query(),
                        variantName(m.variant()),
                        fmt(m.throughput()),
                        m.p50Ms(),
                        m.p99Ms(),
                        m.answered(),
                        m.errors() == 0 ? "0" : "**" + m.errors() + "**",
                        plan);
            }
        }
        md.line("");
        q.settings().forEach((k, v) -> {
            boolean code = v.startsWith("SELECT") || v.startsWith("POST");
            md.line("- %s: %s", k, code ? "`" + v + "`" : v);
        });
        if (!q.indexBuildSeconds().isEmpty()) {
            md.line(
                    "- index build (s): %s",
                    q.indexBuildSeconds().entrySet().stream()
                            .map(e -> e.getKey() + " " + fmt(e.getValue()))
                            .collect(Collectors.joining(", ")));
        }
        q.checks().forEach(c -> md.line("- checked: %s", c));
    }

    static void security(Markdown md, SecurityResults s) {
        md.line("%n## Security: what authentication and encryption at rest cost (YCSB on LumaDB)%n");
        status(
                md,
                s.ok(),
                "every variant checked before measuring (401 without credentials, the active encryption key in"
                        + " /metrics); no failed YCSB operation",
                s.failures());
        if (!s.ycsb().isEmpty()) {
            md.line(
                    "Throughput (YCSB operations/s) and latency of every database call (µs), medians of %s; each"
                            + " variant of each run on a fresh node, the variants taking turns:%n",
                    rounds(s.ycsb().stream().mapToInt(SecurityResults.Row::runs), "run"));
            md.table(
                    "llrrrrrlrl",
                    "workload | variant | ops/s | p50 | p99 | / security off | node CPU µs/op | off CPU / this |"
                            + " required | result (ops/s; CPU)");
            for (SecurityResults.Row row : s.ycsb()) {
                SecurityResults.Variant v = SecurityResults.Variant.of(row.variant());
                boolean off = v == SecurityResults.Variant.OFF;
                double ratio = s.ratio(row.workload(), v);
                double cpu = s.cpuRatio(row.workload(), v);
                md.row(
                        SecurityResults.workloadName(row.workload()),
                        v.description,
                        fmt(row.throughput()),
                        fmt(row.p50Micros()),
                        fmt(row.p99Micros()),
                        off ? "1.00x" : String.format(Locale.ROOT, "%.3fx", ratio),
                        fmt(row.cpuMicrosPerOp()),
                        off ? "1.00x" : String.format(Locale.ROOT, "%.3fx", cpu),
                        off ? "" : "≥ " + fmt(v.required) + "x",
                        off ? "" : verdict(s.ok(), ratio, v.required) + "; " + verdict(s.ok(), cpu, v.required));
            }
            md.line(
                    "%nNode CPU µs per operation of each run, in run order: %s.",
                    eachRun(s, SecurityResults.Row::runCpuMicrosPerOp));
            md.line("%nThroughput of each run, in run order: %s.", eachRun(s, SecurityResults.Row::runThroughputs));
        }
        SecurityResults.Login l = s.login();
        if (l != null) {
            md.line("%nPassword checks, Argon2id with the default cost (%s):%n", l.parameters());
            md.table("lrl", "measurement | time | target");
            md.row("one hash (a new password), in a JVM started and pinned like a node", fmt(l.hashMs()) + " ms", "");
            md.row(
                    "one verification, median of " + l.verifications() + " in that JVM (max " + fmt(l.verifyMaxMs())
                            + " ms)",
                    fmt(l.verifyMedianMs()) + " ms",
                    "< " + fmt(SecurityResults.LOGIN_MS) + " ms: "
                            + met(l.verifyMedianMs() < SecurityResults.LOGIN_MS));
            md.row(
                    "the same verifications' CPU time (the verifying thread's), median",
                    fmt(l.verifyCpuMedianMs()) + " ms",
                    "");
            md.row(
                    "first request of a new HTTP Basic user (the node checks the password), median of " + l.httpLogins()
                            + " (max " + fmt(l.httpFirstMaxMs()) + " ms)",
                    fmt(l.httpFirstMedianMs()) + " ms",
                    "< " + fmt(SecurityResults.LOGIN_MS) + " ms: "
                            + met(l.httpFirstMedianMs() < SecurityResults.LOGIN_MS));
            md.row(
                    "the same user's next requests (credential cached), median",
                    fmt(l.httpCachedMedianMs()) + " ms",
                    "");
        }
        md.line("");
        s.settings().forEach((k, v) -> md.line("- %s: %s", k, v));
        s.checks().forEach(c -> md.line("- checked: %s", c));
    }

    /** {@code figure} of every run of every row: {@code A api-key 1,098 / 1,296 / 1,079; ...}. */
    private static String eachRun(SecurityResults s, Function<SecurityResults.Row, List<Double>> figure) {
        return s.ycsb().stream()
                .map(row -> SecurityResults.workloadName(row.workload()) + " " + row.variant() + " "
                        + figure.apply(row).stream().map(Report::fmt).collect(Collectors.joining(" / ")))
                .collect(Collectors.joining("; "));
    }

    private static String verdict(boolean ok, double ratio, double required) {
        return !ok || Double.isNaN(ratio) ? "—" : met(ratio >= required);
    }

    private static String met(boolean met) {
        return met ? "met" : "**missed**";
    }

    private static String variantName(String id) {
        for (Variant v : Variant.values()) {
            if (v.id().equals(id)) {
                return v.description();
            }
        }
        return id;
    }

    private static void streams(Markdown md, SuiteResults r) {
        StreamReport s = r.streams();
        md.line("%n## Change streams: one writer, many SSE subscribers, against a trivial broadcast server%n");
        status(
                md,
                s.ok(),
                "every subscriber received every acknowledged write exactly once, in order; no overflow, no failed"
                        + " write",
                s.failures());
        if (!s.throughput().isEmpty()) {
            StreamReport.Throughput first = s.throughput().get(0);
            md.line(
                    "Most deliveries per second, %,d subscribers (median of %s):%n",
                    first.subscribers(),
                    rounds(s.throughput().stream().mapToInt(StreamReport.Throughput::round), "round"));
            md.table(
                    "lrrrrrrrr",
                    "system | deliveries/s | writes/s | server CPU | deliveries per server CPU-second | client CPU | bytes/delivery | p50 | p99");
            perSystem(
                    s.throughput(),
                    StreamReport.Throughput::system,
                    (system, rows) -> md.line(
                            "| %s | %s | %s | %.2f | %s | %.2f | %.0f | %.1f ms | %.1f ms |",
                            streamName(system),
                            fmt(r.deliveries(system)),
                            fmt(Stats.median(rows, StreamReport.Throughput::writesPerSec)),
                            Stats.median(rows, StreamReport.Throughput::serverCpu),
                            fmt(r.deliveriesPerCpu(system)),
                            Stats.median(rows, StreamReport.Throughput::clientCpu),
                            Stats.median(rows, StreamReport.Throughput::bytesPerDelivery),
                            Stats.median(rows, StreamReport.Throughput::p50Ms),
                            Stats.median(rows, StreamReport.Throughput::p99Ms)));
            SuiteResults.StreamSummary sum = r.streamsSummary();
            md.line(
                    "| LumaDB / reference | %sx | | | %sx | | | | |",
                    fmt(sum.deliveriesRatio()), fmt(sum.deliveriesPerServerCpuSecondRatio()));
            md.line(
                    "%nThe writer keeps at most %d writes on their way (not yet received by every subscriber), so it"
                            + " runs at the speed of the fan-out and no subscriber can overflow; latencies here are"
                            + " under saturation. A server CPU below 1.0 means the server did not get its CPU (the"
                            + " machine was shared: the scheduler favours the many-threaded LumaDB over the one-thread"
                            + " reference) or waited for the load generator, whose one thread costs about as much per"
                            + " delivery as the reference's; so the reference's deliveries/s is a lower bound, and the"
                            + " target is judged on deliveries per server CPU-second, the ratio of what a delivery"
                            + " costs each server.",
                    first.inFlight());
        }
        if (!s.latency().isEmpty()) {
            StreamReport.Latency first = s.latency().get(0);
            md.line(
                    "%nLatency at %s writes/s (%,.0f deliveries/s) to %,d subscribers, from the write's due send time"
                            + " to the subscriber's read, in ms (median of %s; for LumaDB it includes the write's"
                            + " durable commit, shown as write ack):%n",
                    StreamBenchmark.rateText(first.rate()),
                    first.rate() * first.subscribers(),
                    first.subscribers(),
                    rounds(s.latency().stream().mapToInt(StreamReport.Latency::round), "round"));
            md.table(
                    "lrrrrrrrrrr",
                    "system | p50 | p90 | p99 | p99.9 | max | write ack p50 | write ack p99 | deliveries | writer late by (max) | server CPU");
            perSystem(
                    s.latency(),
                    StreamReport.Latency::system,
                    (system, rows) -> md.line(
                            "| %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %.2f | %,d | %.1f ms | %.2f |",
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
        if (!s.idle().isEmpty()) {
            md.line("%nIdle subscriptions (`from=now`), the server's heap after a forced full GC (`jcmd GC.run`)"
                    + " before and after:%n");
            md.table(
                    "lrlrrrrrrr",
                    "system | subscriptions | layout | heap used before → after | growth | per subscription | live objects growth | per subscription | opened in | subscriptions/s");
            for (StreamReport.Idle i : s.idle()) {
                md.line(
                        "| %s | %,d | %s | %.0f → %.0f MB | %.0f MB | %.1f KB | %.1f MB | %.1f KB | %.1f s | %,.0f |",
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
                        i.subscribed() / i.openSeconds());
            }
            r.idle(StreamReport.LUMADB).filter(i -> !i.topClasses().isEmpty()).ifPresent(i -> {
                md.line("%nWhat grew most in LumaDB's heap (class histogram, live objects):%n");
                md.table("lrrr", "class | instances | bytes | bytes per subscription");
                for (ProcessProbe.ClassDelta c : i.topClasses()) {
                    md.line(
                            "| `%s` | %,d | %,d | %.0f |",
                            c.name(), c.instances(), c.bytes(), (double) c.bytes() / Math.max(1, i.subscribed()));
                }
            });
        }
        md.line("");
        s.settings().forEach((k, v) -> md.line("- %s: %s", k, v));
        s.throughput().forEach(t -> md.line("- checked: %s", check("throughput", t.system(), t.round(), t.check())));
        s.latency().forEach(l -> md.line("- checked: %s", check("latency", l.system(), l.round(), l.check())));
        s.notes().forEach(n -> md.line("- note: %s", n));
    }

    /** Calls {@code row} with each stream system that has rows in {@code all}, and its rows. */
    private static <T> void perSystem(List<T> all, Function<T, String> systemOf, BiConsumer<String, List<T>> row) {
        for (String system : List.of(StreamReport.LUMADB, StreamReport.REFERENCE)) {
            List<T> rows = SuiteResults.bySystem(all, system, systemOf);
            if (!rows.isEmpty()) {
                row.accept(system, rows);
            }
        }
    }

    private static String check(String part, String system, int round, StreamReport.Check c) {
        String what = part + " round " + round + ", " + streamName(system) + ": ";
        if (c.clean()) {
            return what
                    + String.format(
                            Locale.ROOT,
                            "%,d writes × %,d subscribers = %,d deliveries, each once and in order",
                            c.writes(),
                            c.subscribers().subscribers(),
                            c.subscribers().received());
        }
        return what + "**" + String.join("; ", c.problems()) + "**";
    }

    private static String streamName(String system) {
        return switch (system) {
            case StreamReport.LUMADB -> "LumaDB";
            case StreamReport.LUMADB_WEBSOCKET -> "LumaDB over WebSocket";
            default -> "reference (NIO broadcast)";
        };
    }
}

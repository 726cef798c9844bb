package io.lumadb.bench.suite;

import static io.lumadb.bench.suite.Report.fmt;

import io.lumadb.bench.vector.NodeProfile;
import io.lumadb.bench.vector.Sweep;
import io.lumadb.bench.vector.UsearchReference;
import io.lumadb.bench.vector.VectorEngineBenchmark;
import io.lumadb.bench.vector.VectorHttpBenchmark;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** The vector section of suite.md: the headline comparison, the sweeps, HTTP, INT8, BM25 and where the time goes. */
final class VectorReport {

    private VectorReport() {}

    static void write(Markdown md, VectorResults v) {
        md.line("%n## Vector search (kNN) and BM25: LumaDB against usearch and Lucene%n");
        Report.status(
                md,
                v.ok(),
                "every index held every document; recall against brute force; LumaDB's BM25 scores equal to Lucene's",
                v.failures());
        VectorResults.Summary s = v.summary();
        UsearchReference.Result u = v.usearch();
        VectorEngineBenchmark.Result e = v.engine();
        md.line(
                "Queries per second at recall@10 ≥ %.2f, one query at a time on one thread (interpolated between the"
                        + " two sweep points around that recall), also per CPU-second of the process (which other work"
                        + " on a shared machine disturbs far less), and index build rates on one CPU:%n",
                VectorResults.RECALL);
        md.table(
                "lrrrrll",
                "system | build (vectors/s) | build per CPU-second | queries/s at recall ≥ 0.95 | per CPU-second |"
                        + " cheapest setting reaching it | / usearch (q/s; CPU)");
        if (u != null) {
            headline(
                    md,
                    "usearch " + u.version() + " (native, npm)",
                    u.buildPerSecond(),
                    s.usearchBuildPerCpuSecond(),
                    s.usearchAtRecall(),
                    s.usearchCpuAtRecall(),
                    "expansion_search",
                    s);
        } else {
            md.row("usearch (native, npm)", "—", "—", "unavailable: " + v.usearchUnavailable(), "", "", "");
        }
        if (e != null) {
            headline(
                    md,
                    "LumaDB shard index, in-process, floats (segments: "
                            + e.none().build().segments() + ")",
                    e.none().build().perSecond(),
                    s.inProcessBuildPerCpuSecond(),
                    s.inProcessAtRecall(),
                    s.inProcessCpuAtRecall(),
                    "numCandidates",
                    s);
            headline(
                    md,
                    "LumaDB shard index, in-process, INT8 (segments: "
                            + e.int8().build().segments() + ")",
                    e.int8().build().perSecond(),
                    e.int8().build().documents() / e.int8().build().cpuSeconds(),
                    s.int8AtRecall(),
                    Sweep.at(e.int8().sweep(), VectorResults.RECALL, Sweep.Point::cpuQps),
                    "numCandidates",
                    s);
            headline(
                    md,
                    "Lucene's own KnnFloatVectorQuery on the same files",
                    Double.NaN,
                    Double.NaN,
                    s.luceneOnlyAtRecall(),
                    Sweep.at(e.luceneOnly(), VectorResults.RECALL, Sweep.Point::cpuQps),
                    "numCandidates",
                    s);
            if (!e.luceneMerged().isEmpty()) {
                headline(
                        md,
                        String.format(
                                Locale.ROOT,
                                "Lucene on a copy merged into 1 segment (merge %.0f s)",
                                e.luceneMergeSeconds()),
                        Double.NaN,
                        Double.NaN,
                        s.luceneMergedAtRecall(),
                        Sweep.at(e.luceneMerged(), VectorResults.RECALL, Sweep.Point::cpuQps),
                        "numCandidates",
                        s);
            }
        }
        http(md, v, s);
        if (e != null) {
            sweeps(md, e, u);
            int8(md, e, s);
            if (e.bm25() != null) {
                bm25(md, e.bm25());
            }
        }
        whereTheTimeGoes(md, v, s);
        md.line("");
        v.settings().forEach((k, val) -> md.line("- %s: %s", k, val));
        v.notes().forEach(n -> md.line("- note: %s", n));
    }

    private static void headline(
            Markdown md,
            String system,
            double build,
            double buildCpu,
            Sweep.AtRecall at,
            Sweep.AtRecall atCpu,
            String parameter,
            VectorResults.Summary s) {
        double ref = s.usearchAtRecall().qps();
        double refCpu = s.usearchCpuAtRecall().qps();
        md.row(
                system,
                Double.isNaN(build) ? "" : fmt(build),
                Double.isNaN(buildCpu) ? "" : fmt(buildCpu),
                at.reached() ? fmt(at.qps()) : "not reached",
                atCpu.reached() ? fmt(atCpu.qps()) : "",
                at.reached()
                        ? String.format(
                                Locale.ROOT,
                                "%s %d: %s q/s, recall %.4f",
                                parameter,
                                at.cheapestSetting(),
                                fmt(at.cheapestQps()),
                                at.cheapestRecall())
                        : "",
                at.reached() && !Double.isNaN(ref)
                        ? fmt(at.qps() / ref) + "x; " + fmt(atCpu.qps() / refCpu) + "x"
                        : "—");
    }

    private static void http(Markdown md, VectorResults v, VectorResults.Summary s) {
        VectorHttpBenchmark.Result h = v.http();
        if (h == null || h.collections().isEmpty()) {
            return;
        }
        md.line(
                "%nLumaDB over HTTP (a fresh node; bulk load, then the index built in the background; every search"
                        + " with numCandidates %d, the cheapest in-process setting reaching the recall, answering ids"
                        + " only); in-process at that setting: %s q/s, %s per CPU-second:%n",
                v.numCandidates(), fmt(s.inProcessQpsAtNumCandidates()), fmt(s.inProcessCpuQpsAtNumCandidates()));
        md.table(
                "rrrrrrrrrrr",
                "shards | bulk load (docs/s) | index ready after | searchable after (docs/s) | recall@10 | clients |"
                        + " queries/s | per node CPU-second | p50 | p99 | / in-process (q/s; CPU)");
        for (VectorHttpBenchmark.Collection c : h.collections()) {
            for (VectorHttpBenchmark.Rate r : c.rates()) {
                md.line(
                        "| %d | %s | %.1f s | %.1f s (%s) | %.4f | %d | %s | %s | %.2f ms | %.2f ms | %s |",
                        c.shards(),
                        fmt(c.loadPerSecond()),
                        c.readySeconds(),
                        c.searchableSeconds(),
                        fmt(c.buildPerSecond()),
                        c.recall(),
                        r.clients(),
                        fmt(r.qps()) + (r.errors() > 0 ? " (**" + r.errors() + " errors**)" : ""),
                        fmt(r.nodeCpuQps()),
                        r.p50Ms(),
                        r.p99Ms(),
                        fmt(r.qps() / s.inProcessQpsAtNumCandidates()) + "x; "
                                + fmt(r.nodeCpuQps() / s.inProcessCpuQpsAtNumCandidates()) + "x");
            }
        }
    }

    private static void sweeps(Markdown md, VectorEngineBenchmark.Result e, UsearchReference.Result u) {
        md.line("%nThe sweeps (queries/s and recall@10 per setting):%n");
        boolean merged = !e.luceneMerged().isEmpty();
        md.table(
                merged ? "rrrrrrrrr" : "rrrrrrr",
                "numCandidates | LumaDB floats q/s | recall | LumaDB INT8 q/s | recall | Lucene only q/s | recall"
                        + (merged ? " | Lucene, 1 segment q/s | recall" : ""));
        TreeSet<Integer> settings = new TreeSet<>();
        e.none().sweep().forEach(p -> settings.add(p.setting()));
        for (int nc : settings) {
            StringBuilder row = new StringBuilder("| " + nc + " |");
            cells(row, Sweep.of(e.none().sweep(), nc));
            cells(row, Sweep.of(e.int8().sweep(), nc));
            cells(row, Sweep.of(e.luceneOnly(), nc));
            if (merged) {
                cells(row, Sweep.of(e.luceneMerged(), nc));
            }
            md.line("%s", row);
        }
        if (u != null) {
            md.line("");
            md.table("rrr", "usearch expansion_search | q/s | recall");
            u.sweep().forEach(p -> md.line("| %d | %s | %.4f |", p.setting(), fmt(p.qps()), p.recall()));
        }
    }

    private static void cells(StringBuilder row, Sweep.Point p) {
        if (p == null) {
            row.append(" — | — |");
        } else {
            row.append(String.format(Locale.ROOT, " %s | %.4f |", fmt(p.qps()), p.recall()));
        }
    }

    private static void int8(Markdown md, VectorEngineBenchmark.Result e, VectorResults.Summary s) {
        int nc = VectorResults.DEFAULT_NUM_CANDIDATES;
        md.line(
                "%n8-bit quantization (Lucene's scalar-quantized HNSW; candidates rescored with the floats): at the"
                        + " default numCandidates, %d, recall@10 %.4f against %.4f with floats (%.2f points lost; the"
                        + " most lost in the sweep: %.2f points at numCandidates %d); the quantized vectors take %s"
                        + " bytes against %s for the floats (%.3fx), which stay on disk for rescoring. Files per"
                        + " extension:%n",
                nc,
                pointRecall(e.int8().sweep(), nc),
                pointRecall(e.none().sweep(), nc),
                100 * s.int8RecallLoss(),
                100 * s.int8MostRecallLoss(),
                s.int8MostLossAt(),
                fmt(s.quantizedVectorBytes()),
                fmt(s.floatVectorBytes()),
                s.int8MemoryRatio());
        md.table("lrr", "file | floats index (bytes) | INT8 index (bytes)");
        TreeSet<String> extensions = new TreeSet<>(e.none().build().fileBytes().keySet());
        extensions.addAll(e.int8().build().fileBytes().keySet());
        for (String ext : extensions) {
            md.row(
                    ext,
                    bytes(e.none().build().fileBytes(), ext),
                    bytes(e.int8().build().fileBytes(), ext));
        }
    }

    private static double pointRecall(List<Sweep.Point> sweep, int setting) {
        Sweep.Point p = Sweep.of(sweep, setting);
        return p == null ? Double.NaN : p.recall();
    }

    private static String bytes(Map<String, Long> files, String ext) {
        Long b = files.get(ext);
        return b == null ? "—" : String.format(Locale.ROOT, "%,d", b);
    }

    private static void bm25(Markdown md, VectorEngineBenchmark.Bm25 b) {
        md.line(
                "%nBM25, %,d documents, %,d queries, top 10, one thread (median of %d rounds taking turns; build is"
                        + " indexing, commit and refresh). Both parse each query with Lucene's classic parser and score"
                        + " with BM25; the reference reads each hit's id from a stored field, as Lucene's documentation"
                        + " shows it, the shard index from doc values:%n",
                b.documents(), b.queries(), b.lumadbRounds().size());
        md.table("lrrrl", "system | build (docs/s) | queries/s | / Lucene | same scores as Lucene");
        md.row(
                "LumaDB shard text index",
                fmt(b.lumadbBuild().perSecond()),
                fmt(b.lumadbQps()),
                fmt(b.lumadbQps() / b.luceneQps()) + "x",
                b.sameScores() + " of " + b.queries() + " queries");
        md.row("Lucene used directly", fmt(b.luceneBuild().perSecond()), fmt(b.luceneQps()), "1.00x", "");
    }

    /** The node's profile while one client searched: LumaDB's and Lucene's methods by share of samples. */
    private static void profile(Markdown md, VectorHttpBenchmark.Collection c) {
        NodeProfile.Summary p = c.profile();
        md.line(
                "- The node profiled (JFR execution samples, %,d, while one client searched the %d-shard collection"
                        + " apart from the measured runs; vector-node-search.jfr beside this report). Share of samples"
                        + " with the method on the stack: %s. Most often on top of the stack: %s.",
                p.samples(),
                c.shards(),
                shares(p.inclusive().stream().filter(x -> x.share() >= 0.03).toList()),
                shares(p.self().stream().limit(8).toList()));
    }

    private static String shares(List<NodeProfile.Share> shares) {
        return shares.stream()
                .map(x -> String.format(Locale.ROOT, "%s %.0f%%", shortName(x.method()), 100 * x.share()))
                .collect(Collectors.joining(", "));
    }

    /** {@code ShardSearcher.parse} for {@code io.lumadb.vector.ShardSearcher.parse}. */
    static String shortName(String method) {
        int dot = method.lastIndexOf('.');
        int classDot = dot > 0 ? method.lastIndexOf('.', dot - 1) : -1;
        return classDot >= 0 ? method.substring(classDot + 1) : method;
    }

    /** What the figures say about where LumaDB's time goes (CPU time: less disturbed by other work). */
    private static void whereTheTimeGoes(Markdown md, VectorResults v, VectorResults.Summary s) {
        VectorEngineBenchmark.Result e = v.engine();
        if (e == null) {
            return;
        }
        md.line("%nWhere the time goes (CPU time per query, from the figures above):%n");
        Sweep.Point luma = Sweep.of(e.none().sweep(), v.numCandidates());
        Sweep.Point lucene = Sweep.of(e.luceneOnly(), v.numCandidates());
        if (luma != null && lucene != null) {
            double lumaUs = 1e6 / luma.cpuQps();
            double luceneUs = 1e6 / lucene.cpuQps();
            md.line(
                    "- In-process at numCandidates %d a query takes %.0f µs of CPU; Lucene's own query on the same"
                            + " files %.0f µs: %s",
                    v.numCandidates(),
                    lumaUs,
                    luceneUs,
                    Math.abs(lumaUs - luceneUs) < 0.1 * luceneUs
                            ? "the same within this machine's noise, so the shard index adds next to nothing"
                                    + " (checks, a searcher, reading the ids) to Lucene's search."
                            : String.format(
                                    Locale.ROOT,
                                    "%.0f%% of it is Lucene's search, %.0f µs LumaDB's around it (checks, a"
                                            + " searcher, reading the ids).",
                                    100 * luceneUs / lumaUs,
                                    lumaUs - luceneUs));
        }
        int segments = e.none().build().segments();
        Sweep.AtRecall mergedCpu = e.luceneMerged().isEmpty()
                ? null
                : Sweep.at(e.luceneMerged(), VectorResults.RECALL, Sweep.Point::cpuQps);
        Sweep.AtRecall luceneCpu = Sweep.at(e.luceneOnly(), VectorResults.RECALL, Sweep.Point::cpuQps);
        if (mergedCpu != null && mergedCpu.reached() && luceneCpu.reached()) {
            md.line(
                    "- The float index has %d segments after its build, each its own HNSW graph searched for"
                            + " numCandidates candidates. At the recall, Lucene answers %s queries per CPU-second on"
                            + " them and %s on a copy merged into one segment (reaching it at numCandidates %d against"
                            + " %d).",
                    segments,
                    fmt(luceneCpu.qps()),
                    fmt(mergedCpu.qps()),
                    mergedCpu.cheapestSetting(),
                    luceneCpu.cheapestSetting());
        }
        if (mergedCpu != null && mergedCpu.reached() && s.usearchCpuAtRecall().reached()) {
            md.line(
                    "- Lucene's own search on one segment answers %.2fx usearch's queries per CPU-second at the same"
                            + " recall (the shard index on its %d segments %.2fx): what Lucene's HNSW search itself"
                            + " reaches against usearch's, whatever LumaDB does around it.",
                    mergedCpu.qps() / s.usearchCpuAtRecall().qps(),
                    segments,
                    s.inProcessCpuAtRecall().qps() / s.usearchCpuAtRecall().qps());
        }
        if (!Double.isNaN(s.httpNodeCpuQps()) && !Double.isNaN(s.inProcessCpuQpsAtNumCandidates())) {
            md.line(
                    "- Over HTTP (1 shard, 1 client) the node spends %.0f µs of CPU per query against %.0f µs"
                            + " in-process: %.0f µs go to HTTP, JSON (parsing the %d-float vector, writing the answer),"
                            + " routing to the shard and merging its answer. Wall-clock, a query takes %.0f µs from"
                            + " send to answer read.",
                    1e6 / s.httpNodeCpuQps(),
                    1e6 / s.inProcessCpuQpsAtNumCandidates(),
                    1e6 / s.httpNodeCpuQps() - 1e6 / s.inProcessCpuQpsAtNumCandidates(),
                    e.dimension(),
                    1e6 / s.httpQps());
        }
        if (v.http() != null) {
            v.http().collections().stream()
                    .filter(c -> c.profile() != null && c.profile().samples() > 0)
                    .findFirst()
                    .ifPresent(c -> profile(md, c));
        }
        if (!Double.isNaN(s.usearchBuildPerCpuSecond())) {
            md.line(
                    "- Build: usearch adds %s vectors per CPU-second on one thread; the shard index %s, which includes"
                            + " parsing every stored document's JSON, Lucene's indexing chain, each flushed segment's"
                            + " graph and the merges.",
                    fmt(s.usearchBuildPerCpuSecond()), fmt(s.inProcessBuildPerCpuSecond()));
        }
    }
}

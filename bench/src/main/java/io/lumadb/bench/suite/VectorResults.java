package io.lumadb.bench.suite;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.lumadb.bench.vector.Sweep;
import io.lumadb.bench.vector.UsearchReference;
import io.lumadb.bench.vector.VectorEngineBenchmark;
import io.lumadb.bench.vector.VectorHttpBenchmark;
import io.lumadb.vector.index.ShardSearchIndex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the vector section measured (see {@link VectorBenchmark}) and what follows from it: the
 * speed of each system at recall@10 ≥ {@value #RECALL}, the ratios the search issue targets, and
 * where LumaDB's time goes. A part that failed or did not run is null; a failed section meets no
 * target. The native reference may be unavailable (no Node.js, no network for npm): then {@code
 * usearchUnavailable} says why and its targets are missed with no figure.
 *
 * @param status "ok", or "failed" with {@code failures}
 * @param usearch the native reference, or null
 * @param usearchUnavailable why there is no native reference, or null
 * @param engine the shard index in-process and BM25, or null
 * @param http LumaDB over HTTP, or null
 * @param numCandidates the numCandidates used over HTTP: the cheapest of the in-process sweep that
 *     reached the recall (the largest if none did)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
    "status",
    "failures",
    "summary",
    "usearch",
    "usearchUnavailable",
    "engine",
    "http",
    "numCandidates",
    "settings",
    "notes"
})
record VectorResults(
        String status,
        List<String> failures,
        UsearchReference.Result usearch,
        String usearchUnavailable,
        VectorEngineBenchmark.Result engine,
        VectorHttpBenchmark.Result http,
        int numCandidates,
        Map<String, String> settings,
        List<String> notes) {

    /** The recall at which systems are compared, as the issue sets it. */
    static final double RECALL = 0.95;

    static final double IN_PROCESS_REQUIRED = 1.0;
    static final double HTTP_REQUIRED = 0.5;
    static final double BUILD_REQUIRED = 0.5;
    /** The most recall@10 8-bit quantization may lose, in percentage points. */
    static final double INT8_LOSS_POINTS = 2.0;

    static final double INT8_MEMORY = 0.3;

    /**
     * Where 8-bit quantization's recall loss is judged: the numCandidates a search gets when it
     * names none, at which the recall test requires the recall too.
     */
    static final int DEFAULT_NUM_CANDIDATES = ShardSearchIndex.DEFAULT_NUM_CANDIDATES;

    VectorResults {
        failures = List.copyOf(failures);
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        notes = List.copyOf(notes);
    }

    boolean ok() {
        return status.equals("ok") && failures.isEmpty();
    }

    /**
     * The headline figures.
     *
     * @param usearchAtRecall usearch's queries/s at the recall (interpolated between sweep points)
     * @param inProcessAtRecall the shard index's, in-process, one thread
     * @param int8AtRecall the same with 8-bit quantization
     * @param usearchCpuAtRecall usearch's queries per CPU-second at the recall
     * @param inProcessCpuAtRecall the shard index's queries per CPU-second at the recall
     * @param usearchBuildPerCpuSecond vectors added per CPU-second
     * @param httpQps one client over HTTP, 1 shard, at {@link #numCandidates}
     * @param httpNodeCpuQps the same per CPU-second of the node
     * @param inProcessQpsAtNumCandidates in-process at the same numCandidates
     * @param int8RecallLoss recall@10 of floats minus 8-bit, both at {@link #DEFAULT_NUM_CANDIDATES}
     * @param int8MostRecallLoss the largest such loss over the sweep
     * @param int8MostLossAt the numCandidates of that largest loss
     * @param int8MemoryRatio the quantized vectors' bytes over the float vectors'
     */
    record Summary(
            Sweep.AtRecall usearchAtRecall,
            Sweep.AtRecall inProcessAtRecall,
            Sweep.AtRecall int8AtRecall,
            Sweep.AtRecall luceneOnlyAtRecall,
            Sweep.AtRecall luceneMergedAtRecall,
            Sweep.AtRecall usearchCpuAtRecall,
            Sweep.AtRecall inProcessCpuAtRecall,
            double usearchBuildPerSecond,
            double inProcessBuildPerSecond,
            double httpBuildPerSecond,
            double usearchBuildPerCpuSecond,
            double inProcessBuildPerCpuSecond,
            double inProcessQpsAtNumCandidates,
            double inProcessCpuQpsAtNumCandidates,
            double httpQps,
            double httpNodeCpuQps,
            double httpRecall,
            double int8RecallLoss,
            double int8MostRecallLoss,
            int int8MostLossAt,
            long floatVectorBytes,
            long quantizedVectorBytes,
            double int8MemoryRatio) {}

    @JsonProperty("summary")
    Summary summary() {
        Sweep.AtRecall none = new Sweep.AtRecall(RECALL, Double.NaN, -1, Double.NaN, Double.NaN);
        Sweep.AtRecall usearchAt = usearch == null ? none : Sweep.at(usearch.sweep(), RECALL);
        Sweep.AtRecall inProcess =
                engine == null ? none : Sweep.at(engine.none().sweep(), RECALL);
        Sweep.AtRecall int8 = engine == null ? none : Sweep.at(engine.int8().sweep(), RECALL);
        Sweep.AtRecall luceneOnly = engine == null ? none : Sweep.at(engine.luceneOnly(), RECALL);
        Sweep.AtRecall merged =
                engine == null || engine.luceneMerged().isEmpty() ? none : Sweep.at(engine.luceneMerged(), RECALL);
        Sweep.AtRecall usearchCpu = usearch == null ? none : Sweep.at(usearch.sweep(), RECALL, Sweep.Point::cpuQps);
        Sweep.AtRecall inProcessCpu =
                engine == null ? none : Sweep.at(engine.none().sweep(), RECALL, Sweep.Point::cpuQps);
        Sweep.Point atNc = engine == null ? null : Sweep.of(engine.none().sweep(), numCandidates);
        Sweep.Point atDefault = engine == null ? null : Sweep.of(engine.none().sweep(), DEFAULT_NUM_CANDIDATES);
        Sweep.Point int8AtDefault =
                engine == null ? null : Sweep.of(engine.int8().sweep(), DEFAULT_NUM_CANDIDATES);
        double mostLoss = Double.NaN;
        int mostLossAt = -1;
        if (engine != null) {
            for (Sweep.Point p : engine.none().sweep()) {
                Sweep.Point q = Sweep.of(engine.int8().sweep(), p.setting());
                if (q != null && (Double.isNaN(mostLoss) || p.recall() - q.recall() > mostLoss)) {
                    mostLoss = p.recall() - q.recall();
                    mostLossAt = p.setting();
                }
            }
        }
        Optional<VectorHttpBenchmark.Collection> one = httpCollection(1);
        Optional<VectorHttpBenchmark.Rate> oneClient = one.flatMap(c -> rate(c, 1));
        long floats = engine == null ? -1 : engine.none().build().fileBytes().getOrDefault("vec", -1L);
        long quantized = engine == null ? -1 : quantizedBytes(engine);
        return new Summary(
                usearchAt,
                inProcess,
                int8,
                luceneOnly,
                merged,
                usearchCpu,
                inProcessCpu,
                usearch == null ? Double.NaN : usearch.buildPerSecond(),
                engine == null ? Double.NaN : engine.none().build().perSecond(),
                one.map(VectorHttpBenchmark.Collection::buildPerSecond).orElse(Double.NaN),
                usearch == null ? Double.NaN : usearch.vectors() / usearch.buildCpuSeconds(),
                engine == null
                        ? Double.NaN
                        : engine.none().build().documents()
                                / engine.none().build().cpuSeconds(),
                atNc == null ? Double.NaN : atNc.qps(),
                atNc == null ? Double.NaN : atNc.cpuQps(),
                oneClient.map(VectorHttpBenchmark.Rate::qps).orElse(Double.NaN),
                oneClient.map(VectorHttpBenchmark.Rate::nodeCpuQps).orElse(Double.NaN),
                one.map(VectorHttpBenchmark.Collection::recall).orElse(Double.NaN),
                atDefault == null || int8AtDefault == null ? Double.NaN : atDefault.recall() - int8AtDefault.recall(),
                mostLoss,
                mostLossAt,
                floats,
                quantized,
                floats > 0 && quantized > 0 ? (double) quantized / floats : Double.NaN);
    }

    /**
     * The bytes of the quantized vectors: the files the 8-bit index has and the float index has
     * not (Lucene's quantized vector data and its metadata); the float vectors stay beside them,
     * on disk, for rescoring.
     */
    static long quantizedBytes(VectorEngineBenchmark.Result engine) {
        Set<String> floatFiles = engine.none().build().fileBytes().keySet();
        return engine.int8().build().fileBytes().entrySet().stream()
                .filter(e -> !floatFiles.contains(e.getKey()))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    Optional<VectorHttpBenchmark.Collection> httpCollection(int shards) {
        return http == null
                ? Optional.empty()
                : http.collections().stream().filter(c -> c.shards() == shards).findFirst();
    }

    static Optional<VectorHttpBenchmark.Rate> rate(VectorHttpBenchmark.Collection c, int clients) {
        return c.rates().stream().filter(r -> r.clients() == clients).findFirst();
    }

    /** The targets; a failed section's are all missed (NaN). */
    List<SuiteResults.Target> targets() {
        Summary s = summary();
        boolean ok = ok();
        String reference = usearch == null ? "usearch (unavailable)" : "usearch " + usearch.version();
        List<SuiteResults.Target> t = new ArrayList<>();
        t.add(new SuiteResults.Target(
                "kNN queries/s at recall@10 ≥ " + RECALL + ", 1 thread: shard index in-process / " + reference,
                ok ? s.inProcessAtRecall().qps() / s.usearchAtRecall().qps() : Double.NaN,
                IN_PROCESS_REQUIRED));
        t.add(new SuiteResults.Target(
                "kNN queries/s over HTTP (1 shard, 1 client) / in-process, at numCandidates " + numCandidates,
                ok ? s.httpQps() / s.inProcessQpsAtNumCandidates() : Double.NaN,
                HTTP_REQUIRED));
        t.add(new SuiteResults.Target(
                "vector index build rate, 1 CPU: shard index in-process / " + reference,
                ok ? s.inProcessBuildPerSecond() / s.usearchBuildPerSecond() : Double.NaN,
                BUILD_REQUIRED));
        t.add(new SuiteResults.Target(
                "vector index build rate over HTTP (background build until searchable) / " + reference,
                ok ? s.httpBuildPerSecond() / s.usearchBuildPerSecond() : Double.NaN,
                BUILD_REQUIRED));
        t.add(new SuiteResults.Target(
                "INT8 quantization: recall@10 lost at the default numCandidates (" + DEFAULT_NUM_CANDIDATES
                        + "), in percentage points",
                ok ? 100 * s.int8RecallLoss() : Double.NaN,
                INT8_LOSS_POINTS,
                " pp",
                true));
        t.add(new SuiteResults.Target(
                "INT8 quantization: vector memory, quantized / float vectors",
                ok ? s.int8MemoryRatio() : Double.NaN,
                INT8_MEMORY,
                "x",
                true));
        // The same speed targets judged on CPU time, which other work on a shared machine disturbs
        // far less than wall-clock time; both are reported, neither replaces the other.
        t.add(new SuiteResults.Target(
                "kNN queries per CPU-second at recall@10 ≥ " + RECALL + ": shard index in-process / " + reference,
                ok ? s.inProcessCpuAtRecall().qps() / s.usearchCpuAtRecall().qps() : Double.NaN,
                IN_PROCESS_REQUIRED));
        t.add(new SuiteResults.Target(
                "kNN queries per CPU-second: over HTTP (node CPU, 1 shard, 1 client) / in-process, at numCandidates "
                        + numCandidates,
                ok ? s.httpNodeCpuQps() / s.inProcessCpuQpsAtNumCandidates() : Double.NaN,
                HTTP_REQUIRED));
        t.add(new SuiteResults.Target(
                "vector index build per CPU-second: shard index in-process / " + reference,
                ok ? s.inProcessBuildPerCpuSecond() / s.usearchBuildPerCpuSecond() : Double.NaN,
                BUILD_REQUIRED));
        return t;
    }

    /** A section that failed before measuring anything. */
    static VectorResults failed(String failure, Map<String, String> settings) {
        return new VectorResults("failed", List.of(failure), null, null, null, null, -1, settings, List.of());
    }
}

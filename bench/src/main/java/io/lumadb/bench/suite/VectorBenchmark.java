package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.vector.Sweep;
import io.lumadb.bench.vector.UsearchReference;
import io.lumadb.bench.vector.VectorData;
import io.lumadb.bench.vector.VectorEngineBenchmark;
import io.lumadb.bench.vector.VectorHttpBenchmark;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The suite's vector section: kNN search on the same seeded, clustered 128-d vectors (with
 * brute-force ground truth) by a native reference, the {@code usearch} npm package ({@link
 * UsearchReference}), by LumaDB's shard search index in a JVM of its own ({@link
 * VectorEngineBenchmark}, which also compares BM25 with Lucene used directly), and by a LumaDB
 * node over HTTP ({@link VectorHttpBenchmark}), in one run. The reference and the in-process index
 * run one after the other on the server CPU, one thread each (the reference builds with one
 * thread, LumaDB's shard index builds on the shard's one serial thread); the node runs on the
 * server CPU and its load generator on the other, as in every section.
 *
 * <p>Both HNSW indexes are built alike (cosine; m = connectivity = 16, efConstruction =
 * expansion_add = 100) and compared at recall@10 ≥ {@value VectorResults#RECALL}: each system's
 * search effort (numCandidates, expansion_search) is swept, and its speed at that recall
 * interpolated between the two settings around it. A missing reference (no Node.js, no npm, no
 * network) is reported, never a failure.
 */
final class VectorBenchmark {

    /**
     * What to measure.
     *
     * @param vectors vectors in the data set
     * @param queries queries, each with its exact top 10
     * @param clusters Gaussian clusters the vectors are drawn from
     * @param sigma their spread around the cluster centers
     * @param numCandidates LumaDB's sweep
     * @param expansions usearch's sweep (expansion_search)
     * @param minSeconds least time per sweep point
     * @param textDocuments BM25 corpus size (0 leaves BM25 out)
     * @param httpShards shard counts measured over HTTP, a collection each
     * @param httpClients concurrent clients measured over HTTP
     * @param httpDuration time per client count
     * @param merged whether to also search a copy of the float index merged into one segment
     */
    record Settings(
            int vectors,
            int queries,
            int dimension,
            int clusters,
            double sigma,
            long seed,
            List<Integer> numCandidates,
            List<Integer> expansions,
            double minSeconds,
            int textDocuments,
            int textQueries,
            List<Integer> httpShards,
            List<Integer> httpClients,
            Duration httpDuration,
            boolean merged) {

        /** The full section (about 6 minutes on this 2-CPU machine) or the quick one (about 30 s). */
        static Settings defaults(boolean quick) {
            return quick
                    ? new Settings(
                            3_000,
                            50,
                            128,
                            20,
                            0.5,
                            20_250_601L,
                            List.of(10, 32, 100, 200),
                            List.of(10, 32, 100, 200),
                            0.05,
                            2_000,
                            50,
                            List.of(1),
                            List.of(1, 2),
                            Duration.ofSeconds(1),
                            false)
                    : new Settings(
                            100_000,
                            1_000,
                            128,
                            100,
                            0.5,
                            20_250_601L,
                            List.of(10, 16, 24, 32, 48, 64, 100, 150, 200, 300, 400),
                            List.of(10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384),
                            1.0,
                            100_000,
                            1_000,
                            List.of(1, 4),
                            List.of(1, 4),
                            Duration.ofSeconds(10),
                            true);
        }
    }

    private final Path nodeJar;
    private final List<String> serverPrefix;
    private final List<String> clientPrefix;
    private final List<String> nodeOptions;
    private final Path out;
    private final Settings s;
    private final Path usearchDir;

    VectorBenchmark(
            Path nodeJar,
            List<String> serverPrefix,
            List<String> clientPrefix,
            List<String> nodeOptions,
            Path out,
            Settings settings,
            Path usearchDir) {
        this.nodeJar = nodeJar;
        this.serverPrefix = List.copyOf(serverPrefix);
        this.clientPrefix = List.copyOf(clientPrefix);
        this.nodeOptions = List.copyOf(nodeOptions);
        this.out = out;
        this.s = settings;
        this.usearchDir = usearchDir;
    }

    /** The JVM options of the in-process index: a node's, with the Vector API Lucene uses for SIMD. */
    static List<String> engineJvmOptions() {
        List<String> options = new ArrayList<>(LumaDbNode.JVM_OPTIONS);
        if (options.stream().noneMatch(o -> o.contains("jdk.incubator.vector"))) {
            options.addAll(1, List.of("--add-modules", "jdk.incubator.vector"));
        }
        return options;
    }

    /** Runs the section; a failure is reported in the result (with what was measured before it), not thrown. */
    VectorResults run() throws InterruptedException {
        Map<String, String> settings = settings();
        List<String> failures = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        UsearchReference.Outcome usearch = new UsearchReference.Outcome(null, "not run");
        VectorEngineBenchmark.Result engine = null;
        VectorHttpBenchmark.Result http = null;
        int nc = -1;
        Path tmp = null;
        String loadBefore = loadAverage();
        try {
            tmp = Files.createTempDirectory("lumadb-bench-vector");
            Path file = tmp.resolve("vectors.bin");
            long t = System.nanoTime();
            VectorData data = VectorData.generate(
                    s.seed(),
                    s.vectors(),
                    s.queries(),
                    s.dimension(),
                    s.clusters(),
                    s.sigma(),
                    VectorEngineBenchmark.K);
            data.write(file);
            data = null;
            settings.put("data generation and brute-force ground truth", seconds(t) + " (both CPUs)");
            System.out.printf("Vector search: %,d vectors, %,d queries (%s)%n", s.vectors(), s.queries(), seconds(t));

            System.out.println("  native reference: usearch " + UsearchReference.VERSION + " (npm)");
            t = System.nanoTime();
            usearch = UsearchReference.run(
                    usearchDir,
                    file,
                    serverPrefix,
                    s.minSeconds(),
                    s.expansions(),
                    SEARCH_M,
                    EF_CONSTRUCTION,
                    out.resolve("vector-usearch.log"),
                    Duration.ofMinutes(20));
            settings.put("usearch duration", seconds(t));
            if (usearch.result() != null) {
                UsearchReference.Result u = usearch.result();
                System.out.printf("    build %,.0f vectors/s (1 thread)%n", u.buildPerSecond());
                u.sweep()
                        .forEach(p -> System.out.printf(
                                "    expansion_search %4d: %,8.0f queries/s, recall@10 %.4f%n",
                                p.setting(), p.qps(), p.recall()));
                if (!u.node().matches("v(2[2-9]|[3-9]\\d).*")) {
                    notes.add("usearch " + u.version() + " declares Node.js >= 22; it ran on Node.js " + u.node()
                            + " (its prebuilt N-API binary loads there; npm warns about the engine).");
                }
            } else {
                System.out.println("    unavailable: " + usearch.unavailable());
                notes.add("The native reference (usearch) is unavailable: " + usearch.unavailable()
                        + ". Its targets are missed for want of a figure.");
            }

            System.out.println("  LumaDB's shard search index in-process, and BM25 against Lucene");
            t = System.nanoTime();
            engine = engine(file);
            settings.put("in-process duration", seconds(t));
            Sweep.AtRecall at = Sweep.at(engine.none().sweep(), VectorResults.RECALL);
            nc = at.reached()
                    ? at.cheapestSetting()
                    : s.numCandidates().stream()
                            .mapToInt(Integer::intValue)
                            .max()
                            .orElseThrow();
            if (!at.reached()) {
                notes.add("The shard index did not reach recall@10 " + VectorResults.RECALL + " in the sweep; HTTP"
                        + " and INT8 are compared at its largest numCandidates, " + nc + ".");
            }

            System.out.printf("  LumaDB over HTTP at numCandidates %d%n", nc);
            t = System.nanoTime();
            http = http(file, nc, notes);
            settings.put("HTTP duration", seconds(t) + " with the node's start and stop");
        } catch (IOException | RuntimeException e) {
            failures.add("the vector section failed: " + e.getMessage());
            System.out.println("  FAILED: " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    TestFiles.deleteRecursively(tmp);
                } catch (IOException e) {
                    notes.add("could not delete " + tmp + ": " + e.getMessage());
                }
            }
        }
        settings.put(
                "load average (1, 5, 15 min) before and after the section",
                loadBefore + "; " + loadAverage() + " (other work on this machine disturbs wall-clock figures; CPU"
                        + " time figures far less)");
        if (engine != null && engine.bm25() != null) {
            VectorEngineBenchmark.Bm25 b = engine.bm25();
            if (b.sameScores() != b.queries()) {
                failures.add("BM25: LumaDB and Lucene scored " + (b.queries() - b.sameScores()) + " of " + b.queries()
                        + " queries differently, e.g. " + String.join("; ", b.differences()));
            }
        }
        VectorResults r = new VectorResults(
                failures.isEmpty() ? "ok" : "failed",
                failures,
                usearch.result(),
                usearch.unavailable(),
                engine,
                http,
                nc,
                settings,
                notes);
        for (SuiteResults.Target target : r.targets()) {
            System.out.printf(
                    "  %s: %s%s (%s)%n",
                    target.name(), Report.fmt(target.measured()), target.unit(), target.met() ? "met" : "missed");
        }
        return r;
    }

    private static final int SEARCH_M = 16;
    private static final int EF_CONSTRUCTION = 100;

    private Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(
                "vectors",
                String.format(
                        Locale.ROOT,
                        "%,d x %d floats in %d Gaussian clusters (centers N(0,1), sigma %.2f), seed %d; %,d queries"
                                + " from the same clusters; exact top 10 by cosine (brute force)",
                        s.vectors(),
                        s.dimension(),
                        s.clusters(),
                        s.sigma(),
                        s.seed(),
                        s.queries()));
        m.put(
                "HNSW",
                "cosine, 32-bit floats; LumaDB m = " + SEARCH_M + ", efConstruction = " + EF_CONSTRUCTION
                        + "; usearch connectivity = " + SEARCH_M + ", expansion_add = " + EF_CONSTRUCTION);
        m.put(
                "sweeps",
                "LumaDB numCandidates " + join(s.numCandidates()) + "; usearch expansion_search " + join(s.expansions())
                        + "; per point an unmeasured pass over every query, then passes for at least " + s.minSeconds()
                        + " s, one query at a time on one thread; recall@10 of the first timed pass");
        m.put(
                "pinning",
                serverPrefix.isEmpty()
                        ? "none"
                        : "usearch, the in-process index and the node on the server CPU ("
                                + String.join(" ", serverPrefix) + "), the HTTP load generator on the client CPU ("
                                + String.join(" ", clientPrefix) + ")");
        m.put("in-process JVM", String.join(" ", engineJvmOptions()));
        m.put(
                "HTTP",
                "shards " + join(s.httpShards()) + " (a collection each), bulk load of 1,000 documents per request,"
                        + " the index created afterwards (background build), then every query once for recall, one"
                        + " client for " + s.httpDuration().toSeconds() + " s unmeasured (the node's JIT warms up),"
                        + " and " + join(s.httpClients()) + " client(s) for "
                        + s.httpDuration().toSeconds()
                        + " s each, with \"fields\": [\"_id\"]");
        if (s.textDocuments() > 0) {
            m.put(
                    "BM25",
                    String.format(
                            Locale.ROOT,
                            "%,d synthetic documents of 20-100 words (Zipf over 50,000 words), %,d queries of 1-3"
                                    + " words (OR), top 10; LumaDB's text index (standard analyzer, not stored) against"
                                    + " Lucene with the same analyzer, BM25 and classic query parser; median of 3"
                                    + " rounds taking turns",
                            s.textDocuments(),
                            s.textQueries()));
        }
        return m;
    }

    private static String join(List<Integer> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static String seconds(long start) {
        return String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - start) / 1e9);
    }

    private VectorEngineBenchmark.Result engine(Path file) throws IOException, InterruptedException {
        Path json = out.resolve("vector-engine.json");
        List<String> args = new ArrayList<>(List.of(
                "--data",
                file.toString(),
                "--json",
                json.toString(),
                "--work",
                file.getParent().resolve("engine").toString(),
                "--num-candidates",
                join(s.numCandidates()),
                "--min-seconds",
                Double.toString(s.minSeconds()),
                "--text-documents",
                Integer.toString(s.textDocuments()),
                "--text-queries",
                Integer.toString(s.textQueries())));
        if (s.merged()) {
            args.add("--merged");
        }
        int exit = child(
                serverPrefix,
                engineJvmOptions(),
                VectorEngineBenchmark.class,
                args,
                out.resolve("vector-engine.log"),
                Duration.ofMinutes(30));
        if (exit != 0 || !Files.exists(json)) {
            throw new IOException(
                    "the in-process benchmark failed (exit " + exit + "); see " + out.resolve("vector-engine.log"));
        }
        return new ObjectMapper().readValue(json.toFile(), VectorEngineBenchmark.Result.class);
    }

    private VectorHttpBenchmark.Result http(Path file, int nc, List<String> notes)
            throws IOException, InterruptedException {
        Path json = out.resolve("vector-http.json");
        try (NodeProcess node = LumaDbNode.start(nodeJar, serverPrefix, out.resolve("vector-node.log"), nodeOptions)) {
            int exit = child(
                    clientPrefix,
                    List.of("-Xms1g", "-Xmx1g", "-XX:+UseSerialGC"),
                    VectorHttpBenchmark.class,
                    List.of(
                            "--url",
                            node.url(""),
                            "--data",
                            file.toString(),
                            "--json",
                            json.toString(),
                            "--num-candidates",
                            Integer.toString(nc),
                            "--shards",
                            join(s.httpShards()),
                            "--clients",
                            join(s.httpClients()),
                            "--duration",
                            s.httpDuration().toMillis() + "ms",
                            "--node-pid",
                            Long.toString(node.pid()),
                            "--profile",
                            out.resolve("vector-node-search.jfr").toString()),
                    out.resolve("vector-http.log"),
                    Duration.ofMinutes(30));
            if (exit != 0 || !Files.exists(json)) {
                throw new IOException(
                        "the HTTP benchmark failed (exit " + exit + "); see " + out.resolve("vector-http.log"));
            }
            notes.add("The node's search indexes after the HTTP runs (Lucene directories in its data directory,"
                    + " segments counted by their .si files): " + luceneDirectories(node.dataDir()) + ".");
        }
        return new ObjectMapper().readValue(json.toFile(), VectorHttpBenchmark.Result.class);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** Each Lucene index directory under {@code root}: its path below it, its segments and its size. */
    static String luceneDirectories(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path dir : all.filter(Files::isDirectory).toList()) {
                List<Path> files;
                try (Stream<Path> list = Files.list(dir)) {
                    files = list.filter(Files::isRegularFile).toList();
                }
                if (files.stream().noneMatch(f -> f.getFileName().toString().startsWith("segments_"))) {
                    continue;
                }
                long segments = files.stream()
                        .filter(f -> f.getFileName().toString().endsWith(".si"))
                        .count();
                long bytes = 0;
                for (Path f : files) {
                    try {
                        bytes += Files.size(f);
                    } catch (NoSuchFileException merged) {
                        // merged away meanwhile: the node is running
                    }
                }
                out.add(String.format(
                        Locale.ROOT, "%s: %d segments, %.1f MB", root.relativize(dir), segments, bytes / 1e6));
            }
        }
        return out.isEmpty() ? "none found" : String.join("; ", out);
    }

    /** Runs {@code main} as a process of its own, its output into {@code log}, for at most {@code timeout}. */
    static int child(
            List<String> prefix, List<String> jvmOptions, Class<?> main, List<String> args, Path log, Duration timeout)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(BenchSuite.java(prefix, jvmOptions, main, args.toArray(String[]::new)))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                throw new IOException(main.getSimpleName() + " did not finish within " + timeout.toMinutes()
                        + " minutes; see " + log);
            }
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }
}

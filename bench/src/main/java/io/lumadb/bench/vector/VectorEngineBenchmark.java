package io.lumadb.bench.vector;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lumadb.bench.Cli;
import io.lumadb.bench.Stats;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.testkit.TestFiles;
import io.lumadb.vector.index.ShardSearchIndex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.DocValuesType;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * LumaDB's per-shard search index ({@link ShardSearchIndex}) in this JVM, without the node
 * around it: a vector index over the section's vectors (cosine, HNSW m = 16, efConstruction =
 * 100) built with 32-bit floats and with 8-bit quantization (build rate, file sizes, and a sweep
 * of {@code numCandidates}: single-thread queries per second and recall@10), Lucene's own HNSW
 * search on the same float index (how much of a query is Lucene's, and how much LumaDB's around
 * it) and, optionally, on a copy merged into one segment (what the segments cost); and BM25 text
 * queries against Lucene used directly over the same documents. Run by the suite pinned like a
 * server, with {@code --add-modules jdk.incubator.vector} so that Lucene uses SIMD; writes its
 * {@link Result} as JSON.
 */
@Command(
        name = "VectorEngineBenchmark",
        mixinStandardHelpOptions = true,
        description = "LumaDB's shard search index in-process: kNN build and recall/QPS sweep (floats and INT8),"
                + " and BM25 against Lucene used directly.")
public final class VectorEngineBenchmark implements Callable<Integer> {

    /** The document path of the vectors, and the index's name. */
    public static final String PATH = "emb";

    public static final int K = 10;
    private static final int BATCH = 1_000;

    @Option(names = "--data", required = true, description = "the vector data file (VectorData.write)")
    Path data;

    @Option(names = "--json", required = true, description = "where the result goes")
    Path json;

    @Option(names = "--work", description = "a directory for the indexes (default: a temporary one, deleted after)")
    Path work;

    @Option(
            names = "--num-candidates",
            split = ",",
            description = "the numCandidates of the sweep (default 10,16,24,32,48,64,100,150,200,300,400)")
    List<Integer> numCandidates = List.of(10, 16, 24, 32, 48, 64, 100, 150, 200, 300, 400);

    @Option(names = "--min-seconds", description = "least time per sweep point (default 1)")
    double minSeconds = 1;

    @Option(names = "--text-documents", description = "BM25 corpus size (default 100000)")
    int textDocuments = 100_000;

    @Option(names = "--text-queries", description = "BM25 queries (default 1000)")
    int textQueries = 1_000;

    @Option(names = "--text-rounds", description = "BM25 rounds, taking turns (default 3)")
    int textRounds = 3;

    @Option(
            names = "--merged",
            description = "also search a copy of the float index merged into one segment with Lucene directly")
    boolean merged;

    /**
     * How long an index took to build and what it holds.
     *
     * @param seconds indexing every document, then a commit and a refresh
     * @param cpuSeconds the process's CPU time meanwhile (all threads: merges and the collector too)
     * @param segments Lucene segments after the commit
     * @param fileBytes bytes per Lucene file extension
     */
    public record Build(
            int documents,
            double seconds,
            double cpuSeconds,
            double perSecond,
            int segments,
            Map<String, Long> fileBytes) {}

    /** One vector index: its build and its sweep. */
    public record Knn(String quantization, Build build, List<Sweep.Point> sweep) {}

    /**
     * BM25: LumaDB's text index against Lucene used directly, the same documents and queries.
     *
     * @param lumadbQps median over the rounds, single thread, top 10 with ids
     * @param sameScores queries whose top-10 scores were the same on both
     * @param differences the first few queries whose answers differed
     */
    public record Bm25(
            int documents,
            int queries,
            Build lumadbBuild,
            Build luceneBuild,
            double lumadbQps,
            double luceneQps,
            List<Double> lumadbRounds,
            List<Double> luceneRounds,
            int sameScores,
            List<String> differences) {}

    /**
     * Everything measured.
     *
     * @param luceneOnly Lucene's own HNSW search (KnnFloatVectorQuery) on the float index's files
     * @param luceneMerged the same on a copy merged into one segment, or empty
     * @param luceneMergeSeconds how long merging that copy took (NaN if not done)
     */
    public record Result(
            String luceneVersion,
            int dimension,
            int vectors,
            int queries,
            Knn none,
            Knn int8,
            List<Sweep.Point> luceneOnly,
            List<Sweep.Point> luceneMerged,
            double luceneMergeSeconds,
            Bm25 bm25) {}

    public static void main(String[] args) {
        Cli.exit(new VectorEngineBenchmark(), args);
    }

    @Override
    public Integer call() throws Exception {
        boolean temporary = work == null;
        Path dir = temporary ? Files.createTempDirectory("lumadb-vector-engine") : work;
        try {
            Result r = measure(dir);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), r);
            return 0;
        } finally {
            if (temporary) {
                TestFiles.deleteRecursively(dir);
            }
        }
    }

    private Result measure(Path dir) throws IOException, ParseException {
        VectorData d = VectorData.read(data);
        float[][] queries = new float[d.queryCount()][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = d.query(q);
        }
        List<StoredDocument> docs = new ArrayList<>(d.count());
        for (int i = 0; i < d.count(); i++) {
            String id = VectorData.id(i);
            docs.add(new StoredDocument(
                    id, 1, DocumentJson.compose(id, 1, d.documentJson(PATH, i).getBytes(StandardCharsets.UTF_8))));
        }
        System.out.printf("%,d vectors of %d dimensions, %,d queries%n", d.count(), d.dimension(), d.queryCount());

        Knn none;
        List<Sweep.Point> luceneOnly;
        List<Sweep.Point> luceneMerged = List.of();
        double mergeSeconds = Double.NaN;
        Path noneDir = dir.resolve("none");
        try (ShardSearchIndex index = open(noneDir, d.dimension(), SearchSpec.Quantization.NONE)) {
            Build build = build(index, noneDir, docs);
            print("NONE", build);
            IntFunction<IntFunction<int[]>> search = nc -> q -> ids(index.knn(queries[q], K, nc, null));
            warmUp(search, queries.length);
            none = new Knn("none", build, sweep("NONE", d, search));
            luceneOnly = luceneSweep("Lucene only", noneDir, d, queries);
        }
        if (merged) {
            Path copy = dir.resolve("merged");
            copyIndex(noneDir, copy);
            long t = System.nanoTime();
            try (Directory directory = FSDirectory.open(copy);
                    IndexWriter w = new IndexWriter(directory, new IndexWriterConfig())) {
                w.forceMerge(1);
                w.commit();
            }
            mergeSeconds = (System.nanoTime() - t) / 1e9;
            System.out.printf("merged a copy into one segment in %.1f s%n", mergeSeconds);
            luceneMerged = luceneSweep("Lucene, 1 segment", copy, d, queries);
        }
        Knn int8;
        Path int8Dir = dir.resolve("int8");
        try (ShardSearchIndex index = open(int8Dir, d.dimension(), SearchSpec.Quantization.INT8)) {
            Build build = build(index, int8Dir, docs);
            print("INT8", build);
            IntFunction<IntFunction<int[]>> search = nc -> q -> ids(index.knn(queries[q], K, nc, null));
            warmUp(search, queries.length);
            int8 = new Knn("int8", build, sweep("INT8", d, search));
        }
        docs = null; // the text part needs the memory more
        Bm25 bm25 = textDocuments > 0 ? bm25(dir) : null;
        return new Result(
                Version.LATEST.toString(),
                d.dimension(),
                d.count(),
                d.queryCount(),
                none,
                int8,
                luceneOnly,
                luceneMerged,
                mergeSeconds,
                bm25);
    }

    private static ShardSearchIndex open(Path dir, int dimension, SearchSpec.Quantization quantization) {
        SearchSpec spec = SearchSpec.vector(
                PATH,
                dimension,
                SearchSpec.Similarity.COSINE,
                SearchSpec.DEFAULT_M,
                SearchSpec.DEFAULT_EF_CONSTRUCTION,
                quantization);
        return ShardSearchIndex.open(dir, IndexDefinition.search(PATH, 1, spec));
    }

    /** Indexes every document in batches as a shard's background build does, then commits and refreshes. */
    private static Build build(ShardSearchIndex index, Path dir, List<StoredDocument> docs) throws IOException {
        settle();
        long t = System.nanoTime();
        long cpu = Sweep.processCpuNanos();
        for (int from = 0; from < docs.size(); from += BATCH) {
            index.index(docs.subList(from, Math.min(docs.size(), from + BATCH)));
        }
        index.commit();
        index.refresh();
        double seconds = (System.nanoTime() - t) / 1e9;
        double cpuSeconds = (Sweep.processCpuNanos() - cpu) / 1e9;
        if (index.documentCount() != docs.size()) {
            throw new IllegalStateException(
                    "the index holds " + index.documentCount() + " documents, not " + docs.size());
        }
        return new Build(docs.size(), seconds, cpuSeconds, docs.size() / seconds, segments(dir), index.fileBytes());
    }

    private static void print(String what, Build b) {
        System.out.printf(
                "%s: built %,d in %.1f s (%,.0f/s), %d segments, files %s%n",
                what, b.documents(), b.seconds(), b.perSecond(), b.segments(), b.fileBytes());
    }

    /**
     * Lets the garbage of what came before be collected before measuring, so that the collector's
     * concurrent work (on the one CPU this runs on) does not land in the next figure.
     */
    private static void settle() {
        System.gc();
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The segments of the last commit: one {@code .si} file each. */
    static int segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.filter(f -> f.getFileName().toString().endsWith(".si"))
                    .count();
        }
    }

    /**
     * A pass over the queries at every setting of the sweep, twice, so that the JIT has compiled
     * every path of the search (a small numCandidates takes branches a large one does not) and its
     * compiler threads are idle before the first point: on one CPU they would take the first
     * point's time.
     */
    private void warmUp(IntFunction<IntFunction<int[]>> search, int queries) {
        for (int pass = 0; pass < 2; pass++) {
            for (int nc : numCandidates) {
                IntFunction<int[]> s = search.apply(nc);
                for (int q = 0; q < queries; q++) {
                    s.apply(q);
                }
            }
        }
    }

    private List<Sweep.Point> sweep(String what, VectorData d, IntFunction<IntFunction<int[]>> search) {
        settle();
        List<Sweep.Point> points = new ArrayList<>();
        for (int nc : numCandidates) {
            Sweep.Point p = Sweep.measure(nc, d, search.apply(nc), minSeconds);
            System.out.printf(
                    "  %s numCandidates %4d: %,8.0f queries/s (%,8.0f per CPU-second), recall@%d %.4f%n",
                    what, nc, p.qps(), p.cpuQps(), K, p.recall());
            points.add(p);
        }
        return points;
    }

    private static int[] ids(List<ShardSearchIndex.Hit> hits) {
        int[] out = new int[hits.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = VectorData.index(hits.get(i).id());
        }
        return out;
    }

    // ---- Lucene's own kNN search on LumaDB's files

    /**
     * A sweep of Lucene's {@link KnnFloatVectorQuery} over the index in {@code dir}, as an
     * application of Lucene would run it: an {@link IndexSearcher} without a query cache, the top
     * 10, each hit's id read from the id doc values.
     */
    private List<Sweep.Point> luceneSweep(String what, Path dir, VectorData d, float[][] queries) throws IOException {
        try (Directory directory = FSDirectory.open(dir);
                DirectoryReader reader = DirectoryReader.open(directory)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            searcher.setQueryCache(null);
            String idField = null;
            for (LeafReaderContext leaf : reader.leaves()) {
                for (FieldInfo fi : leaf.reader().getFieldInfos()) {
                    if (fi.getDocValuesType() == DocValuesType.SORTED) {
                        idField = fi.name;
                    }
                }
            }
            if (idField == null) {
                throw new IllegalStateException("no id doc values in " + dir);
            }
            String ids = idField;
            IntFunction<IntFunction<int[]>> search = nc -> q -> {
                try {
                    TopDocs top = searcher.search(new KnnFloatVectorQuery(PATH, queries[q], nc), K);
                    return luceneIds(reader, top.scoreDocs, ids);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            };
            warmUp(search, queries.length);
            return sweep(what, d, search);
        }
    }

    private static int[] luceneIds(DirectoryReader reader, ScoreDoc[] docs, String idField) throws IOException {
        int[] out = new int[docs.length];
        List<LeafReaderContext> leaves = reader.leaves();
        for (int i = 0; i < docs.length; i++) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(docs[i].doc, leaves));
            SortedDocValues values = DocValues.getSorted(leaf.reader(), idField);
            out[i] = values.advanceExact(docs[i].doc - leaf.docBase)
                    ? VectorData.index(values.lookupOrd(values.ordValue()).utf8ToString())
                    : -1;
        }
        return out;
    }

    /** Copies the files of the last commit (the writer's lock file stays behind). */
    private static void copyIndex(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("write.lock")) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }

    // ---- BM25

    private Bm25 bm25(Path dir) throws IOException, ParseException {
        TextCorpus corpus = TextCorpus.generate(20_250_615L, textDocuments, textQueries, 50_000, 1.0);
        System.out.printf("BM25: %,d documents, %,d queries%n", textDocuments, textQueries);
        List<StoredDocument> docs = new ArrayList<>(textDocuments);
        for (int i = 0; i < textDocuments; i++) {
            String id = TextCorpus.id(i);
            String content = "{\"body\":\"" + corpus.documents().get(i) + "\"}";
            docs.add(new StoredDocument(id, 1, DocumentJson.compose(id, 1, content.getBytes(StandardCharsets.UTF_8))));
        }
        Path lumaDir = dir.resolve("text");
        Path luceneDir = dir.resolve("lucene-text");
        SearchSpec spec = SearchSpec.text(List.of("body"), "standard", false);
        try (ShardSearchIndex luma = ShardSearchIndex.open(lumaDir, IndexDefinition.search("body", 2, spec));
                LuceneText lucene = new LuceneText(luceneDir)) {
            Build lumaBuild = build(luma, lumaDir, docs);
            print("text, LumaDB", lumaBuild);
            Build luceneBuild = lucene.build(corpus.documents());
            print("text, Lucene", luceneBuild);
            List<String> queries = corpus.queries();
            // the same answers first: the same BM25 scores, best first (ids may differ among ties)
            int same = 0;
            List<String> differences = new ArrayList<>();
            for (String q : queries) {
                List<ShardSearchIndex.Hit> a = luma.text(q, K, false);
                float[] b = lucene.scores(q);
                boolean equal = a.size() == b.length;
                for (int i = 0; equal && i < b.length; i++) {
                    equal = Math.abs(a.get(i).score() - b[i]) <= 1e-5f * Math.max(1f, Math.abs(b[i]));
                }
                if (equal) {
                    same++;
                } else if (differences.size() < 5) {
                    differences.add("'" + q + "': LumaDB "
                            + a.stream().map(ShardSearchIndex.Hit::score).toList() + ", Lucene "
                            + java.util.Arrays.toString(b));
                }
            }
            Runnable lumaPass = () -> queries.forEach(q -> luma.text(q, K, false));
            Runnable lucenePass = () -> queries.forEach(lucene::ids);
            for (int w = 0; w < 2; w++) { // warm-up
                lumaPass.run();
                lucenePass.run();
            }
            List<Double> lumaRounds = new ArrayList<>();
            List<Double> luceneRounds = new ArrayList<>();
            for (int round = 0; round < textRounds; round++) {
                lumaRounds.add(rate(lumaPass, queries.size()));
                luceneRounds.add(rate(lucenePass, queries.size()));
            }
            Bm25 r = new Bm25(
                    textDocuments,
                    queries.size(),
                    lumaBuild,
                    luceneBuild,
                    Stats.median(lumaRounds),
                    Stats.median(luceneRounds),
                    lumaRounds,
                    luceneRounds,
                    same,
                    differences);
            System.out.printf(
                    "BM25 queries/s: LumaDB %,.0f, Lucene %,.0f; same scores for %d of %d queries%n",
                    r.lumadbQps(), r.luceneQps(), same, queries.size());
            return r;
        }
    }

    /** Queries per second of passes of {@code pass} (each {@code queries} queries) for at least {@link #minSeconds}. */
    private double rate(Runnable pass, int queries) {
        long start = System.nanoTime();
        long done = 0;
        do {
            pass.run();
            done += queries;
        } while (System.nanoTime() - start < (long) (minSeconds * 1e9));
        return done / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Lucene used directly, as its documentation shows it: the standard analyzer, an id as a stored
     * string field, the text as a text field, BM25 (the default similarity), the classic query
     * parser with OR between terms, the top 10 and each hit's stored id.
     */
    private static final class LuceneText implements AutoCloseable {
        private final Path dir;
        private final Analyzer analyzer = new StandardAnalyzer();
        private Directory directory;
        private DirectoryReader reader;
        private IndexSearcher searcher;

        LuceneText(Path dir) {
            this.dir = dir;
        }

        Build build(List<String> texts) throws IOException {
            settle();
            long t = System.nanoTime();
            long cpu = Sweep.processCpuNanos();
            directory = FSDirectory.open(dir);
            try (IndexWriter w = new IndexWriter(directory, new IndexWriterConfig(analyzer))) {
                for (int i = 0; i < texts.size(); i++) {
                    Document doc = new Document();
                    doc.add(new StringField("id", TextCorpus.id(i), Field.Store.YES));
                    doc.add(new TextField("body", texts.get(i), Field.Store.NO));
                    w.addDocument(doc);
                }
                w.commit();
            }
            reader = DirectoryReader.open(directory);
            searcher = new IndexSearcher(reader);
            double seconds = (System.nanoTime() - t) / 1e9;
            double cpuSeconds = (Sweep.processCpuNanos() - cpu) / 1e9;
            Map<String, Long> bytes = new TreeMap<>();
            for (String f : directory.listAll()) {
                int dot = f.lastIndexOf('.');
                bytes.merge(dot >= 0 ? f.substring(dot + 1) : f, directory.fileLength(f), Long::sum);
            }
            return new Build(
                    texts.size(),
                    seconds,
                    cpuSeconds,
                    texts.size() / seconds,
                    reader.leaves().size(),
                    bytes);
        }

        private TopDocs search(String q) {
            try {
                return searcher.search(new QueryParser("body", analyzer).parse(q), K);
            } catch (IOException | ParseException e) {
                throw new IllegalStateException("query '" + q + "': " + e.getMessage(), e);
            }
        }

        float[] scores(String q) {
            ScoreDoc[] docs = search(q).scoreDocs;
            float[] out = new float[docs.length];
            for (int i = 0; i < docs.length; i++) {
                out[i] = docs[i].score;
            }
            return out;
        }

        List<String> ids(String q) {
            try {
                StoredFields stored = searcher.storedFields();
                List<String> out = new ArrayList<>();
                for (ScoreDoc sd : search(q).scoreDocs) {
                    out.add(stored.document(sd.doc, Set.of("id")).get("id"));
                }
                return out;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() throws IOException {
            if (reader != null) {
                reader.close();
            }
            if (directory != null) {
                directory.close();
            }
            analyzer.close();
        }
    }
}

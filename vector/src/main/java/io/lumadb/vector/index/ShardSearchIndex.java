package io.lumadb.vector.index;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.model.StoredDocument;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.AnalyzerWrapper;
import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.RescoreTopNQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.uhighlight.UnifiedHighlighter;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.IOUtils;

/**
 * One search index (a vector or a full-text {@link IndexDefinition}) of one shard, in its own
 * Lucene directory. The shard feeds it its document changes in sequence order ({@link #apply});
 * each {@link #commit} records the last applied shard sequence number in the Lucene commit's user
 * data (key {@value #SEQ_KEY}), so after a restart the shard replays exactly the changes after
 * {@link #committedSeq}. Searches see the index as of the last {@link #refresh} ({@link
 * #visibleSeq}).
 *
 * <p><b>Threads.</b> {@link #apply}, {@link #index}, {@link #refresh}, {@link #commit} and {@link
 * #close} must be called from one thread at a time, in order (the shard's serial Lucene task, on a
 * dispatcher for blocking work). {@link #knn}, {@link #text}, {@link #problem}, {@link
 * #documentCount}, {@link #fileBytes} and the sequence numbers may be called from any thread,
 * concurrently with everything but {@link #close}. The class holds no static state; Lucene's merge
 * threads are its own.
 *
 * <p><b>Failures.</b> An I/O error is a {@link SearchIndexException}. A batch that fails half-way
 * may be partly written but does not advance {@link #appliedSeq}; applying it again is harmless
 * (every write is an upsert or delete by id). After a fatal error Lucene closes its writer: close
 * the index, and open it again (it resumes from its last commit) or delete and rebuild it.
 *
 * <p><b>Content.</b> A document whose value at the index's path is missing, null or unfit (see
 * {@link #problem}) has no entry; writing never throws for document content. Callers that must
 * reject bad documents ask {@link #problem} before they write.
 *
 * <p><b>Vectors.</b> HNSW with the definition's {@code m} and {@code efConstruction}, over float
 * vectors or quantized ones (see {@link SearchCodec}); up to {@link SearchSpec#MAX_DIMENSION}
 * dimensions. Scores are Lucene's, higher is closer, and always computed from the float vectors
 * (quantized candidates are rescored exactly), so scores of different shards' indexes compare:
 * cosine {@code (1 + cos) / 2}; euclidean {@code 1 / (1 + d²)}; dot product (Lucene's maximum
 * inner product, so vectors need not be unit length) {@code dot + 1} for {@code dot >= 0}, else
 * {@code 1 / (1 - dot)}.
 *
 * <p><b>Text.</b> One Lucene text field per path, analysed by the definition's analyzer ({@link
 * Analyzers}), scored with BM25 (Lucene's default, k1 = 1.2, b = 0.75); the values of an array are
 * separate values {@value DocumentFields#POSITION_GAP} positions apart, so a phrase never spans two
 * of them. Query syntax: {@link TextQueryParser}. Highlights: {@link Highlighter}.
 */
public final class ShardSearchIndex implements AutoCloseable {

    /** The commit user data key of the last applied shard sequence number. */
    public static final String SEQ_KEY = "lumadb.seq";

    /** The commit user data key of the index definition's id. */
    static final String INDEX_ID_KEY = "lumadb.index.id";

    /** The commit user data key of what the index holds (kind, paths, dimension, analyzer...). */
    static final String LAYOUT_KEY = "lumadb.index.layout";

    /**
     * The number of HNSW candidates a kNN search explores when the caller names none. On the recall
     * test's 20,000 clustered 128-d vectors (RecallTest) recall@10 is 1.0 at this value and 0.97 to
     * 0.98 already at 20; the margin is for real embeddings, which are harder than Gaussian
     * clusters. A search costs about 0.2 ms there, single-threaded.
     */
    public static final int DEFAULT_NUM_CANDIDATES = 100;

    /** The most candidates, and the largest {@code k}, of one search. */
    public static final int MAX_NUM_CANDIDATES = 10_000;

    /**
     * Lucene's indexing buffer. HNSW graphs are rebuilt on merges, so larger flushed segments mean
     * less merge work; it is an upper bound, not memory taken up front.
     */
    static final double RAM_BUFFER_MB = 64;

    private final Path directory;

    private final IndexDefinition definition;
    private final SearchSpec spec;
    private final DocumentFields fields;
    private final VectorSimilarityFunction similarity;
    private final Directory dir;
    private final Analyzer analyzer;
    private final IndexWriter writer;
    private final SearcherManager searchers;

    private volatile long committedSeq;
    /** The user data of the last commit: {@value #SEQ_KEY}, the owner's keys and the caller's. */
    private volatile Map<String, String> commitData;

    private volatile long appliedSeq;
    private volatile long visibleSeq;
    private volatile boolean closed;

    /** A search result: a document's id, its score (higher is better) and, for text, highlights. */
    public record Hit(String id, float score, Map<String, List<String>> highlights) {
        public Hit {
            Objects.requireNonNull(id, "id");
            highlights = highlights == null ? Map.of() : Map.copyOf(highlights);
        }
    }

    private ShardSearchIndex(
            Path directory,
            IndexDefinition definition,
            Directory dir,
            Analyzer analyzer,
            IndexWriter writer,
            SearcherManager searchers,
            Map<String, String> commitData) {
        long committedSeq = commitData.containsKey(SEQ_KEY) ? Long.parseLong(commitData.get(SEQ_KEY)) : 0L;
        this.commitData = Map.copyOf(commitData);
        this.directory = directory;
        this.definition = definition;
        this.spec = definition.search();
        this.fields = new DocumentFields(definition);
        this.similarity = spec.kind() == SearchSpec.Kind.VECTOR ? DocumentFields.similarity(spec.similarity()) : null;
        this.dir = dir;
        this.analyzer = analyzer;
        this.writer = writer;
        this.searchers = searchers;
        this.committedSeq = committedSeq;
        this.appliedSeq = committedSeq;
        this.visibleSeq = committedSeq;
    }

    /**
     * Opens the index in {@code directory}, creating the directory and an empty index if missing,
     * and reads the last commit's sequence number.
     *
     * @throws IllegalArgumentException if {@code definition} is not a search index
     * @throws IllegalStateException if the directory holds another index (another definition id, or
     *     other paths, dimension, similarity, quantization, analyzer or storing): delete it and build
     *     anew
     * @throws SearchIndexException if the index cannot be opened (I/O error, corrupt index, or the
     *     directory is open elsewhere)
     */
    public static ShardSearchIndex open(Path directory, IndexDefinition definition) {
        if (!definition.hasSearch()) {
            throw new IllegalArgumentException("index '" + definition.name() + "' is not a search index");
        }
        SearchSpec spec = definition.search();
        Directory dir = null;
        Analyzer analyzer = null;
        IndexWriter writer = null;
        SearcherManager searchers = null;
        try {
            // Built in this order, closed in the reverse one, also when a step fails.
            Files.createDirectories(directory);
            dir = FSDirectory.open(directory);
            analyzer = spec.kind() == SearchSpec.Kind.TEXT
                    ? new MultiValueAnalyzer(Analyzers.named(spec.analyzer()))
                    : new KeywordAnalyzer();
            TieredMergePolicy merges = new TieredMergePolicy();
            merges.setNoCFSRatio(0.0); // separate files per format, so fileBytes() can tell them apart
            IndexWriterConfig config = new IndexWriterConfig(analyzer)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                    .setCodec(new SearchCodec(spec))
                    .setCommitOnClose(false)
                    .setUseCompoundFile(false)
                    .setMergePolicy(merges)
                    .setRAMBufferSizeMB(RAM_BUFFER_MB);
            writer = new IndexWriter(dir, config);
            Map<String, String> data = new HashMap<>();
            writer.getLiveCommitData().forEach(e -> data.put(e.getKey(), e.getValue()));
            checkOwner(directory, definition, data, writer.getDocStats().maxDoc);
            searchers = new SearcherManager(writer, true, false, new UncachedSearchers());
            return new ShardSearchIndex(directory, definition, dir, analyzer, writer, searchers, data);
        } catch (IOException | RuntimeException e) {
            IOUtils.closeWhileHandlingException(searchers, writer, analyzer, dir);
            if (e instanceof IllegalStateException | e instanceof IllegalArgumentException) {
                throw (RuntimeException) e;
            }
            throw new SearchIndexException(
                    "search index '" + definition.name() + "' at " + directory + ": cannot open: " + e.getMessage(), e);
        }
    }

    private static void checkOwner(Path directory, IndexDefinition definition, Map<String, String> data, int docs) {
        String id = data.get(INDEX_ID_KEY);
        String layout = data.get(LAYOUT_KEY);
        if (id == null && docs == 0) {
            return; // a new index
        }
        if (id == null || layout == null || data.get(SEQ_KEY) == null) {
            throw new IllegalStateException(
                    directory + " holds a Lucene index that LumaDB did not write; delete it to build index '"
                            + definition.name() + "' there");
        }
        if (!id.equals(Long.toString(definition.id())) || !layout.equals(layout(definition.search()))) {
            throw new IllegalStateException(directory + " holds search index " + id + " (" + layout + "), not index '"
                    + definition.name() + "' " + definition.id() + " (" + layout(definition.search())
                    + "); delete it to build the index anew");
        }
    }

    /** What the index holds, as recorded in each commit: a change of any of these needs a rebuild. */
    static String layout(SearchSpec spec) {
        List<Object> parts = new ArrayList<>();
        parts.add(spec.kind().name());
        parts.add(spec.paths());
        if (spec.kind() == SearchSpec.Kind.VECTOR) {
            parts.add(spec.dimension());
            parts.add(spec.similarity().name());
            parts.add(spec.quantization().name());
        } else {
            parts.add(spec.analyzer());
            parts.add(spec.stored());
        }
        try {
            return DocumentJson.mapper().writeValueAsString(parts);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes an index's directory and everything in it; nothing if it does not exist. Close it first. */
    public static void delete(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new SearchIndexException("cannot delete search index at " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The index definition this index holds. */
    public IndexDefinition definition() {
        return definition;
    }

    /** The shard sequence number recorded by the last commit; 0 for a new index. */
    public long committedSeq() {
        return committedSeq;
    }

    /** The sequence number of the last batch applied; starts at {@link #committedSeq}. */
    public long appliedSeq() {
        return appliedSeq;
    }

    /** The sequence number searches see: {@link #appliedSeq} as of the last {@link #refresh}. */
    public long visibleSeq() {
        return visibleSeq;
    }

    /**
     * Applies one batch of the shard's changes, the batch of sequence number {@code seq}: a created
     * or updated document replaces its entry (or loses it, when it has no fit value), a deleted one
     * loses it. A batch at or below {@link #appliedSeq} was applied before and is ignored, so a
     * replay after a restart is harmless. Serial thread only.
     */
    public void apply(long seq, List<DocumentChange> changes) {
        ensureOpen();
        if (seq <= appliedSeq) {
            return;
        }
        try {
            for (DocumentChange change : changes) {
                Document doc = change.op() == DocumentChange.Op.DELETED
                        ? null
                        : fields.document(change.id(), change.document());
                write(change.id(), doc);
            }
        } catch (IOException | AlreadyClosedException e) {
            throw failure("cannot apply changes of sequence number " + seq, e);
        }
        appliedSeq = seq;
    }

    /**
     * Indexes existing documents (a background build over the shard's store), without changing
     * {@link #appliedSeq}: each replaces its entry, or removes it when it has no fit value. The
     * documents must be at least as new as the changes applied so far (read from the shard's store
     * after them); a document read before a change that {@link #apply} has applied would overwrite
     * that change. Serial thread only.
     */
    public void index(List<StoredDocument> documents) {
        ensureOpen();
        try {
            for (StoredDocument document : documents) {
                write(document.id(), fields.document(document.id(), document.json()));
            }
        } catch (IOException | AlreadyClosedException e) {
            throw failure("cannot index documents", e);
        }
    }

    private void write(String id, Document doc) throws IOException {
        Term term = new Term(DocumentFields.ID, id);
        if (doc == null) {
            writer.deleteDocuments(term);
        } else {
            writer.updateDocument(term, doc);
        }
    }

    /**
     * Makes everything applied so far visible to searches (a near-real-time reopen; no fsync).
     * Afterwards {@link #visibleSeq} is the {@link #appliedSeq} of the call's start. Serial thread
     * only.
     */
    public void refresh() {
        ensureOpen();
        long seq = appliedSeq;
        try {
            searchers.maybeRefreshBlocking();
        } catch (IOException | AlreadyClosedException e) {
            throw failure("cannot refresh", e);
        }
        visibleSeq = seq;
    }

    /**
     * Makes everything applied and indexed so far durable (a Lucene commit, with fsync), recording
     * {@link #appliedSeq} as {@value #SEQ_KEY} in the commit's user data. Serial thread only.
     */
    public void commit() {
        commit(Map.of());
    }

    /**
     * {@link #commit()}, recording {@code extra} in the commit's user data too (the caller's own
     * keys, such as whether a build has finished; {@link #commitData} reads them back).
     */
    public void commit(Map<String, String> extra) {
        ensureOpen();
        long seq = appliedSeq;
        Map<String, String> data = new LinkedHashMap<>(extra);
        data.put(SEQ_KEY, Long.toString(seq));
        data.put(INDEX_ID_KEY, Long.toString(definition.id()));
        data.put(LAYOUT_KEY, layout(spec));
        try {
            writer.setLiveCommitData(data.entrySet());
            writer.commit();
        } catch (IOException | AlreadyClosedException e) {
            throw failure("cannot commit sequence number " + seq, e);
        }
        committedSeq = seq;
        commitData = Map.copyOf(data);
    }

    /** The user data of the last commit (empty for a new index). */
    public Map<String, String> commitData() {
        return commitData;
    }

    /**
     * Removes every entry and sets {@link #appliedSeq} to {@code seq}: the start of a build from
     * the shard's documents as of {@code seq}. Searches see the empty index after the next
     * {@link #refresh}; the next commit makes it durable. Serial thread only.
     */
    public void reset(long seq) {
        ensureOpen();
        try {
            writer.deleteAll();
        } catch (IOException | AlreadyClosedException e) {
            throw failure("cannot empty the index", e);
        }
        appliedSeq = seq;
    }

    /**
     * Why a document cannot go into an index of {@code definition} (see {@link #problem}), without
     * an open index: for checking writes before they are accepted, from any thread.
     */
    public static java.util.function.Function<byte[], String> validator(IndexDefinition definition) {
        return new DocumentFields(definition)::problem;
    }

    /**
     * Why the stored document {@code documentJson} cannot be indexed here, or null if it can (also
     * when it has no value at the index's paths: missing and null are fine). Vector: the value must
     * be an array of exactly {@code dimension} finite 32-bit floats, not all zero for cosine. Text:
     * a string, or an array of strings (nulls and nested arrays allowed).
     */
    public String problem(byte[] documentJson) {
        return fields.problem(documentJson);
    }

    /**
     * The {@code k} documents whose vectors are closest to {@code query}, best first.
     *
     * <p>Unfiltered, and with a large filter, this is an approximate HNSW search exploring {@code
     * max(k, numCandidates)} candidates (more candidates: better recall, slower). {@code
     * allowedIds} (null: every document) restricts the search to those ids, inside the graph search
     * (pre-filtering), so {@code k} results come back whenever {@code k} allowed documents have
     * vectors. A filter of at most {@code max(candidates, sqrt(candidates * documents))} ids is
     * searched exactly (by comparing the query with each allowed vector), which is then also the
     * cheaper way; larger ones are approximate, and Lucene itself turns to an exact search when the
     * graph search would visit more documents than the filter allows.
     *
     * @throws IllegalArgumentException if this is not a vector index, the query is not {@code
     *     dimension} finite numbers (or is zero for cosine), or {@code k} or {@code numCandidates}
     *     is not 1 to {@link #MAX_NUM_CANDIDATES}
     */
    public List<Hit> knn(float[] query, int k, int numCandidates, Set<String> allowedIds) {
        if (spec.kind() != SearchSpec.Kind.VECTOR) {
            throw new IllegalArgumentException("index '" + definition.name() + "' is a text index, not a vector index");
        }
        checkQueryVector(query);
        checkRange("k", k);
        checkRange("numCandidates", numCandidates);
        int candidates = Math.max(k, numCandidates);
        if (allowedIds != null && allowedIds.isEmpty()) {
            return List.of();
        }
        IndexSearcher searcher = acquire();
        try {
            int documents = searcher.getIndexReader().numDocs();
            if (allowedIds != null && allowedIds.size() <= exactLimit(candidates, documents)) {
                return exact(searcher, query, k, allowedIds);
            }
            String field = fields.vectorField();
            Query filter = allowedIds == null ? null : idFilter(allowedIds);
            Query q = new KnnFloatVectorQuery(field, query, candidates, filter);
            if (spec.quantization() != SearchSpec.Quantization.NONE) {
                // Scores of quantized vectors are estimates: rescore every candidate with its floats.
                q = RescoreTopNQuery.createFullPrecisionRescorerQuery(q, query, field, k);
            }
            TopDocs top = searcher.search(q, k);
            return hits(searcher, top.scoreDocs, null);
        } catch (IOException e) {
            throw failure("cannot search", e);
        } finally {
            release(searcher);
        }
    }

    private static Query idFilter(Set<String> ids) {
        return new TermInSetQuery(
                DocumentFields.ID, ids.stream().map(BytesRef::new).toList());
    }

    /** The largest filter that {@link #knn} searches exactly. */
    static int exactLimit(int candidates, int documents) {
        return (int) Math.max(candidates, Math.sqrt((double) candidates * documents));
    }

    private void checkQueryVector(float[] query) {
        if (query == null || query.length != spec.dimension()) {
            throw new IllegalArgumentException("the query vector has " + (query == null ? 0 : query.length)
                    + " numbers; index '" + definition.name() + "' needs " + spec.dimension());
        }
        boolean zero = true;
        for (int i = 0; i < query.length; i++) {
            if (!Float.isFinite(query[i])) {
                throw new IllegalArgumentException(
                        "the query vector's element " + i + " is not a finite number: " + query[i]);
            }
            zero &= query[i] == 0f;
        }
        if (zero && spec.similarity() == SearchSpec.Similarity.COSINE) {
            throw new IllegalArgumentException("the query vector is zero, which has no direction; index '"
                    + definition.name() + "' compares vectors by cosine");
        }
    }

    private static void checkRange(String name, int value) {
        if (value < 1 || value > MAX_NUM_CANDIDATES) {
            throw new IllegalArgumentException(name + " must be 1 to " + MAX_NUM_CANDIDATES + ", was " + value);
        }
    }

    /** The exact top {@code k} among {@code allowedIds}: every allowed vector compared with the query. */
    private List<Hit> exact(IndexSearcher searcher, float[] query, int k, Set<String> allowedIds) throws IOException {
        Comparator<Hit> worstFirst =
                Comparator.comparingDouble(Hit::score).thenComparing(Hit::id, Comparator.reverseOrder());
        PriorityQueue<Hit> top = new PriorityQueue<>(k + 1, worstFirst);
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
            LeafReader reader = leaf.reader();
            FloatVectorValues vectors = reader.getFloatVectorValues(fields.vectorField());
            Terms terms = reader.terms(DocumentFields.ID);
            if (vectors == null || terms == null) {
                continue;
            }
            Bits live = reader.getLiveDocs();
            TermsEnum ids = terms.iterator();
            PostingsEnum postings = null;
            List<long[]> docs = new ArrayList<>(); // {doc, index into names}
            List<String> names = new ArrayList<>();
            for (String id : allowedIds) {
                if (!ids.seekExact(new BytesRef(id))) {
                    continue;
                }
                postings = ids.postings(postings, PostingsEnum.NONE);
                for (int d = postings.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = postings.nextDoc()) {
                    if (live == null || live.get(d)) {
                        docs.add(new long[] {d, names.size()});
                        names.add(id);
                    }
                }
            }
            docs.sort(Comparator.comparingLong(a -> a[0]));
            KnnVectorValues.DocIndexIterator it = vectors.iterator();
            for (long[] entry : docs) {
                int d = (int) entry[0];
                if (it.docID() < d) {
                    it.advance(d);
                }
                if (it.docID() != d) {
                    continue;
                }
                float score = similarity.compare(query, vectors.vectorValue(it.index()));
                top.add(new Hit(names.get((int) entry[1]), score, null));
                if (top.size() > k) {
                    top.poll();
                }
            }
        }
        List<Hit> out = new ArrayList<>(top);
        out.sort(worstFirst.reversed());
        return out;
    }

    /**
     * The {@code k} documents that best match the text {@code query} (Lucene syntax, see {@link
     * TextQueryParser}), by BM25 score, best first. With {@code highlight}, each hit carries per
     * path the best passages with the matches in {@code <em>...</em>} (HTML-escaped, see {@link
     * Highlighter}), when the index stores its text; an index that does not store it returns no
     * highlights.
     *
     * @throws SearchQueryException for bad syntax or a field that is not a path of the index
     * @throws IllegalArgumentException if this is not a text index or {@code k} is out of range
     */
    public List<Hit> text(String query, int k, boolean highlight) {
        return text(query, k, highlight, null);
    }

    /**
     * {@link #text(String, int, boolean)} among the documents {@code allowedIds} names (null:
     * every document): the filter is part of the Lucene query, so {@code k} hits come back
     * whenever {@code k} allowed documents match.
     */
    public List<Hit> text(String query, int k, boolean highlight, Set<String> allowedIds) {
        if (spec.kind() != SearchSpec.Kind.TEXT) {
            throw new IllegalArgumentException("index '" + definition.name() + "' is a vector index, not a text index");
        }
        checkRange("k", k);
        Query parsed = new TextQueryParser(definition.name(), spec.paths(), analyzer).parseQuery(query);
        if (allowedIds != null && allowedIds.isEmpty()) {
            return List.of();
        }
        // Highlights come from the text query alone; the filter only narrows the documents.
        Query q = allowedIds == null
                ? parsed
                : new BooleanQuery.Builder()
                        .add(parsed, BooleanClause.Occur.MUST)
                        .add(idFilter(allowedIds), BooleanClause.Occur.FILTER)
                        .build();
        IndexSearcher searcher = acquire();
        try {
            TopDocs top = searcher.search(q, k);
            Map<String, List<List<String>>> highlights = null;
            if (highlight && spec.stored() && top.scoreDocs.length > 0) {
                int[] docIds =
                        Arrays.stream(top.scoreDocs).mapToInt(sd -> sd.doc).toArray();
                highlights = new Highlighter(UnifiedHighlighter.builder(searcher, analyzer))
                        .passages(spec.paths().toArray(String[]::new), parsed, docIds);
            }
            return hits(searcher, top.scoreDocs, highlights);
        } catch (IndexSearcher.TooManyClauses e) {
            throw new SearchQueryException(
                    "the text query expands to too many terms (at most " + IndexSearcher.getMaxClauseCount()
                            + "); use fewer wildcards or longer prefixes",
                    e);
        } catch (IOException e) {
            throw failure("cannot search", e);
        } finally {
            release(searcher);
        }
    }

    /** Hits for Lucene's results, reading each document's id from the doc values. */
    private List<Hit> hits(IndexSearcher searcher, ScoreDoc[] docs, Map<String, List<List<String>>> highlights)
            throws IOException {
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        Integer[] byDoc = new Integer[docs.length];
        for (int i = 0; i < docs.length; i++) {
            byDoc[i] = i;
        }
        Arrays.sort(byDoc, Comparator.comparingInt(i -> docs[i].doc));
        String[] ids = new String[docs.length];
        int leafIndex = -1;
        LeafReaderContext leaf = null;
        SortedDocValues values = null;
        for (int i : byDoc) {
            int doc = docs[i].doc;
            int li = ReaderUtil.subIndex(doc, leaves);
            if (li != leafIndex) {
                leafIndex = li;
                leaf = leaves.get(li);
                values = DocValues.getSorted(leaf.reader(), DocumentFields.ID);
            }
            if (!values.advanceExact(doc - leaf.docBase)) {
                throw new IllegalStateException("document " + doc + " of index '" + definition.name() + "' has no id");
            }
            ids[i] = values.lookupOrd(values.ordValue()).utf8ToString();
        }
        List<Hit> out = new ArrayList<>(docs.length);
        for (int i = 0; i < docs.length; i++) {
            Map<String, List<String>> passages = null;
            if (highlights != null) {
                passages = new TreeMap<>();
                for (Map.Entry<String, List<List<String>>> e : highlights.entrySet()) {
                    List<String> p = e.getValue().get(i);
                    if (p != null && !p.isEmpty()) {
                        passages.put(e.getKey(), p);
                    }
                }
            }
            out.add(new Hit(ids[i], docs[i].score, passages));
        }
        return out;
    }

    /** The number of documents with an entry, as searches see them (as of the last refresh). */
    public long documentCount() {
        IndexSearcher searcher = acquire();
        try {
            return searcher.getIndexReader().numDocs();
        } finally {
            release(searcher);
        }
    }

    /**
     * Bytes on disk per Lucene file extension, e.g. {@code vec} (float vectors), {@code veq}
     * (quantized vectors), {@code vex} (the HNSW graph), {@code tim}/{@code doc}/{@code pos} (terms
     * and postings), {@code fdt} (stored text). Segments are never compound files here, so each
     * format has its own files.
     */
    public Map<String, Long> fileBytes() {
        ensureOpen();
        Map<String, Long> out = new TreeMap<>();
        try {
            for (String name : dir.listAll()) {
                try {
                    out.merge(extension(name), dir.fileLength(name), Long::sum);
                } catch (NoSuchFileException | FileNotFoundException e) {
                    // removed by a merge or a commit meanwhile
                }
            }
        } catch (IOException e) {
            throw failure("cannot list files", e);
        }
        return out;
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        if (dot >= 0) {
            return name.substring(dot + 1);
        }
        int underscore = name.indexOf('_');
        return underscore > 0 ? name.substring(0, underscore) : name; // segments_N
    }

    /**
     * Closes the index without committing (what was applied after the last {@link #commit} is
     * dropped; the shard replays it on the next open) and releases its files, memory and threads.
     * Searches still running finish on the reader they hold. Idempotent. Serial thread only.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            IOUtils.close(searchers, writer, analyzer, dir);
        } catch (IOException e) {
            throw new SearchIndexException(
                    "search index '" + definition.name() + "' at " + directory + ": cannot close: " + e.getMessage(),
                    e);
        }
    }

    @Override
    public String toString() {
        return "ShardSearchIndex[" + definition.name() + " (" + definition.id() + ") at " + directory + ", applied "
                + appliedSeq + ", visible " + visibleSeq + ", committed " + committedSeq + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("search index '" + definition.name() + "' at " + directory + " is closed");
        }
    }

    private IndexSearcher acquire() {
        ensureOpen();
        try {
            return searchers.acquire();
        } catch (IOException e) {
            throw failure("cannot search", e);
        } catch (AlreadyClosedException e) {
            throw new IllegalStateException(
                    "search index '" + definition.name() + "' at " + directory + " is closed", e);
        }
    }

    private void release(IndexSearcher searcher) {
        try {
            searchers.release(searcher);
        } catch (IOException e) {
            throw failure("cannot release a searcher", e);
        }
    }

    private SearchIndexException failure(String what, Exception e) {
        Throwable cause = e;
        if (e instanceof AlreadyClosedException && writer.getTragicException() != null) {
            cause = writer.getTragicException();
        }
        return new SearchIndexException(
                "search index '" + definition.name() + "' at " + directory + ": " + what + ": " + cause.getMessage(),
                cause);
    }

    /** Searchers without Lucene's query cache: filters differ per request, caching them only costs. */
    private static final class UncachedSearchers extends SearcherFactory {
        @Override
        public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
            IndexSearcher searcher = new IndexSearcher(reader);
            searcher.setQueryCache(null);
            return searcher;
        }
    }

    /**
     * An analyzer as the given one, but with {@value DocumentFields#POSITION_GAP} positions between
     * the values of a multi-valued field (Lucene's analyzers put none), so that no phrase matches
     * across two values. Closing it closes the given one.
     */
    private static final class MultiValueAnalyzer extends AnalyzerWrapper {
        private final Analyzer base;

        MultiValueAnalyzer(Analyzer base) {
            super(Analyzer.GLOBAL_REUSE_STRATEGY);
            this.base = base;
        }

        @Override
        protected Analyzer getWrappedAnalyzer(String fieldName) {
            return base;
        }

        @Override
        public int getPositionIncrementGap(String fieldName) {
            return DocumentFields.POSITION_GAP;
        }

        @Override
        public void close() {
            super.close();
            base.close();
        }
    }
}

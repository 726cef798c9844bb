package io.lumadb.vector.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.model.SearchSpec.Quantization;
import io.lumadb.shards.model.SearchSpec.Similarity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recall of kNN searches against brute force, on 20,000 synthetic 128-d vectors in 100 Gaussian
 * clusters (seeded), with 200 queries drawn from the same clusters: over one index and over four
 * (documents split by a hash of the id, the per-index top-k merged by score), without and with
 * 8-bit quantization, euclidean and cosine, and with filters. The indexes are built once for all
 * cases; each prints its figures.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecallTest {

    private static final int N = 20_000;
    private static final int DIMENSION = 128;
    private static final int CLUSTERS = 100;
    private static final int QUERIES = 200;
    private static final int K = 10;
    /**
     * Spread of the points around their cluster's center (centers are N(0, 1) per dimension), so
     * neighbouring clusters overlap: a point's distance to its own center is about that between
     * two centers. (0.5 makes well-separated clusters and a slightly easier test; at 1.5 the
     * recall at the default numCandidates was still 0.998.)
     */
    private static final double SIGMA = 1.0;

    private static final double MIN_RECALL = 0.95;

    @TempDir
    static Path tmp;

    private float[][] data;
    private float[][] queries;
    private String[] ids;

    /** The exact top K of each query over all documents, by similarity. */
    private final Map<Similarity, List<List<String>>> truth = new java.util.EnumMap<>(Similarity.class);

    private ShardSearchIndex euclidean;
    private ShardSearchIndex euclideanInt8;
    private ShardSearchIndex cosine;
    private final List<ShardSearchIndex> fourEuclidean = new ArrayList<>();
    private final List<ShardSearchIndex> fourEuclideanInt8 = new ArrayList<>();

    @BeforeAll
    void build() {
        Random random = new Random(20_250_601);
        float[][] centers = new float[CLUSTERS][];
        for (int c = 0; c < CLUSTERS; c++) {
            centers[c] = gaussian(random, new float[DIMENSION], 1.0);
        }
        data = new float[N][];
        ids = new String[N];
        for (int i = 0; i < N; i++) {
            data[i] = gaussian(random, centers[random.nextInt(CLUSTERS)].clone(), SIGMA);
            ids[i] = "doc-" + i;
        }
        queries = new float[QUERIES][];
        for (int q = 0; q < QUERIES; q++) {
            queries[q] = gaussian(random, centers[random.nextInt(CLUSTERS)].clone(), SIGMA);
        }
        for (Similarity similarity : List.of(Similarity.EUCLIDEAN, Similarity.COSINE)) {
            List<List<String>> top = new ArrayList<>();
            for (float[] query : queries) {
                top.add(bruteForce(similarity, query, K, i -> true));
            }
            truth.put(similarity, top);
        }
        euclidean = build("euclidean", Similarity.EUCLIDEAN, Quantization.NONE, i -> true);
        euclideanInt8 = build("euclidean-int8", Similarity.EUCLIDEAN, Quantization.INT8, i -> true);
        cosine = build("cosine", Similarity.COSINE, Quantization.NONE, i -> true);
        for (int s = 0; s < 4; s++) {
            int shard = s;
            IntPredicate mine = i -> Math.floorMod(ids[i].hashCode(), 4) == shard;
            fourEuclidean.add(build("euclidean-" + s, Similarity.EUCLIDEAN, Quantization.NONE, mine));
            fourEuclideanInt8.add(build("euclidean-int8-" + s, Similarity.EUCLIDEAN, Quantization.INT8, mine));
        }
        Map<String, Long> none = euclidean.fileBytes();
        Map<String, Long> int8 = euclideanInt8.fileBytes();
        System.out.printf(
                "files NONE: vec %d, vex %d; INT8: vec %d, veq %d, vex %d; quantized vectors / float vectors %.3f%n",
                none.get("vec"),
                none.get("vex"),
                int8.get("vec"),
                int8.get("veq"),
                int8.get("vex"),
                (double) int8.get("veq") / none.get("vec"));
    }

    @AfterAll
    void close() {
        List<ShardSearchIndex> all = new ArrayList<>(List.of(euclidean, euclideanInt8, cosine));
        all.addAll(fourEuclidean);
        all.addAll(fourEuclideanInt8);
        for (ShardSearchIndex index : all) {
            if (index != null) {
                index.close();
            }
        }
    }

    private static float[] gaussian(Random random, float[] base, double sigma) {
        for (int d = 0; d < base.length; d++) {
            base[d] += (float) (sigma * random.nextGaussian());
        }
        return base;
    }

    private ShardSearchIndex build(String name, Similarity similarity, Quantization quantization, IntPredicate mine) {
        IndexDefinition def = IndexDefinition.search(
                "v",
                1,
                SearchSpec.vector(
                        "embedding",
                        DIMENSION,
                        similarity,
                        SearchSpec.DEFAULT_M,
                        SearchSpec.DEFAULT_EF_CONSTRUCTION,
                        quantization));
        ShardSearchIndex index = ShardSearchIndex.open(tmp.resolve(name), def);
        long start = System.nanoTime();
        int count = 0;
        long seq = 0;
        List<DocumentChange> batch = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            if (!mine.test(i)) {
                continue;
            }
            batch.add(Docs.created(ids[i], Docs.vectorDoc(ids[i], 1, "embedding", data[i])));
            count++;
            if (batch.size() == 500) {
                index.apply(++seq, batch);
                batch = new ArrayList<>();
            }
        }
        index.apply(++seq, batch);
        index.commit();
        index.refresh();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "built %s: %d vectors in %.2f s (%.0f/s, apply + commit + refresh)%n",
                name, count, seconds, count / seconds);
        assertEquals(count, index.documentCount());
        return index;
    }

    // ---- brute force ----

    private static double similarity(Similarity similarity, float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        double distance = 0;
        for (int d = 0; d < a.length; d++) {
            dot += (double) a[d] * b[d];
            na += (double) a[d] * a[d];
            nb += (double) b[d] * b[d];
            double diff = (double) a[d] - b[d];
            distance += diff * diff;
        }
        return switch (similarity) {
            case EUCLIDEAN -> -distance;
            case COSINE -> dot / Math.sqrt(na * nb);
            case DOT_PRODUCT -> dot;
        };
    }

    /** The ids of the exact top k among the documents {@code allowed} accepts, best first. */
    private List<String> bruteForce(Similarity similarity, float[] query, int k, IntPredicate allowed) {
        double[] score = new double[N];
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            if (allowed.test(i)) {
                score[i] = similarity(similarity, query, data[i]);
                candidates.add(i);
            }
        }
        candidates.sort(Comparator.comparingDouble((Integer i) -> score[i]).reversed());
        return candidates.stream().limit(k).map(i -> ids[i]).toList();
    }

    private static double recall(List<String> truth, List<ShardSearchIndex.Hit> hits) {
        Set<String> found = new HashSet<>();
        hits.forEach(h -> found.add(h.id()));
        found.retainAll(truth);
        return (double) found.size() / truth.size();
    }

    /** The per-index top k of each index, merged by score. */
    private static List<ShardSearchIndex.Hit> merged(
            List<ShardSearchIndex> indexes, float[] query, int k, int numCandidates) {
        List<ShardSearchIndex.Hit> all = new ArrayList<>();
        for (ShardSearchIndex index : indexes) {
            all.addAll(index.knn(query, k, numCandidates, null));
        }
        all.sort(Comparator.comparingDouble(ShardSearchIndex.Hit::score).reversed());
        return all.subList(0, Math.min(k, all.size()));
    }

    private interface Search {
        List<ShardSearchIndex.Hit> run(float[] query, int numCandidates);
    }

    private double averageRecall(Similarity similarity, Search search, int numCandidates) {
        double sum = 0;
        for (int q = 0; q < QUERIES; q++) {
            sum += recall(truth.get(similarity).get(q), search.run(queries[q], numCandidates));
        }
        return sum / QUERIES;
    }

    private double report(String what, Similarity similarity, Search search) {
        StringBuilder curve = new StringBuilder();
        double atDefault = 0;
        for (int numCandidates : new int[] {10, 20, 50, ShardSearchIndex.DEFAULT_NUM_CANDIDATES, 200}) {
            long start = System.nanoTime();
            double r = averageRecall(similarity, search, numCandidates);
            double ms = (System.nanoTime() - start) / 1e6 / QUERIES;
            curve.append(String.format(" nc=%d: %.4f (%.2f ms/query)", numCandidates, r, ms));
            if (numCandidates == ShardSearchIndex.DEFAULT_NUM_CANDIDATES) {
                atDefault = r;
            }
        }
        System.out.printf("recall@%d %s:%s%n", K, what, curve);
        return atDefault;
    }

    // ---- the cases ----

    @Test
    void oneIndexReachesTheRecallTargetAtTheDefaultNumCandidates() {
        double none =
                report("1 index, euclidean, NONE", Similarity.EUCLIDEAN, (q, nc) -> euclidean.knn(q, K, nc, null));
        double int8 =
                report("1 index, euclidean, INT8", Similarity.EUCLIDEAN, (q, nc) -> euclideanInt8.knn(q, K, nc, null));
        assertTrue(none >= MIN_RECALL, "recall NONE " + none);
        assertTrue(int8 >= MIN_RECALL, "recall INT8 " + int8);
        assertTrue(none - int8 <= 0.02, "INT8 loses " + (none - int8));
    }

    @Test
    void fourIndexesMergedReachTheRecallTarget() {
        double none = report(
                "4 indexes merged, euclidean, NONE", Similarity.EUCLIDEAN, (q, nc) -> merged(fourEuclidean, q, K, nc));
        double int8 = report(
                "4 indexes merged, euclidean, INT8",
                Similarity.EUCLIDEAN,
                (q, nc) -> merged(fourEuclideanInt8, q, K, nc));
        assertTrue(none >= MIN_RECALL, "recall NONE " + none);
        assertTrue(int8 >= MIN_RECALL, "recall INT8 " + int8);
        assertTrue(none - int8 <= 0.02, "INT8 loses " + (none - int8));
    }

    @Test
    void cosineReachesTheRecallTarget() {
        double r = report("1 index, cosine, NONE", Similarity.COSINE, (q, nc) -> cosine.knn(q, K, nc, null));
        assertTrue(r >= MIN_RECALL, "recall " + r);
    }

    @Test
    void aSelectiveFilterReturnsExactlyTheBruteForceTopK() {
        // 1 % of the documents
        IntPredicate allowed = i -> i % 100 == 7;
        Set<String> allowedIds = allowedIds(allowed);
        for (ShardSearchIndex index : List.of(euclidean, euclideanInt8)) {
            for (float[] query : queries) {
                List<String> truth = bruteForce(Similarity.EUCLIDEAN, query, K, allowed);
                List<String> got = index.knn(query, K, ShardSearchIndex.DEFAULT_NUM_CANDIDATES, allowedIds).stream()
                        .map(ShardSearchIndex.Hit::id)
                        .toList();
                assertEquals(truth, got);
            }
        }
        System.out.printf(
                "filtered kNN, %d allowed documents (1 %%): equal to brute force for all %d queries%n",
                allowedIds.size(), QUERIES);
    }

    @Test
    void anUnselectiveFilterKeepsTheRecallTarget() {
        // 50 % of the documents
        IntPredicate allowed = i -> i % 2 == 0;
        Set<String> allowedIds = allowedIds(allowed);
        double sum = 0;
        int exact = 0;
        for (float[] query : queries) {
            List<String> truth = bruteForce(Similarity.EUCLIDEAN, query, K, allowed);
            List<ShardSearchIndex.Hit> hits =
                    euclidean.knn(query, K, ShardSearchIndex.DEFAULT_NUM_CANDIDATES, allowedIds);
            assertEquals(K, hits.size(), "k results whenever k documents match");
            for (ShardSearchIndex.Hit hit : hits) {
                assertTrue(allowedIds.contains(hit.id()), hit.id() + " is not allowed");
            }
            double r = recall(truth, hits);
            sum += r;
            exact += r == 1.0 ? 1 : 0;
        }
        double recall = sum / QUERIES;
        System.out.printf(
                "filtered kNN, %d allowed documents (50 %%): recall@%d %.4f, %d of %d queries exact%n",
                allowedIds.size(), K, recall, exact, QUERIES);
        assertTrue(recall >= MIN_RECALL, "recall " + recall);
    }

    private Set<String> allowedIds(IntPredicate allowed) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i < N; i++) {
            if (allowed.test(i)) {
                out.add(ids[i]);
            }
        }
        return out;
    }

    @Test
    void scoresOfFourIndexesAreTheScoresOfOne() {
        // merging by score is sound only if an index's score does not depend on its neighbours
        for (int q = 0; q < 20; q++) {
            List<ShardSearchIndex.Hit> one = euclidean.knn(queries[q], K, 200, null);
            Map<String, Float> byId = new java.util.HashMap<>();
            one.forEach(h -> byId.put(h.id(), h.score()));
            for (ShardSearchIndex.Hit hit : merged(fourEuclideanInt8, queries[q], K, 200)) {
                if (byId.containsKey(hit.id())) {
                    assertEquals(byId.get(hit.id()), hit.score(), 1e-6, Arrays.toString(new Object[] {q, hit}));
                }
            }
        }
    }
}

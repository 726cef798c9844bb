package io.lumadb.vector.index;

import static io.lumadb.vector.index.Docs.created;
import static io.lumadb.vector.index.Docs.deleted;
import static io.lumadb.vector.index.Docs.stored;
import static io.lumadb.vector.index.Docs.updated;
import static io.lumadb.vector.index.Docs.vectorDoc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.model.SearchSpec.Quantization;
import io.lumadb.shards.model.SearchSpec.Similarity;
import io.lumadb.shards.model.StoredDocument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.lucene.codecs.Codec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardSearchIndexTest {

    @TempDir
    Path tmp;

    private static IndexDefinition vectorIndex(int dimension, Similarity similarity, Quantization quantization) {
        return IndexDefinition.search("v", 7, SearchSpec.vector("emb", dimension, similarity, 16, 100, quantization));
    }

    private static IndexDefinition textIndex() {
        return IndexDefinition.search("t", 8, SearchSpec.text(List.of("title", "body"), "english", true));
    }

    private static List<String> ids(List<ShardSearchIndex.Hit> hits) {
        return hits.stream().map(ShardSearchIndex.Hit::id).toList();
    }

    private static DocumentChange vec(String id, float... v) {
        return created(id, vectorDoc(id, 1, "emb", v));
    }

    @Test
    void appliesCreatesUpdatesAndDeletesInSequence() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE))) {
            assertEquals(0, index.appliedSeq());
            index.apply(1, List.of(vec("a", 0, 0), vec("b", 10, 10), vec("c", 20, 20)));
            index.refresh();
            assertEquals(3, index.documentCount());
            assertEquals(List.of("a", "b"), ids(index.knn(new float[] {1, 1}, 2, 10, null)));

            // b moves next to the query, a is deleted
            index.apply(2, List.of(updated("b", 2, vectorDoc("b", 2, "emb", new float[] {1, 1})), deleted("a", 2)));
            index.refresh();
            assertEquals(2, index.appliedSeq());
            assertEquals(2, index.documentCount());
            assertEquals(List.of("b", "c"), ids(index.knn(new float[] {1, 1}, 5, 10, null)));
            assertEquals(1.0f, index.knn(new float[] {1, 1}, 1, 10, null).get(0).score(), 1e-6);
        }
    }

    @Test
    void ignoresBatchesAtOrBelowTheAppliedSequenceNumber() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE))) {
            index.apply(5, List.of(vec("a", 0, 0)));
            index.apply(5, List.of(vec("b", 1, 1))); // a replay of 5 with other content: ignored
            index.apply(3, List.of(deleted("a", 2)));
            index.refresh();
            assertEquals(5, index.appliedSeq());
            assertEquals(List.of("a"), ids(index.knn(new float[] {0, 0}, 5, 10, null)));
        }
    }

    @Test
    void commitRecordsTheSequenceNumberAndCloseDropsWhatCameAfter() {
        Path dir = tmp.resolve("i");
        IndexDefinition def = vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE);
        try (ShardSearchIndex index = ShardSearchIndex.open(dir, def)) {
            assertEquals(0, index.committedSeq());
            index.apply(1, List.of(vec("a", 0, 0)));
            index.apply(2, List.of(vec("b", 1, 1)));
            index.commit();
            assertEquals(2, index.committedSeq());
            index.apply(3, List.of(vec("c", 2, 2))); // not committed
        }
        try (ShardSearchIndex index = ShardSearchIndex.open(dir, def)) {
            assertEquals(2, index.committedSeq());
            assertEquals(2, index.appliedSeq());
            assertEquals(2, index.visibleSeq());
            assertEquals(Set.of("a", "b"), Set.copyOf(ids(index.knn(new float[] {0, 0}, 5, 10, null))));
            index.apply(3, List.of(vec("c", 2, 2))); // the shard replays from committedSeq + 1
            index.refresh();
            assertEquals(3, index.documentCount());
        }
    }

    @Test
    void searchesSeeChangesOnlyAfterARefresh() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE))) {
            index.apply(1, List.of(vec("a", 0, 0)));
            assertEquals(1, index.appliedSeq());
            assertEquals(0, index.visibleSeq());
            assertEquals(List.of(), index.knn(new float[] {0, 0}, 5, 10, null));
            index.refresh();
            assertEquals(1, index.visibleSeq());
            assertEquals(List.of("a"), ids(index.knn(new float[] {0, 0}, 5, 10, null)));
        }
    }

    @Test
    void problemSaysWhyAVectorCannotBeIndexed() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(3, Similarity.COSINE, Quantization.NONE))) {
            assertNull(index.problem(stored("a", 1, "{\"emb\":[1,2,3]}")));
            assertNull(index.problem(stored("a", 1, "{\"other\":1}")), "missing path");
            assertNull(index.problem(stored("a", 1, "{\"emb\":null}")), "null");
            assertEquals(
                    "path 'emb' has 2 numbers; index 'v' needs 3", index.problem(stored("a", 1, "{\"emb\":[1,2]}")));
            assertTrue(index.problem(stored("a", 1, "{\"emb\":[1,\"x\",3]}")).contains("is not an array of numbers"));
            assertTrue(index.problem(stored("a", 1, "{\"emb\":\"1,2,3\"}")).contains("is not an array of numbers"));
            assertTrue(index.problem(stored("a", 1, "{\"emb\":[1,2,1e39]}")).contains("not a finite 32-bit float"));
            assertTrue(index.problem(stored("a", 1, "{\"emb\":[0,0,0]}")).contains("zero vector"));
            assertTrue(index.problem("{\"_id\":\"a\",\"emb\":[1,2,".getBytes()).contains("not valid JSON"));
        }
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("e"), vectorIndex(3, Similarity.EUCLIDEAN, Quantization.NONE))) {
            assertNull(index.problem(stored("a", 1, "{\"emb\":[0,0,0]}")), "a zero vector is fine for euclidean");
        }
    }

    @Test
    void problemSaysWhyATextCannotBeIndexed() {
        try (ShardSearchIndex index = ShardSearchIndex.open(tmp.resolve("i"), textIndex())) {
            assertNull(index.problem(stored("a", 1, "{\"title\":\"x\",\"body\":[\"y\",null,[\"z\"]]}")));
            assertNull(index.problem(stored("a", 1, "{\"other\":1}")));
            assertEquals(
                    "path 'title' is a number; index 't' needs a string or an array of strings there",
                    index.problem(stored("a", 1, "{\"title\":5}")));
            assertEquals(
                    "path 'body' is an array holding an object; index 't' needs a string or an array of strings there",
                    index.problem(stored("a", 1, "{\"body\":[\"ok\",{\"x\":1}]}")));
        }
    }

    @Test
    void aDocumentThatLosesItsValueLosesItsEntryAndBadContentNeverThrows() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE))) {
            index.apply(1, List.of(vec("a", 0, 0), vec("b", 1, 1), vec("c", 2, 2)));
            index.apply(
                    2,
                    List.of(
                            updated("a", 2, stored("a", 2, "{\"name\":\"no vector any more\"}")),
                            updated("b", 2, stored("b", 2, "{\"emb\":[1,2,3]}")), // wrong dimension
                            updated("c", 2, stored("c", 2, "{\"emb\":null}"))));
            index.apply(3, List.of(created("d", stored("d", 1, "{\"emb\":\"nope\"}"))));
            index.refresh();
            assertEquals(0, index.documentCount());
            assertEquals(List.of(), index.knn(new float[] {0, 0}, 5, 10, null));
        }
        try (ShardSearchIndex index = ShardSearchIndex.open(tmp.resolve("t"), textIndex())) {
            index.apply(1, List.of(created("a", stored("a", 1, "{\"title\":\"running\"}"))));
            index.apply(2, List.of(updated("a", 2, stored("a", 2, "{\"title\":42}"))));
            index.refresh();
            assertEquals(List.of(), index.text("run", 5, false));
        }
    }

    @Test
    void indexBuildsFromExistingDocumentsWithoutMovingTheSequenceNumber() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE))) {
            index.apply(4, List.of(vec("a", 0, 0)));
            List<StoredDocument> existing = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String id = "d" + i;
                existing.add(Docs.document(id, 1, vectorDoc(id, 1, "emb", new float[] {i, i})));
            }
            existing.add(Docs.document("x", 1, stored("x", 1, "{\"emb\":[1]}"))); // unfit: skipped
            index.index(existing);
            assertEquals(4, index.appliedSeq());
            index.refresh();
            assertEquals(51, index.documentCount());
            assertEquals(List.of("d7", "d8", "d6"), ids(index.knn(new float[] {7.1f, 7.1f}, 3, 10, null)));
            index.commit();
            assertEquals(4, index.committedSeq());
        }
    }

    @Test
    void deleteRemovesTheIndexFiles() {
        Path dir = tmp.resolve("i");
        IndexDefinition def = vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE);
        try (ShardSearchIndex index = ShardSearchIndex.open(dir, def)) {
            index.apply(1, List.of(vec("a", 0, 0)));
            index.commit();
        }
        assertTrue(Files.isDirectory(dir));
        ShardSearchIndex.delete(dir);
        assertFalse(Files.exists(dir));
        ShardSearchIndex.delete(dir); // nothing to delete: fine
        try (ShardSearchIndex index = ShardSearchIndex.open(dir, def)) {
            assertEquals(0, index.committedSeq());
            assertEquals(0, index.documentCount());
        }
    }

    @Test
    void refusesADirectoryThatHoldsAnotherIndex() {
        Path dir = tmp.resolve("i");
        try (ShardSearchIndex index =
                ShardSearchIndex.open(dir, vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE))) {
            index.apply(1, List.of(vec("a", 0, 0)));
            index.commit();
        }
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> ShardSearchIndex.open(dir, vectorIndex(3, Similarity.EUCLIDEAN, Quantization.NONE)));
        assertTrue(e.getMessage().contains("delete it"), e.getMessage());
        assertThrows(
                IllegalStateException.class,
                () -> ShardSearchIndex.open(
                        dir,
                        IndexDefinition.search(
                                "v",
                                99,
                                SearchSpec.vector("emb", 2, Similarity.EUCLIDEAN, 16, 100, Quantization.NONE))));
        // the same definition still opens (the failed opens released the directory's lock)
        try (ShardSearchIndex index =
                ShardSearchIndex.open(dir, vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE))) {
            assertEquals(1, index.committedSeq());
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryFails() {
        Path dir = tmp.resolve("i");
        IndexDefinition def = vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE);
        ShardSearchIndex first = ShardSearchIndex.open(dir, def);
        try {
            SearchIndexException e = assertThrows(SearchIndexException.class, () -> ShardSearchIndex.open(dir, def));
            assertTrue(e.getMessage().contains("cannot open"), e.getMessage());
        } finally {
            first.close();
        }
    }

    @Test
    void rejectsBadKnnQueries() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(3, Similarity.COSINE, Quantization.NONE))) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> index.knn(new float[] {1, 2}, 1, 10, null));
            assertEquals("the query vector has 2 numbers; index 'v' needs 3", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> index.knn(new float[] {1, Float.NaN, 2}, 1, 10, null));
            assertThrows(IllegalArgumentException.class, () -> index.knn(new float[] {0, 0, 0}, 1, 10, null));
            assertThrows(IllegalArgumentException.class, () -> index.knn(new float[] {1, 2, 3}, 0, 10, null));
            assertThrows(IllegalArgumentException.class, () -> index.text("x", 1, false));
        }
    }

    @Test
    void allowedIdsRestrictTheSearch() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE))) {
            List<DocumentChange> changes = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                changes.add(vec("d" + i, i, 0));
            }
            index.apply(1, changes);
            index.refresh();
            // small filter: exact; large filter: through the graph
            assertEquals(
                    List.of("d2999", "d0"), ids(index.knn(new float[] {3000, 0}, 2, 10, Set.of("d0", "d2999", "zz"))));
            Set<String> even = new HashSet<>();
            for (int i = 0; i < 3000; i += 2) {
                even.add("d" + i);
            }
            assertEquals(List.of("d100", "d102", "d98"), ids(index.knn(new float[] {100.5f, 0}, 3, 50, even)));
            assertEquals(List.of(), index.knn(new float[] {0, 0}, 3, 50, Set.of()));
            // a deleted document is never returned, also by the exact search
            index.apply(2, List.of(deleted("d0", 2)));
            index.refresh();
            assertEquals(List.of("d1"), ids(index.knn(new float[] {0, 0}, 2, 10, Set.of("d0", "d1"))));
        }
    }

    @Test
    void dotProductRanksVectorsOfAnyLengthByTheirDotProduct() {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(2, Similarity.DOT_PRODUCT, Quantization.NONE))) {
            index.apply(1, List.of(vec("long", 10, 0), vec("unit", 1, 0), vec("opposite", -3, 0)));
            index.refresh();
            List<ShardSearchIndex.Hit> hits = index.knn(new float[] {1, 0}, 3, 10, null);
            assertEquals(List.of("long", "unit", "opposite"), ids(hits));
            assertEquals(11f, hits.get(0).score(), 1e-5); // dot + 1
            assertEquals(1f / 4f, hits.get(2).score(), 1e-5); // 1 / (1 - dot)
        }
    }

    @Test
    void vectorsOf1536And3072DimensionsAreIndexedSearchedAndReopened() {
        for (int dimension : new int[] {1536, 3072}) {
            for (Quantization q : new Quantization[] {Quantization.NONE, Quantization.INT8}) {
                Path dir = tmp.resolve(dimension + "-" + q);
                IndexDefinition def = vectorIndex(dimension, Similarity.COSINE, q);
                Random random = new Random(dimension);
                List<float[]> vectors = new ArrayList<>();
                try (ShardSearchIndex index = ShardSearchIndex.open(dir, def)) {
                    List<DocumentChange> changes = new ArrayList<>();
                    for (int i = 0; i < 300; i++) {
                        float[] v = randomVector(random, dimension);
                        vectors.add(v);
                        changes.add(created("d" + i, vectorDoc("d" + i, 1, "emb", v)));
                    }
                    index.apply(1, changes);
                    index.commit();
                }
                try (ShardSearchIndex index = ShardSearchIndex.open(dir, def)) {
                    for (int i = 0; i < 300; i += 37) {
                        List<ShardSearchIndex.Hit> hits = index.knn(vectors.get(i), 1, 50, null);
                        assertEquals("d" + i, hits.get(0).id(), dimension + " " + q);
                        assertEquals(1f, hits.get(0).score(), 1e-4);
                    }
                }
            }
        }
    }

    private static float[] randomVector(Random random, int dimension) {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    @Test
    void int4AndBinaryQuantizationIndexAndSearchWithSmallerVectorFiles() {
        int dimension = 64;
        int n = 2000;
        Random random = new Random(42);
        float[][] centers = new float[20][];
        for (int c = 0; c < centers.length; c++) {
            centers[c] = randomVector(random, dimension);
        }
        float[][] data = new float[n][];
        for (int i = 0; i < n; i++) {
            float[] center = centers[random.nextInt(centers.length)];
            data[i] = new float[dimension];
            for (int d = 0; d < dimension; d++) {
                data[i][d] = center[d] + 0.3f * (float) random.nextGaussian();
            }
        }
        Map<Quantization, Long> quantizedBytes = new java.util.EnumMap<>(Quantization.class);
        for (Quantization q : Quantization.values()) {
            try (ShardSearchIndex index =
                    ShardSearchIndex.open(tmp.resolve(q.name()), vectorIndex(dimension, Similarity.EUCLIDEAN, q))) {
                List<DocumentChange> changes = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    changes.add(created("d" + i, vectorDoc("d" + i, 1, "emb", data[i])));
                }
                index.apply(1, changes);
                index.commit();
                index.refresh();
                Map<String, Long> files = index.fileBytes();
                long vec = files.getOrDefault("vec", 0L);
                long veq = files.getOrDefault("veq", 0L);
                System.out.printf("%s: files %s%n", q, files);
                assertTrue(vec >= (long) n * dimension * 4, "float vectors are kept: " + files);
                if (q == Quantization.NONE) {
                    assertEquals(0, veq, "no quantized file without quantization: " + files);
                } else {
                    assertTrue(veq > 0, "quantized vectors: " + files);
                    quantizedBytes.put(q, veq);
                }
                double recall = 0;
                int queries = 50;
                for (int qi = 0; qi < queries; qi++) {
                    float[] query = data[random.nextInt(n)].clone();
                    query[0] += 0.01f;
                    Set<String> truth = bruteForce(data, query, 10);
                    Set<String> got = new HashSet<>(ids(index.knn(query, 10, 100, null)));
                    got.retainAll(truth);
                    recall += got.size() / 10.0;
                }
                recall /= queries;
                System.out.printf("%s: recall@10 %.3f%n", q, recall);
                assertTrue(recall >= 0.9, q + " recall " + recall);
            }
        }
        long int8 = quantizedBytes.get(Quantization.INT8);
        long int4 = quantizedBytes.get(Quantization.INT4);
        long binary = quantizedBytes.get(Quantization.BINARY);
        assertTrue(int4 < int8 && binary < int4, "quantized sizes " + quantizedBytes);
    }

    private static Set<String> bruteForce(float[][] data, float[] query, int k) {
        Integer[] order = new Integer[data.length];
        double[] distance = new double[data.length];
        for (int i = 0; i < data.length; i++) {
            order[i] = i;
            double s = 0;
            for (int d = 0; d < query.length; d++) {
                double diff = data[i][d] - query[d];
                s += diff * diff;
            }
            distance[i] = s;
        }
        java.util.Arrays.sort(order, Comparator.comparingDouble(i -> distance[i]));
        return java.util.Arrays.stream(order).limit(k).map(i -> "d" + i).collect(Collectors.toSet());
    }

    @Test
    void searchesRunConcurrentlyWithWritesAndRefreshes() throws Exception {
        try (ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(4, Similarity.EUCLIDEAN, Quantization.NONE))) {
            AtomicBoolean done = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Integer>> searches = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    searches.add(pool.submit(() -> {
                        int n = 0;
                        Random r = new Random();
                        while (!done.get()) {
                            float[] q = {r.nextFloat(), r.nextFloat(), r.nextFloat(), r.nextFloat()};
                            List<ShardSearchIndex.Hit> hits = index.knn(q, 5, 20, null);
                            assertTrue(hits.size() <= 5);
                            n++;
                        }
                        return n;
                    }));
                }
                Random r = new Random(1);
                for (int seq = 1; seq <= 200; seq++) {
                    List<DocumentChange> changes = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        String id = "d" + r.nextInt(500);
                        changes.add(
                                r.nextInt(5) == 0
                                        ? deleted(id, 2)
                                        : vec(id, r.nextFloat(), r.nextFloat(), r.nextFloat(), r.nextFloat()));
                    }
                    index.apply(seq, changes);
                    if (seq % 10 == 0) {
                        index.refresh();
                    }
                }
                done.set(true);
                for (Future<Integer> f : searches) {
                    assertTrue(f.get(30, TimeUnit.SECONDS) > 0);
                }
            } finally {
                done.set(true);
                pool.shutdownNow();
            }
        }
    }

    @Test
    void theCodecIsLucenesDefaultSoIndexesReadWithoutIt() {
        SearchSpec spec = SearchSpec.vector("emb", 4, Similarity.COSINE, 16, 100, Quantization.INT8);
        assertEquals(Codec.getDefault().getName(), new SearchCodec(spec).getName());
    }

    @Test
    void closedIndexRefusesWork() {
        ShardSearchIndex index =
                ShardSearchIndex.open(tmp.resolve("i"), vectorIndex(2, Similarity.EUCLIDEAN, Quantization.NONE));
        index.close();
        index.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> index.apply(1, List.of(vec("a", 0, 0))));
        assertThrows(IllegalStateException.class, () -> index.knn(new float[] {0, 0}, 1, 10, null));
    }
}

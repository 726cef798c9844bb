package io.lumadb.bench.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vector section's data: seeded generation, brute-force truth, the file layout, recall. */
class VectorDataTest {

    @TempDir
    Path tmp;

    /** The exact top k by cosine in double precision, the slow and obvious way. */
    private static int[] naiveTop(VectorData d, int q) {
        double[] query = new double[d.dimension()];
        for (int i = 0; i < d.dimension(); i++) {
            query[i] = d.queries()[q * d.dimension() + i];
        }
        double[] score = new double[d.count()];
        for (int v = 0; v < d.count(); v++) {
            double dot = 0;
            double a = 0;
            double b = 0;
            for (int i = 0; i < d.dimension(); i++) {
                double x = d.vectors()[v * d.dimension() + i];
                dot += x * query[i];
                a += x * x;
                b += query[i] * query[i];
            }
            score[v] = dot / Math.sqrt(a * b);
        }
        return IntStream.range(0, d.count())
                .boxed()
                .sorted(Comparator.comparingDouble((Integer v) -> -score[v]))
                .limit(d.k())
                .mapToInt(Integer::intValue)
                .toArray();
    }

    @Test
    void theGroundTruthIsTheExactTopKByCosine() {
        VectorData d = VectorData.generate(7, 2_000, 30, 24, 8, 0.5, 10);
        int same = 0;
        for (int q = 0; q < d.queryCount(); q++) {
            int[] truth = Arrays.copyOfRange(d.truth(), q * 10, q * 10 + 10);
            int[] naive = naiveTop(d, q);
            // float and double sums may order two nearly equal scores differently: compare as sets
            // and demand most answers equal in order too
            assertEquals(
                    Arrays.stream(naive).sorted().boxed().toList(),
                    Arrays.stream(truth).sorted().boxed().toList(),
                    "query " + q);
            same += Arrays.equals(naive, truth) ? 1 : 0;
        }
        assertEquals(d.queryCount(), same, "the same order for every query");
    }

    @Test
    void theSameSeedGivesTheSameDataAndAnotherSeedOtherData() {
        VectorData a = VectorData.generate(42, 500, 5, 16, 4, 0.5, 10);
        VectorData b = VectorData.generate(42, 500, 5, 16, 4, 0.5, 10);
        VectorData c = VectorData.generate(43, 500, 5, 16, 4, 0.5, 10);
        assertArrayEquals(a.vectors(), b.vectors());
        assertArrayEquals(a.truth(), b.truth());
        assertNotEquals(Arrays.hashCode(a.vectors()), Arrays.hashCode(c.vectors()));
    }

    @Test
    void theVectorsAreClusteredNotUniformNoise() {
        // with sigma 0.1 around N(0,1) centers, a point's nearest neighbours are far closer than a random point
        VectorData d = VectorData.generate(3, 1_000, 20, 32, 5, 0.1, 10);
        float[] unit = VectorData.unit(d.vectors(), 32);
        float[] queries = VectorData.unit(d.queries(), 32);
        double nearest = 0;
        double random = 0;
        for (int q = 0; q < d.queryCount(); q++) {
            nearest += VectorData.dot(queries, q * 32, unit, d.truth()[q * 10 + 9] * 32, 32);
            random += VectorData.dot(queries, q * 32, unit, (q * 37) % d.count() * 32, 32);
        }
        double tenth = nearest / d.queryCount();
        assertEquals(1.0, tenth, 0.05, "the 10th neighbour is almost the same direction");
        org.junit.jupiter.api.Assertions.assertTrue(random / d.queryCount() < tenth - 0.2, "random " + random);
    }

    @Test
    void aFileRoundTripsAndABadOneIsRefused() throws IOException {
        VectorData d = VectorData.generate(11, 300, 7, 12, 3, 0.5, 10);
        Path file = tmp.resolve("v.bin");
        d.write(file);
        assertEquals(32 + 4L * ((300 + 7) * 12 + 7 * 10), Files.size(file));
        VectorData r = VectorData.read(file);
        assertEquals(12, r.dimension());
        assertEquals(300, r.count());
        assertEquals(7, r.queryCount());
        assertArrayEquals(d.vectors(), r.vectors());
        assertArrayEquals(d.queries(), r.queries());
        assertArrayEquals(d.truth(), r.truth());

        Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 100));
        assertThrows(IOException.class, () -> VectorData.read(file));
        Files.writeString(file, "not vectors at all, no magic header here");
        assertThrows(IOException.class, () -> VectorData.read(file));
    }

    @Test
    void recallCountsEachTrueNeighbourOnceAmongTheFirstK() {
        VectorData d = VectorData.generate(5, 100, 1, 8, 2, 0.5, 10);
        int[] truth = Arrays.copyOf(d.truth(), 10);
        assertEquals(1.0, d.recall(0, truth));
        int[] half = truth.clone();
        for (int i = 5; i < 10; i++) {
            half[i] = -1;
        }
        assertEquals(0.5, d.recall(0, half));
        int[] repeated = new int[10];
        Arrays.fill(repeated, truth[0]);
        assertEquals(0.1, d.recall(0, repeated), 1e-12);
        int[] longer = Arrays.copyOf(new int[] {-1, -1}, 12);
        System.arraycopy(truth, 0, longer, 2, 10);
        assertEquals(0.8, d.recall(0, longer), 1e-12, "only the first k count");
    }

    @Test
    void idsMapToIndexesAndBack() {
        assertEquals("d42", VectorData.id(42));
        assertEquals(42, VectorData.index("d42"));
        assertEquals(-1, VectorData.index("t42"));
        assertEquals(-1, VectorData.index("dx"));
        assertEquals(-1, VectorData.index("d"));
    }

    @Test
    void documentsCarryTheExactFloats() throws Exception {
        VectorData d = VectorData.generate(9, 20, 1, 6, 2, 0.5, 10);
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(d.documentJson("emb", 3));
        for (int i = 0; i < 6; i++) {
            assertEquals(d.vectors()[3 * 6 + i], (float) node.get("emb").get(i).doubleValue());
        }
    }
}

package io.lumadb.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {

    @Test
    void nearestRankOnOneToHundred() {
        long[] v = LongStream.rangeClosed(1, 100).toArray();
        assertEquals(1, Percentiles.of(v, v.length, 0));
        assertEquals(1, Percentiles.of(v, v.length, 1));
        assertEquals(50, Percentiles.of(v, v.length, 50));
        assertEquals(90, Percentiles.of(v, v.length, 90));
        assertEquals(99, Percentiles.of(v, v.length, 99));
        assertEquals(100, Percentiles.of(v, v.length, 99.9));
        assertEquals(100, Percentiles.of(v, v.length, 100));
    }

    @Test
    void floatingPointNoiseDoesNotShiftTheRank() {
        // 99.9 / 100 * 1000 is 999.0000000000001 in doubles; the rank must still be 999.
        long[] v = LongStream.rangeClosed(1, 1000).toArray();
        assertEquals(999, Percentiles.of(v, v.length, 99.9));
        assertEquals(990, Percentiles.of(v, v.length, 99));
        assertEquals(500, Percentiles.of(v, v.length, 50));
        assertEquals(1000, Percentiles.of(v, v.length, 99.95));
        long[] w = LongStream.rangeClosed(1, 10_000).toArray();
        assertEquals(9990, Percentiles.of(w, w.length, 99.9));
        assertEquals(9901, Percentiles.of(w, w.length, 99.001));
    }

    @Test
    void sortsThenUsesOnlyTheFirstN() {
        long[] v = LongStream.rangeClosed(1, 200).toArray();
        Random r = new Random(7);
        for (int i = v.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        long[] copy = v.clone();
        Percentiles.sort(copy, copy.length);
        assertEquals(100, Percentiles.of(copy, copy.length, 50));
        assertEquals(200, Percentiles.of(copy, copy.length, 100));
        long[] prefix = {5, 1, 3, 1_000_000, 1_000_000};
        Percentiles.sort(prefix, 3);
        assertEquals(5, Percentiles.of(prefix, 3, 100));
        assertEquals(3, Percentiles.of(prefix, 3, 50));
    }

    @Test
    void edgeCases() {
        assertEquals(-1, Percentiles.of(new long[0], 0, 50));
        assertEquals(42, Percentiles.of(new long[] {42}, 1, 0));
        assertEquals(42, Percentiles.of(new long[] {42}, 1, 99.9));
        assertEquals(7, Percentiles.of(new long[] {3, 7}, 2, 51));
        assertEquals(3, Percentiles.of(new long[] {3, 7}, 2, 50));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.of(new long[] {1}, 1, 100.1));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.of(new long[] {1}, 1, -1));
    }

    @Test
    void mergedLogsAreSortedAndComplete() {
        LatencyLog a = new LatencyLog(1);
        LatencyLog b = new LatencyLog(1);
        for (int i = 0; i < 1000; i++) {
            (i % 2 == 0 ? a : b).add(1000 - i); // grows past the initial capacity
        }
        long[] all = LatencyLog.mergeSorted(java.util.List.of(a, b));
        assertEquals(1000, all.length);
        for (int i = 0; i < all.length; i++) {
            assertEquals(i + 1, all[i]);
        }
    }
}

package io.lumadb.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void nearestRankOnOneToHundred() {
        long[] v = LongStream.rangeClosed(1, 100).toArray();
        assertEquals(1, Stats.percentile(v, v.length, 0));
        assertEquals(1, Stats.percentile(v, v.length, 1));
        assertEquals(50, Stats.percentile(v, v.length, 50));
        assertEquals(90, Stats.percentile(v, v.length, 90));
        assertEquals(99, Stats.percentile(v, v.length, 99));
        assertEquals(100, Stats.percentile(v, v.length, 99.9));
        assertEquals(100, Stats.percentile(v, v.length, 100));
    }

    @Test
    void floatingPointNoiseDoesNotShiftTheRank() {
        // 99.9 / 100 * 1000 is 999.0000000000001 in doubles; the rank must still be 999.
        long[] v = LongStream.rangeClosed(1, 1000).toArray();
        assertEquals(999, Stats.percentile(v, v.length, 99.9));
        assertEquals(990, Stats.percentile(v, v.length, 99));
        assertEquals(500, Stats.percentile(v, v.length, 50));
        assertEquals(1000, Stats.percentile(v, v.length, 99.95));
        long[] w = LongStream.rangeClosed(1, 10_000).toArray();
        assertEquals(9990, Stats.percentile(w, w.length, 99.9));
        assertEquals(9901, Stats.percentile(w, w.length, 99.001));
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
        Stats.sort(copy, copy.length);
        assertEquals(100, Stats.percentile(copy, copy.length, 50));
        assertEquals(200, Stats.percentile(copy, copy.length, 100));
        long[] prefix = {5, 1, 3, 1_000_000, 1_000_000};
        Stats.sort(prefix, 3);
        assertEquals(5, Stats.percentile(prefix, 3, 100));
        assertEquals(3, Stats.percentile(prefix, 3, 50));
    }

    @Test
    void edgeCases() {
        assertEquals(-1, Stats.percentile(new long[0], 0, 50));
        assertEquals(42, Stats.percentile(new long[] {42}, 1, 0));
        assertEquals(42, Stats.percentile(new long[] {42}, 1, 99.9));
        assertEquals(7, Stats.percentile(new long[] {3, 7}, 2, 51));
        assertEquals(3, Stats.percentile(new long[] {3, 7}, 2, 50));
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(new long[] {1}, 1, 100.1));
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(new long[] {1}, 1, -1));
    }

    @Test
    void medianIsTheMiddleValueOrTheMeanOfTheMiddleTwoAndIgnoresNaN() {
        assertEquals(2.0, Stats.median(java.util.List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, Stats.median(java.util.List.of(4.0, 1.0, 3.0, 2.0)));
        assertEquals(2.0, Stats.median(java.util.List.of(Double.NaN, 2.0)));
        assertEquals(Double.NaN, Stats.median(java.util.List.<Double>of()));
        assertEquals(20.0, Stats.median(java.util.List.of("a", "bb", "ccc"), s -> s.length() * 10.0));
    }
}

package io.lumadb.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.timeseries.WindowAggregator.Aggregate;
import io.lumadb.timeseries.WindowAggregator.Fill;
import io.lumadb.timeseries.WindowAggregator.Kind;
import io.lumadb.timeseries.WindowAggregator.Window;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Window aggregates against a brute-force evaluation written independently of the aggregator. */
class WindowAggregatorTest {

    private static final long S = 1_000_000_000L;
    private static final long M = 60 * S;
    private static final long H = 60 * M;

    private static final List<Aggregate> AGGREGATES = List.of(
            Aggregate.of(Kind.MEAN),
            Aggregate.of(Kind.SUM),
            Aggregate.of(Kind.MIN),
            Aggregate.of(Kind.MAX),
            Aggregate.of(Kind.COUNT),
            Aggregate.of(Kind.FIRST),
            Aggregate.of(Kind.LAST),
            Aggregate.percentile(0),
            Aggregate.percentile(25),
            Aggregate.percentile(50),
            Aggregate.percentile(90),
            Aggregate.percentile(99.9),
            Aggregate.percentile(100));

    private static final List<Fill> FILLS =
            List.of(Fill.NONE, Fill.NULL, Fill.PREVIOUS, Fill.LINEAR, new Fill.Constant(-1.5));

    private record Sample(long time, double value, int order) {}

    /** The aggregate of one window's non-NaN samples, straight from the definitions. */
    private static Double bruteAggregate(List<Sample> in, Aggregate agg) {
        List<Sample> xs = new ArrayList<>(
                in.stream().filter(s -> !Double.isNaN(s.value())).toList());
        if (xs.isEmpty()) {
            return null;
        }
        xs.sort(Comparator.comparingLong(Sample::time).thenComparingInt(Sample::order));
        double[] sorted = xs.stream().mapToDouble(Sample::value).sorted().toArray();
        int n = sorted.length;
        double sum = 0;
        for (Sample s : xs) {
            sum += s.value();
        }
        return switch (agg.kind()) {
            case MEAN -> sum / n;
            case SUM -> sum;
            case MIN -> sorted[0];
            case MAX -> sorted[n - 1];
            case COUNT -> (double) n;
            case FIRST -> xs.get(0).value();
            case LAST -> xs.get(n - 1).value();
            case PERCENTILE -> {
                int rank = (int) Math.floor(n * agg.percentile() / 100.0 + 0.5);
                yield sorted[Math.min(n, Math.max(1, rank)) - 1];
            }
        };
    }

    private static List<Window> brute(List<Sample> samples, long from, long to, long every, Aggregate agg, Fill fill) {
        List<Long> starts = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        for (long s = Math.floorDiv(from, every) * every; s < to; s += every) {
            long lo = Math.max(s, from);
            long hi = Math.min(s + every, to);
            List<Sample> in = samples.stream()
                    .filter(x -> x.time() >= lo && x.time() < hi)
                    .toList();
            starts.add(s);
            raw.add(bruteAggregate(in, agg));
        }
        List<Window> out = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            Double v = raw.get(i);
            if (v == null) {
                int p = i - 1;
                while (p >= 0 && raw.get(p) == null) {
                    p--;
                }
                int q = i + 1;
                while (q < raw.size() && raw.get(q) == null) {
                    q++;
                }
                if (fill instanceof Fill.None) {
                    continue;
                } else if (fill instanceof Fill.Previous) {
                    v = p >= 0 ? raw.get(p) : null;
                } else if (fill instanceof Fill.Linear) {
                    if (p >= 0 && q < raw.size()) {
                        double t0 = starts.get(p);
                        double t1 = starts.get(q);
                        v = raw.get(p) + (raw.get(q) - raw.get(p)) * (starts.get(i) - t0) / (t1 - t0);
                    }
                } else if (fill instanceof Fill.Constant c) {
                    v = c.value();
                }
            }
            out.add(new Window(starts.get(i), v));
        }
        return out;
    }

    private static void assertSameWindows(List<Window> expected, List<Window> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": number of windows");
        for (int i = 0; i < expected.size(); i++) {
            Window e = expected.get(i);
            Window a = actual.get(i);
            assertEquals(e.start(), a.start(), what + ": start of window " + i);
            if (e.value() == null || a.value() == null) {
                assertEquals(e.value(), a.value(), what + ": window " + i);
            } else {
                double tolerance = 1e-9 * Math.max(1, Math.abs(e.value()));
                assertEquals(e.value(), a.value(), tolerance, what + ": window " + i + " at " + e.start());
            }
        }
    }

    private static List<Sample> randomSamples(Random rnd, long from, long span, boolean distinctTimes, boolean nans) {
        int n = rnd.nextInt(400);
        // Clusters leave empty windows between them, so every fill policy has work to do.
        long cluster = from + (long) (rnd.nextDouble() * span);
        List<Sample> xs = new ArrayList<>();
        java.util.Set<Long> used = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            if (rnd.nextInt(20) == 0) {
                cluster = from - span / 10 + (long) (rnd.nextDouble() * span * 1.2);
            }
            long t = cluster + (long) (rnd.nextGaussian() * span / 50);
            if (rnd.nextInt(10) == 0 && !xs.isEmpty()) {
                t = xs.get(rnd.nextInt(xs.size())).time(); // duplicate timestamps
            }
            if (distinctTimes && !used.add(t)) {
                continue;
            }
            double v = nans && rnd.nextInt(30) == 0 ? Double.NaN : Math.round(rnd.nextGaussian() * 10000) / 100.0;
            xs.add(new Sample(t, v, xs.size()));
        }
        return xs;
    }

    @Test
    void windowAggregatesEqualABruteForceEvaluation() {
        Seeded.run("window aggregates vs brute force", rnd -> {
            long[] everies = {S, 10 * S, 7 * S, M, H};
            for (int round = 0; round < 20; round++) {
                long every = everies[rnd.nextInt(everies.length)];
                long from = (rnd.nextBoolean() ? 1_700_000_000L * S : -3 * H) + rnd.nextInt(1_000_000) * 997L;
                long to = from + every * (1 + rnd.nextInt(60)) + rnd.nextInt(1000);
                List<Sample> samples = randomSamples(rnd, from, to - from, false, true);
                long[] times = samples.stream().mapToLong(Sample::time).toArray();
                double[] values = samples.stream().mapToDouble(Sample::value).toArray();
                for (Aggregate agg : AGGREGATES) {
                    for (Fill fill : FILLS) {
                        List<Window> expected = brute(samples, from, to, every, agg, fill);
                        List<Window> actual = WindowAggregator.aggregate(times, values, from, to, every, agg, fill);
                        assertSameWindows(expected, actual, agg + " " + fill + " every " + every + " from " + from);
                    }
                }
            }
        });
    }

    @Test
    void blockAggregatesEqualABruteForceEvaluation() {
        Seeded.run("window aggregates over blocks vs brute force", rnd -> {
            for (int round = 0; round < 30; round++) {
                long every = rnd.nextBoolean() ? M : 10 * S;
                long from = 1_700_000_000L * S + rnd.nextInt(100_000) * 1_000_003L;
                long to = from + every * (1 + rnd.nextInt(40));
                List<Sample> samples = new ArrayList<>(randomSamples(rnd, from, to - from, true, rnd.nextBoolean()));
                samples.sort(Comparator.comparingLong(Sample::time));
                // Blocks of a few points each: many lie inside one window and answer from their header.
                List<TimeBlock> blocks = new ArrayList<>();
                for (int i = 0; i < samples.size(); ) {
                    int size = 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 50);
                    TimeBlock.Builder b = TimeBlock.builder();
                    for (int j = i; j < Math.min(samples.size(), i + size); j++) {
                        b.add(
                                samples.get(j).time(),
                                Map.of("v", FieldValue.of(samples.get(j).value())));
                    }
                    blocks.add(b.build());
                    i += size;
                }
                for (Aggregate agg : AGGREGATES) {
                    Fill fill = FILLS.get(rnd.nextInt(FILLS.size()));
                    List<Window> expected = brute(samples, from, to, every, agg, fill);
                    List<Window> actual = WindowAggregator.aggregate(blocks, "v", from, to, every, agg, fill);
                    assertSameWindows(expected, actual, agg + " " + fill + " over " + blocks.size() + " blocks");
                }
            }
        });
    }

    @Test
    void alignsWindowsToTheEpochAndAppliesEachFill() {
        long[] t = {10 * S, 20 * S, 200 * S, 250 * S};
        double[] v = {1, 3, 10, 20};
        // 1m windows over [0, 300 s): 0 and 180 hold points; 60 and 120 are empty; 240 holds one.
        List<Window> none = WindowAggregator.aggregate(t, v, 0, 300 * S, M, Aggregate.of(Kind.MEAN), Fill.NONE);
        assertEquals(List.of(new Window(0, 2.0), new Window(3 * M, 10.0), new Window(4 * M, 20.0)), none);
        List<Window> linear = WindowAggregator.aggregate(t, v, 0, 300 * S, M, Aggregate.of(Kind.MEAN), Fill.LINEAR);
        assertEquals(5, linear.size());
        assertEquals(new Window(M, 2 + 8.0 / 3), linear.get(1));
        assertEquals(new Window(2 * M, 2 + 16.0 / 3), linear.get(2));
        List<Window> prev = WindowAggregator.aggregate(t, v, 0, 300 * S, M, Aggregate.of(Kind.SUM), Fill.PREVIOUS);
        assertEquals(4.0, prev.get(1).value());
        assertEquals(4.0, prev.get(2).value());
        List<Window> nul = WindowAggregator.aggregate(t, v, 0, 300 * S, M, Aggregate.of(Kind.COUNT), Fill.NULL);
        assertNull(nul.get(1).value());
        List<Window> k = WindowAggregator.aggregate(t, v, 0, 300 * S, M, Aggregate.of(Kind.MAX), Fill.parse("0"));
        assertEquals(0.0, k.get(2).value());
        // A range starting mid-window reports that window at its epoch-aligned start.
        List<Window> mid = WindowAggregator.aggregate(t, v, 15 * S, 30 * S, M, Aggregate.of(Kind.COUNT), Fill.NULL);
        assertEquals(List.of(new Window(0, 1.0)), mid);
        // Before the epoch, windows still align: -30 s falls in the window starting at -60 s.
        List<Window> neg = WindowAggregator.aggregate(
                new long[] {-30 * S}, new double[] {5}, -90 * S, 0, M, Aggregate.of(Kind.LAST), Fill.NONE);
        assertEquals(List.of(new Window(-M, 5.0)), neg);
    }

    @Test
    void parsesDurationsAggregatesAndFills() {
        assertEquals(M, WindowAggregator.parseDuration("1m"));
        assertEquals(H, WindowAggregator.parseDuration("1h"));
        assertEquals(H + 30 * M, WindowAggregator.parseDuration("1h30m"));
        assertEquals(500_000_000L, WindowAggregator.parseDuration("500ms"));
        assertEquals(7 * 24 * H, WindowAggregator.parseDuration("1w"));
        for (String bad : List.of("", "m", "1", "1x", "0s", "-1m", "99999999999w")) {
            assertThrows(IllegalArgumentException.class, () -> WindowAggregator.parseDuration(bad), bad);
        }
        assertEquals(Aggregate.percentile(95), Aggregate.parse("p95"));
        assertEquals(Aggregate.percentile(99.9), Aggregate.parse("p99.9"));
        assertEquals(Aggregate.percentile(50), Aggregate.parse("median"));
        assertEquals(Aggregate.of(Kind.MEAN), Aggregate.parse("Mean"));
        assertThrows(IllegalArgumentException.class, () -> Aggregate.parse("p101"));
        assertThrows(IllegalArgumentException.class, () -> Aggregate.parse("avg"));
        assertEquals(Fill.LINEAR, Fill.parse("linear"));
        assertEquals(new Fill.Constant(2.5), Fill.parse("2.5"));
        assertThrows(IllegalArgumentException.class, () -> Fill.parse("zero"));
    }

    @Test
    void refusesBadRangesAndNonNumericFields() {
        long[] t = {1};
        double[] v = {1};
        Aggregate mean = Aggregate.of(Kind.MEAN);
        assertThrows(IllegalArgumentException.class, () -> WindowAggregator.aggregate(t, v, 5, 5, S, mean, Fill.NONE));
        assertThrows(IllegalArgumentException.class, () -> WindowAggregator.aggregate(t, v, 0, 5, 0, mean, Fill.NONE));
        IllegalArgumentException many = assertThrows(
                IllegalArgumentException.class,
                () -> WindowAggregator.aggregate(t, v, 0, 10_000_000 * S, S, mean, Fill.NULL));
        assertTrue(many.getMessage().contains("at most 1000000"), many.getMessage());
        TimeBlock strings =
                TimeBlock.builder().add(1, Map.of("s", FieldValue.of("x"))).build();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> WindowAggregator.aggregate(List.of(strings), "s", 0, 10, 5, mean, Fill.NONE));
        assertTrue(e.getMessage().contains("field 's' is STRING"), e.getMessage());
        // Integer fields aggregate as numbers; unsigned ones as unsigned.
        TimeBlock ints = TimeBlock.builder()
                .add(1, Map.of("i", FieldValue.ofInteger(-3), "u", FieldValue.ofUnsigned(-1L)))
                .add(2, Map.of("i", FieldValue.ofInteger(5), "u", FieldValue.ofUnsigned(1)))
                .build();
        assertEquals(
                List.of(new Window(0, 2.0)),
                WindowAggregator.aggregate(List.of(ints), "i", 0, 10, 10, Aggregate.of(Kind.SUM), Fill.NONE));
        assertEquals(
                List.of(new Window(0, 0x1p64)),
                WindowAggregator.aggregate(List.of(ints), "u", 0, 10, 10, Aggregate.of(Kind.MAX), Fill.NONE));
    }
}

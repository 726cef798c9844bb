package io.lumadb.timeseries.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.Seeded;
import io.lumadb.timeseries.VarBytes;
import io.lumadb.timeseries.WindowAggregator;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.PointError;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.WriteResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PointBatchFormatTest {

    private static final TimeSeriesSettings SETTINGS = new TimeSeriesSettings(3_600_000_000_000L, 60_000_000_000L);

    /** Random points of every field type, with strings that need no escaping here but would in line protocol. */
    private static List<Point> points(Random random, int n) {
        String[] words = {"a", "b c", "d,e", "f=g", "\"h\"", "ü", "日本", "x\\y"};
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Point.Tag> tags = new ArrayList<>();
            for (int t = 0; t < random.nextInt(4); t++) {
                tags.add(new Point.Tag("t" + t, words[random.nextInt(words.length)]));
            }
            Map<String, FieldValue> fields = new LinkedHashMap<>();
            fields.put("f", new FieldValue.FloatValue(floatValue(random)));
            if (random.nextBoolean()) {
                fields.put("i", new FieldValue.IntegerValue(random.nextLong()));
            }
            if (random.nextBoolean()) {
                fields.put("u", new FieldValue.UnsignedValue(random.nextLong()));
            }
            if (random.nextBoolean()) {
                fields.put("b", new FieldValue.BooleanValue(random.nextBoolean()));
            }
            if (random.nextBoolean()) {
                fields.put("s", new FieldValue.StringValue(words[random.nextInt(words.length)]));
            }
            long time = random.nextInt(10) == 0 ? random.nextLong() : 1_733_000_000_000_000_000L + random.nextInt();
            points.add(new Point(random.nextBoolean() ? "cpu" : "mem", tags, fields, time));
        }
        return points;
    }

    /** Floats of every kind a batch writes differently: decimals of 0 to 7 digits, and others. */
    private static double floatValue(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> random.nextGaussian();
            case 1 -> -0.0;
            case 2 -> Math.round(random.nextGaussian() * 1000) / 10.0;
            case 3 -> random.nextLong(-1_000_000_000L, 1_000_000_000L) / Math.pow(10, random.nextInt(8));
            case 4 -> (double) random.nextLong();
            case 5 ->
                new double[] {
                            Double.NaN,
                            Double.POSITIVE_INFINITY,
                            Double.NEGATIVE_INFINITY,
                            Double.MIN_VALUE,
                            Double.MAX_VALUE,
                            0.0,
                            0x1p53,
                            -0x1p53 - 2,
                            1e-7,
                            0.1 + 0.2,
                            123456.789012
                        }
                        [random.nextInt(11)];
            case 6 -> Double.longBitsToDouble(random.nextLong());
            default -> random.nextInt(-1000, 1000);
        };
    }

    @Test
    void decimalFloatsTakeAFewBytesAndReadBackWithTheirExactBits() {
        Seeded.run("decimal floats", random -> {
            for (int round = 0; round < 20_000; round++) {
                double v = floatValue(random);
                Point p = new Point("m", List.of(), Map.of("f", new FieldValue.FloatValue(v)), 1L);
                byte[] bytes = PointBatchFormat.encode(SETTINGS, 0, List.of(p));
                FieldValue back = PointBatchFormat.decode(bytes)
                        .points()
                        .getFirst()
                        .fields()
                        .get("f");
                PointBatchFormat.check(bytes);
                assertEquals(
                        Double.doubleToRawLongBits(v),
                        Double.doubleToRawLongBits(((FieldValue.FloatValue) back).value()),
                        () -> "bits of " + v);
            }
        });
        // A reading with one decimal: its float takes 3 bytes (type, zigzag varint) instead of 9.
        List<Point> readings = new ArrayList<>();
        List<Point> noise = new ArrayList<>();
        Random random = new Random(3);
        for (int i = 0; i < 1000; i++) {
            readings.add(new Point("cpu", List.of(), Map.of("u", new FieldValue.FloatValue(i % 1000 / 10.0)), i));
            noise.add(new Point("cpu", List.of(), Map.of("u", new FieldValue.FloatValue(random.nextDouble())), i));
        }
        int decimal = PointBatchFormat.encode(SETTINGS, 0, readings).length;
        int raw = PointBatchFormat.encode(SETTINGS, 0, noise).length;
        assertTrue(decimal < 1000 * 7, "1,000 readings of one decimal take " + decimal + " bytes");
        assertTrue(raw - decimal >= 1000 * 6 - 100, "raw floats " + raw + " bytes against decimals " + decimal);
    }

    @Test
    void versionTwoBatchesStillRead() {
        // Version 2 wrote every float as its 8 bytes, which version 3 still does for a float
        // that is no decimal: such a batch with version 2 in its header is a version 2 batch.
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            points.add(new Point(
                    "cpu",
                    List.of(new Point.Tag("host", "h" + i % 3)),
                    Map.of("pi", new FieldValue.FloatValue(Math.PI * (i + 1)), "n", new FieldValue.IntegerValue(i)),
                    1_733_000_000_000_000_000L + i));
        }
        byte[] v2 = PointBatchFormat.encode(SETTINGS, 5, points);
        assertEquals(3, v2[2]);
        v2[2] = 2;
        PointBatchFormat.check(v2);
        assertEquals(points, PointBatchFormat.decode(v2).points());
    }

    @Test
    void batchesRoundTripExactlyInOrder() {
        Seeded.run("point batch round trip", random -> {
            for (int round = 0; round < 200; round++) {
                List<Point> points = points(random, random.nextInt(50));
                long retention = random.nextBoolean() ? 0 : random.nextLong(1, Long.MAX_VALUE);
                PointBatchFormat.Batch batch =
                        PointBatchFormat.decode(PointBatchFormat.encode(SETTINGS, retention, points));
                assertEquals(SETTINGS, batch.settings());
                assertEquals(retention, batch.retention());
                assertEquals(points, batch.points());
            }
        });
    }

    @Test
    void aSeriesAndAStringAreWrittenOncePerBatch() {
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            points.add(new Point(
                    "cpu",
                    List.of(new Point.Tag("hostname", "host_17"), new Point.Tag("region", "eu-west-1")),
                    Map.of("usage_user", new FieldValue.FloatValue(i * 0.5)),
                    1_733_000_000_000_000_000L + i * 10_000_000_000L));
        }
        int size = PointBatchFormat.encode(SETTINGS, 0, points).length;
        // 8 bytes of float, a series id, a time delta, a field count, a name and a type per point.
        assertTrue(size < 1000 * 18, "a batch of one series takes " + size + " bytes");
    }

    @Test
    void refusesWhatIsNotABatch() {
        byte[] good = PointBatchFormat.encode(SETTINGS, 0, points(new Random(1), 20));
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            assertThrows(IllegalArgumentException.class, () -> PointBatchFormat.decode(truncated), "cut at " + cut);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThrows(IllegalArgumentException.class, () -> PointBatchFormat.decode(longer));
        byte[] otherVersion = good.clone();
        otherVersion[2] = 4;
        assertThrows(IllegalArgumentException.class, () -> PointBatchFormat.decode(otherVersion));
    }

    /** What {@code decode} throws for {@code bytes} (its message), or null when it reads them. */
    private static String decodeFailure(byte[] bytes) {
        try {
            PointBatchFormat.decode(bytes);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static String checkFailure(byte[] bytes) {
        try {
            PointBatchFormat.check(bytes);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    @Test
    void checkAcceptsAndRefusesExactlyWhatDecodeDoesWithTheSameMessage() {
        Seeded.run("point batch check against decode", random -> {
            int refused = 0;
            for (int round = 0; round < 3000; round++) {
                List<DownsamplingRule> rules = random.nextBoolean()
                        ? List.of()
                        : List.of(
                                new DownsamplingRule(60_000_000_000L, 0, DownsamplingRule.KEEPABLE),
                                new DownsamplingRule(
                                        3_600_000_000_000L,
                                        7_200_000_000_000L,
                                        java.util.EnumSet.of(WindowAggregator.Kind.MAX)));
                byte[] bytes = PointBatchFormat.encode(SETTINGS, 0, rules, points(random, random.nextInt(1, 12)));
                // Damage a few bytes, cut the batch or lengthen it; some damage leaves a valid batch.
                switch (random.nextInt(4)) {
                    case 0 -> bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length));
                    case 1 -> bytes = Arrays.copyOf(bytes, bytes.length + 1 + random.nextInt(3));
                    default -> {
                        for (int k = random.nextInt(1, 4); k > 0; k--) {
                            int at = 3 + random.nextInt(bytes.length - 3);
                            bytes[at] = random.nextInt(3) == 0 ? 0 : (byte) random.nextInt(256);
                        }
                    }
                }
                String expected = decodeFailure(bytes);
                assertEquals(expected, checkFailure(bytes), "batch " + Arrays.toString(bytes));
                refused += expected == null ? 0 : 1;
            }
            assertTrue(refused > 1000, "only " + refused + " damaged batches were refused");
        });
    }

    @Test
    void checkRefusesPointsThatAreNotPointsLikeDecode() {
        // Handmade batches: strings, series (measurement, tags as key/value pairs) and points
        // (series, fields as name indexes with a float each).
        List<byte[]> bad = List.of(
                batch(List.of("", "f"), new int[][] {{0}}, new int[][] {{0, 1}}),
                batch(List.of("cpu", "f", ""), new int[][] {{0, 2, 1}}, new int[][] {{0, 1}}),
                batch(List.of("cpu", "f", ""), new int[][] {{0, 1, 2}}, new int[][] {{0, 1}}),
                batch(List.of("cpu", "f", "k", "v", "w"), new int[][] {{0, 2, 3, 2, 4}}, new int[][] {{0, 1}}),
                batch(List.of("cpu", "f"), new int[][] {{0}}, new int[][] {{0}}),
                batch(List.of("cpu", "f", ""), new int[][] {{0}}, new int[][] {{0, 1, 2}}),
                batch(List.of("cpu", "f"), new int[][] {{0}}, new int[][] {{1, 1}}),
                batch(List.of("cpu", "f"), new int[][] {{0}}, new int[][] {{0, 7}}),
                // two malformed keys that decode to the same string (U+FFFD)
                batch(List.of("cpu", "f", "<FF>", "<FE>", "v"), new int[][] {{0, 2, 4, 3, 4}}, new int[][] {{0, 1}}));
        for (byte[] b : bad) {
            String expected = decodeFailure(b);
            assertTrue(expected != null, "decode refuses " + Arrays.toString(b));
            assertEquals(expected, checkFailure(b));
        }
        byte[] good = batch(List.of("cpu", "f", "k", "v"), new int[][] {{0, 2, 3}}, new int[][] {{0, 1, 1}});
        assertEquals(null, decodeFailure(good));
        PointBatchFormat.check(good);
    }

    @Test
    void aFieldNamedTwiceInABatchKeepsItsLastValue() {
        PointBatchFormat.Builder out = new PointBatchFormat.Builder(SETTINGS, 0);
        int series = out.series("cpu", List.of(new Point.Tag("host", "a")));
        int f = out.string("f");
        int g = out.string("g");
        out.point(series, 1_000, 3);
        out.field(f, io.lumadb.timeseries.FieldType.FLOAT, Double.doubleToRawLongBits(1.0));
        out.field(g, io.lumadb.timeseries.FieldType.INTEGER, 7);
        out.field(f, io.lumadb.timeseries.FieldType.FLOAT, Double.doubleToRawLongBits(2.0));
        byte[] batch = out.toByteArray();
        PointBatchFormat.check(batch);
        assertEquals(
                List.of(new Point(
                        "cpu",
                        List.of(new Point.Tag("host", "a")),
                        Map.of("f", new FieldValue.FloatValue(2.0), "g", new FieldValue.IntegerValue(7)),
                        1_000)),
                PointBatchFormat.decode(batch).points());
    }

    /**
     * A batch written by hand. A string {@code "<FF>"} or {@code "<FE>"} is written as
     * the single byte 0xFF or 0xFE (not UTF-8).
     */
    private static byte[] batch(List<String> strings, int[][] series, int[][] points) {
        VarBytes.Writer out = new VarBytes.Writer(64);
        out.u8(0x54);
        out.u8(0x31);
        out.varint(1);
        out.int64(SETTINGS.blockDuration());
        out.int64(SETTINGS.lateness());
        out.int64(0);
        out.varint(strings.size());
        for (String s : strings) {
            byte[] b =
                    switch (s) {
                        case "<FF>" -> new byte[] {(byte) 0xFF};
                        case "<FE>" -> new byte[] {(byte) 0xFE};
                        default -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    };
            out.varint(b.length);
            out.bytes(b);
        }
        out.varint(series.length);
        for (int[] s : series) {
            out.varint(s[0]);
            out.varint((s.length - 1) / 2);
            for (int i = 1; i < s.length; i++) {
                out.varint(s[i]);
            }
        }
        out.varint(points.length);
        for (int[] p : points) {
            out.varint(p[0]);
            out.zigzag(1_733_000_000_000_000_000L);
            out.varint(p.length - 1);
            for (int i = 1; i < p.length; i++) {
                out.varint(p[i]);
                out.u8(1);
                out.f64(1.5);
            }
        }
        return out.toByteArray();
    }

    @Test
    void rulesTravelWithTheBatchAndVersionOneStillReads() {
        List<Point> points = points(new Random(2), 30);
        List<DownsamplingRule> rules = List.of(
                new DownsamplingRule(60_000_000_000L, 0, DownsamplingRule.KEEPABLE),
                new DownsamplingRule(
                        3_600_000_000_000L,
                        86_400_000_000_000L,
                        java.util.EnumSet.of(WindowAggregator.Kind.MEAN, WindowAggregator.Kind.LAST)));
        PointBatchFormat.Batch batch = PointBatchFormat.decode(PointBatchFormat.encode(SETTINGS, 7, rules, points));
        assertEquals(rules, batch.rules());
        assertEquals(points, batch.points());
        assertEquals(7, batch.retention());
        // A journal written before rules existed: version 1, no rule count after the retention.
        byte[] v2 = PointBatchFormat.encode(SETTINGS, 7, points);
        int rulesAt = 3 + 3 * 8;
        assertEquals(0, v2[rulesAt], "no rules: one zero varint");
        byte[] v1 = new byte[v2.length - 1];
        System.arraycopy(v2, 0, v1, 0, rulesAt);
        System.arraycopy(v2, rulesAt + 1, v1, rulesAt, v2.length - rulesAt - 1);
        v1[2] = 1;
        PointBatchFormat.check(v1);
        PointBatchFormat.Batch old = PointBatchFormat.decode(v1);
        assertEquals(points, old.points());
        assertEquals(List.of(), old.rules());
        // A rule that names no aggregate is not a rule.
        byte[] bad = PointBatchFormat.encode(SETTINGS, 7, rules.subList(0, 1), points);
        int mask = rulesAt + 1 + 16;
        bad[mask] = 0;
        assertThrows(IllegalArgumentException.class, () -> PointBatchFormat.decode(bad));
        assertThrows(IllegalArgumentException.class, () -> PointBatchFormat.check(bad));
    }

    @Test
    void answersOfLargeBatchesRoundTrip() {
        // An answer without errors is two bytes, whatever the number of points it counts.
        for (int stored : new int[] {0, 17, 18, 1000, 5_000_000}) {
            WriteResult result = new WriteResult(true, stored, List.of(), 0);
            assertEquals(
                    stored,
                    PointBatchFormat.readAnswer(PointBatchFormat.answer(result)).stored());
        }
        WriteResult late = new WriteResult(
                true,
                99_998,
                List.of(new PointError(99_998, PointError.Kind.BEFORE_RETENTION, null, null, null, "x")),
                0);
        assertEquals(
                99_998,
                PointBatchFormat.readAnswer(PointBatchFormat.answer(late))
                        .errors()
                        .getFirst()
                        .position());
    }

    @Test
    void answersRoundTrip() {
        WriteResult result = new WriteResult(
                true,
                3,
                List.of(new PointError(4, PointError.Kind.BEFORE_RETENTION, null, null, null, "too old: ü")),
                0);
        PointBatchFormat.Answer answer = PointBatchFormat.readAnswer(PointBatchFormat.answer(result));
        assertEquals(3, answer.stored());
        assertEquals(List.of(new PointBatchFormat.Error(4, "too old: ü")), answer.errors());
    }

    @Test
    void aTruncatedAnswerIsRefused() {
        byte[] whole = PointBatchFormat.answer(new WriteResult(
                true, 3, List.of(new PointError(1, PointError.Kind.BEFORE_RETENTION, null, null, null, "too old")), 0));
        byte[] cut = Arrays.copyOf(whole, whole.length - 2);
        assertThrows(RuntimeException.class, () -> PointBatchFormat.readAnswer(cut));
    }
}

package io.lumadb.timeseries.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.Seeded;
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
            fields.put("f", new FieldValue.FloatValue(random.nextBoolean() ? random.nextGaussian() : -0.0));
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
        otherVersion[2] = 3;
        assertThrows(IllegalArgumentException.class, () -> PointBatchFormat.decode(otherVersion));
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
        PointBatchFormat.Batch old = PointBatchFormat.decode(v1);
        assertEquals(points, old.points());
        assertEquals(List.of(), old.rules());
        // A rule that names no aggregate is not a rule.
        byte[] bad = PointBatchFormat.encode(SETTINGS, 7, rules.subList(0, 1), points);
        int mask = rulesAt + 1 + 16;
        bad[mask] = 0;
        assertThrows(IllegalArgumentException.class, () -> PointBatchFormat.decode(bad));
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

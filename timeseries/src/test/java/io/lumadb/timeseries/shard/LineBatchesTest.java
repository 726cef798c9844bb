package io.lumadb.timeseries.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.lumadb.timeseries.LineProtocol;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.Precision;
import io.lumadb.timeseries.Seeded;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The ingest path's batches, encoded while a body is parsed, hold what parsing the body into
 * points, routing each to its series' shard and encoding each shard's points held before.
 */
class LineBatchesTest {

    private static final long NOW = 1_700_000_000_123_456_789L;
    /** With downsampling rules, which every batch must carry to the shards. */
    private static final TimeSeriesOptions OPTIONS = TimeSeriesOptions.parse(
            io.lumadb.shards.model.DocumentJson.mapper()
                    .createObjectNode()
                    .set(
                            "downsampling",
                            io.lumadb.shards.model.DocumentJson.mapper()
                                    .createArrayNode()
                                    .add(io.lumadb.shards.model.DocumentJson.mapper()
                                            .createObjectNode()
                                            .put("every", "1m"))),
            "cpu",
            "/timeseries");

    private static String body(Random r) {
        String[] hosts = {"host_0", "host_1", "host_2", "host 3", "host,4", "ü"};
        StringBuilder sb = new StringBuilder();
        int lines = 1 + r.nextInt(200);
        for (int i = 0; i < lines; i++) {
            switch (r.nextInt(25)) {
                case 0 -> sb.append("bad line");
                case 1 -> sb.append("# comment");
                case 2 ->
                    sb.append("cpu,host=h usage=\"s\",n=1i,u=2u,b=t,usage=3 ").append(NOW);
                default -> {
                    String host =
                            hosts[r.nextInt(hosts.length)].replace(" ", "\\ ").replace(",", "\\,");
                    // tags in either order: the same series
                    sb.append(r.nextBoolean() ? "cpu,host=" + host + ",dc=eu" : "cpu,dc=eu,host=" + host);
                    sb.append(r.nextInt(5) == 0 ? " usage_user=" : " usage_user=")
                            .append(r.nextInt(1000) / 10.0)
                            .append(",usage_system=")
                            .append(r.nextInt(100))
                            .append(r.nextInt(7) == 0 ? "i" : "");
                    if (r.nextInt(3) > 0) {
                        sb.append(' ').append(1_451_606_400_000_000_000L + r.nextInt(1_000_000));
                    }
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Test
    void batchesHoldWhatParsingRoutingAndEncodingPointsGave() {
        Seeded.run("line batches against points", random -> {
            for (int round = 0; round < 300; round++) {
                byte[] body = body(random).getBytes(StandardCharsets.UTF_8);
                int shards = 1 + random.nextInt(5);
                LineProtocol.ParseResult parsed = LineProtocol.parse(body, Precision.NANOSECONDS, NOW);
                TimeSeriesWrites.LineBatches lines = new TimeSeriesWrites.LineBatches(shards, OPTIONS);
                LineProtocol.parse(body, Precision.NANOSECONDS, NOW, lines);

                assertEquals(parsed.errors(), lines.errors());
                assertEquals(parsed.points().size(), lines.points());
                for (int i = 0; i < lines.points(); i++) {
                    assertEquals(parsed.line(i), lines.line(i));
                }
                for (int n = 0; n < shards; n++) {
                    List<Point> expected = new ArrayList<>();
                    List<Integer> expectedPositions = new ArrayList<>();
                    for (int i = 0; i < parsed.points().size(); i++) {
                        if (TimeSeriesWrites.shardOf(parsed.points().get(i), shards) == n) {
                            expected.add(parsed.points().get(i));
                            expectedPositions.add(i);
                        }
                    }
                    byte[] batch = lines.batch(n);
                    if (expected.isEmpty()) {
                        assertNull(batch);
                        continue;
                    }
                    PointBatchFormat.check(batch);
                    PointBatchFormat.Batch decoded = PointBatchFormat.decode(batch);
                    assertEquals(OPTIONS.settings(), decoded.settings());
                    assertEquals(OPTIONS.retention(), decoded.retention());
                    assertEquals(OPTIONS.downsampling(), decoded.rules());
                    assertEquals(expected, decoded.points());
                    assertEquals(
                            expectedPositions,
                            java.util.Arrays.stream(lines.positions(n)).boxed().toList());
                    // A series is written once per batch: its points share one tag list.
                    for (int i = 1; i < decoded.points().size(); i++) {
                        Point a = decoded.points().get(i - 1);
                        Point b = decoded.points().get(i);
                        if (a.tags().equals(b.tags())) {
                            assertSame(a.tags(), b.tags());
                        }
                    }
                }
            }
        });
    }
}

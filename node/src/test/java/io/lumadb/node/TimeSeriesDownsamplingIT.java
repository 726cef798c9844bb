package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import io.lumadb.timeseries.query.TsTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Continuous downsampling on a real node: the shards' projections follow the journal, aggregate
 * queries are answered from the rolled-up windows (the answer says which) and equal the values
 * computed here from the points sent; a late point written just before a {@code kill -9} is in
 * its window once the restarted node's projection resumes, and no point is counted twice.
 */
@Timeout(180)
class TimeSeriesDownsamplingIT {

    private static final long MIN = TimeUnit.MINUTES.toNanos(1);
    /** 2026-11-01T00:00:00Z. */
    private static final long BASE = 1_793_491_200L * TimeUnit.SECONDS.toNanos(1);

    @Test
    void queriesUseRolledUpWindowsAcrossAKill9() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-ts-downsampling");
        NodeProcess node = NodeProcess.builder(dir).build();
        try {
            node.start();
            run(node);
        } finally {
            try {
                node.close();
            } finally {
                TestFiles.deleteRecursively(dir);
            }
        }
    }

    /** Per host and window start: count, sum, max of the points sent. */
    private final Map<String, TreeMap<Long, double[]>> expected = new HashMap<>();

    private void sent(String host, long t, double v, long window) {
        double[] a = expected.computeIfAbsent(host + "/" + window, x -> new TreeMap<>())
                .computeIfAbsent(Math.floorDiv(t, window) * window, x -> new double[] {0, 0, Double.NEGATIVE_INFINITY});
        a[0]++;
        a[1] += v;
        a[2] = Math.max(a[2], v);
    }

    private void write(TestHttp http, StringBuilder lines) {
        TestHttp.Response r =
                http.method("POST", "/api/v2/write?bucket=ds/cpu&precision=ns", "text/plain", lines.toString());
        assertEquals(204, r.status(), r.toString());
        lines.setLength(0);
    }

    private void point(StringBuilder lines, String host, long t, double v) {
        lines.append("cpu,host=")
                .append(host)
                .append(" v=")
                .append(v)
                .append(' ')
                .append(t)
                .append('\n');
        sent(host, t, v, 10 * MIN);
        sent(host, t, v, MIN);
    }

    private void run(NodeProcess node) throws Exception {
        TestHttp http = new TestHttp(node.port());
        assertEquals(201, http.method("PUT", "/api/v1/ds", null, null).status());
        // Percentiles cannot be rolled up: refused with the member's pointer.
        TestHttp.Response bad = http.put(
                "/api/v1/ds/bad",
                "{\"kind\":\"timeseries\",\"timeseries\":{\"downsampling\":[{\"every\":\"1m\",\"aggregates\":[\"p95\"]}]}}");
        assertEquals(400, bad.status(), bad.toString());
        assertTrue(bad.body().contains("/timeseries/downsampling/0/aggregates/0"), bad.toString());
        assertEquals(
                201,
                http.put(
                                "/api/v1/ds/cpu",
                                "{\"kind\":\"timeseries\",\"shards\":2,\"timeseries\":{\"lateness\":\"1m\","
                                        + "\"downsampling\":[{\"every\":\"1m\"},"
                                        + "{\"every\":\"10m\",\"aggregates\":[\"mean\",\"max\",\"count\"]}]}}")
                        .status());
        JsonNode created = http.get("/api/v1/ds/cpu").json();
        assertTrue(created.toString().contains("\"every\":\"10m\""), created.toString());

        // An hour of three hosts every 10 s, in six writes, then a point that closes the hour's windows.
        Random rnd = new Random(22);
        StringBuilder lines = new StringBuilder();
        for (int part = 0; part < 6; part++) {
            for (long t = BASE + part * 10 * MIN; t < BASE + (part + 1) * 10 * MIN; t += 10_000_000_000L) {
                for (String host : new String[] {"a", "b", "c"}) {
                    point(lines, host, t, rnd.nextInt(1000) / 4.0);
                }
            }
            write(http, lines);
        }
        lines.append("cpu,host=a v=0 ").append(BASE + 3 * 60 * MIN).append('\n');
        write(http, lines);

        check(http, "10m", "[\"mean\",\"max\",\"count\"]");
        check(http, "1m", "[\"count\",\"sum\",\"max\"]");

        // A late point into a closed window, acknowledged, then the node is killed.
        point(lines, "b", BASE + 5 * MIN + 1, 999.0);
        write(http, lines);
        node.kill9();
        node.start();
        http = new TestHttp(node.port());
        check(http, "10m", "[\"mean\",\"max\",\"count\"]");
        check(http, "1m", "[\"count\",\"sum\",\"max\"]");
        // Caught up, the projections' lag reads 0 once the node has sampled it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String metrics = "";
        while (System.nanoTime() < deadline) {
            metrics = http.get("/metrics").body();
            if (metrics.contains("lumadb_timeseries_downsampling_lag 0.0")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no downsampling lag of 0 in /metrics: "
                + metrics.lines().filter(l -> l.contains("downsampling")).toList());
    }

    /** The hour's windows answered from the rolled-up windows of {@code every}, equal to what was sent. */
    private void check(TestHttp http, String every, String aggregates) throws Exception {
        long window = every.equals("10m") ? 10 * MIN : MIN;
        String query = "{\"from\":\"" + TsTime.format(BASE) + "\",\"to\":\"" + TsTime.format(BASE + 60 * MIN)
                + "\",\"fields\":[\"v\"],\"groupBy\":[\"host\"],\"window\":\"" + every + "\",\"aggregates\":"
                + aggregates + "}";
        JsonNode answer = null;
        String mismatch = null;
        // The projections run beside the writes: poll until they have caught up.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            TestHttp.Response r = http.method("POST", "/api/v1/ds/cpu/_tsquery", "application/json", query);
            assertEquals(200, r.status(), r.toString());
            answer = r.json();
            mismatch = mismatch(answer, every, window);
            if (mismatch == null) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(mismatch + " in " + answer);
    }

    private String mismatch(JsonNode answer, String every, long window) {
        if (!answer.path("downsampled").asText().equals(every)) {
            return "not answered from the " + every + " windows";
        }
        if (answer.path("groups").size() != 3) {
            return "not three hosts";
        }
        for (JsonNode group : answer.path("groups")) {
            String host = group.at("/tags/host").asText();
            TreeMap<Long, double[]> want = expected.get(host + "/" + window);
            JsonNode rows = group.path("rows");
            if (rows.size() != want.headMap(BASE + 60 * MIN).size()) {
                return host + " has " + rows.size() + " windows";
            }
            for (JsonNode row : rows) {
                java.time.Instant at = java.time.Instant.parse(row.path("time").asText());
                double[] w = want.get(at.getEpochSecond() * 1_000_000_000L + at.getNano());
                JsonNode v = row.path("v");
                if (w == null
                        || v.path("count").asLong() != (long) w[0]
                        || v.path("max").asDouble() != w[2]) {
                    return host + " at " + row.path("time").asText() + ": " + v;
                }
                if (v.has("mean") && Math.abs(v.path("mean").asDouble() - w[1] / w[0]) > 1e-9) {
                    return host + " mean at " + row.path("time").asText() + ": " + v;
                }
                if (v.has("sum") && Math.abs(v.path("sum").asDouble() - w[1]) > 1e-6) {
                    return host + " sum at " + row.path("time").asText() + ": " + v;
                }
            }
        }
        return null;
    }
}

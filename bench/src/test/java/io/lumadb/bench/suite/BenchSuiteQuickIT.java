package io.lumadb.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.testkit.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The suite's quick mode end to end, so that the suite cannot rot: one command produces the
 * report, the JSON and the chart, with all three systems and all six workloads and the load,
 * the HTTP ceiling, the query benchmark (both queries, each by LumaDB's
 * index, LumaDB's full scan and PostgreSQL, on the plans they claim) and the change-stream
 * fan-out (LumaDB and the reference, every delivery checked), the vector section (kNN recall
 * against brute force in-process and over HTTP, 8-bit quantization, BM25 scores equal to Lucene's,
 * and the usearch reference or the reason it is unavailable), the import section (20,000
 * documents by lumadb import and by COPY, both counts checked), the timeseries section (7,200 TSBS cpu
 * rows into QuestDB, and into LumaDB once it has time-series collections, counts and the hourly
 * aggregate checked against the generator's; about 25 s), and no failed operation anywhere
 * (the runners fail on any error). It checks presence and correctness, never speed, so it runs in
 * smoke mode (quick mode with measurement windows of about a second and no warm-ups, which saves
 * about two minutes), and the query section runs on 5,000 items instead of 20,000. It leaves
 * out the sections that would bring the run too close to its limit (the whole quick suite took
 * about 10 minutes on a busy 2-core machine): security (four more nodes, about 2.5 minutes;
 * {@code SecurityResultsTest} covers its report), the JMH engine pairs (about 1.2 minutes; {@code
 * ShardStoreBenchmarkTest} runs the benchmark's engine) and the 1,000 collections (about 1.2
 * minutes). {@code bin/bench --quick --sections security,engine,collections} runs them.
 */
@Timeout(value = 9, unit = TimeUnit.MINUTES)
@Tag("services")
class BenchSuiteQuickIT {

    @Test
    void quickModeProducesTheWholeReport() throws Exception {
        Path out = Files.createTempDirectory("lumadb-suite-it");
        Process p = null;
        try {
            String java = ProcessHandle.current().info().command().orElse("java");
            p = new ProcessBuilder(
                            java,
                            "--enable-native-access=ALL-UNNAMED",
                            "-cp",
                            System.getProperty("lumadb.bench.jar"),
                            BenchSuite.class.getName(),
                            "--smoke",
                            "--sections",
                            "ycsb,http,query,streams,vector,import,timeseries",
                            "--query-records",
                            "5000",
                            "--import-documents",
                            "20000",
                            "--out",
                            out.toString(),
                            "--node-jar",
                            System.getProperty("lumadb.jar"),
                            "--cli-jar",
                            System.getProperty("lumadb.cli.jar"))
                    .redirectErrorStream(true)
                    .redirectOutput(out.resolve("suite.log").toFile())
                    .start();
            assertTrue(
                    p.waitFor(8, TimeUnit.MINUTES),
                    () -> "the quick suite took more than 8 minutes:\n" + tail(out.resolve("suite.log")));
            assertEquals(0, p.exitValue(), () -> "suite failed:\n" + tail(out.resolve("suite.log")));

            Path dir;
            try (Stream<Path> dirs = Files.list(out)) {
                dir = dirs.filter(d -> d.getFileName().toString().startsWith("suite-"))
                        .findFirst()
                        .orElseThrow();
            }
            JsonNode json =
                    new ObjectMapper().readTree(dir.resolve("suite.json").toFile());
            for (String system : List.of("lumadb", "postgresql", "redis")) {
                for (String workload : List.of("load", "a", "b", "c", "d", "e", "f")) {
                    boolean found = false;
                    for (JsonNode row : json.get("ycsb")) {
                        if (row.get("system").asText().equals(system)
                                && row.get("workload").asText().equals(workload)) {
                            found = true;
                            assertTrue(row.get("throughput").asDouble() > 0, row.toString());
                            assertTrue(row.get("p99Micros").asDouble() > 0, row.toString());
                        }
                    }
                    assertTrue(found, "no YCSB result for " + system + " " + workload);
                }
            }
            assertTrue(json.get("http").get("ratio").asDouble() > 0);
            assertTrue(json.get("targets").size() >= 11, json.get("targets").toString());
            assertQueries(json.get("query"));
            assertStreams(json.get("streams"));
            assertVector(json.get("vector"));
            JsonNode imports = json.get("imports");
            assertTrue(imports.get("failure").isNull(), imports.toString());
            assertEquals(20_000, imports.get("documents").asLong(), imports.toString());
            assertTrue(imports.get("lumadbSeconds").asDouble() > 0, imports.toString());
            assertTrue(imports.get("postgresSeconds").asDouble() > 0, imports.toString());
            assertTimeSeries(json.get("timeseries"));
            String md = Files.readString(dir.resolve("suite.md"));
            assertTrue(md.contains("| C | ") && md.contains("LumaDB / PostgreSQL") && md.contains("## Targets"), md);
            assertTrue(md.contains("## Queries") && md.contains("indexed point query: LumaDB / PostgreSQL"), md);
            assertTrue(
                    md.contains("## Change streams")
                            && md.contains("change-stream deliveries per server CPU-second: LumaDB / trivial"),
                    md);
            assertTrue(md.contains("## Vector search (kNN) and BM25") && md.contains("LumaDB shard text index"), md);
            assertTrue(
                    md.contains("## Time series: TSBS cpu-only over HTTP line protocol against QuestDB")
                            && md.contains("| QuestDB (reference) |"),
                    md);
            DocumentBuilderFactory.newInstance()
                    .newDocumentBuilder()
                    .parse(dir.resolve("suite.svg").toFile());
        } finally {
            if (p != null) {
                stopTree(p);
            }
            TestFiles.deleteRecursively(out);
        }
    }

    /**
     * Stops the suite and everything it started, also when the test fails or times out: SIGTERM first,
     * so its shutdown hooks stop the node and the reference server, then SIGKILL for whatever is left
     * (YCSB and JMH child JVMs have no hooks of their own).
     */
    private static void stopTree(Process p) throws InterruptedException {
        List<ProcessHandle> tree =
                Stream.concat(p.descendants(), Stream.of(p.toHandle())).toList();
        p.destroy();
        p.waitFor(30, TimeUnit.SECONDS);
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * The timeseries section: ok (so QuestDB counted every row and its hourly aggregate equals the
     * generator's), QuestDB's figures present, and LumaDB's either measured and checked the same way
     * (also into a collection with downsampling, answered from its hourly windows) or unavailable
     * with a reason.
     */
    private static void assertTimeSeries(JsonNode ts) {
        assertTrue(ts != null && ts.isObject(), "suite.json has no timeseries section");
        assertEquals("ok", ts.get("status").asText(), ts.toString());
        assertEquals(7_200, ts.get("data").get("rows").asLong(), ts.toString());
        JsonNode questdb = ts.get("questdb");
        assertTrue(questdb.get("rowsPerSecond").asDouble() > 0, questdb.toString());
        assertTrue(questdb.get("aggregateMedianMs").asDouble() > 0, questdb.toString());
        assertTrue(questdb.get("disk").get("bytesPerRow").asDouble() > 0, questdb.toString());
        String checks = ts.get("checks").toString();
        assertTrue(
                checks.contains("QuestDB counts 7,200 rows") && checks.contains("QuestDB's window aggregate equals"),
                checks);
        if (ts.has("lumadb")) {
            assertTrue(
                    checks.contains("LumaDB counts 7,200 rows") && checks.contains("LumaDB's window aggregate equals"),
                    checks);
            assertTrue(ts.get("lumadb").get("disk").get("bytesPerRow").asDouble() > 0, ts.toString());
            // The same data into a collection with downsampling rules: the hourly windows answered.
            JsonNode downsampled = ts.get("lumadbDownsampled");
            assertTrue(downsampled != null && downsampled.get("rolledUpSeconds").asDouble() > 0, ts.toString());
            assertEquals("1h", downsampled.get("answeredFrom").asText(), downsampled.toString());
            assertTrue(
                    checks.contains("LumaDB (downsampled) counts 7,200 rows")
                            && checks.contains("LumaDB (downsampled)'s window aggregate equals"),
                    checks);
        } else {
            assertFalse(ts.get("lumadbUnavailable").asText().isBlank(), ts.toString());
        }
    }

    /**
     * The query section: ok, thirteen measurements (two queries in five variants, the join in
     * three) that answered without error, each on the plan it claims.
     */
    private static void assertQueries(JsonNode query) {
        assertTrue(query != null && query.isObject(), "suite.json has no query section");
        assertEquals("ok", query.get("status").asText(), query.toString());
        assertEquals(0, query.get("failures").size(), query.get("failures").toString());
        for (String q : List.of("point", "range", "join")) {
            // The join is SQL's alone: JQL has no joins.
            List<String> variants = q.equals("join")
                    ? List.of("lumadb-sql", "lumadb-pgwire", "postgresql")
                    : List.of("lumadb-index", "lumadb-scan", "lumadb-sql", "lumadb-pgwire", "postgresql");
            for (String variant : variants) {
                JsonNode m = null;
                for (JsonNode row : query.get("measurements")) {
                    if (row.get("query").asText().equals(q)
                            && row.get("variant").asText().equals(variant)) {
                        m = row;
                    }
                }
                assertTrue(m != null, "no query measurement for " + q + " " + variant);
                assertTrue(m.get("throughput").asDouble() > 0, m.toString());
                assertTrue(m.get("answered").asLong() > 0, m.toString());
                assertTrue(m.get("p50Ms").asDouble() > 0, m.toString());
                assertTrue(m.get("p99Ms").asDouble() >= m.get("p50Ms").asDouble(), m.toString());
                assertEquals(0, m.get("errors").asLong(), m.toString());
            }
            for (JsonNode plan : query.get("plans")) {
                if (plan.get("query").asText().equals(q)) {
                    assertTrue(plan.get("ok").asBoolean(), plan.toString());
                }
            }
        }
        int indexed = 0;
        for (JsonNode plan : query.get("plans")) {
            String variant = plan.get("variant").asText();
            String text = plan.get("plan").asText();
            if (variant.equals("lumadb-index")) {
                indexed++;
                assertTrue(text.startsWith("index by_") && !text.contains("scan"), plan.toString());
            } else if (variant.equals("lumadb-scan")) {
                assertTrue(text.startsWith("scan on ") && !text.contains("index by_"), plan.toString());
            } else if (variant.equals("lumadb-sql") || variant.equals("lumadb-pgwire")) {
                assertTrue(
                        text.equals("pushed into JQL: index by_"
                                + (plan.get("query").asText().equals("point") ? "sku" : "price")),
                        plan.toString());
            } else {
                assertTrue(text.contains("query_bench_"), plan.toString());
            }
        }
        assertEquals(2, indexed, "the indexed plan of both queries: " + query.get("plans"));
        for (JsonNode ratio : query.get("ratios")) {
            assertTrue(ratio.get("indexedOverPostgresql").asDouble() > 0, ratio.toString());
            assertTrue(ratio.get("indexedOverScan").asDouble() > 0, ratio.toString());
        }
    }

    /**
     * The stream section: ok (so every subscriber of both systems received every write once, in
     * order), a throughput and a latency measurement per system, and LumaDB's idle subscriptions
     * all subscribed with a heap reading.
     */
    private static void assertStreams(JsonNode streams) {
        assertTrue(streams != null && streams.isObject(), "suite.json has no streams section");
        assertEquals(
                "ok", streams.get("status").asText(), streams.get("failures").toString());
        for (String system : List.of("lumadb", "reference")) {
            boolean throughput = false;
            for (JsonNode t : streams.get("throughput")) {
                if (t.get("system").asText().equals(system)) {
                    throughput = true;
                    assertTrue(t.get("deliveriesPerSec").asDouble() > 0, t.toString());
                    JsonNode check = t.get("check");
                    assertTrue(check.get("writes").asLong() > 0, t.toString());
                    assertEquals(
                            check.get("writes").asLong() * t.get("subscribers").asLong(),
                            check.get("subscribers").get("received").asLong(),
                            "every subscriber got every write: " + t);
                }
            }
            assertTrue(throughput, "no stream throughput for " + system);
            boolean latency = false;
            for (JsonNode l : streams.get("latency")) {
                if (l.get("system").asText().equals(system)) {
                    latency = true;
                    assertTrue(l.get("deliveries").asLong() > 0, l.toString());
                    assertTrue(l.get("p99Ms").asDouble() >= l.get("p50Ms").asDouble(), l.toString());
                }
            }
            assertTrue(latency, "no stream latency for " + system);
        }
        boolean idle = false;
        for (JsonNode i : streams.get("idle")) {
            if (i.get("system").asText().equals("lumadb")) {
                idle = true;
                assertEquals(i.get("subscriptions").asInt(), i.get("subscribed").asInt(), i.toString());
                assertTrue(i.get("heapAfterMb").asDouble() > 0, i.toString());
                assertTrue(i.get("topClasses").size() > 0, i.toString());
            }
        }
        assertTrue(idle, "no idle subscription reading for LumaDB");
    }

    /**
     * The vector section: ok; the shard index found the true neighbours in-process (floats and
     * 8-bit) and over HTTP; BM25 agreed with Lucene on every query; and the native reference
     * either ran or says why not (no network for npm is no failure of LumaDB's).
     */
    private static void assertVector(JsonNode vector) {
        assertTrue(vector != null && vector.isObject(), "suite.json has no vector section");
        assertEquals(
                "ok", vector.get("status").asText(), vector.path("failures").toString());
        JsonNode engine = vector.get("engine");
        for (String index : List.of("none", "int8")) {
            JsonNode sweep = engine.get(index).get("sweep");
            assertTrue(sweep.size() > 0, engine.toString());
            JsonNode most = sweep.get(sweep.size() - 1);
            assertTrue(most.get("recall").asDouble() >= 0.9, index + ": " + most);
            assertTrue(most.get("qps").asDouble() > 0, most.toString());
            assertEquals(3_000, engine.get(index).get("build").get("documents").asInt());
        }
        JsonNode bm25 = engine.get("bm25");
        assertEquals(bm25.get("queries").asInt(), bm25.get("sameScores").asInt(), bm25.toString());
        JsonNode http = vector.get("http").get("collections").get(0);
        assertTrue(http.get("recall").asDouble() >= 0.9, http.toString());
        for (JsonNode rate : http.get("rates")) {
            assertTrue(rate.get("qps").asDouble() > 0, rate.toString());
            assertEquals(0, rate.get("errors").asLong(), rate.toString());
        }
        if (vector.has("usearch")) {
            JsonNode sweep = vector.get("usearch").get("sweep");
            assertTrue(sweep.get(sweep.size() - 1).get("recall").asDouble() >= 0.9, sweep.toString());
        } else {
            assertFalse(vector.get("usearchUnavailable").asText().isBlank(), vector.toString());
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (Exception e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}

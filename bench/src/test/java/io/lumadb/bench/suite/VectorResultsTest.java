package io.lumadb.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.vector.NodeProfile;
import io.lumadb.bench.vector.Sweep;
import io.lumadb.bench.vector.UsearchReference;
import io.lumadb.bench.vector.VectorEngineBenchmark;
import io.lumadb.bench.vector.VectorHttpBenchmark;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The vector section's figures, targets and report, from made-up measurements. */
class VectorResultsTest {

    private static Sweep.Point p(int setting, double qps, double recall) {
        return new Sweep.Point(setting, qps, qps, recall, 1000, 1);
    }

    /** usearch reaches 0.95 at 2,000 q/s (interpolated); builds 10,000 vectors/s. */
    private static final UsearchReference.Result USEARCH = new UsearchReference.Result(
            "2.26.2", "v22.0.0", 100_000, 10, 10, 10_000, 1, 60_000_000, List.of(p(16, 3000, 0.90), p(32, 1000, 1.0)));

    private static VectorEngineBenchmark.Build build(double perSecond, Map<String, Long> files) {
        return new VectorEngineBenchmark.Build(100_000, 100_000 / perSecond, 100_000 / perSecond, perSecond, 2, files);
    }

    /**
     * The shard index reaches 0.95 at numCandidates 20 with {@code qps} q/s; INT8 loses {@code
     * int8Loss} at the default numCandidates (100) and 0.05 at 20.
     */
    private static VectorEngineBenchmark.Result engine(double qps, double int8Loss, long quantizedBytes) {
        return new VectorEngineBenchmark.Result(
                "10.5.2",
                128,
                100_000,
                1000,
                new VectorEngineBenchmark.Knn(
                        "none",
                        build(6_000, Map.of("vec", 1000L, "vex", 100L)),
                        List.of(p(10, 2 * qps, 0.90), p(20, qps, 0.96), p(100, qps / 2, 0.99))),
                new VectorEngineBenchmark.Knn(
                        "int8",
                        build(7_000, Map.of("vec", 1000L, "vex", 100L, "veq", quantizedBytes - 10, "vemq", 10L)),
                        List.of(p(10, 2 * qps, 0.88), p(20, qps, 0.91), p(100, qps / 2, 0.99 - int8Loss))),
                List.of(p(10, 4 * qps, 0.90), p(20, 2 * qps, 0.96), p(100, qps, 0.99)),
                List.of(),
                Double.NaN,
                new VectorEngineBenchmark.Bm25(
                        1000,
                        100,
                        build(50_000, Map.of()),
                        build(60_000, Map.of()),
                        900,
                        1000,
                        List.of(900.0),
                        List.of(1000.0),
                        100,
                        List.of()));
    }

    private static VectorHttpBenchmark.Result http(double qps) {
        return new VectorHttpBenchmark.Result(List.of(new VectorHttpBenchmark.Collection(
                1,
                100_000,
                20,
                5000,
                25,
                25,
                6000,
                20,
                0.97,
                List.of(
                        new VectorHttpBenchmark.Rate(1, qps, qps, 1, 2, 1000, 0, 10),
                        new VectorHttpBenchmark.Rate(4, 2 * qps, 2 * qps, 2, 4, 2000, 0, 10)),
                new NodeProfile.Summary(
                        500,
                        List.of(new NodeProfile.Share("io.lumadb.vector.ShardSearcher.parse", 0.3)),
                        List.of(new NodeProfile.Share("jdk.internal.math.FloatingDecimal.parseDouble", 0.1))),
                null)));
    }

    private static VectorResults results(String status, UsearchReference.Result usearch, double inProcessQps) {
        return new VectorResults(
                status,
                status.equals("ok") ? List.of() : List.of("it broke"),
                usearch,
                usearch == null ? "npm is not installed" : null,
                engine(inProcessQps, 0.01, 250),
                http(inProcessQps * 0.6),
                20,
                Map.of("mode", "test"),
                List.of());
    }

    private static Map<String, SuiteResults.Target> targets(VectorResults r) {
        Map<String, SuiteResults.Target> out = new LinkedHashMap<>();
        r.targets().forEach(t -> out.put(t.name(), t));
        return out;
    }

    /** The one target whose name starts with {@code prefix}. */
    private static SuiteResults.Target target(Map<String, SuiteResults.Target> targets, String prefix) {
        List<SuiteResults.Target> found = targets.values().stream()
                .filter(t -> t.name().startsWith(prefix))
                .toList();
        assertEquals(1, found.size(), prefix + " in " + targets.keySet());
        return found.get(0);
    }

    @Test
    void comparesAtTheRecallAndJudgesEachTarget() {
        VectorResults r = results("ok", USEARCH, 2_000);
        VectorResults.Summary s = r.summary();
        assertEquals(2000, s.usearchAtRecall().qps(), 1e-9, "interpolated halfway from 3,000 to 1,000");
        // the shard index crosses 0.95 between 4,000 q/s at 0.90 and 2,000 at 0.96
        assertEquals(4000 - 2000 * 5.0 / 6, s.inProcessAtRecall().qps(), 1e-6);
        assertEquals(0.01, s.int8RecallLoss(), 1e-9, "at the default numCandidates");
        assertEquals(0.05, s.int8MostRecallLoss(), 1e-9);
        assertEquals(20, s.int8MostLossAt());
        assertEquals(0.25, s.int8MemoryRatio(), 1e-12, "veq + vemq over vec");
        Map<String, SuiteResults.Target> t = targets(r);
        assertEquals(9, t.size(), t.keySet().toString());
        t.values().forEach(target -> assertTrue(target.met(), target.toString()));
        assertEquals(
                0.6,
                target(t, "kNN queries/s over HTTP (1 shard, 1 client) / in-process")
                        .measured(),
                1e-9);
        assertEquals(0.6, target(t, "vector index build rate, 1 CPU").measured(), 1e-9);
        assertEquals(1.0, target(t, "INT8 quantization: recall@10 lost").measured(), 1e-9, "in percentage points");
        assertEquals(0.25, target(t, "INT8 quantization: vector memory").measured(), 1e-9);
    }

    @Test
    void aSlowerIndexMissesTheReferenceTarget() {
        Map<String, SuiteResults.Target> t = targets(results("ok", USEARCH, 1_000));
        SuiteResults.Target inProcess = target(t, "kNN queries/s at recall@10 ≥ 0.95, 1 thread");
        assertEquals((2000 - 1000 * 5.0 / 6) / 2000, inProcess.measured(), 1e-9);
        assertFalse(inProcess.met());
    }

    @Test
    void aMissingReferenceMissesItsTargetsWithoutAFigure() {
        VectorResults r = results("ok", null, 2_000);
        Map<String, SuiteResults.Target> t = targets(r);
        SuiteResults.Target reference = target(t, "kNN queries/s at recall@10 ≥ 0.95, 1 thread");
        assertTrue(Double.isNaN(reference.measured()));
        assertFalse(reference.met());
        assertTrue(target(t, "INT8 quantization: recall@10 lost").met(), "the rest is judged as usual");
        Markdown md = new Markdown();
        VectorReport.write(md, r);
        assertTrue(md.toString().contains("unavailable: npm is not installed"), md.toString());
    }

    @Test
    void aFailedSectionMeetsNoTarget() {
        targets(results("failed", USEARCH, 2_000)).values().forEach(t -> {
            assertFalse(t.met(), t.toString());
            assertTrue(Double.isNaN(t.measured()));
        });
    }

    @Test
    void theReportShowsTheComparisonTheSweepsAndWhereTheTimeGoes() throws Exception {
        VectorResults r = results("ok", USEARCH, 2_000);
        Markdown md = new Markdown();
        VectorReport.write(md, r);
        String text = md.toString();
        assertTrue(text.contains("## Vector search (kNN) and BM25"), text);
        assertTrue(text.contains("| usearch 2.26.2 (native, npm) | 10,000 |"), text);
        assertTrue(text.contains("expansion_search 32: 1,000 q/s, recall 1.0000"), text);
        assertTrue(text.contains("ShardSearcher.parse 30%"), text);
        assertTrue(text.contains("| veq |"), text);
        assertTrue(text.contains("LumaDB shard text index"), text);
        JsonNode json = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(r));
        assertEquals(2000, json.get("summary").get("usearchAtRecall").get("qps").asDouble(), 1e-9);
        assertEquals(9, json.get("engine").get("none").get("sweep").size() + 6);
    }

    @Test
    void methodNamesAreShortenedToClassAndMethod() {
        assertEquals("ShardSearcher.parse", VectorReport.shortName("io.lumadb.vector.ShardSearcher.parse"));
        assertEquals("main", VectorReport.shortName("main"));
    }
}

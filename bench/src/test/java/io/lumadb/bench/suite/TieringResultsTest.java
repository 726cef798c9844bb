package io.lumadb.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.tiering.CoderBenchmark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tiering section's ratios, targets and report, from made-up measurements. */
class TieringResultsTest {

    private static CoderBenchmark.Measurement m(String coder, String op, int size, double gbs, double cpu) {
        return new CoderBenchmark.Measurement(coder, op, size, 10, List.of(gbs * 0.9, gbs, gbs * 1.1), List.of(cpu));
    }

    /** C 10 GB/s; the ISA-L coder 9 (encode) and 7 (rebuild); Java 3 and 2; at 64 KiB only. */
    private static TieringResults results(List<String> failures, String cUnavailable) {
        int size = 65_536;
        List<CoderBenchmark.Measurement> all = new ArrayList<>(List.of(
                m(CoderBenchmark.JAVA, CoderBenchmark.ENCODE, size, 3, 4),
                m(CoderBenchmark.JAVA, CoderBenchmark.REBUILD, size, 2, 2),
                m(CoderBenchmark.ISAL, CoderBenchmark.ENCODE, size, 9, 10),
                m(CoderBenchmark.ISAL, CoderBenchmark.REBUILD, size, 7, 8)));
        if (cUnavailable == null) {
            all.add(m(CoderBenchmark.C, CoderBenchmark.ENCODE, size, 10, 10));
            all.add(m(CoderBenchmark.C, CoderBenchmark.REBUILD, size, 10, 10));
        }
        CoderBenchmark.Result coders =
                new CoderBenchmark.Result(all, null, cUnavailable, Map.of("work", "made up"), failures, List.of());
        return new TieringResults(
                failures.isEmpty() ? "ok" : "failed", failures, coders, null, null, null, Map.of(), List.of());
    }

    @Test
    void judgesEachCoderAgainstTheCReferenceOnWallClockThroughput() {
        TieringResults r = results(List.of(), null);
        assertEquals(0.9, r.ratio(CoderBenchmark.ISAL, CoderBenchmark.ENCODE, 65_536, false), 1e-9);
        assertEquals(1.0, r.ratio(CoderBenchmark.ISAL, CoderBenchmark.ENCODE, 65_536, true), 1e-9);
        List<SuiteResults.Target> t = r.targets();
        assertEquals(5, t.size());
        assertEquals(
                "erasure encode (RS 6+3, 6 x 64 KiB, 1 thread): ISA-L coder (FFM) / ISA-L from C",
                t.get(0).name());
        assertTrue(t.get(0).met()); // 0.9 >= 0.8
        assertTrue(t.get(1).met()); // Java encode 0.3 >= 0.25
        assertFalse(t.get(2).met()); // ISA-L rebuild 0.7 < 0.8
        assertFalse(t.get(3).met()); // Java rebuild 0.2 < 0.25
        assertFalse(t.get(4).met()); // no cold reads measured: no figure
    }

    @Test
    void withoutTheReferenceOrWithWrongBytesEveryTargetIsMissed() {
        assertTrue(results(List.of(), "no C compiler (gcc)").targets().stream().noneMatch(SuiteResults.Target::met));
        TieringResults failed = results(List.of("the ISA-L coder's parity 0 differs"), null);
        assertFalse(failed.ok());
        assertTrue(failed.targets().stream().noneMatch(SuiteResults.Target::met));
    }

    @Test
    void reportShowsTheRatiosAndLeavesTheNodePartsOutUntilMeasured() throws Exception {
        TieringResults r = results(List.of(), null);
        Markdown md = new Markdown();
        TieringReport.write(md, r);
        String text = md.toString();
        assertTrue(
                text.contains(
                        "| 6 x 64 KiB | encode | LumaDB ISA-L coder (FFM) | 9.00 | 10.00 | 0.90x; 1.00x | ≥ 0.80x: met |"),
                text);
        assertTrue(
                text.contains(
                        "| 6 x 64 KiB | rebuild | LumaDB Java coder (Vector API) | 2.00 | 2.00 | 0.20x; 0.20x | ≥ 0.25x: **missed** |"),
                text);
        assertFalse(text.contains("cold"), text);
        JsonNode json = new ObjectMapper().valueToTree(r);
        assertEquals("ok", json.get("status").asText());
        assertFalse(json.has("coldRead"));
        assertEquals(6, json.get("coders").get("measurements").size());

        TieringResults withNode = withNode(r, 4.0);
        String report = report(withNode);
        assertTrue(
                report.contains("| all 9 local | 1,000 | 0.20 ms | 0.50 ms | 1.50 ms | 4.00 ms | 6.00 ms | 9.00 ms"
                        + " | 7.50x; 8.00x | 100; 300 µs | 0 of 1,200 | met |"),
                report);
        assertTrue(
                report.contains(
                        "| 1 data fragment of every segment lost | 1,000 | 0.20 ms | 0.50 ms | 2.00 ms"
                                + " | 12.00 ms | 15.00 ms | 20.00 ms | 10.00x; 24.00x | 100; 500 µs | 200 of 1,200 | (no target) |"),
                report);
        assertTrue(
                report.contains("100,000 documents in 20.0 s, 5,000 documents/s, 50.00 MB/s of segment data"), report);
        assertTrue(report.contains("(move / load 0.50x)"), report);
        JsonNode withNodeJson = new ObjectMapper().valueToTree(withNode);
        assertEquals(4.0, withNodeJson.at("/coldRead/coldP99Ms").asDouble());
        assertEquals(1, withNodeJson.at("/degradedRead/lostFragments").asInt());
        assertEquals(5000.0, withNodeJson.at("/migration/documentsPerSecond").asDouble());
    }

    @Test
    void judgesTheColdP99WithAllFragmentsLocalAgainstTenMilliseconds() {
        SuiteResults.Target met =
                withNode(results(List.of(), null), 9.99).targets().getLast();
        assertEquals("cold point read p99, all fragments local, hot cache off (1 client)", met.name());
        assertTrue(met.met());
        assertEquals(" ms", met.unit());
        assertFalse(withNode(results(List.of(), null), 10.0).targets().getLast().met());
        assertTrue(report(withNode(results(List.of(), null), 10.5)).contains("| **missed** |"));
        // a failed section meets no target, however fast its reads
        assertFalse(withNode(results(List.of("a cold answer differs"), null), 1.0)
                .targets()
                .getLast()
                .met());
    }

    /** {@code r} with node figures: cold p99 {@code coldP99}; with one fragment lost, 12 ms. */
    private static TieringResults withNode(TieringResults r, double coldP99) {
        return new TieringResults(
                r.status(),
                r.failures(),
                r.coders(),
                new TieringResults.ColdRead(1000, 0, 0.2, 0.5, 1.5, coldP99, 6, 9, 100, 300, 1200, 0, null),
                new TieringResults.ColdRead(1000, 1, 0.2, 0.5, 2.0, 12, 15, 20, 100, 500, 1200, 200, null),
                new TieringResults.Migration(100_000, 20, 5000, 50, 1_000_000_000, 50, 30, 10_000, null),
                Map.of(),
                List.of());
    }

    private static String report(TieringResults r) {
        Markdown md = new Markdown();
        TieringReport.write(md, r);
        return md.toString();
    }
}

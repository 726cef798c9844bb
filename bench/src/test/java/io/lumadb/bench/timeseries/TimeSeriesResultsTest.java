package io.lumadb.bench.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.bench.suite.Markdown;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimeSeriesResultsTest {

    private static final TimeSeriesResults.Data DATA = new TimeSeriesResults.Data(
            22,
            100,
            1_440,
            144_000,
            CpuData.TSBS_START,
            CpuData.TSBS_START + 14_400_000_000_000L,
            "10s",
            51_000_000,
            "1h",
            400);

    private static TimeSeriesResults.Measured measured(String system, double seconds, long bytes, double aggregateMs) {
        return new TimeSeriesResults.Measured(
                system,
                144_000,
                144_000 / seconds,
                seconds,
                seconds * 0.9,
                1,
                seconds * 0.8,
                0.5,
                51_000_000,
                29,
                5_000,
                4,
                List.of(aggregateMs, aggregateMs),
                aggregateMs,
                new TimeSeriesResults.Disk(bytes, (double) bytes / 144_000, Map.of("part", bytes), "what was measured"),
                List.of("POST /write"),
                null,
                null);
    }

    private static TimeSeriesResults results(
            String status, TimeSeriesResults.Measured lumadb, String unavailable, List<String> failures) {
        return new TimeSeriesResults(
                status,
                failures,
                DATA,
                measured("questdb", 2, 18_000_000, 30),
                lumadb,
                null,
                unavailable,
                List.of(),
                List.of("QuestDB counts 144,000 rows"),
                Map.of("data", "TSBS 100 % shaped"),
                List.of());
    }

    @Test
    void ratiosAreLumaDbOverQuestDbAndJudgedByTheIssuesTargets() {
        // LumaDB: 4 s (half QuestDB's rate), 30 MB (1.67x its bytes), 60 ms (twice the latency).
        TimeSeriesResults r = results("ok", measured("lumadb", 4, 30_000_000, 60), null, List.of());
        assertEquals(0.5, r.ingestRatio(), 1e-12);
        assertEquals(30.0 / 18, r.bytesPerRowRatio(), 1e-12);
        assertEquals(2, r.aggregateLatencyRatio(), 1e-12);
        List<TimeSeriesResults.Target> targets = r.targets();
        assertEquals(2, targets.size());
        assertTrue(targets.get(0).met(), targets.toString());
        assertTrue(targets.get(1).met(), targets.toString());
        TimeSeriesResults slower = results("ok", measured("lumadb", 4.1, 36_000_000, 60), null, List.of());
        assertFalse(slower.targets().get(0).met());
        assertFalse(slower.targets().get(1).met(), "2x the bytes is not less than 2x");
    }

    @Test
    void theDownsampledRunIsReportedBesideTheOthers() {
        TimeSeriesResults.Measured plain = measured("lumadb", 4, 30_000_000, 60);
        TimeSeriesResults.Measured m = measured("lumadb", 5, 0, 3);
        TimeSeriesResults.Measured downsampled = new TimeSeriesResults.Measured(
                m.system(),
                m.rows(),
                m.rowsPerSecond(),
                m.queryableSeconds(),
                m.acknowledgedSeconds(),
                m.countPolls(),
                m.serverCpuSeconds(),
                m.clientCpuSeconds(),
                m.requestBytes(),
                m.batches(),
                m.linesPerBatch(),
                m.connections(),
                m.aggregateMs(),
                m.aggregateMedianMs(),
                null,
                m.requests(),
                6.5,
                "1h");
        TimeSeriesResults r = new TimeSeriesResults(
                "ok",
                List.of(),
                DATA,
                measured("questdb", 2, 18_000_000, 30),
                plain,
                downsampled,
                null,
                List.of(),
                List.of(),
                Map.of(),
                List.of());
        assertEquals(0.1, r.ratios().get("aggregateMedianMs lumadb-downsampled/questdb"), 1e-12);
        assertEquals(0.8, r.ratios().get("ingestRowsPerSecond lumadb-downsampled/lumadb"), 1e-12);
        assertEquals(0.5, r.ingestRatio(), 1e-12, "the targets stay those of the collection without rules");
        String md = markdown(r);
        assertTrue(md.contains("| LumaDB, with 1m and 1h downsampling | 28,800 |"), md);
        assertTrue(md.contains("after 6.50 s; its median 3.0 ms is 0.10x QuestDB's and 0.05x the same aggregate"), md);
        // suite.json carries it under the names the quick suite's smoke reads.
        var json = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(r);
        assertEquals(6.5, json.get("lumadbDownsampled").get("rolledUpSeconds").asDouble(), 1e-12, json.toString());
        assertEquals("1h", json.get("lumadbDownsampled").get("answeredFrom").asText(), json.toString());
    }

    @Test
    void anUnavailableLumaDbMissesItsTargetsWithoutFailingTheSection() {
        TimeSeriesResults r = results("ok", null, "PUT /api/v1/bench/cpu answered 400", List.of());
        assertTrue(r.ok());
        assertTrue(Double.isNaN(r.ingestRatio()));
        r.targets().forEach(t -> assertFalse(t.met(), t.toString()));
        String md = markdown(r);
        assertTrue(md.contains("| LumaDB | unavailable |"), md);
        assertTrue(md.contains("LumaDB's half is unavailable: PUT /api/v1/bench/cpu answered 400."), md);
        assertTrue(md.contains("| QuestDB (reference) | 72,000 | 90,000 | 1.80 s | 2.00 s | 30.0 ms |"), md);
        assertTrue(md.contains("- data: TSBS 100 % shaped"), md);
    }

    @Test
    void aFailedSectionMeetsNoTargetAndSaysWhy() {
        TimeSeriesResults r = results(
                "failed", measured("lumadb", 1, 1, 1), null, List.of("LumaDB's window aggregate differs: host_0"));
        assertFalse(r.ok());
        r.targets().forEach(t -> assertFalse(t.met(), t.toString()));
        String md = markdown(r);
        assertTrue(md.contains("Status: **FAILED**"), md);
        assertTrue(md.contains("- LumaDB's window aggregate differs: host_0"), md);
        TimeSeriesResults noLumaDb = new TimeSeriesResults(
                "failed",
                List.of("LumaDB: POST /api/v2/write answered 400"),
                DATA,
                measured("questdb", 2, 18_000_000, 30),
                null,
                null,
                null,
                List.of(),
                List.of(),
                Map.of(),
                List.of());
        assertTrue(markdown(noLumaDb).contains("| LumaDB | failed (see the status above) |"), markdown(noLumaDb));
    }

    @Test
    void theReportShowsBothSystemsAndTheirRatios() {
        String md = markdown(results("ok", measured("lumadb", 4, 30_000_000, 60), null, List.of()));
        assertTrue(md.contains("| LumaDB / QuestDB | 0.50x (target ≥ 0.50x: met) |"), md);
        assertTrue(md.contains("1.67x (target < 2.00x: met)"), md);
        assertTrue(md.contains("2.00x the latency"), md);
        assertTrue(md.contains("- LumaDB, bytes on disk: what was measured"), md);
    }

    @Test
    void withRoundsTheIngestRatiosAreTheMediansOfTheRoundsRatios() {
        TimeSeriesResults.Measured questdb = measured("questdb", 2, 18_000_000, 30);
        TimeSeriesResults.Measured lumadb = measured("lumadb", 4, 30_000_000, 60);
        List<TimeSeriesResults.Round> rounds = List.of(
                TimeSeriesResults.Round.of(questdb, lumadb), // 0.50x, CPU 1.6 s / 3.2 s
                new TimeSeriesResults.Round(100_000, 70_000, 5, 8), // 0.70x, 0.625x
                new TimeSeriesResults.Round(150_000, 60_000, 4, 10)); // 0.40x, 0.40x
        TimeSeriesResults r = new TimeSeriesResults(
                "ok", List.of(), DATA, questdb, lumadb, null, null, rounds, List.of(), Map.of(), List.of());
        assertEquals(0.5, r.ingestRatio(), 1e-12);
        assertEquals(0.5, r.cpuRatio(), 1e-12);
        TimeSeriesResults better = new TimeSeriesResults(
                "ok",
                List.of(),
                DATA,
                questdb,
                lumadb,
                null,
                null,
                List.of(rounds.get(0), rounds.get(1), new TimeSeriesResults.Round(100_000, 80_000, 5, 6)),
                List.of(),
                Map.of(),
                List.of());
        assertEquals(0.7, better.ingestRatio(), 1e-12, "the median, not the first round's 0.50x");
        assertEquals(0.625, better.cpuRatio(), 1e-12);
        String md = markdown(better);
        assertTrue(md.contains("| LumaDB / QuestDB | 0.70x (target ≥ 0.50x: met) | 0.63x |"), md);
        assertTrue(md.contains("Ingest in 3 rounds"), md);
        assertTrue(md.contains("| 2 | 100,000 | 70,000 | 0.70x | 0.63x |"), md);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(better);
        assertEquals(3, json.get("rounds").size(), json.toString());
        assertEquals(
                0.7,
                json.get("ratios").get("ingestRowsPerSecond lumadb/questdb").asDouble(),
                1e-12);
    }

    private static String markdown(TimeSeriesResults r) {
        Markdown md = new Markdown();
        TimeSeriesReport.write(md, r);
        return md.toString();
    }
}

package io.lumadb.chaos.report;

import static io.lumadb.chaos.report.Ops.fault;
import static io.lumadb.chaos.report.Ops.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Op.Outcome;
import io.lumadb.chaos.history.Op.Type;
import io.lumadb.chaos.history.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    private static History history() {
        History h = new History(0);
        for (int i = 0; i < 200; i++) {
            long at = i * 100L;
            Outcome outcome = at >= 5_000 && at < 8_000 ? Outcome.UNKNOWN : Outcome.OK;
            h.add(op(i, i % 2 == 0 ? Type.WRITE : Type.READ, at, at + 10, outcome));
        }
        h.add(fault("partition", 5_000, 7_000, "n1"));
        h.add(fault("pause", 12_000, 13_000, "n2"));
        h.add(new ChangeSeen("n1", 0, 1, 0, "d1", 1, "t1", 1_000_000));
        return h;
    }

    private static List<Verdict> verdicts(History h) {
        List<Op> failing = h.ops().subList(10, 13);
        return List.of(
                Verdict.valid("no lost inserts", "all 100 acknowledged inserts found"),
                new Verdict(
                        "linearizable registers",
                        false,
                        "key k0 is not linearizable",
                        List.of("read of k0 saw 12 after 14 was written", "second | anomaly"),
                        failing));
    }

    private static Map<String, Object> plan() {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("nodes", 3);
        plan.put("duration", Duration.ofSeconds(20));
        plan.put("faults", List.of(Map.of("kind", "partition", "at", 5)));
        return plan;
    }

    @Test
    void writesEveryFileAndTheMarkdownMentionsEachVerdict() throws Exception {
        History h = history();
        List<Verdict> verdicts = verdicts(h);

        Report report = ReportWriter.write(dir, "registers", 7, plan(), h, verdicts, Map.of("keys", 2));

        for (String name : List.of(
                ReportWriter.PLAN,
                ReportWriter.HISTORY,
                ReportWriter.VERDICTS,
                ReportWriter.TIMELINE,
                ReportWriter.SUMMARY,
                ReportWriter.REPORT)) {
            assertTrue(Files.size(dir.resolve(name)) > 0, name);
        }
        try (var files = Files.list(dir)) {
            assertEquals(6, files.count(), "no temporary file left behind");
        }
        String md = Files.readString(dir.resolve(ReportWriter.REPORT));
        assertTrue(md.contains("| no lost inserts | ✔ |"), md);
        assertTrue(md.contains("| linearizable registers | ✘ |"), md);
        assertTrue(md.contains("read of k0 saw 12 after 14 was written"), md);
        for (Op op : verdicts.get(1).smallestFailing()) {
            assertTrue(md.contains("\n" + op + "\n"), "one op a line: " + op);
        }
        assertTrue(md.contains("](timeline.svg)"), md);
        assertTrue(md.contains("| partition | 1 |"), md);
        assertTrue(md.contains("| keys | 2 |"), md);
        assertFalse(report.valid());
    }

    @Test
    void theJsonFilesHoldThePlanVerdictsAndSummary() throws Exception {
        History h = history();
        List<Verdict> verdicts = verdicts(h);

        ReportWriter.write(dir, "registers", 7, plan(), h, verdicts, Map.of("keys", 2));

        JsonNode plan = json.readTree(dir.resolve(ReportWriter.PLAN).toFile());
        assertEquals(3, plan.get("nodes").asInt());
        assertEquals("PT20S", plan.get("duration").asText());

        JsonNode written = json.readTree(dir.resolve(ReportWriter.VERDICTS).toFile());
        assertEquals(2, written.size());
        assertEquals("linearizable registers", written.get(1).get("check").asText());
        assertEquals(2, written.get(1).get("anomalies").size());
        assertEquals(3, written.get(1).get("smallestFailing").size());
        assertEquals(
                10, written.get(1).get("smallestFailing").get(0).get("index").asLong());

        JsonNode summary = json.readTree(dir.resolve(ReportWriter.SUMMARY).toFile());
        assertEquals(7, summary.get("seed").asLong());
        assertFalse(summary.get("valid").asBoolean());
        assertEquals(200, summary.at("/operations/ops").asInt());
        assertEquals(30, summary.at("/operations/unknown").asInt());
        assertEquals(1, summary.at("/faults/partition/injected").asInt());
        assertEquals(20, summary.at("/faults/partition/ops").asInt());
        assertEquals(0.0, summary.at("/faults/partition/availability").asDouble());
        assertEquals(2.0, summary.at("/faults/partition/secondsUnderFault").asDouble());
        // Unknown until 8 s: the first good second after the heal at 7 s is [8 s, 9 s).
        assertEquals(
                1.0, summary.at("/faults/partition/healToAvailableMeanSeconds").asDouble());
        assertEquals(1.0, summary.at("/faults/pause/availability").asDouble());
        assertEquals(0.0, summary.at("/faults/pause/healToAvailableMaxSeconds").asDouble());
        assertEquals(1, summary.at("/verdicts/valid").asInt());
        assertEquals(1, summary.at("/verdicts/invalid").asInt());
        assertEquals(2, summary.at("/figures/keys").asInt());

        assertEquals(
                h.ops(), HistoryFiles.read(dir.resolve(ReportWriter.HISTORY)).ops());
        DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(dir.resolve(ReportWriter.TIMELINE).toFile());
    }

    @Test
    void aPlanGivenAsJsonTextIsWrittenAsJson() throws IOException {
        ReportWriter.write(dir, "sets", 1, "{\"nodes\": 5}", history(), List.of(), Map.of());

        assertEquals(
                5,
                json.readTree(dir.resolve(ReportWriter.PLAN).toFile())
                        .get("nodes")
                        .asInt());
        assertTrue(Files.readString(dir.resolve(ReportWriter.REPORT)).contains("No checks ran."));
    }

    @Test
    void theTerminalTextHasOneLinePerVerdictAndTheDirectory() throws IOException {
        History h = history();
        Report report = ReportWriter.write(dir, "registers", 7, plan(), h, verdicts(h), Map.of());

        assertEquals(
                "✔ no lost inserts: all 100 acknowledged inserts found\n"
                        + "✘ linearizable registers: key k0 is not linearizable (2 anomalies)\n"
                        + "report: " + dir.toAbsolutePath() + "\n",
                report.terminalText());
    }

    @Test
    void writingAgainReplacesTheFiles() throws IOException {
        History h = history();
        ReportWriter.write(dir, "first", 1, plan(), h, verdicts(h), Map.of());
        ReportWriter.write(dir, "second", 2, plan(), h, List.of(Verdict.valid("only check", "fine")), Map.of());

        String md = Files.readString(dir.resolve(ReportWriter.REPORT));
        assertTrue(md.contains("second (seed 2)"));
        assertFalse(md.contains("linearizable registers"));
    }
}

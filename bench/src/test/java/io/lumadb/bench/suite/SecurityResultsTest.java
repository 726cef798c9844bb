package io.lumadb.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.suite.SecurityResults.Variant;
import io.lumadb.bench.ycsb.OpStats;
import io.lumadb.bench.ycsb.YcsbResult;
import io.lumadb.bench.ycsb.YcsbSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The security section's figures, ratios, targets and report, from made-up measurements. */
class SecurityResultsTest {

    private static final SecurityResults.Login LOGIN =
            new SecurityResults.Login("m=19 MiB, t=2, p=1", 50, 45, 60, 40, 20, 55, 70, 1.5, 5);

    /** Security off at 1,000 ops/s in every workload, and each variant at the given ratio of it. */
    private static SecurityResults results(String status, double apiKey, double basic, double encryption) {
        List<SecurityResults.Row> rows = new ArrayList<>();
        for (String w : SecurityResults.WORKLOADS) {
            rows.add(row(w, Variant.OFF, 1000));
            rows.add(row(w, Variant.API_KEY, 1000 * apiKey));
            rows.add(row(w, Variant.BASIC, 1000 * basic));
            rows.add(row(w, Variant.ENCRYPTION, 1000 * encryption));
        }
        return new SecurityResults(
                status,
                status.equals("ok") ? List.of() : List.of("YCSB failed"),
                rows,
                LOGIN,
                Map.of("mode", "test"),
                List.of("a check"));
    }

    private static SecurityResults.Row row(String workload, Variant v, double throughput) {
        // CPU per operation in inverse proportion to throughput: a CPU-bound node.
        double cpu = 50_000 / throughput;
        return new SecurityResults.Row(
                workload, v.id, throughput, 900, 9000, 2000, 1, List.of(throughput), cpu, List.of(cpu));
    }

    private static Map<String, Boolean> verdicts(SecurityResults r) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        r.targets().forEach(t -> out.put(t.name(), t.met()));
        return out;
    }

    @Test
    void authenticationMayCostFivePercentAndEncryptionFifteen() {
        SecurityResults atTheLimit = results("ok", 0.95, 0.95, 0.85);
        assertEquals(0.95, atTheLimit.ratio("a", Variant.API_KEY), 1e-12);
        assertTrue(
                verdicts(atTheLimit).values().stream().allMatch(met -> met),
                verdicts(atTheLimit).toString());

        SecurityResults over = results("ok", 0.94, 0.96, 0.84);
        Map<String, Boolean> v = verdicts(over);
        assertFalse(v.get("YCSB A: security on, API key (Bearer) / security off"), v.toString());
        assertTrue(v.get("YCSB A: security on, HTTP Basic (verified credentials cached) / security off"));
        assertFalse(v.get("YCSB C: security off, encryption at rest on / security off"));
        assertFalse(v.get("YCSB A, node CPU per operation: security off / security on, API key (Bearer)"));
        assertTrue(v.get("YCSB A, node CPU per operation: security off / security on, HTTP Basic (verified"
                + " credentials cached)"));
        assertEquals(0.94, over.cpuRatio("a", Variant.API_KEY), 1e-12);
        // 3 workloads x 3 variants, by throughput and by CPU, and the two logins.
        assertEquals(20, v.size(), v.toString());
    }

    @Test
    void aLoginOfAHundredMillisecondsOrMoreMissesItsTarget() {
        SecurityResults slow = new SecurityResults(
                "ok",
                List.of(),
                List.of(),
                new SecurityResults.Login("m=19 MiB, t=2, p=1", 50, 100, 120, 40, 20, 99, 120, 1, 5),
                Map.of(),
                List.of());
        Map<String, Boolean> v = verdicts(slow);
        assertFalse(v.get("Argon2id password check, default cost (m=19 MiB, t=2, p=1)"), v.toString());
        assertTrue(v.get("first request with new HTTP Basic credentials (the node checks the password)"));
    }

    @Test
    void aFailedSectionMeetsNoTarget() {
        SecurityResults failed = results("failed", 1.0, 1.0, 1.0);
        assertFalse(failed.ok());
        failed.targets().stream()
                .filter(t -> t.name().startsWith("YCSB"))
                .forEach(t -> assertFalse(t.met(), t.toString()));
        SecurityResults nothing = SecurityResults.failed("the node did not start");
        assertTrue(nothing.targets().stream().noneMatch(SuiteResults.Target::met));
        Markdown md = new Markdown();
        Report.security(md, nothing);
        assertTrue(
                md.toString().contains("**FAILED**") && md.toString().contains("the node did not start"),
                md.toString());
    }

    @Test
    void theReportShowsEachVariantAgainstSecurityOff() throws Exception {
        SecurityResults r = results("ok", 0.97, 0.90, 0.80);
        Markdown md = new Markdown();
        Report.security(md, r);
        String text = md.toString();
        assertTrue(text.contains("## Security"), text);
        // Throughput ratio, the node's CPU per operation (50,000 / throughput here), its ratio, verdicts.
        assertTrue(
                text.contains("| A | security on, API key (Bearer) | 970 | 900 | 9,000 | 0.970x | 51.55 | 0.970x"
                        + " | ≥ 0.95x | met; met |"),
                text);
        assertTrue(
                text.contains("| C | security on, HTTP Basic (verified credentials cached) | 900 | 900 | 9,000 | 0.900x"
                        + " | 55.56 | 0.900x | ≥ 0.95x | **missed**; **missed** |"),
                text);
        assertTrue(text.contains("Node CPU µs per operation of each run, in run order: load off 50.00;"), text);
        assertTrue(text.contains("| load | security off, encryption at rest on | 800 |"), text);
        assertTrue(text.contains("| load | security off | 1,000 | 900 | 9,000 | 1.00x |"), text);
        assertTrue(text.contains("45.00 ms | < 100 ms: met"), text);
        assertTrue(text.contains("CPU time (the verifying thread's), median | 40.00 ms |"), text);
        assertTrue(text.contains("- checked: a check"), text);

        JsonNode json = new ObjectMapper().valueToTree(r);
        assertEquals("ok", json.get("status").asText());
        assertEquals(9, json.get("ratios").size());
        assertEquals(9, json.get("cpuRatios").size());
        assertEquals(0.97, json.get("cpuRatios").get(0).get("ratio").asDouble(), 1e-9);
        JsonNode first = json.get("ratios").get(0);
        assertEquals("load", first.get("workload").asText());
        assertEquals("api-key", first.get("variant").asText());
        assertEquals(0.97, first.get("ratio").asDouble(), 1e-9);
        assertTrue(first.get("met").asBoolean());
        assertEquals(45.0, json.get("login").get("verifyMedianMs").asDouble());
    }

    @Test
    void variantsTakeTurnsAcrossRuns() {
        assertEquals(
                List.of(Variant.OFF, Variant.API_KEY, Variant.BASIC, Variant.ENCRYPTION), SecurityBenchmark.order(1));
        assertEquals(
                List.of(Variant.API_KEY, Variant.BASIC, Variant.ENCRYPTION, Variant.OFF), SecurityBenchmark.order(2));
        assertEquals(
                List.of(Variant.OFF, Variant.API_KEY, Variant.BASIC, Variant.ENCRYPTION), SecurityBenchmark.order(5));
    }

    @Test
    void aRowIsTheMedianOfItsRuns() {
        List<SecurityBenchmark.Measured> runs = List.of(
                new SecurityBenchmark.Measured(result(300, 10, 100), 40),
                new SecurityBenchmark.Measured(result(100, 30, 300), Double.NaN),
                new SecurityBenchmark.Measured(result(200, 20, 200), 60));
        SecurityResults.Row row = SecurityBenchmark.row("a", "basic", runs);
        assertEquals(200, row.throughput());
        assertEquals(20, row.p50Micros());
        assertEquals(200, row.p99Micros());
        assertEquals(3, row.runs());
        assertEquals(List.of(300.0, 100.0, 200.0), row.runThroughputs());
        assertEquals(50, row.cpuMicrosPerOp(), 1e-12, "the median of the runs whose CPU time is known");
    }

    private static YcsbResult result(double throughput, double p50, double p99) {
        YcsbSpec spec = new YcsbSpec("lumadb", "a", false, 1, 10, 10, Map.of(), List.of());
        return new YcsbResult(spec, throughput, 1000, Map.of("ALL", new OpStats(10, p50, p50, p99, 0)), Path.of("x"));
    }

    @Test
    void readsAnUntaggedPrometheusValue() {
        String text = "# HELP lumadb_encryption_active_key_id The id\n# TYPE lumadb_encryption_active_key_id gauge\n"
                + "lumadb_encryption_active_key_id_other 7.0\nlumadb_encryption_active_key_id 1.0\n";
        assertEquals(1.0, SecurityBenchmark.metric(text, "lumadb_encryption_active_key_id"));
        assertTrue(Double.isNaN(SecurityBenchmark.metric("nothing 1\n", "lumadb_encryption_active_key_id")));
    }

    @Test
    void passwordCostTimesTheDefaultArgon2idAndItsReportReadsBack() throws Exception {
        PasswordCost.Result r = PasswordCost.measure(2);
        assertEquals("m=19 MiB, t=2, p=1", r.parameters());
        assertEquals(2, r.verifications());
        assertTrue(r.verifyMedianMs() > 0 && r.verifyMaxMs() >= r.verifyMedianMs(), r.toString());
        assertTrue(r.verifyCpuMedianMs() > 0 && r.hashMs() > 0, r.toString());
        ObjectMapper json = new ObjectMapper();
        assertEquals(r, json.readValue(json.writeValueAsString(r), PasswordCost.Result.class));
    }
}

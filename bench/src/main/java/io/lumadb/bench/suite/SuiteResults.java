package io.lumadb.bench.suite;

import io.lumadb.bench.query.QueryReport;
import io.lumadb.bench.streams.StreamReport;
import java.util.List;
import java.util.Map;

/**
 * Everything one suite run measured, as the report shows it (medians over the runs). A section
 * left out of the run ({@code --sections}) is an empty list, or null for {@code http}, {@code
 * query} and {@code streams}.
 */
record SuiteResults(
        Map<String, Object> machine,
        Map<String, String> settings,
        List<YcsbRow> ycsb,
        List<EngineRow> engine,
        HttpCeiling http,
        QueryReport query,
        StreamReport streams,
        List<String> notes) {

    /** One operation type of one workload on one system: medians over the runs. */
    record YcsbRow(
            String workload,
            String system,
            String operation,
            double throughput,
            long operations,
            double p50Micros,
            double p95Micros,
            double p99Micros,
            int runs) {}

    /** One engine micro-benchmark: LumaDB's shard store and raw RocksDB, in operations per second. */
    record EngineRow(String operation, double storeOpsPerSec, double rawOpsPerSec) {
        double ratio() {
            return storeOpsPerSec / rawOpsPerSec;
        }
    }

    /** The HTTP ceiling: GET /health against point GET of a 1 KB document, by the same load generator. */
    record HttpCeiling(
            double healthPerSec, double healthP99Ms, double getPerSec, double getP99Ms, Map<String, Object> apiReport) {
        double ratio() {
            return getPerSec / healthPerSec;
        }
    }
}

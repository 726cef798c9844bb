package io.lumadb.bench.ycsb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YcsbOutputTest {

    /**
     * Captured from a real run (YCSB 0.17.0, workload F, LumaDbYcsbClient, dataintegrity=true, 30
     * records expected but none loaded), with some GC lines dropped: reads and updates fail with
     * NOT_FOUND, the checks with UNEXPECTED_STATE/ERROR, and UPDATE-FAILED is printed before UPDATE.
     */
    private static final String FAILED_RUN = """
            Command line: -t -db io.lumadb.bench.ycsb.LumaDbYcsbClient -P bench/workloads/workloadf -threads 2 -s -p dataintegrity=true -p lumadb.url=http://127.0.0.1:18080 -p recordcount=30 -p operationcount=40 -p measurementtype=hdrhistogram -p hdrhistogram.percentiles=50,95,99
            YCSB Client 0.17.0

            Loading workload...
            Starting test.
            DBWrapper: report latency for each error is false and specific error codes to track for latency are: []
            DBWrapper: report latency for each error is false and specific error codes to track for latency are: []
            2026-11-21 12:54:25:728 0 sec: 0 operations; est completion in 0 second
            2026-11-21 12:54:25:785 0 sec: 40 operations; 317.46 current ops/sec; [READ: Count=24, Max=45343, Min=322, Avg=4511.96, 90=3423, 99=45343, 99.9=45343, 99.99=45343] [UPDATE-FAILED: Count=6, Max=2561, Min=489, Avg=1295.83, 90=1527, 99=2561, 99.9=2561, 99.99=2561] [READ-MODIFY-WRITE: Count=17, Max=57151, Min=1246, Avg=6256.65, 90=4899, 99=57151, 99.9=57151, 99.99=57151] [CLEANUP: Count=2, Max=181, Min=128, Avg=154.5, 90=181, 99=181, 99.9=181, 99.99=181] [VERIFY: Count=40, Max=400, Min=0, Avg=42.8, 90=75, 99=400, 99.9=400, 99.99=400] [READ-FAILED: Count=16, Max=3725, Min=345, Avg=992.94, 90=1343, 99=3725, 99.9=3725, 99.99=3725] [UPDATE: Count=11, Max=6511, Min=936, Avg=2674.36, 90=3493, 99=6511, 99.9=6511, 99.99=6511]
            [OVERALL], RunTime(ms), 128
            [OVERALL], Throughput(ops/sec), 312.5
            [TOTAL_GCS_G1_Young_Generation], Count, 1
            [TOTAL_GC_TIME_G1_Young_Generation], Time(ms), 6
            [TOTAL_GCs], Count, 1
            [TOTAL_GC_TIME], Time(ms), 6
            [READ], Operations, 24
            [READ], AverageLatency(us), 4511.958333333333
            [READ], MinLatency(us), 322
            [READ], MaxLatency(us), 45343
            [READ], 50thPercentileLatency(us), 610
            [READ], 95thPercentileLatency(us), 42239
            [READ], 99thPercentileLatency(us), 45343
            [READ], Return=OK, 24
            [READ], Return=NOT_FOUND, 16
            [UPDATE-FAILED], Operations, 6
            [UPDATE-FAILED], AverageLatency(us), 1295.8333333333333
            [UPDATE-FAILED], MinLatency(us), 489
            [UPDATE-FAILED], MaxLatency(us), 2561
            [UPDATE-FAILED], 50thPercentileLatency(us), 1017
            [UPDATE-FAILED], 95thPercentileLatency(us), 2561
            [UPDATE-FAILED], 99thPercentileLatency(us), 2561
            [READ-MODIFY-WRITE], Operations, 17
            [READ-MODIFY-WRITE], AverageLatency(us), 6256.64705882353
            [READ-MODIFY-WRITE], MinLatency(us), 1246
            [READ-MODIFY-WRITE], MaxLatency(us), 57151
            [READ-MODIFY-WRITE], 50thPercentileLatency(us), 2553
            [READ-MODIFY-WRITE], 95thPercentileLatency(us), 5079
            [READ-MODIFY-WRITE], 99thPercentileLatency(us), 57151
            [CLEANUP], Operations, 2
            [CLEANUP], AverageLatency(us), 154.5
            [CLEANUP], MinLatency(us), 128
            [CLEANUP], MaxLatency(us), 181
            [CLEANUP], 50thPercentileLatency(us), 128
            [CLEANUP], 95thPercentileLatency(us), 181
            [CLEANUP], 99thPercentileLatency(us), 181
            [VERIFY], Operations, 40
            [VERIFY], AverageLatency(us), 42.8
            [VERIFY], MinLatency(us), 0
            [VERIFY], MaxLatency(us), 400
            [VERIFY], 50thPercentileLatency(us), 38
            [VERIFY], 95thPercentileLatency(us), 94
            [VERIFY], 99thPercentileLatency(us), 400
            [VERIFY], Return=UNEXPECTED_STATE, 24
            [VERIFY], Return=ERROR, 16
            [READ-FAILED], Operations, 16
            [READ-FAILED], AverageLatency(us), 992.9375
            [READ-FAILED], MinLatency(us), 345
            [READ-FAILED], MaxLatency(us), 3725
            [READ-FAILED], 50thPercentileLatency(us), 609
            [READ-FAILED], 95thPercentileLatency(us), 2185
            [READ-FAILED], 99thPercentileLatency(us), 3725
            [UPDATE], Operations, 11
            [UPDATE], AverageLatency(us), 2674.3636363636365
            [UPDATE], MinLatency(us), 936
            [UPDATE], MaxLatency(us), 6511
            [UPDATE], 50thPercentileLatency(us), 2149
            [UPDATE], 95thPercentileLatency(us), 3493
            [UPDATE], 99thPercentileLatency(us), 6511
            [UPDATE], Return=OK, 11
            [UPDATE], Return=NOT_FOUND, 6
            """;

    @Test
    void parsesOverallAndEveryOperationTypeInPrintedOrder() {
        YcsbOutput out = YcsbOutput.parse(FAILED_RUN.lines().toList());
        assertEquals(312.5, out.throughputOpsPerSec());
        assertEquals(128, out.runtimeMillis());
        assertEquals(40, out.operationsDone(), "the last status line");
        assertEquals(
                List.of("READ", "UPDATE", "READ-MODIFY-WRITE", "VERIFY"),
                List.copyOf(out.operations().keySet()));
    }

    @Test
    void foldsFailedMeasurementsAndNonOkReturnsIntoFailures() {
        Map<String, OpStats> ops = YcsbOutput.parse(FAILED_RUN.lines().toList()).operations();
        assertEquals(new OpStats(24, 610, 42239, 45343, 16), ops.get("READ"));
        assertEquals(new OpStats(11, 2149, 3493, 6511, 6), ops.get("UPDATE"));
        assertEquals(new OpStats(17, 2553, 5079, 57151, 0), ops.get("READ-MODIFY-WRITE"));
        assertEquals(new OpStats(40, 38, 94, 400, 40), ops.get("VERIFY"));
    }

    @Test
    void namesEachKindOfFailure() {
        YcsbOutput out = YcsbOutput.parse(FAILED_RUN.lines().toList());
        assertEquals(16 + 6 + 40, out.failures());
        assertEquals(
                List.of(
                        "[READ] Return=NOT_FOUND: 16",
                        "[UPDATE] Return=NOT_FOUND: 6",
                        "[VERIFY] Return=UNEXPECTED_STATE: 24",
                        "[VERIFY] Return=ERROR: 16"),
                out.failureDetails());
    }

    @Test
    void countsFailedMeasurementsEvenWithoutReturnLines() {
        YcsbOutput out = YcsbOutput.parse(List.of(
                "[OVERALL], RunTime(ms), 1000",
                "[OVERALL], Throughput(ops/sec), 10.0",
                "[SCAN-FAILED], Operations, 2",
                "[SCAN], Operations, 8",
                "[SCAN], 50thPercentileLatency(us), 100",
                "[SCAN], 99.9PercentileLatency(us), 900"));
        OpStats scan = out.operations().get("SCAN");
        assertEquals(8, scan.count());
        assertEquals(2, scan.failures());
        assertEquals(100, scan.p50Micros());
        assertTrue(Double.isNaN(scan.p95Micros()), "not printed, so unknown");
        assertEquals(List.of("[SCAN-FAILED] Operations: 2"), out.failureDetails());
        assertEquals(-1, out.operationsDone(), "no status line");
    }

    @Test
    void withoutOverallLinesThroughputIsUnknown() {
        YcsbOutput out = YcsbOutput.parse(
                List.of("Loading workload...", "Exception in thread \"main\" java.lang.NumberFormatException: null"));
        assertTrue(Double.isNaN(out.throughputOpsPerSec()));
        assertTrue(out.operations().isEmpty());
    }
}

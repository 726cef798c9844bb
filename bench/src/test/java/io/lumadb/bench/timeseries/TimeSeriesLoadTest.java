package io.lumadb.bench.timeseries;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TimeSeriesLoadTest {

    @TempDir
    Path dir;

    @Test
    void batchesAreWholeLinesAndTheLastMayBeShort() throws Exception {
        Path file = dir.resolve("data.lp");
        Files.writeString(file, "a 1\nbb 2\nccc 3\nd 4\neeeee 5\n");
        // Lines end at 4, 9, 15, 19 and 27.
        assertArrayEquals(new long[] {0, 9, 19, 27}, TimeSeriesLoad.batchOffsets(file, 2));
        assertArrayEquals(new long[] {0, 27}, TimeSeriesLoad.batchOffsets(file, 5));
        assertArrayEquals(new long[] {0, 27}, TimeSeriesLoad.batchOffsets(file, 100));
    }

    @Test
    void drivesLumaDbsContractFromWriteToTheCheckedAggregate() throws Exception {
        CpuData data = new CpuData(
                new CpuData.Settings(9, 5, 400, CpuData.TSBS_START, CpuData.TEN_SECONDS, TimeUnit.HOURS.toNanos(1)));
        Path file = dir.resolve("cpu.lp");
        data.writeTo(file);
        try (FakeLumaDb lumadb = new FakeLumaDb(204)) {
            TimeSeriesLoad.Result r = run(lumadb, data.settings(), file);
            assertEquals("ok", r.status(), r.failures().toString());
            assertEquals(2_000, r.rows());
            assertEquals(7, r.batches());
            assertEquals(2, r.aggregateMs().size());
            assertTrue(r.queryableSeconds() >= r.acknowledgedSeconds(), r.toString());
            assertEquals(
                    List.of(), Window.compare("LumaDB", r.windows(), "the generator", data.expectedWindows(), 1e-9, 5));
            assertEquals(10, r.windows().size());
            assertTrue(
                    lumadb.writeQueries().stream().allMatch(q -> q.equals("bucket=bench%2Fcpu&precision=ns")),
                    lumadb.writeQueries().toString());
        }
    }

    @Test
    void aNodeWithoutTheWriteEndpointIsUnavailableNotFailed() throws Exception {
        CpuData data = new CpuData(
                new CpuData.Settings(9, 2, 10, CpuData.TSBS_START, CpuData.TEN_SECONDS, TimeUnit.HOURS.toNanos(1)));
        Path file = dir.resolve("cpu.lp");
        data.writeTo(file);
        try (FakeLumaDb lumadb = new FakeLumaDb(404)) {
            TimeSeriesLoad.Result r = run(lumadb, data.settings(), file);
            assertEquals("unavailable", r.status(), r.toString());
            assertTrue(
                    r.unavailable().startsWith("POST /api/v2/write?bucket=bench%2Fcpu&precision=ns answered 404"),
                    r.unavailable());
        }
    }

    private TimeSeriesLoad.Result run(FakeLumaDb lumadb, CpuData.Settings s, Path file) throws Exception {
        Path json = dir.resolve("result.json");
        int exit = new CommandLine(new TimeSeriesLoad())
                .registerConverter(java.time.Duration.class, io.lumadb.bench.Cli::duration)
                .execute(
                        "--system",
                        "lumadb",
                        "--url",
                        lumadb.url(),
                        "--data",
                        file.toString(),
                        "--rows",
                        Long.toString(s.rows()),
                        "--from",
                        Long.toString(s.start()),
                        "--to",
                        Long.toString(s.end()),
                        "--lines-per-batch",
                        "300",
                        "--connections",
                        "3",
                        "--warmup-runs",
                        "1",
                        "--runs",
                        "2",
                        "--queryable-timeout",
                        "10s",
                        "--json",
                        json.toString());
        TimeSeriesLoad.Result r = new ObjectMapper().readValue(json.toFile(), TimeSeriesLoad.Result.class);
        assertEquals(r.status().equals("failed") ? 1 : 0, exit);
        return r;
    }
}

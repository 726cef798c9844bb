package io.lumadb.bench.timeseries;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}

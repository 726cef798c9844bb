package io.lumadb.bench.ycsb;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one {@link YcsbRunner#run}: YCSB's {@code [OVERALL]} throughput and run time, the
 * statistics of each operation type, and the file holding YCSB's whole output.
 *
 * <p>{@code operations} is ordered: its first entry is {@code "ALL"} when a merged histogram exists,
 * then the operation types in the order YCSB printed them. {@code CLEANUP} and the {@code -FAILED}
 * measurements are not entries (the latter are folded into {@link OpStats#failures()}).
 *
 * @param operations per operation type. All operations together: count-weighted percentiles are NOT
 *     meaningful, so {@code "ALL"} holds the percentiles of the merged HdrHistogram of every single
 *     database call (READ, UPDATE, INSERT, SCAN, DELETE; not READ-MODIFY-WRITE, which is a READ plus
 *     an UPDATE already counted, nor VERIFY, which is client-side checking), read from the histogram
 *     logs YCSB writes (omitted if there are none).
 * @param output YCSB's stdout and stderr, merged (the measurement lines come after the run, so they
 *     are never interleaved with status lines)
 */
public record YcsbResult(
        YcsbSpec spec, double throughputOpsPerSec, double runtimeMillis, Map<String, OpStats> operations, Path output) {

    public YcsbResult {
        Objects.requireNonNull(spec, "spec");
        // Copied into an ordered unmodifiable map: Map.copyOf would lose "ALL first".
        operations = Collections.unmodifiableMap(new LinkedHashMap<>(operations));
    }
}

package io.lumadb.bench.ycsb;

/**
 * What YCSB measured for one operation type (READ, UPDATE, INSERT, SCAN, READ-MODIFY-WRITE, ...) in
 * one run. Latencies in microseconds, from YCSB's HdrHistogram measurements; {@code NaN} when YCSB
 * printed no such percentile (no successful operation of the type).
 *
 * @param count operations of this type that succeeded (YCSB's {@code Operations} line)
 * @param failures operations of this type that returned anything but OK (YCSB's {@code Return=}
 *     lines other than OK, or the {@code <OP>-FAILED} measurement, whichever is larger)
 */
public record OpStats(long count, double p50Micros, double p95Micros, double p99Micros, long failures) {}

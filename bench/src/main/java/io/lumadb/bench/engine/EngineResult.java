package io.lumadb.bench.engine;

/**
 * One measured pair member: operation ("get", "put", "put-batch100" ...), implementation
 * ("lumadb-store" or "raw-rocksdb"), throughput in operations (documents) per second, and JMH's
 * score error (the half-width of its 99.9% confidence interval; NaN when there are too few
 * iterations to compute one).
 */
public record EngineResult(String operation, String implementation, double opsPerSec, double error) {}

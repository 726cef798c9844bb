package io.lumadb.bench.query;

/**
 * One client thread's connection to one system, answering queries the way the benchmark
 * measures them. Not thread-safe: one per thread.
 */
interface QueryClient extends AutoCloseable {

    /**
     * Runs {@code p} and returns how many documents the answer holds.
     *
     * @throws Exception when the system failed to answer (a non-200 status, a malformed answer,
     *     an SQL or I/O error)
     */
    int run(QueryParams p) throws Exception;

    @Override
    void close();
}

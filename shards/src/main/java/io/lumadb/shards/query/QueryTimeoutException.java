package io.lumadb.shards.query;

/** Thrown when a query passed its {@link Deadline}; the query's partial work is discarded. */
public final class QueryTimeoutException extends RuntimeException {
    public QueryTimeoutException(String message) {
        super(message);
    }
}

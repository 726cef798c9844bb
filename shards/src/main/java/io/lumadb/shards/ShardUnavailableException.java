package io.lumadb.shards;

/**
 * A shard (or the catalog) did not answer in time or is failing. For a write, whether it took
 * effect is unknown: retry it (conditional writes make retries safe).
 */
public final class ShardUnavailableException extends RuntimeException {
    public ShardUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

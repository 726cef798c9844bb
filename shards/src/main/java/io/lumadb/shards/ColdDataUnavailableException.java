package io.lumadb.shards;

/**
 * A document's body is in the cold tier and cannot be read now: its segment has lost more
 * fragments than the erasure code can rebuild, or the fragments are on nodes that do not answer.
 * Nothing wrong is ever answered in its place; the API reports it as 503.
 */
public final class ColdDataUnavailableException extends RuntimeException {
    public ColdDataUnavailableException(String message) {
        super(message);
    }

    public ColdDataUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

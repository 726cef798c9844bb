package io.lumadb.vector.index;

/**
 * A text query that cannot be run: bad syntax, a field that is not one of the index's paths, or a
 * query that expands to too many terms. The message says what is wrong, for the caller to show.
 */
public final class SearchQueryException extends RuntimeException {

    public SearchQueryException(String message) {
        super(message);
    }

    public SearchQueryException(String message, Throwable cause) {
        super(message, cause);
    }
}

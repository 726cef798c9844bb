package io.lumadb.vector.index;

/**
 * A search index could not be read or written (an I/O error, a corrupt or foreign index, an
 * index closed by a fatal error). The message names the index and its directory.
 */
public final class SearchIndexException extends RuntimeException {

    public SearchIndexException(String message, Throwable cause) {
        super(message, cause);
    }
}

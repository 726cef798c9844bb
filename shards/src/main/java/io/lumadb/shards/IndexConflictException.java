package io.lumadb.shards;

/** An index of this name exists with other fields; drop it first to redefine it. */
public final class IndexConflictException extends RuntimeException {
    public IndexConflictException(String message) {
        super(message);
    }
}

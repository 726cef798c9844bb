package io.lumadb.cdc;

/**
 * A change-stream or live-query request that cannot be served as asked: a malformed or foreign
 * resume token, or a bad filter. {@code pointer} names the offending part of the request.
 */
public final class InvalidStreamRequestException extends RuntimeException {

    private final String pointer;

    public InvalidStreamRequestException(String pointer, String message) {
        super(message);
        this.pointer = pointer;
    }

    public String pointer() {
        return pointer;
    }
}

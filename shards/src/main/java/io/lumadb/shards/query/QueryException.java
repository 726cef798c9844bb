package io.lumadb.shards.query;

/**
 * Thrown for every invalid query. {@link #pointer()} is a JSON Pointer (RFC 6901) into the request
 * body naming the offending part, e.g. {@code /filter/age/$gte}; the message says what is wrong and
 * what is allowed. The HTTP layer maps it to a 400 problem of type {@code
 * urn:lumadb:problem:invalid-query}.
 */
public final class QueryException extends RuntimeException {
    private final String pointer;

    public QueryException(String pointer, String message) {
        super(message);
        this.pointer = pointer;
    }

    /** The JSON Pointer of the offending part of the request body ({@code ""} = the whole body). */
    public String pointer() {
        return pointer;
    }

    /** {@code pointer} extended by one reference token, escaped per RFC 6901. */
    public static String child(String pointer, String token) {
        return pointer + "/" + token.replace("~", "~0").replace("/", "~1");
    }

    /** {@code pointer} extended by an array index. */
    static String child(String pointer, int index) {
        return pointer + "/" + index;
    }
}

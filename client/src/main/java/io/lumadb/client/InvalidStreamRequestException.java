package io.lumadb.client;

/**
 * The server refused the stream's parameters (HTTP 400, problem type {@code
 * invalid-stream-request}): a malformed resume token, a token of another collection (or of an
 * earlier collection of the same name), or an invalid filter. {@link #field()} names the
 * parameter, such as {@code /from} or {@code /filter}.
 */
public final class InvalidStreamRequestException extends LumaDbException {

    InvalidStreamRequestException(int status, String detail, String field, String request) {
        super(
                status,
                "invalid-stream-request",
                detail,
                field,
                "invalid stream request" + (field == null ? "" : " (" + field + ")") + ": " + detail + " (" + request
                        + ")",
                null);
    }
}

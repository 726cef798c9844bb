package io.lumadb.client;

/**
 * The server could not be reached or kept failing for more consecutive attempts than {@link
 * ChangeStreamSettings#maxRetries()} allows; the cause is the last failure.
 */
public final class LumaDbUnavailableException extends LumaDbException {

    LumaDbUnavailableException(int attempts, String request, Throwable lastFailure) {
        super(
                0,
                null,
                String.valueOf(lastFailure),
                null,
                request + " failed " + attempts + " times in a row; last: " + lastFailure,
                lastFailure);
    }
}

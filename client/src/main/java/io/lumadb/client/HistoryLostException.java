package io.lumadb.client;

/**
 * The server no longer has the changes right after the stream's position (journal retention
 * dropped them; HTTP 410, problem type {@code history-lost}). The stream fails with this rather
 * than skip anything: a consumer that continued would silently miss changes. Recover by rebuilding
 * what the stream feeds from a snapshot of the collection and starting again from {@link
 * StartPosition#now()} (read the collection after starting), or replay what is left from {@link
 * StartPosition#beginning()}.
 */
public final class HistoryLostException extends LumaDbException {

    private final String position;

    HistoryLostException(int status, String detail, String position, String request) {
        super(
                status,
                "history-lost",
                detail,
                "from",
                "history lost: the server no longer keeps the changes after position " + position + " (" + request
                        + "): " + detail,
                null);
        this.position = position;
    }

    /** The position ({@code from} value) whose following changes are gone. */
    public String position() {
        return position;
    }
}

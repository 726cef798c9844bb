package io.lumadb.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A failure of a LumaDB client call that retrying the same request cannot fix: the server
 * refused it with a problem (RFC 9457, {@code application/problem+json}), or answered something
 * that is not the protocol. Transient failures (connection refused or dropped, 5xx, timeouts) are
 * retried and never surface as this, unless the retries run out ({@link
 * LumaDbUnavailableException}).
 */
public class LumaDbException extends RuntimeException {

    /** The prefix of every LumaDB problem type URN. */
    static final String TYPE_PREFIX = "urn:lumadb:problem:";

    private final int status;
    private final String type;
    private final String detail;
    private final String field;

    LumaDbException(int status, String type, String detail, String field, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.type = type;
        this.detail = detail;
        this.field = field;
    }

    /**
     * The exception for a problem answer: {@link HistoryLostException} for {@code history-lost},
     * {@link InvalidStreamRequestException} for {@code invalid-stream-request}, else this class.
     *
     * @param problem the parsed problem body, or null if the body was not a problem
     * @param body the raw body (used when it is not a problem)
     */
    static LumaDbException of(int status, JsonNode problem, String body, String request, String position) {
        String type = null;
        String detail = body;
        String field = null;
        if (problem != null && problem.isObject()) {
            String rawType = problem.path("type").asText("");
            type = rawType.startsWith(TYPE_PREFIX) ? rawType.substring(TYPE_PREFIX.length()) : rawType;
            detail = problem.path("detail").asText(problem.path("title").asText(body));
            field = problem.hasNonNull("field") ? problem.get("field").asText() : null;
        }
        if ("history-lost".equals(type)) {
            return new HistoryLostException(status, detail, position, request);
        }
        if ("invalid-stream-request".equals(type)) {
            return new InvalidStreamRequestException(status, detail, field, request);
        }
        return new LumaDbException(
                status,
                type,
                detail,
                field,
                request + " failed with " + status + (type == null || type.isEmpty() ? "" : " " + type) + ": " + detail,
                null);
    }

    /** The server answered something that is not the LumaDB protocol. */
    static LumaDbException protocol(String message) {
        return new LumaDbException(0, "protocol", message, null, message, null);
    }

    /** The HTTP status of the answer, or 0 when the failure was not an HTTP answer. */
    public int status() {
        return status;
    }

    /**
     * The problem type's stable slug ({@code history-lost}, {@code invalid-stream-request}, {@code
     * collection-not-found}, ...; {@code protocol} for an answer that is not the protocol), or null
     * when the answer carried no problem.
     */
    public String problemType() {
        return type;
    }

    /** The server's explanation, for people. */
    public String detail() {
        return detail;
    }

    /** The request parameter the problem is about (such as {@code /from}), or null. */
    public String field() {
        return field;
    }
}

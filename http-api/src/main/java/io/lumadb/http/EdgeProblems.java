package io.lumadb.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The problem answers of the connection edge, given before (or instead of) {@link ApiHandler}:
 * requests the HTTP parser refuses, request heads that do not arrive in time, connections over a
 * limit, and requests not answered within the request timeout. They are {@code
 * application/problem+json} like every other answer of the API.
 */
public final class EdgeProblems {

    /** The methods the API serves, for the {@code Allow} header of a 405 to an unknown method. */
    private static final String METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    private static final Pattern HEADER_NAME = Pattern.compile("Illegal '([^']+)' header");

    private EdgeProblems() {}

    /**
     * The JSON media types the API reads, declared with an open charset: Pekko would otherwise
     * parse {@code application/json; charset=utf-16} as plain {@code application/json} (its
     * charset is fixed) and drop the parameter, which the API must see to refuse it.
     */
    public static MediaType[] jsonMediaTypes() {
        return new MediaType[] {
            MediaTypes.applicationWithOpenCharset("json"),
            MediaTypes.applicationWithOpenCharset("merge-patch+json"),
            MediaTypes.applicationWithOpenCharset("x-ndjson")
        };
    }

    /** The answer to a request the HTTP parser refused with {@code status}, described by {@code summary}. */
    public static HttpResponse parsingError(int status, String summary) {
        ApiException problem =
                switch (status) {
                    case 413 -> new ApiException(413, "payload-too-large", "Payload too large", summary, "body");
                    case 414 -> new ApiException(414, "uri-too-long", "URI too long", summary, "request-target");
                    case 431 ->
                        new ApiException(431, "headers-too-large", "Request header fields too large", summary, null);
                    // Pekko answers an unknown method 501 and an unknown HTTP version 505: client mistakes all the
                    // same.
                    case 501 ->
                        new ApiException(
                                405,
                                "method-not-allowed",
                                "Method not allowed",
                                summary + "; allowed: " + METHODS,
                                null,
                                Map.of("allowed", METHODS.split(", ")));
                    case 505 ->
                        ApiException.badRequest(
                                "unsupported-http-version",
                                "Unsupported HTTP version",
                                summary + "; LumaDB speaks HTTP/1.1 (and 1.0)",
                                "HTTP-version");
                    case 417 -> new ApiException(417, "expectation-failed", "Expectation failed", summary, "Expect");
                    case 422 -> new ApiException(422, "unexpected-body", "Unexpected request body", summary, "body");
                    default ->
                        summary.contains("chunk")
                                ? Problems.malformedBody(summary)
                                : ApiException.badRequest(
                                        "invalid-http-request", "Malformed HTTP request", summary, field(summary));
                };
        HttpResponse response = Problems.response(problem, null);
        return problem.status == 405 ? response.addHeader(RawHeader.create("Allow", METHODS)) : response;
    }

    private static String field(String summary) {
        if (summary.startsWith("Illegal request-target") || summary.startsWith("Illegal request URI")) {
            return "request-target";
        }
        if (summary.contains("Content-Length")) {
            return "Content-Length";
        }
        if (summary.contains("`Host`") || summary.contains("Host header")) {
            return "Host";
        }
        Matcher m = HEADER_NAME.matcher(summary);
        return m.find() ? m.group(1) : null;
    }

    /**
     * The answer to a request that got no response within the request timeout: 503, because the
     * node was too slow, not the client; a write may or may not have been applied.
     */
    public static HttpResponse responseTimeout(HttpRequest request, Duration timeout) {
        return Problems.response(
                        new ApiException(
                                503,
                                "response-timeout",
                                "Response timeout",
                                "the node did not answer within " + timeout.toMillis()
                                        + " ms (pekko.http.server.request-timeout); the outcome of a write is"
                                        + " unknown, read before retrying",
                                null),
                        request.getUri().path())
                .addHeader(RawHeader.create("Retry-After", "1"));
    }

    /** The answer to a request that arrives while the node shuts down; the connection is closed after it. */
    public static HttpResponse shuttingDown(HttpRequest request) {
        return Problems.response(
                        new ApiException(
                                503,
                                "shutting-down",
                                "Shutting down",
                                "the node is shutting down; retry on another node or after it restarted",
                                null),
                        request.getUri().path())
                .addHeader(org.apache.pekko.http.javadsl.model.headers.Connection.create("close"));
    }

    /** The answer of a failed handler: nothing about the failure goes to the client. */
    public static HttpResponse internalError(HttpRequest request) {
        return Problems.response(
                new ApiException(
                        500, "internal", "Internal error", "an unexpected error occurred; see the server log", null),
                request.getUri().path());
    }

    /**
     * A complete HTTP/1.1 message (status line, headers, body) that closes the connection, for the
     * answers written below the HTTP layer: 408 to a request head that did not arrive within
     * {@code timeout}.
     */
    public static byte[] rawHeaderTimeout(Duration timeout) {
        return raw(new ApiException(
                408,
                "header-timeout",
                "Request header timeout",
                "the request head did not arrive within " + timeout.toMillis() + " ms (lumadb.http.header-timeout)",
                null));
    }

    /**
     * A complete HTTP/1.1 400 that closes the connection, for a Content-Length that is not one
     * decimal number ({@code 7 7}: Pekko's parser skips the space and reads 77).
     */
    public static byte[] rawInvalidContentLength(String value) {
        return raw(ApiException.badRequest(
                "invalid-content-length",
                "Invalid Content-Length",
                "Content-Length must be one decimal number, got '" + value + "'",
                "Content-Length"));
    }

    /** A complete HTTP/1.1 503 that closes the connection: the client's address holds {@code limit} connections. */
    public static byte[] rawTooManyConnections(int limit) {
        return raw(new ApiException(
                503,
                "too-many-connections",
                "Too many connections",
                "this address already holds " + limit
                        + " connections to the node (lumadb.http.max-connections-per-address); reuse them",
                null));
    }

    private static byte[] raw(ApiException problem) {
        HttpResponse response = Problems.response(problem, null);
        byte[] body = ((org.apache.pekko.http.javadsl.model.HttpEntity.Strict) response.entity())
                .getData()
                .toArray();
        String head = "HTTP/1.1 " + problem.status + " " + response.status().reason() + "\r\n"
                + "Server: LumaDB\r\n"
                + "Content-Type: application/problem+json\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + (problem.status == 503 ? "Retry-After: 1\r\n" : "")
                + "Connection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(body, 0, all, headBytes.length, body.length);
        return all;
    }
}

package io.lumadb.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.AccessDeniedException;
import io.lumadb.security.AuthenticationException;
import io.lumadb.security.Authenticator;
import io.lumadb.security.SecurityCatalogException;
import io.lumadb.shards.IndexConflictException;
import io.lumadb.shards.NotFoundException;
import io.lumadb.shards.ShardUnavailableException;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.InvalidNameException;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.QueryTimeoutException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns failures into {@code application/problem+json} responses. Problem types are stable
 * URNs, {@code urn:lumadb:problem:<slug>}, documented in the OpenAPI description.
 */
final class Problems {

    static final String TYPE_PREFIX = "urn:lumadb:problem:";

    static final ContentType PROBLEM_JSON =
            ContentTypes.create(MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));

    private static final Logger log = LoggerFactory.getLogger(Problems.class);

    private Problems() {}

    static HttpResponse response(ApiException e, String instance) {
        ObjectNode body = DocumentJson.mapper().createObjectNode();
        body.put("type", TYPE_PREFIX + e.type);
        body.put("title", e.title);
        body.put("status", e.status);
        if (e.getMessage() != null) {
            body.put("detail", e.getMessage());
        }
        if (e.field != null) {
            body.put("field", e.field);
        }
        if (instance != null) {
            body.put("instance", instance);
        }
        for (Map.Entry<String, Object> x : e.extra.entrySet()) {
            body.putPOJO(x.getKey(), x.getValue());
        }
        HttpResponse response = HttpResponse.create()
                .withStatus(StatusCodes.get(e.status))
                .withEntity(PROBLEM_JSON, DocumentJson.bytes(body));
        return switch (e.status) {
            // RFC 9110: a 401 names the schemes that would work.
            case 401 -> response.addHeader(RawHeader.create("WWW-Authenticate", "Basic realm=\"LumaDB\", Bearer"));
            // A rate limit says when its bucket has a token again (extra "retryAfter"); others: a moment.
            case 429 ->
                response.addHeader(
                        RawHeader.create("Retry-After", String.valueOf(e.extra.getOrDefault("retryAfter", 1))));
            default -> response;
        };
    }

    /**
     * A body the HTTP parser refused while it streamed in (a malformed chunked encoding): 413 when
     * a chunk is larger than the parser takes, 400 otherwise.
     */
    static ApiException malformedBody(String summary) {
        if (summary.startsWith("HTTP chunk of") || summary.startsWith("HTTP chunk size")) {
            return new ApiException(413, "chunk-too-large", "Chunk too large", summary, "body");
        }
        return ApiException.badRequest("malformed-body", "Malformed request body", summary, "body");
    }

    private static ApiException securityProblem(SecurityCatalogException e) {
        return switch (e.outcome()) {
            case NOT_FOUND -> new ApiException(404, "not-found", "Not found", e.getMessage(), null);
            case UNKNOWN_ROLE -> ApiException.badRequest("unknown-role", "Unknown role", e.getMessage(), "/roles");
            case UNKNOWN_OWNER -> ApiException.badRequest("unknown-owner", "Unknown owner", e.getMessage(), "/owner");
            case PASSWORD_REQUIRED ->
                ApiException.badRequest("password-required", "Password required", e.getMessage(), "/password");
            case LAST_ADMIN -> new ApiException(409, "last-admin", "Last admin", e.getMessage(), null);
            case ROLE_IN_USE -> new ApiException(409, "role-in-use", "Role in use", e.getMessage(), null);
            case BUILT_IN -> new ApiException(409, "built-in-role", "Built-in role", e.getMessage(), null);
            default -> new ApiException(409, "security-conflict", "Security conflict", e.getMessage(), null);
        };
    }

    /** Maps any failure of a request to its problem. */
    static ApiException classify(Throwable failure) {
        Throwable e = failure;
        while ((e instanceof CompletionException || e instanceof java.util.concurrent.ExecutionException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        return switch (e) {
            case ApiException api -> api;
            case InvalidNameException bad ->
                ApiException.badRequest("invalid-name", "Invalid name", bad.getMessage(), bad.field());
            case NotFoundException nf -> ApiException.notFound(nf.kind(), nf.getMessage());
            case QueryException bad ->
                ApiException.badRequest("invalid-query", "Invalid query", bad.getMessage(), bad.pointer());
            case io.lumadb.cdc.InvalidStreamRequestException bad ->
                ApiException.badRequest(
                        "invalid-stream-request", "Invalid stream request", bad.getMessage(), bad.pointer());
            case io.lumadb.cdc.CollectionDroppedException dropped ->
                new ApiException(
                        410, "collection-dropped", "Collection dropped", dropped.getMessage(), dropped.pointer());
            case io.lumadb.cdc.topics.InvalidTopicException bad ->
                ApiException.badRequest("invalid-topic", "Invalid topic", bad.getMessage(), "topic");
            case io.lumadb.sql.SqlException bad -> SqlResource.problem(bad);
            case QueryTimeoutException slow ->
                new ApiException(
                        408,
                        "query-timeout",
                        "Query timeout",
                        slow.getMessage() + "; it was cancelled (lumadb.query.timeout, or the request's timeoutMs)",
                        null);
            case io.lumadb.shards.WrongKindException wrong ->
                new ApiException(409, "not-documents", "Not a collection of documents", wrong.getMessage(), null);
            case IndexConflictException conflict ->
                new ApiException(409, "index-conflict", "Index conflict", conflict.getMessage(), null);
            case AuthenticationException unknown ->
                new ApiException(401, "unauthorized", "Unauthorized", unknown.getMessage(), "Authorization");
            case AccessDeniedException denied ->
                new ApiException(403, "forbidden", "Forbidden", denied.getMessage(), null);
            case SubscriptionGuard.AccessChanged changed ->
                new ApiException(409, "access-changed", "Access changed", changed.getMessage(), null);
            case Authenticator.Busy busy ->
                new ApiException(429, "too-many-logins", "Too many logins", busy.getMessage(), null);
            case SecurityCatalogException refused -> securityProblem(refused);
            case io.lumadb.shards.ColdDataUnavailableException cold ->
                new ApiException(503, "cold-data-unavailable", "Cold data unavailable", cold.getMessage(), null);
            case ShardUnavailableException su ->
                new ApiException(503, "shard-unavailable", "Shard unavailable", su.getMessage(), null);
            case EntityStreamSizeException big ->
                new ApiException(
                        413,
                        "payload-too-large",
                        "Payload too large",
                        "the request body exceeds the limit of " + big.limit() + " bytes",
                        "body");
            case EntityStreamException bad -> malformedBody(bad.info().summary());
            case IllegalArgumentException bad ->
                ApiException.badRequest("invalid-request", "Invalid request", bad.getMessage(), null);
            case java.util.concurrent.TimeoutException t ->
                new ApiException(
                        408, "request-timeout", "Request timeout", "the request body did not arrive in time", "body");
            default -> {
                log.error("Request failed unexpectedly", e);
                yield new ApiException(
                        500, "internal", "Internal error", "an unexpected error occurred; see the server log", null);
            }
        };
    }
}

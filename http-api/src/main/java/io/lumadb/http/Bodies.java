package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.Stages;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.util.ByteString;

/**
 * Reading request bodies: the media type and charset a route accepts, the size limit, and the
 * encoding. A refused body is drained, so the connection stays usable.
 */
final class Bodies {

    static final Set<String> JSON = Set.of("application/json");

    private final ClassicActorSystemProvider system;
    private final Duration timeout;

    Bodies(ClassicActorSystemProvider system, Duration timeout) {
        this.system = system;
        this.timeout = timeout;
    }

    /** The request's media type without parameters, lower case. */
    static String mediaType(HttpRequest request) {
        var mt = request.entity().getContentType().mediaType();
        return (mt.mainType() + "/" + mt.subType()).toLowerCase(Locale.ROOT);
    }

    /**
     * Reads the whole body, refusing other media types and charsets other than UTF-8 (415), bodies
     * over {@code limit} (413) and bodies that are not UTF-8 (400; NDJSON is checked per line by
     * {@link BulkItems}, so that the problem names the line).
     */
    CompletionStage<byte[]> read(HttpRequest request, long limit, Set<String> mediaTypes) {
        String mt = mediaType(request);
        if (!mediaTypes.contains(mt)) {
            request.discardEntityBytes(system);
            return CompletableFuture.failedFuture(new ApiException(
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "Content-Type must be " + String.join(" or ", new TreeSet<>(mediaTypes)) + ", got " + mt,
                    "Content-Type"));
        }
        // The server parses JSON media types with an open charset (EdgeProblems.jsonMediaTypes), so a
        // charset parameter is seen here instead of being dropped.
        var charset = request.entity().getContentType().getCharsetOption();
        if (charset.isPresent() && !charset.get().value().equalsIgnoreCase("utf-8")) {
            request.discardEntityBytes(system);
            return CompletableFuture.failedFuture(new ApiException(
                    415,
                    "unsupported-charset",
                    "Unsupported charset",
                    "LumaDB takes UTF-8 JSON only: the Content-Type charset must be utf-8 or absent, got "
                            + charset.get().value(),
                    "Content-Type"));
        }
        boolean perLine = mt.equals("application/x-ndjson");
        return bytes(request, limit).thenApply(bytes -> {
            if (!perLine) {
                JsonBodies.requireUtf8(bytes, "body");
            }
            return bytes;
        });
    }

    /**
     * Reads the whole body as it is, of any media type, refusing bodies over {@code limit} (413);
     * for routes that take another format than JSON and check it themselves.
     */
    CompletionStage<byte[]> bytes(HttpRequest request, long limit) {
        return data(request, limit).thenApply(ByteString::toArray);
    }

    /**
     * Reads the whole body as {@link #bytes} does, without copying it into an array of its own:
     * for a route that reads it once, into a buffer it reuses.
     */
    CompletionStage<ByteString> data(HttpRequest request, long limit) {
        var length = request.entity().getContentLengthOption();
        if (length.isPresent() && length.getAsLong() > limit) {
            request.discardEntityBytes(system);
            return CompletableFuture.failedFuture(tooLarge(limit));
        }
        CompletionStage<HttpEntity.Strict> whole;
        if (request.entity() instanceof HttpEntity.Strict strict) {
            // The whole body arrived with the request (as it does for most; its length, checked above,
            // is its Content-Length): taken as it is. Pekko's toStrict with a byte limit would run a
            // stream, an actor of its own, for every request.
            whole = CompletableFuture.completedFuture(strict);
        } else {
            whole = Stages.sameThread(request.entity()
                    .withSizeLimit(limit)
                    // With our own limit: the default would stop at pekko.http.parsing.max-to-strict-bytes.
                    .toStrict(timeout.toMillis(), limit, system));
        }
        return whole.thenApply(HttpEntity.Strict::getData);
    }

    /** A JSON body parsed. */
    CompletionStage<JsonNode> readJson(HttpRequest request, long limit) {
        return read(request, limit, JSON).thenApply(body -> JsonBodies.parse(body, "body"));
    }

    /** An optional JSON body: empty when the request has none. */
    CompletionStage<Optional<JsonNode>> readOptionalJson(HttpRequest request, long limit) {
        var length = request.entity().getContentLengthOption();
        if (length.isPresent() && length.getAsLong() == 0) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return read(request, limit, JSON)
                .thenApply(
                        bytes -> bytes.length == 0 ? Optional.empty() : Optional.of(JsonBodies.parse(bytes, "body")));
    }

    static ApiException tooLarge(long limit) {
        return new ApiException(
                413,
                "payload-too-large",
                "Payload too large",
                "the request body exceeds the limit of " + limit + " bytes",
                "body");
    }
}

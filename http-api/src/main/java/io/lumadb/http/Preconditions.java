package io.lumadb.http;

import io.lumadb.shards.model.DocumentWrite;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Conditional requests on documents: ETags are versions, {@code "12"}. */
final class Preconditions {

    private Preconditions() {}

    static HttpHeader etag(long version) {
        return RawHeader.create("ETag", "\"" + version + "\"");
    }

    /** Whether an {@code If-None-Match} value names {@code version} (or is {@code *}); weak tags count. */
    static boolean matchesEtag(String header, long version) {
        for (String tag : header.split(",")) {
            String t = tag.trim();
            if (t.equals("*") || t.equals("\"" + version + "\"") || t.equals("W/\"" + version + "\"")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The precondition of a write from its headers: {@code If-Match: "<version>"} or {@code
     * If-Match: *} (the document must exist), or {@code If-None-Match: *} (create-only); {@link
     * DocumentWrite#ANY} without either.
     */
    static long ofWrite(HttpRequest request) {
        Optional<HttpHeader> ifMatch = request.getHeader("If-Match");
        Optional<HttpHeader> ifNoneMatch = request.getHeader("If-None-Match");
        if (ifMatch.isPresent() && ifNoneMatch.isPresent()) {
            throw ApiException.badRequest(
                    "invalid-header",
                    "Invalid precondition",
                    "If-Match and If-None-Match cannot be combined",
                    "If-Match");
        }
        if (ifNoneMatch.isPresent()) {
            if (!ifNoneMatch.get().value().trim().equals("*")) {
                throw ApiException.badRequest(
                        "invalid-header",
                        "Invalid precondition",
                        "on writes If-None-Match supports only '*' (create-only)",
                        "If-None-Match");
            }
            return DocumentWrite.ABSENT;
        }
        if (ifMatch.isEmpty()) {
            return DocumentWrite.ANY;
        }
        String value = ifMatch.get().value().trim();
        if (value.equals("*")) {
            return DocumentWrite.EXISTS;
        }
        String v = value.startsWith("\"") && value.endsWith("\"") && value.length() >= 2
                ? value.substring(1, value.length() - 1)
                : value;
        try {
            long version = Long.parseLong(v);
            if (version >= 1) {
                return version;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ApiException.badRequest(
                "invalid-header",
                "Invalid precondition",
                "If-Match must be one version as returned in ETag, such as \"12\", or *; got " + value,
                "If-Match");
    }
}

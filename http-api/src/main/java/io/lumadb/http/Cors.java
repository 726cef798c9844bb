package io.lumadb.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Cross-origin resource sharing (the CORS protocol of the Fetch standard), so that a page served
 * from another origin can use the API from a browser: {@code fetch} and an {@code EventSource}
 * on the change stream. Off while {@code lumadb.http.cors.allowed-origins} is empty; off, it
 * changes no request and no response.
 *
 * <p>On, for an allowed origin: every response (errors included, so a page can read the
 * problem) carries {@code Access-Control-Allow-Origin} with that origin and the headers a page
 * may read, and a preflight is answered {@code 204} before routing, for any path. A preflight
 * from any other origin is refused with {@code 403 cors-origin-not-allowed}; its other requests
 * are served without CORS headers, so the browser keeps the response from the page. Credentials
 * (cookies) are never allowed: {@code Access-Control-Allow-Credentials} is not sent.
 */
final class Cors {

    /** What a page may send; the browser checks a preflight's requested method against it. */
    static final String ALLOWED_METHODS = "GET, HEAD, PUT, POST, PATCH, DELETE";

    /**
     * The request headers the API reads. {@code Last-Event-ID} is sent by an EventSource that
     * reconnects; {@code Accept} and {@code Cache-Control} by some browsers' EventSource.
     */
    static final String ALLOWED_HEADERS =
            "Accept, Authorization, Cache-Control, Content-Type, If-Match, If-None-Match, Last-Event-ID";

    /** The response headers, beyond the CORS-safelisted ones, that a page may read. */
    static final String EXPOSED_HEADERS = "Allow, ETag, Location, LumaDB-Next-Token";

    /** An origin as a browser serializes it: scheme, host, optional port; no path, no slash. */
    private static final Pattern ORIGIN = Pattern.compile("[a-z][a-z0-9+.-]*://[^/?#\\s]+");

    private final Set<String> origins;
    private final boolean anyOrigin;
    private final String maxAgeSeconds;

    /**
     * @param allowedOrigins origins as {@link #checkOrigins} accepts them, or {@code "*"} for
     *     any; empty turns CORS off
     * @param maxAge how long a browser may cache a preflight answer
     */
    Cors(List<String> allowedOrigins, Duration maxAge) {
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must not be negative, got " + maxAge);
        }
        this.origins = Set.copyOf(checkOrigins(allowedOrigins));
        this.anyOrigin = origins.contains("*");
        this.maxAgeSeconds = Long.toString(maxAge.toSeconds());
    }

    /** The same origins, checked and lowercased; a bad one fails, naming it. */
    static List<String> checkOrigins(List<String> configured) {
        Set<String> out = new LinkedHashSet<>();
        for (String origin : configured) {
            String o = origin.strip().toLowerCase(Locale.ROOT);
            if (!o.equals("*") && !ORIGIN.matcher(o).matches()) {
                throw new IllegalArgumentException("'" + origin
                        + "' is not an origin: write it as the browser sends it in the Origin header,"
                        + " scheme://host[:port] without a path or trailing slash (such as"
                        + " https://app.example.com), or \"*\" for any origin");
            }
            out.add(o);
        }
        return new ArrayList<>(out);
    }

    boolean enabled() {
        return !origins.isEmpty();
    }

    /**
     * The answer to a CORS preflight ({@code OPTIONS} with {@code Origin} and {@code
     * Access-Control-Request-Method}): 204 with the allowed methods and headers for an allowed
     * origin, 403 problem for another. Null for any other request, and always while CORS is off,
     * so that the request is routed as usual.
     */
    HttpResponse preflight(HttpRequest request) {
        if (!enabled() || !request.method().value().equals("OPTIONS")) {
            return null;
        }
        Optional<String> origin = header(request, "Origin");
        if (origin.isEmpty() || header(request, "Access-Control-Request-Method").isEmpty()) {
            return null;
        }
        if (!allows(origin.get())) {
            return Problems.response(
                            new ApiException(
                                    403,
                                    "cors-origin-not-allowed",
                                    "CORS origin not allowed",
                                    "origin '" + origin.get()
                                            + "' may not use this API from a browser; allow it in"
                                            + " lumadb.http.cors.allowed-origins",
                                    "Origin"),
                            request.getUri().path())
                    .addHeader(RawHeader.create("Vary", "Origin"));
        }
        return HttpResponse.create()
                .withStatus(StatusCodes.NO_CONTENT)
                .addHeader(RawHeader.create("Access-Control-Allow-Origin", origin.get()))
                .addHeader(RawHeader.create("Access-Control-Allow-Methods", ALLOWED_METHODS))
                .addHeader(RawHeader.create("Access-Control-Allow-Headers", ALLOWED_HEADERS))
                .addHeader(RawHeader.create("Access-Control-Max-Age", maxAgeSeconds))
                .addHeader(RawHeader.create("Vary", "Origin"));
    }

    /**
     * {@code response} with the CORS headers the request's origin earns: none while CORS is off;
     * otherwise {@code Vary: Origin} always (the answer depends on the origin, so a cache must
     * not hand one origin's answer to another), plus the allow and expose headers for an allowed
     * origin.
     */
    HttpResponse decorate(HttpRequest request, HttpResponse response) {
        if (!enabled()) {
            return response;
        }
        HttpResponse varied = response.addHeader(RawHeader.create("Vary", "Origin"));
        Optional<String> origin = header(request, "Origin");
        if (origin.isEmpty() || !allows(origin.get())) {
            return varied;
        }
        return varied.addHeader(RawHeader.create("Access-Control-Allow-Origin", origin.get()))
                .addHeader(RawHeader.create("Access-Control-Expose-Headers", EXPOSED_HEADERS));
    }

    boolean allows(String origin) {
        return anyOrigin || origins.contains(origin.strip().toLowerCase(Locale.ROOT));
    }

    private static Optional<String> header(HttpRequest request, String name) {
        return request.getHeader(name).map(HttpHeader::value).filter(v -> !v.isBlank());
    }
}

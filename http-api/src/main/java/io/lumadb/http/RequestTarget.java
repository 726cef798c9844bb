package io.lumadb.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;

/**
 * The path segments of a request exactly as the client sent them. Pekko's parsed URI resolves
 * dot segments ({@code /db/c/..} becomes {@code /db}) and its segments hide empty ones, so a
 * request for a document named {@code ..} or one ending in a slash could reach the collection or
 * database above it. Routing on the raw target (the {@code Raw-Request-URI} header, which
 * {@code pekko.http.server.raw-request-uri-header} turns on) keeps every segment where it was:
 * {@code .} and {@code ..} stay names (refused by the naming rules), and an empty segment, such
 * as the one a trailing slash leaves, matches no route.
 */
final class RequestTarget {

    private RequestTarget() {}

    /**
     * The decoded path segments of the request target, an empty one for every empty segment
     * (a trailing slash included); empty for {@code /}.
     *
     * @throws ApiException 400 {@code invalid-path} for a target that is not a path or whose
     *     percent-encoding is not UTF-8
     */
    static List<String> segments(HttpRequest request) {
        Optional<RawRequestURI> raw = request.getHeader(RawRequestURI.class);
        if (raw.isEmpty()) {
            throw new IllegalStateException("no Raw-Request-URI header: LumaDB routes on the raw request target and"
                    + " needs pekko.http.server.raw-request-uri-header = on");
        }
        return segments(raw.get().uri());
    }

    /** The decoded segments of a raw request target (origin form or absolute form). */
    static List<String> segments(String target) {
        String path = target;
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        int scheme = path.indexOf("://");
        if (scheme > 0 && path.substring(0, scheme).chars().allMatch(Character::isLetter)) {
            int slash = path.indexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        if (!path.startsWith("/")) {
            throw invalid(target, "the request target must be a path starting with '/'");
        }
        List<String> segments = new ArrayList<>();
        if (path.length() == 1) {
            return segments;
        }
        int start = 1;
        while (true) {
            int end = path.indexOf('/', start);
            segments.add(decode(path.substring(start, end < 0 ? path.length() : end), target));
            if (end < 0) {
                return segments;
            }
            start = end + 1;
        }
    }

    private static String decode(String segment, String target) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '%') {
                int hi = i + 2 < segment.length() ? Character.digit(segment.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(segment.charAt(i + 2), 16);
                if (lo < 0) {
                    throw invalid(target, "'%' must be followed by two hexadecimal digits");
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.writeBytes(utf8);
            }
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw invalid(target, "percent-encoded bytes must be UTF-8");
        }
    }

    private static ApiException invalid(String target, String why) {
        return ApiException.badRequest("invalid-path", "Invalid path", why + "; got " + target, "path");
    }
}

package io.lumadb.http;

import static io.lumadb.http.JsonResponses.done;

import io.lumadb.security.Permission;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The web console's static files at {@code /console}, read from the classpath (the {@code
 * console} module puts its built files under {@code io/lumadb/console/} in the node's jar).
 * Loading them is public; everything the console then does goes through the authenticated API.
 *
 * <p>{@code /console} and any path under it without a file extension is the single-page app's
 * own route and gets {@code index.html} ({@code Cache-Control: no-cache}, so a new build is seen
 * at once). Files under {@code assets/} carry a content hash in their names and are cached for a
 * year. A missing file is a {@code 404 console-file-not-found} problem, never {@code index.html}
 * served as a script. Every answer carries a strict Content-Security-Policy: scripts, styles and
 * connections from this origin only, no inline script, no framing. {@code index.html} gets a fresh
 * nonce per answer, in place of {@value #NONCE_PLACEHOLDER} in the page and in its policy's {@code
 * style-src}: the editor (CodeMirror) writes its styles into a {@code <style>} element carrying it,
 * and no other inline style is allowed.
 */
final class ConsoleResource implements Resource {

    /** Where the built console lives on the node's classpath. */
    static final String CLASSPATH_ROOT = "io/lumadb/console/";

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self';"
            + " base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** What the built {@code index.html} holds where each answer puts its own nonce. */
    static final String NONCE_PLACEHOLDER = "LUMADB_CSP_NONCE";

    private static final SecureRandom RANDOM = new SecureRandom();

    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String NO_CACHE = "no-cache";

    private static final String INDEX = "index.html";

    private static final Map<String, ContentType> TYPES = Map.ofEntries(
            Map.entry("html", ContentTypes.TEXT_HTML_UTF8),
            Map.entry("js", ContentTypes.parse("text/javascript; charset=UTF-8")),
            Map.entry("mjs", ContentTypes.parse("text/javascript; charset=UTF-8")),
            Map.entry("css", ContentTypes.parse("text/css; charset=UTF-8")),
            Map.entry("json", ContentTypes.APPLICATION_JSON),
            Map.entry("map", ContentTypes.APPLICATION_JSON),
            Map.entry("svg", ContentTypes.parse("image/svg+xml")),
            Map.entry("png", ContentTypes.parse("image/png")),
            Map.entry("ico", ContentTypes.parse("image/x-icon")),
            Map.entry("woff2", ContentTypes.parse("font/woff2")),
            Map.entry("txt", ContentTypes.TEXT_PLAIN_UTF8));

    private final String root;
    private final ClassLoader loader;
    /** Files already read: the set is fixed by the build, so each is read from the jar once. */
    private final Map<String, Optional<byte[]>> files = new ConcurrentHashMap<>();

    ConsoleResource() {
        this(CLASSPATH_ROOT);
    }

    /** @param root the classpath folder holding {@code index.html} and {@code assets/} (ends with '/') */
    ConsoleResource(String root) {
        if (!root.endsWith("/") || root.startsWith("/")) {
            throw new IllegalArgumentException("root is a relative classpath folder ending with '/': " + root);
        }
        this.root = root;
        this.loader = ConsoleResource.class.getClassLoader();
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/console", "getConsole", Permission.PUBLIC, call -> serve(INDEX)),
                Route.get("/console/{path...}", "getConsoleFile", Permission.PUBLIC, this::file));
    }

    private CompletionStage<HttpResponse> file(Call call) {
        String path = call.parameter("path");
        String last = path.substring(path.lastIndexOf('/') + 1);
        // A path whose last segment has no extension is one of the app's own routes (its router
        // reads the path); anything else names a file.
        return last.indexOf('.') < 0 && !path.startsWith("assets/") ? serve(INDEX) : serve(path);
    }

    private CompletionStage<HttpResponse> serve(String path) {
        Optional<byte[]> bytes = readable(path) ? files.computeIfAbsent(path, this::load) : Optional.empty();
        if (bytes.isEmpty()) {
            throw new ApiException(
                    404,
                    "console-file-not-found",
                    "Console file not found",
                    path.equals(INDEX)
                            ? "the web console is not part of this build (its files are not on the classpath)"
                            : "the web console has no file '" + path + "'",
                    "path");
        }
        String extension = path.substring(path.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        ContentType type = TYPES.getOrDefault(extension, ContentTypes.APPLICATION_OCTET_STREAM);
        byte[] body = bytes.get();
        String policy = CONTENT_SECURITY_POLICY;
        if (path.equals(INDEX)) {
            String nonce = nonce();
            body = new String(body, StandardCharsets.UTF_8)
                    .replace(NONCE_PLACEHOLDER, nonce)
                    .getBytes(StandardCharsets.UTF_8);
            policy = policy.replace("style-src 'self';", "style-src 'self' 'nonce-" + nonce + "';");
        }
        List<HttpHeader> headers = List.of(
                RawHeader.create("Cache-Control", path.startsWith("assets/") ? IMMUTABLE : NO_CACHE),
                RawHeader.create("Content-Security-Policy", policy),
                RawHeader.create("X-Content-Type-Options", "nosniff"),
                RawHeader.create("Referrer-Policy", "no-referrer"),
                RawHeader.create("X-Frame-Options", "DENY"));
        return done(HttpResponse.create()
                .withStatus(StatusCodes.OK)
                .withEntity(type, body)
                .addHeaders(headers));
    }

    /** 128 random bits, base64: a nonce no page can guess. */
    static String nonce() {
        byte[] bits = new byte[16];
        RANDOM.nextBytes(bits);
        return Base64.getEncoder().encodeToString(bits);
    }

    /**
     * Whether {@code path} may name a console file: relative, no {@code .}/{@code ..} or hidden
     * segment, no backslash, so no request reaches a classpath resource outside the console.
     */
    static boolean readable(String path) {
        if (path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0")) {
            return false;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.startsWith(".")) {
                return false;
            }
        }
        return true;
    }

    private Optional<byte[]> load(String path) {
        try (InputStream in = loader.getResourceAsStream(root + path)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console file " + root + path, e);
        }
    }
}

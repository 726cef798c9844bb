package io.lumadb.client;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A client of one LumaDB server (or load balancer) for event-sourced applications: a
 * collection's change stream as a Pekko Streams {@link Source}, and as a Pekko Projections
 * {@link ChangeSourceProvider}. Thread-safe; one per application is enough. Uses the JDK's {@link
 * HttpClient}.
 *
 * <h2>Guarantees of {@link #changes}</h2>
 *
 * Downstream sees every change after the start position exactly once, each shard's changes in
 * sequence order (so each document's changes in version order), for as long as the stream runs:
 * a dropped connection, a server restart or a server that is down for a while only delay it. It
 * retries from the position after the last change it delivered, with a backoff that doubles up to
 * a bound ({@link ChangeStreamSettings}). It fails, and never skips, when the server no longer has
 * the history it needs ({@link HistoryLostException}), when the server refuses the request ({@link
 * InvalidStreamRequestException} for a bad token or filter, {@link LumaDbException} for a missing
 * collection), or when the retries allowed run out ({@link LumaDbUnavailableException}).
 *
 * <h2>Why HTTP pull with long polling, not Server-Sent Events</h2>
 *
 * The stream reads the NDJSON pull endpoint ({@code GET .../_changes?from=&limit=&wait=}) and asks
 * for a page only when downstream demands more, so a slow consumer slows the reads instead of
 * filling buffers: that is Reactive Streams back-pressure end to end, and the server's
 * slow-consumer policy (an SSE subscriber that falls {@code lumadb.cdc.buffer-size} behind is cut
 * off with {@code overflow}) never has to fire; if the server does cut a page short, the page's
 * next token still says where to go on. Each page is one complete response that ends with the
 * position after it ({@code LumaDB-Next-Token}): a page arrives whole or is fetched again from the
 * same position, so resuming is exact without parsing a half-read event stream. When the
 * stream is caught up, a request waits on the server ({@code wait}) until a change comes, so a new
 * change arrives after about one round trip, like a push. The price is one request per page (and
 * per {@code longPollWait} while idle), which pages of up to {@link
 * ChangeStreamSettings#pageSize()} changes amortise.
 */
public final class LumaDbClient implements AutoCloseable {

    private final URI baseUrl;
    private final HttpClient http;
    private final boolean ownsHttp;
    private final String authorization;

    private LumaDbClient(URI baseUrl, HttpClient http, boolean ownsHttp) {
        this(baseUrl, http, ownsHttp, null);
    }

    private LumaDbClient(URI baseUrl, HttpClient http, boolean ownsHttp, String authorization) {
        if (baseUrl == null
                || baseUrl.getHost() == null
                || !List.of("http", "https").contains(String.valueOf(baseUrl.getScheme()))) {
            throw new IllegalArgumentException(
                    "baseUrl must be an http(s) URL such as http://127.0.0.1:8080, got " + baseUrl);
        }
        String text = baseUrl.toString();
        this.baseUrl = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.http = http;
        this.ownsHttp = ownsHttp;
        this.authorization = authorization;
    }

    /** A client of the server at {@code baseUrl}, such as {@code http://127.0.0.1:8080}. */
    public static LumaDbClient create(String baseUrl) {
        return create(URI.create(baseUrl));
    }

    /** A client of the server at {@code baseUrl} with its own HTTP client, closed by {@link #close}. */
    public static LumaDbClient create(URI baseUrl) {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        return new LumaDbClient(baseUrl, http, true);
    }

    /**
     * A client that sends its requests through {@code http} (for proxies, TLS or executors of
     * the application's choosing). The caller keeps ownership: {@link #close} leaves it open.
     */
    public static LumaDbClient create(URI baseUrl, HttpClient http) {
        if (http == null) {
            throw new IllegalArgumentException("http must not be null");
        }
        return new LumaDbClient(baseUrl, http, false);
    }

    /** A builder for a client of the server at {@code baseUrl}, for settings such as a CA to trust. */
    public static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    /** Options of a client that owns its HTTP client; {@link #build} makes it. */
    public static final class Builder {
        private final URI baseUrl;
        private Path caCertificate;
        private String authorization;

        private Builder(URI baseUrl) {
            this.baseUrl = baseUrl;
        }

        /**
         * Signs every request in with HTTP Basic as {@code user}. The node verifies the password
         * once and then remembers it; a wrong one fails the stream with a 401 {@link LumaDbException}.
         */
        public Builder credentials(String user, String password) {
            if (user == null || password == null || user.contains(":")) {
                throw new IllegalArgumentException("credentials need a user name (without ':') and a password");
            }
            this.authorization = "Basic "
                    + java.util.Base64.getEncoder()
                            .encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return this;
        }

        /**
         * Sends {@code key} (an API key, {@code luma_...}) as a Bearer token with every request. A
         * revoked or expired key fails the stream with a 401 {@link LumaDbException}.
         */
        public Builder apiKey(String key) {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("apiKey must not be empty");
            }
            this.authorization = "Bearer " + key.strip();
            return this;
        }

        /**
         * Trusts, for {@code https} URLs, the server certificates signed by the CA certificate(s) in
         * this PEM file, instead of the JDK's default trust store (for a node whose certificate
         * comes from a private CA or is self-signed).
         */
        public Builder caCertificate(Path pemFile) {
            if (pemFile == null) {
                throw new IllegalArgumentException("caCertificate must not be null");
            }
            this.caCertificate = pemFile;
            return this;
        }

        public LumaDbClient build() {
            HttpClient.Builder http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
            if (caCertificate != null) {
                http.sslContext(TrustedCertificates.sslContext(caCertificate));
            }
            return new LumaDbClient(baseUrl, http.build(), true, authorization);
        }
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** {@link #changes(String, String, StartPosition, ChangeStreamSettings)} with the default settings. */
    public Source<ChangeEnvelope, NotUsed> changes(String database, String collection, StartPosition from) {
        return changes(database, collection, from, ChangeStreamSettings.defaults());
    }

    /**
     * The change stream of {@code database/collection} from {@code from}. The source is a
     * blueprint: every materialization is a stream of its own, starting at {@code from}. It runs
     * until it is cancelled or fails (see the class documentation); it never completes by itself.
     */
    public Source<ChangeEnvelope, NotUsed> changes(
            String database, String collection, StartPosition from, ChangeStreamSettings settings) {
        if (from == null || settings == null) {
            throw new IllegalArgumentException("from and settings must not be null");
        }
        URI endpoint = URI.create(baseUrl + "/api/v1/" + segment("database", database) + "/"
                + segment("collection", collection) + "/_changes");
        String stream = "change stream of " + database + "/" + collection;
        return Source.fromMaterializer((materializer, attributes) -> {
                    ActorSystem system = materializer.system();
                    LoggingAdapter log = Logging.getLogger(system, LumaDbClient.class);
                    return Source.unfoldResourceAsync(
                            () -> CompletableFuture.completedFuture(new ChangePages(
                                    http, endpoint, authorization, stream, from, settings, system, log)),
                            ChangePages::next,
                            ChangePages::close);
                })
                .mapConcat(page -> page)
                .mapMaterializedValue(ignored -> NotUsed.getInstance());
    }

    /**
     * A Pekko Projections source provider over {@code database/collection}: offsets are resume
     * tokens; a projection without a stored offset starts at {@code initial}.
     */
    public ChangeSourceProvider sourceProvider(
            String database, String collection, StartPosition initial, ChangeStreamSettings settings) {
        return new ChangeSourceProvider(this, database, collection, initial, settings);
    }

    /** Closes the HTTP client if this client created it. Running streams fail or end with it. */
    @Override
    public void close() {
        if (ownsHttp) {
            http.close();
        }
    }

    @Override
    public String toString() {
        return "LumaDbClient[" + baseUrl + "]";
    }

    private static String segment(String what, String name) {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException(what + " must be a non-empty name without '/', got '" + name + "'");
        }
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

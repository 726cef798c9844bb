package io.lumadb.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.lumadb.http.EdgeProblems;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.server.HttpAttributes$;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol.SendBytes;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP listener: Pekko HTTP's server layer on a TCP binding of our own, so that a
 * {@link ConnectionGuard} can watch the bytes below it (Pekko has no timeout for a request head
 * that arrives a byte at a time) and connections can be counted per client address.
 *
 * <p>What Pekko's {@code newServerAt(...).bind} does is kept: {@code max-connections} (further
 * connections wait in the listen backlog), {@code backlog}, {@code idle-timeout} (in the guard),
 * the request timeout, and a graceful stop (unbind, let requests in flight finish, then close).
 * Added: {@code lumadb.http.header-timeout}, {@code lumadb.http.max-connections-per-address}
 * (a connection over it is answered 503 problem+json and closed), JSON media types parsed with
 * an open charset, problem+json for request timeouts, and a request timeout never shorter than
 * the query timeout plus a margin ({@link #requestTimeout}).
 *
 * <p>With {@link HttpTls} (from {@code lumadb.http.tls}) every connection is TLS 1.3: Pekko's TLS
 * stage sits under the server layer, and the guard watches the decrypted bytes between the two,
 * so every limit above holds for HTTPS alike (the 503 for too many connections included).
 */
final class HttpEdge {

    private static final Logger log = LoggerFactory.getLogger(HttpEdge.class);

    /** No TLS: bytes pass as they are ({@code SessionBytes} are the {@code SslTlsInbound} the layer reads). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static final BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> PLAIN =
            (BidiFlow) TLSPlacebo.getInstance();

    /** The edge's own settings, from {@code lumadb.http}. */
    record Settings(Duration headerTimeout, int maxConnectionsPerAddress, boolean limitLoopback) {
        static Settings from(Config config) {
            Config http = config.getConfig("lumadb.http");
            Duration header = http.getDuration("header-timeout");
            if (header.isNegative() || header.isZero()) {
                throw new ConfigException.BadValue(
                        http.getValue("header-timeout").origin(), "lumadb.http.header-timeout", "must be positive");
            }
            int perAddress = http.getInt("max-connections-per-address");
            if (perAddress < 0) {
                throw new ConfigException.BadValue(
                        http.getValue("max-connections-per-address").origin(),
                        "lumadb.http.max-connections-per-address",
                        "must be 0 (no limit) or more");
            }
            return new Settings(header, perAddress, http.getBoolean("limit-loopback-connections"));
        }
    }

    private final Tcp.ServerBinding binding;
    private final SharedKillSwitch connections;
    private final AtomicInteger inFlight;
    private final AtomicBoolean terminating;

    private HttpEdge(
            Tcp.ServerBinding binding,
            SharedKillSwitch connections,
            AtomicInteger inFlight,
            AtomicBoolean terminating) {
        this.binding = binding;
        this.connections = connections;
        this.inFlight = inFlight;
        this.terminating = terminating;
    }

    /**
     * The request timeout Pekko is given: {@code pekko.http.server.request-timeout}, but never
     * less than {@code lumadb.query.timeout} plus 10 s (plus itself, when it is under 10 s), so
     * that a slow query is answered by LumaDB's own 408 query-timeout, not by the generic 503.
     * Empty when the request timeout is off ({@code infinite}).
     */
    static Optional<Duration> requestTimeout(Config config) {
        Duration configured;
        try {
            configured = config.getDuration("pekko.http.server.request-timeout");
        } catch (ConfigException.BadValue infinite) {
            return Optional.empty();
        }
        Duration query = config.getDuration("lumadb.query.timeout");
        Duration least = query.plus(query.compareTo(Duration.ofSeconds(10)) < 0 ? query : Duration.ofSeconds(10));
        return Optional.of(configured.compareTo(least) < 0 ? least : configured);
    }

    /** Binds {@code host:port} and serves every connection with {@code handler}; completes once bound. */
    static CompletionStage<HttpEdge> bind(
            org.apache.pekko.actor.typed.ActorSystem<?> typed,
            String host,
            int port,
            Optional<HttpTls> tls,
            Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
        ActorSystem system = typed.classicSystem();
        Config config = system.settings().config();
        Settings edge = Settings.from(config);
        ServerSettings base = ServerSettings.create(system);
        ServerSettings.Timeouts timeouts = base.getTimeouts();
        Optional<Duration> requestTimeout = requestTimeout(config);
        if (requestTimeout.isPresent()) {
            timeouts = timeouts.withRequestTimeout(scala.concurrent.duration.Duration.fromNanos(
                    requestTimeout.get().toNanos()));
        }
        // The remote-address attribute gives the API the client's address (for the audit log).
        ServerSettings settings = base.withTimeouts(timeouts)
                .withRemoteAddressAttribute(true)
                .withParserSettings(base.getParserSettings().withCustomMediaTypes(EdgeProblems.jsonMediaTypes()));
        scala.concurrent.duration.Duration idle = timeouts.idleTimeout();
        Duration idleTimeout = idle.isFinite() ? Duration.ofNanos(idle.toNanos()) : null;

        Materializer materializer = Materializer.matFromSystem(system);
        LoggingAdapter pekkoLog = system.log();
        SharedKillSwitch kill = KillSwitches.shared("lumadb-http");
        AtomicInteger inFlight = new AtomicInteger();
        ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
        ByteString tooMany = ByteString.fromArray(EdgeProblems.rawTooManyConnections(edge.maxConnectionsPerAddress()));
        Attributes cancellationDelay = Attributes.apply(
                Attributes.CancellationStrategy$.MODULE$.apply(Attributes.CancellationStrategy$.MODULE$.afterDelay(
                        Duration.ofNanos(settings.getStreamCancellationDelay().toNanos()),
                        Attributes.CancellationStrategy$.MODULE$.failStage())));
        AtomicBoolean terminating = new AtomicBoolean();
        // One server layer for the binding, as Pekko's own bind builds it: a layer is a blueprint,
        // and building it primes a header parser (some 60 header-value parsers and the arrays of
        // its trie), about 25 KB of heap and some CPU that a layer per connection paid again for
        // every connection and kept for the connection's life. Each connection gets its client's
        // address as an attribute instead.
        BidiFlow<HttpResponse, SslTlsOutbound, SslTlsInbound, HttpRequest, NotUsed> serverLayer =
                Http.get(system).serverLayer(settings, Optional.empty(), pekkoLog);

        java.util.function.Function<Tcp.IncomingConnection, CompletionStage<Done>> serve = incoming -> {
            InetAddress address = incoming.remoteAddress().getAddress();
            boolean limited =
                    edge.maxConnectionsPerAddress() > 0 && (edge.limitLoopback() || !address.isLoopbackAddress());
            if (limited
                    && perAddress
                                    .computeIfAbsent(address, a -> new AtomicInteger())
                                    .incrementAndGet()
                            > edge.maxConnectionsPerAddress()) {
                release(perAddress, address);
                // The answer, then a moment to read what the client sent before closing (closing
                // with unread data would reset the connection and could lose the answer).
                Source<ByteString, NotUsed> answer = Source.single(tooMany)
                        .concat(Source.completionStageSource(Patterns.after(
                                Duration.ofMillis(500),
                                system.scheduler(),
                                system.dispatcher(),
                                () -> CompletableFuture.completedFuture(Source.<ByteString>empty()))));
                if (tls.isPresent()) {
                    transport(tls)
                            .join(incoming.flow())
                            .join(Flow.fromSinkAndSourceCoupled(
                                    Sink.<SslTlsInbound>ignore(), answer.<SslTlsOutbound>map(SendBytes::new)))
                            .run(materializer);
                } else {
                    incoming.handleWith(Flow.fromSinkAndSourceCoupled(Sink.<ByteString>ignore(), answer), materializer);
                }
                return CompletableFuture.completedFuture(Done.getInstance());
            }
            ConnectionGuard guard = new ConnectionGuard(edge.headerTimeout(), idleTimeout, inFlight);
            Flow<HttpRequest, HttpResponse, NotUsed> app = Flow.<HttpRequest>create()
                    .mapAsync(settings.getPipeliningLimit(), request -> handle(terminating, handler, request));
            Flow<ByteString, ByteString, CompletionStage<Done>> net = Flow.fromGraph(kill.<ByteString>flow())
                    .viaMat(incoming.flow().watchTermination(Keep.right()), Keep.right());
            BidiFlow<HttpResponse, SslTlsOutbound, SslTlsInbound, HttpRequest, NotUsed> http = guard.httpSide()
                    .atop(serverLayer.addAttributes(HttpAttributes$.MODULE$.remoteAddress(incoming.remoteAddress())));
            // Plain: the guard reads the connection's bytes. TLS: it reads them decrypted, above the TLS stage.
            BidiFlow<HttpResponse, ByteString, ByteString, HttpRequest, NotUsed> layers = tls.isPresent()
                    ? http.atop(guard.sessionSide()).atop(transport(tls))
                    : http.atop(PLAIN).atop(guard.byteSide());
            Flow<HttpResponse, HttpRequest, CompletionStage<Done>> connection =
                    layers.join(net, (NotUsed n, CompletionStage<Done> terminated) -> terminated);
            CompletionStage<Done> done = connection
                    .joinMat(app, (CompletionStage<Done> terminated, NotUsed n) -> terminated)
                    .addAttributes(cancellationDelay)
                    .run(materializer);
            return done.handle((d, failure) -> {
                int left = guard.outstanding();
                if (left > 0) {
                    inFlight.addAndGet(-left);
                }
                if (limited) {
                    release(perAddress, address);
                }
                return Done.getInstance();
            });
        };

        CompletionStage<Tcp.ServerBinding> bound = Tcp.get(system)
                .bind(host, port, settings.getBacklog(), settings.getSocketOptions(), false, Optional.empty())
                .mapAsyncUnordered(settings.getMaxConnections(), incoming -> {
                    try {
                        return serve.apply(incoming);
                    } catch (RuntimeException e) {
                        log.error("Could not serve the connection from {}", incoming.remoteAddress(), e);
                        return CompletableFuture.completedFuture(Done.getInstance());
                    }
                })
                .toMat(Sink.ignore(), Keep.left())
                .run(materializer);
        return bound.thenApply(b -> new HttpEdge(b, kill, inFlight, terminating));
    }

    /**
     * TLS 1.3 for one connection, closed as Pekko HTTP's own HTTPS server closes it: either side
     * ending ends the session. Without {@code tls}, the bytes pass as they are.
     */
    private static BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> transport(
            Optional<HttpTls> tls) {
        return tls.map(t -> TLS.create(t::newEngine, TLSClosing.eagerClose())).orElse(PLAIN);
    }

    private static void release(ConcurrentHashMap<InetAddress, AtomicInteger> perAddress, InetAddress address) {
        perAddress.computeIfPresent(address, (a, count) -> count.decrementAndGet() <= 0 ? null : count);
    }

    private static CompletionStage<HttpResponse> handle(
            AtomicBoolean terminating,
            Function<HttpRequest, CompletionStage<HttpResponse>> handler,
            HttpRequest request) {
        if (terminating.get()) {
            return CompletableFuture.completedFuture(EdgeProblems.shuttingDown(request));
        }
        request.getHeader(org.apache.pekko.http.javadsl.model.headers.TimeoutAccess.class)
                .ifPresent(t -> t.timeoutAccess().updateHandler(timedOut -> {
                    scala.concurrent.duration.Duration timeout =
                            t.timeoutAccess().getTimeout();
                    log.warn(
                            "No response within the request timeout ({}) to {} {}",
                            timeout,
                            timedOut.method().value(),
                            timedOut.getUri().path());
                    return EdgeProblems.responseTimeout(
                            timedOut, timeout.isFinite() ? Duration.ofNanos(timeout.toNanos()) : Duration.ZERO);
                }));
        try {
            return handler.apply(request).exceptionally(failure -> {
                log.error(
                        "Request {} {} failed",
                        request.method().value(),
                        request.getUri().path(),
                        failure);
                return EdgeProblems.internalError(request);
            });
        } catch (Exception e) {
            log.error(
                    "Request {} {} failed",
                    request.method().value(),
                    request.getUri().path(),
                    e);
            return CompletableFuture.completedFuture(EdgeProblems.internalError(request));
        }
    }

    /** The address the listener is bound to. */
    InetSocketAddress localAddress() {
        return binding.localAddress();
    }

    /**
     * On coordinated shutdown: stop accepting connections, wait up to {@code deadline} (within the
     * phase's own timeout) for requests in flight, then close every connection, streams included.
     */
    void addToCoordinatedShutdown(Duration deadline, org.apache.pekko.actor.typed.ActorSystem<?> typed) {
        ActorSystem system = typed.classicSystem();
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "lumadb-http-unbind", () -> {
            terminating.set(true);
            return binding.unbind().thenApply(x -> Done.getInstance());
        });
        Duration phase = Duration.ofNanos(
                shutdown.timeout(CoordinatedShutdown.PhaseServiceRequestsDone()).toNanos());
        Duration wait = deadline.compareTo(phase.minusMillis(500)) < 0 ? deadline : phase.minusMillis(500);
        shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "lumadb-http-terminate", () -> {
            long until = System.nanoTime() + wait.toNanos();
            CompletableFuture<Done> drained = new CompletableFuture<>();
            var ticker = system.scheduler()
                    .scheduleWithFixedDelay(
                            Duration.ZERO,
                            Duration.ofMillis(50),
                            () -> {
                                if (inFlight.get() <= 0 || System.nanoTime() > until) {
                                    drained.complete(Done.getInstance());
                                }
                            },
                            system.dispatcher());
            return drained.thenApply(d -> {
                ticker.cancel();
                connections.shutdown();
                return d;
            });
        });
    }
}

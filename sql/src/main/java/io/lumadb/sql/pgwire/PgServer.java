package io.lumadb.sql.pgwire;

import io.lumadb.security.Security;
import io.lumadb.sql.SqlEngine;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL protocol's front door to the SQL engine: a TCP listener (Pekko Streams, no
 * thread per connection) whose connections each run a {@link PgConnection}, and the table of
 * running connections that cancel requests are matched against.
 */
public final class PgServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PgServer.class);

    private final PgSettings settings;
    private final SqlEngine engine;
    private final Security security;
    private final String serverVersion;
    private final ConcurrentHashMap<Integer, PgConnection> connections = new ConcurrentHashMap<>();
    private final AtomicInteger nextProcessId = new AtomicInteger(new SecureRandom().nextInt(1 << 20) + 1000);
    private final SecureRandom random = new SecureRandom();
    private volatile Tcp.ServerBinding binding;

    private PgServer(PgSettings settings, SqlEngine engine, Security security, String serverVersion) {
        this.settings = settings;
        this.engine = engine;
        this.security = security;
        this.serverVersion = serverVersion;
    }

    /**
     * Starts listening as {@code settings} say: the running server, or empty when it is off or
     * (in {@code auto} mode) its port is taken. In {@code on} mode a port that cannot be bound
     * fails the stage.
     */
    public static CompletionStage<Optional<PgServer>> start(
            ActorSystem<?> system, PgSettings settings, SqlEngine engine, Security security, String lumaVersion) {
        if (settings.mode() == PgSettings.Mode.OFF) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        PgServer server = new PgServer(settings, engine, security, "16.0 (LumaDB " + lumaVersion + ")");
        Materializer materializer = Materializer.matFromSystem(system);
        CompletionStage<Tcp.ServerBinding> bound = Tcp.get(system)
                .bind(settings.host(), settings.port(), 100, java.util.List.of(), false, Optional.empty())
                .to(Sink.foreach(incoming -> server.accept(incoming, materializer)))
                .run(materializer);
        return bound.handle((b, failure) -> {
            if (failure == null) {
                server.binding = b;
                log.info(
                        "PostgreSQL protocol listening on {}:{}",
                        settings.host(),
                        b.localAddress().getPort());
                return Optional.of(server);
            }
            String why = "the PostgreSQL protocol cannot listen on " + settings.host() + ":" + settings.port() + ": "
                    + failure.getMessage();
            if (settings.mode() == PgSettings.Mode.ON) {
                throw new IllegalStateException(why + " (lumadb.sql.postgres.port; enabled = on)", failure);
            }
            log.warn("{}; going on without it (set lumadb.sql.postgres.port to a free port, or enabled = off)", why);
            return Optional.empty();
        });
    }

    /** The port it listens on. */
    public int port() {
        return binding.localAddress().getPort();
    }

    PgSettings settings() {
        return settings;
    }

    SqlEngine engine() {
        return engine;
    }

    Security security() {
        return security;
    }

    String serverVersion() {
        return serverVersion;
    }

    private void accept(Tcp.IncomingConnection incoming, Materializer materializer) {
        InetSocketAddress remote = incoming.remoteAddress();
        String client = remote.getAddress() == null ? null : remote.getAddress().getHostAddress();
        if (connections.size() >= settings.maxConnections()) {
            PgOut refusal = new PgOut()
                    .problem(
                            'E',
                            PgError.fatal(
                                    "53300",
                                    "sorry, too many clients already (lumadb.sql.postgres.max-connections = "
                                            + settings.maxConnections() + ")"));
            incoming.handleWith(
                    Flow.fromSinkAndSourceCoupled(Sink.ignore(), Source.single(refusal.take())), materializer);
            return;
        }
        int processId = nextProcessId.getAndIncrement() & 0x7FFFFFFF;
        PgConnection connection = new PgConnection(this, processId, random.nextInt(), client);
        connections.put(processId, connection);
        Flow<ByteString, ByteString, CompletionStage<Done>> flow =
                connection.flow().watchTermination(Keep.right());
        incoming.handleWith(flow, materializer).whenComplete((done, failure) -> {
            connections.remove(processId);
            connection.closed();
        });
    }

    /** A cancel request: stops what the connection {@code processId} runs, if {@code secret} is its key. */
    void cancel(int processId, int secret) {
        PgConnection target = connections.get(processId);
        if (target != null && target.secret() == secret) {
            target.cancelRunning();
        }
    }

    /** Stops listening; connections already open go on until they end or the node stops. */
    public CompletionStage<Done> unbind() {
        Tcp.ServerBinding b = binding;
        return b == null
                ? CompletableFuture.completedFuture(Done.getInstance())
                : b.unbind().thenApply(v -> Done.getInstance());
    }

    @Override
    public void close() {
        unbind();
    }
}

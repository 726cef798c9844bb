package io.lumadb.http;

import io.lumadb.security.Principal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The streams one principal may hold open on this node ({@code
 * lumadb.http.rate-limits.max-subscriptions-per-principal}): Server-Sent Events responses (change
 * streams, live queries, topic subscriptions) and WebSocket connections, each counting one. With
 * security off they are counted per client address instead (loopback exempt unless {@code
 * limit-loopback}).
 *
 * <p>The dispatcher gives every authenticated request to {@link #prepare} before its handler
 * runs and the handler's answer to {@link #admit}:
 *
 * <ul>
 *   <li>An SSE answer ({@code text/event-stream}) takes a slot when it comes back from the handler;
 *       without one, its stream is cancelled unsent and the client gets 429 {@code
 *       too-many-subscriptions}. The slot is given back when the response's byte stream ends
 *       (the client went away, or the server ended the stream).
 *   <li>A WebSocket upgrade takes its slot before the handler runs (so a refused one never
 *       builds a session), through the request's {@link WebSocketUpgrade}, which {@link #prepare}
 *       wraps: the handler's message flow is watched and the slot given back when it ends. An
 *       answer other than the upgrade gives the slot back at once.
 *   <li>A stream response that Pekko never runs (its client left before the response head was
 *       written, a {@code HEAD} request) gives its slot back after {@link #UNCLAIMED}.
 * </ul>
 */
final class SubscriptionLimits {

    /** How long a counted stream may wait for Pekko to run it before its slot is given back. */
    static final Duration UNCLAIMED = Duration.ofMinutes(2);

    private static final AttributeKey<Lease> LEASE = AttributeKey.create("lumadb-stream-lease", Lease.class);

    private final ClassicActorSystemProvider system;
    private final int max;
    private final boolean limitLoopback;
    private final RequestObserver observer;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

    SubscriptionLimits(ClassicActorSystemProvider system, RateLimitSettings settings, RequestObserver observer) {
        this.system = system;
        this.max = settings.enabled() ? settings.maxSubscriptionsPerPrincipal() : 0;
        this.limitLoopback = settings.limitLoopback();
        this.observer = observer;
    }

    /**
     * The request the handler gets: unchanged when nothing is counted for it; otherwise carrying
     * its lease, and for a WebSocket upgrade, holding its slot already (a 429 {@link
     * ApiException} if there is none).
     */
    HttpRequest prepare(HttpRequest request, Principal principal) {
        if (max == 0) {
            return request;
        }
        String key = key(request, principal);
        if (key == null) {
            return request;
        }
        Lease lease = new Lease(key, principal);
        var upgrade = request.getAttribute(AttributeKeys.webSocketUpgrade);
        if (upgrade.isEmpty()) {
            return request.addAttribute(LEASE, lease);
        }
        lease.acquire();
        return request.addAttribute(LEASE, lease)
                .addAttribute(AttributeKeys.webSocketUpgrade, new WatchedUpgrade(upgrade.get(), lease));
    }

    /**
     * Runs the handler of a {@link #prepare}d request: its answer, with its stream counted (or
     * refused). A handler that fails gives back the slot its WebSocket upgrade held.
     */
    CompletionStage<HttpResponse> admit(HttpRequest request, Supplier<CompletionStage<HttpResponse>> handler) {
        var found = request.getAttribute(LEASE);
        if (found.isEmpty()) {
            return handler.get();
        }
        Lease lease = found.get();
        CompletionStage<HttpResponse> answer;
        try {
            answer = handler.get();
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((response, failure) -> {
                    if (failure != null) {
                        lease.release();
                        return CompletableFuture.<HttpResponse>failedFuture(failure);
                    }
                    if (lease.isHeld()) { // a WebSocket upgrade
                        if (response.status().intValue() == 101) {
                            lease.expectStart();
                        } else {
                            lease.release();
                        }
                        return CompletableFuture.completedFuture(response);
                    }
                    if (!response.entity().getContentType().mediaType().equals(MediaTypes.TEXT_EVENT_STREAM)) {
                        return CompletableFuture.completedFuture(response);
                    }
                    try {
                        lease.acquire();
                    } catch (ApiException refused) {
                        // Runs the unsent stream only to cancel it, so whatever it registered is undone.
                        response.entity().getDataBytes().runWith(Sink.cancelled(), Materializer.matFromSystem(system));
                        return CompletableFuture.<HttpResponse>failedFuture(refused);
                    }
                    lease.expectStart();
                    var entity = response.entity();
                    Source<ByteString, ?> watched = entity.getDataBytes().watchTermination((mat, done) -> {
                        lease.started();
                        done.whenComplete((d, f) -> lease.ended());
                        return mat;
                    });
                    return CompletableFuture.completedFuture(
                            response.withEntity(HttpEntities.createChunked(entity.getContentType(), watched)));
                })
                .thenCompose(stage -> stage);
    }

    private String key(HttpRequest request, Principal principal) {
        String key = RateLimits.principalKey(principal);
        if (key != null) {
            return key;
        }
        var address = RateLimits.clientAddress(request).orElse(null);
        if (address == null || (address.isLoopbackAddress() && !limitLoopback)) {
            return null;
        }
        return "address:" + RateLimits.addressKey(address);
    }

    private boolean tryAcquire(String key) {
        boolean[] taken = {false};
        open.compute(key, (k, count) -> {
            AtomicInteger c = count == null ? new AtomicInteger() : count;
            if (c.get() < max) {
                c.incrementAndGet();
                taken[0] = true;
            }
            return c.get() == 0 ? null : c;
        });
        return taken[0];
    }

    private void forceAcquire(String key) {
        open.compute(key, (k, count) -> {
            AtomicInteger c = count == null ? new AtomicInteger() : count;
            c.incrementAndGet();
            return c;
        });
    }

    private void release(String key) {
        open.computeIfPresent(key, (k, count) -> count.decrementAndGet() <= 0 ? null : count);
    }

    /**
     * One stream's claim on a slot. States: new (not counted), held (counted, not yet running),
     * running, done (not counted). Every path out of held or running gives the slot back once.
     */
    private final class Lease {
        private static final int NEW = 0;
        private static final int HELD = 1;
        private static final int RUNNING = 2;
        private static final int DONE = 3;

        private final String key;
        private final Principal principal;
        private final AtomicInteger state = new AtomicInteger(NEW);

        Lease(String key, Principal principal) {
            this.key = key;
            this.principal = principal;
        }

        boolean isHeld() {
            return state.get() == HELD;
        }

        void acquire() {
            if (!tryAcquire(key)) {
                observer.limited("subscriptions");
                String who = principal.kind() == Principal.Kind.UNRESTRICTED
                        ? "the address " + key.substring("address:".length())
                        : principal.describe();
                throw new ApiException(
                        429,
                        "too-many-subscriptions",
                        "Too many subscriptions",
                        who + " already holds " + max
                                + " streams (SSE subscriptions and WebSockets) on this node, the most"
                                + " lumadb.http.rate-limits.max-subscriptions-per-principal allows; close one first",
                        null,
                        Map.of("retryAfter", 1L));
            }
            state.set(HELD);
        }

        /** The response carrying the stream went out; Pekko should run it soon. */
        void expectStart() {
            system.classicSystem()
                    .scheduler()
                    .scheduleOnce(
                            UNCLAIMED, this::release, system.classicSystem().dispatcher());
        }

        /** Pekko runs the stream. */
        void started() {
            if (state.compareAndSet(HELD, RUNNING)) {
                return;
            }
            if (state.compareAndSet(DONE, RUNNING)) {
                forceAcquire(key); // it ran after its slot was given back as unclaimed: it counts again
            }
        }

        /** The stream ended. */
        void ended() {
            if (state.compareAndSet(RUNNING, DONE)) {
                SubscriptionLimits.this.release(key);
            }
        }

        /** Gives back a slot that no running stream uses. */
        void release() {
            if (state.compareAndSet(HELD, DONE)) {
                SubscriptionLimits.this.release(key);
            }
        }
    }

    /** The request's WebSocket upgrade, with the handler's flow watched for its end. */
    private static final class WatchedUpgrade implements WebSocketUpgrade {
        private final WebSocketUpgrade upgrade;
        private final Lease lease;

        WatchedUpgrade(WebSocketUpgrade upgrade, Lease lease) {
            this.upgrade = upgrade;
            this.lease = lease;
        }

        private Flow<Message, Message, ?> watched(Graph<FlowShape<Message, Message>, ?> handler) {
            return Flow.fromGraph(handler).watchTermination((mat, done) -> {
                lease.started();
                done.whenComplete((d, f) -> lease.ended());
                return mat;
            });
        }

        @Override
        public Iterable<String> getRequestedProtocols() {
            return upgrade.getRequestedProtocols();
        }

        @Override
        public HttpResponse handleMessagesWith(Graph<FlowShape<Message, Message>, ?> handler) {
            return upgrade.handleMessagesWith(watched(handler));
        }

        @Override
        public HttpResponse handleMessagesWith(Graph<FlowShape<Message, Message>, ?> handler, String subprotocol) {
            return upgrade.handleMessagesWith(watched(handler), subprotocol);
        }

        @Override
        public HttpResponse handleMessagesWith(
                Graph<SinkShape<Message>, ?> inSink, Graph<SourceShape<Message>, ?> outSource) {
            return upgrade.handleMessagesWith(watched(Flow.fromSinkAndSourceMat(inSink, outSource, Keep.none())));
        }

        @Override
        public HttpResponse handleMessagesWith(
                Graph<SinkShape<Message>, ?> inSink, Graph<SourceShape<Message>, ?> outSource, String subprotocol) {
            return upgrade.handleMessagesWith(
                    watched(Flow.fromSinkAndSourceMat(inSink, outSource, Keep.none())), subprotocol);
        }
    }
}

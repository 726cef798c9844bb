package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.StreamItem;
import io.lumadb.cdc.topics.TopicEvent;
import io.lumadb.cdc.topics.Topics;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.Names;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.MergeHub;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One WebSocket connection of {@code /api/v1/_ws}: any number of subscriptions (change
 * streams, live queries, topics), each named by the client's {@code id}, multiplexed on one
 * socket with the protocol documented in the README and OpenAPI.
 *
 * <p>Each subscription is its own stream into the connection's outbound merge: a slow socket
 * backpressures every subscription, and each of them then overflows on its own bounded buffer
 * (and is closed with an {@code overflow} carrying its token) rather than slowing a writer.
 *
 * <p>Replies to requests (pong, published, errors) wait in a bounded queue. While half of it is
 * taken the connection reads no further request, so a client that sends a burst is slowed down,
 * not cut off; a client that sends requests without reading the replies for {@link
 * #REPLY_GRACE} is disconnected with close code 1011 and its subscriptions end.
 */
final class WebSocketSession {

    /** Replies that may wait to be sent. */
    private static final int REPLY_QUEUE = 256;
    /** Waiting replies at which the connection stops reading requests until they drain. */
    private static final int REPLY_HIGH_WATER = REPLY_QUEUE / 2;
    /** How long replies may pile up unread before the connection is closed. */
    static final java.time.Duration REPLY_GRACE = java.time.Duration.ofSeconds(5);

    private static final java.time.Duration REPLY_POLL = java.time.Duration.ofMillis(20);

    private final ClassicActorSystemProvider system;
    private final Materializer materializer;
    private final ChangeStreams streams;
    private final Topics topics;
    private final int maxSubscriptions;
    private final long maxMessageBytes;
    private final ConcurrentHashMap<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final Sink<Message, NotUsed> outbound;
    private final Source<Message, NotUsed> outboundSource;
    private final BoundedSourceQueue<Message> control;
    /** Fails the outbound stream: Pekko HTTP then closes the socket with 1011 (unexpected condition). */
    private final org.apache.pekko.stream.SharedKillSwitch connection = KillSwitches.shared("websocket");

    private volatile boolean closed;

    /**
     * A subscription: its kill switch once it runs as a stream of its own (live queries, topics),
     * or its place in the {@link #pump} (change streams), and whether it was cancelled before.
     */
    private static final class Subscription {
        final String id;
        UniqueKillSwitch killSwitch;
        boolean pumped;
        boolean cancelled;

        Subscription(String id) {
            this.id = id;
        }
    }

    /**
     * Drives the connection's change-stream subscriptions without a stream each: a subscription
     * then costs about what its buffer and position cost, not a materialized stream's 20 KB.
     */
    private final CursorPump<Message> pump = new CursorPump<>(new CursorPump.Ends<>() {
        @Override
        public Message error(String id, Throwable failure) {
            return message(id, withEvent("error", StreamPayloads.error(Problems.classify(failure), null)));
        }

        @Override
        public Message closed(String id, String reason) {
            ObjectNode end = DocumentJson.mapper().createObjectNode();
            end.put("reason", reason);
            return message(id, withEvent("closed", end));
        }
    });

    /** Checks one operation of the connection's caller; throws {@link io.lumadb.security.AccessDeniedException}. */
    @FunctionalInterface
    interface Access {
        void check(Permission permission, Map<String, String> names);
    }

    private final Access access;
    private final java.util.function.BiFunction<String, String, SubscriptionGuard> guards;

    /** Starts a live search ({@link LiveSearches#start}). */
    @FunctionalInterface
    /** Opens a live window query ({@link LiveWindowStreams#open}, less the API context). */
    interface LiveWindowsOpener {
        CompletionStage<Source<LiveWindowStreams.Event, NotUsed>> open(
                String db, String collection, JsonNode query, String grace, Integer horizon, String resume);
    }

    interface LiveSearchStarter {
        CompletionStage<ChangeStreams.LiveSearch> start(
                String db,
                String collection,
                JsonNode search,
                java.util.function.Supplier<io.lumadb.shards.query.RowAccess> access);
    }

    private final LiveSearchStarter searches;

    private final LiveWindowsOpener liveWindows;

    WebSocketSession(
            ClassicActorSystemProvider system,
            ChangeStreams streams,
            Topics topics,
            WebSocketSettings settings,
            Access access,
            java.util.function.BiFunction<String, String, SubscriptionGuard> guards,
            LiveSearchStarter searches,
            LiveWindowsOpener liveWindows) {
        this.searches = searches;
        this.liveWindows = liveWindows;
        this.system = system;
        this.access = access;
        this.guards = guards;
        this.materializer = Materializer.matFromSystem(system);
        this.streams = streams;
        this.topics = topics;
        this.maxSubscriptions = settings.maxSubscriptions();
        this.maxMessageBytes = settings.maxMessageBytes();
        Pair<Sink<Message, NotUsed>, Source<Message, NotUsed>> hub =
                MergeHub.of(Message.class, 16).preMaterialize(materializer);
        this.outbound = hub.first();
        this.outboundSource = hub.second();
        this.control = Source.<Message>queue(REPLY_QUEUE).to(outbound).run(materializer);
    }

    /** The connection's flow: client messages in, subscription events and replies out. */
    Flow<Message, Message, NotUsed> flow() {
        // Not coupled: when the server aborts the outbound side, the inbound side must go on (and
        // be ignored) until Pekko has sent the error close frame, which waits for the socket to
        // take it; cancelling the inbound at once would make Pekko close normally (1000) instead.
        Sink<Message, NotUsed> in = Flow.of(Message.class)
                .mapAsync(1, message -> roomForReplies(System.nanoTime() + REPLY_GRACE.toNanos())
                        .thenCompose(v -> text(message)))
                .watchTermination((mat, done) -> {
                    // The client closed (or the connection broke): end the outbound side too.
                    done.whenComplete((d, f) -> {
                        connection.shutdown();
                        close();
                    });
                    return mat;
                })
                .to(Sink.foreach(this::onText))
                .mapMaterializedValue(m -> NotUsed.getInstance());
        Source<Message, NotUsed> out = outboundSource
                .merge(Source.fromGraph(pump))
                .via(connection.flow())
                .watchTermination((mat, done) -> {
                    done.whenComplete((d, f) -> close());
                    return mat;
                });
        return Flow.fromSinkAndSource(in, out);
    }

    /**
     * Completes once fewer than {@link #REPLY_HIGH_WATER} replies wait: a burst of requests is
     * backpressured. If they do not drain by {@code deadline} the client is not reading them, and
     * the connection is closed.
     */
    private CompletionStage<Void> roomForReplies(long deadline) {
        if (closed || control.size() < REPLY_HIGH_WATER) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        if (System.nanoTime() - deadline > 0) {
            abort("the client sent requests without reading the replies for " + REPLY_GRACE.toSeconds() + " s");
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        return org.apache.pekko.pattern.Patterns.after(
                REPLY_POLL,
                system.classicSystem().scheduler(),
                system.classicSystem().dispatcher(),
                () -> roomForReplies(deadline));
    }

    /**
     * Closes the connection with close code 1011 (Pekko HTTP's code for a handler that failed;
     * it sends no other) and ends its subscriptions at once. The exception carries no stack
     * trace: Pekko logs it, and a client's behaviour is not a server fault.
     */
    private void abort(String reason) {
        if (closed) {
            return;
        }
        connection.abort(new ConnectionAborted(reason));
        close();
    }

    /** Why the server closed a connection; without a stack trace (see {@link #abort}). */
    private static final class ConnectionAborted extends RuntimeException {
        ConnectionAborted(String message) {
            super(message, null, false, false);
        }
    }

    private CompletionStage<String> text(Message message) {
        if (message.isText()) {
            return message.asTextMessage().toStrict(10_000, materializer).thenApply(strict -> strict.getStrictText());
        }
        message.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), materializer);
        return java.util.concurrent.CompletableFuture.completedFuture("");
    }

    private synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        subscriptions.values().forEach(this::cancel);
        subscriptions.clear();
        control.complete();
    }

    // ---- client messages

    private void onText(String text) {
        if (closed) {
            return;
        }
        String sub = null;
        String ref = null;
        try {
            if (text.isEmpty()) {
                throw protocol("only text messages of JSON objects are understood", null);
            }
            if (text.length() > maxMessageBytes) {
                throw protocol("a message may be at most " + maxMessageBytes + " characters", null);
            }
            ObjectNode msg = JsonBodies.requireObject(JsonBodies.parse(text.getBytes(StandardCharsets.UTF_8), ""), "");
            sub = optionalText(msg, "sub");
            ref = optionalText(msg, "ref");
            String op = requiredText(msg, "op");
            switch (op) {
                case "subscribe" -> subscribe(requiredSub(sub), msg);
                case "unsubscribe" -> unsubscribe(requiredSub(sub));
                case "publish" -> {
                    JsonNode message = msg.get("message");
                    if (message == null) {
                        throw protocol("publish needs a message (any JSON value)", "/message");
                    }
                    String topic = requiredText(msg, "topic");
                    Topics.validateName(topic);
                    access.check(PUBLISH_TOPIC, Map.of(Permission.TOPIC, topic));
                    topics.publish(topic, DocumentJson.bytes(message));
                    reply(sub, ref, "published", null);
                }
                case "ping" -> reply(sub, ref, "pong", null);
                default -> throw protocol("unknown op '" + op + "': subscribe, unsubscribe, publish or ping", "/op");
            }
        } catch (RuntimeException e) {
            reply(sub, ref, "error", StreamPayloads.error(Problems.classify(e), null));
        }
    }

    private void subscribe(String id, ObjectNode msg) {
        String ref = optionalText(msg, "ref");
        String type = requiredText(msg, "type");
        if (subscriptions.size() >= maxSubscriptions) {
            throw protocol(
                    "this connection already has " + maxSubscriptions
                            + " subscriptions (lumadb.http.websocket.max-subscriptions)",
                    "/sub");
        }
        Subscription sub = new Subscription(id);
        if (subscriptions.putIfAbsent(id, sub) != null) {
            throw protocol("subscription '" + id + "' already exists on this connection", "/sub");
        }
        switch (type) {
            case "changes" -> starting(sub, ref, () -> changes(msg), started -> pump(sub, started));
            case "live" -> starting(sub, ref, () -> live(msg), source -> start(id, sub, source));
            case "topic" -> starting(sub, ref, () -> topic(msg), source -> start(id, sub, source));
            case "windows" -> starting(sub, ref, () -> windows(msg), source -> start(id, sub, source));
            default -> {
                subscriptions.remove(id, sub);
                throw protocol("unknown subscription type '" + type + "': changes, live, windows or topic", "/type");
            }
        }
    }

    /**
     * Starts what {@code starting} prepares with {@code start} once it is ready. If it cannot be
     * prepared the id is free again: a request it refuses at once throws, a later failure is
     * answered with an {@code error} event.
     */
    private <T> void starting(
            Subscription sub,
            String ref,
            java.util.function.Supplier<CompletionStage<T>> starting,
            java.util.function.Consumer<T> start) {
        CompletionStage<T> ready;
        try {
            ready = starting.get();
        } catch (RuntimeException e) {
            subscriptions.remove(sub.id, sub);
            throw e;
        }
        ready.whenComplete((started, failure) -> {
            if (failure != null) {
                subscriptions.remove(sub.id, sub);
                reply(sub.id, ref, "error", StreamPayloads.error(Problems.classify(failure), null));
                return;
            }
            start.accept(started);
        });
    }

    /**
     * Runs a subscription into the outbound merge. It ends with {@code closed}, after which its
     * id is free again; a subscription that fails sends an {@code error} first.
     */
    private void start(String id, Subscription sub, Source<ObjectNode, NotUsed> events) {
        Source<Message, UniqueKillSwitch> messages = events.viaMat(KillSwitches.single(), Keep.right())
                .recover(new org.apache.pekko.japi.pf.PFBuilder<Throwable, ObjectNode>()
                        .matchAny(failure -> withEvent("error", StreamPayloads.error(Problems.classify(failure), null)))
                        .build())
                .map(node -> message(id, node))
                // concatLazy: the closing message is made only once the subscription has ended
                .concatLazy(Source.lazySingle(() -> {
                    subscriptions.remove(id, sub);
                    ObjectNode end = DocumentJson.mapper().createObjectNode();
                    end.put("reason", sub.cancelled ? "unsubscribed" : "ended");
                    return message(id, withEvent("closed", end));
                }))
                .watchTermination((killSwitch, done) -> {
                    done.whenComplete((d, f) -> subscriptions.remove(id, sub));
                    return killSwitch;
                });
        synchronized (sub) {
            if (sub.cancelled || closed) {
                subscriptions.remove(id, sub);
                return;
            }
            sub.killSwitch = messages.toMat(outbound, Keep.left()).run(materializer);
        }
    }

    /**
     * Hands a change stream to the {@link #pump}: it sends {@code subscribed}, the changes, and
     * {@code closed} last, after which the id is free again. A caller who loses its access gets an
     * {@code error} event (unauthorized) before {@code closed}, as on the other transports.
     */
    private void pump(Subscription sub, PumpedChanges started) {
        synchronized (sub) {
            if (sub.cancelled || closed) {
                subscriptions.remove(sub.id, sub);
                return;
            }
            sub.pumped = true;
            String id = sub.id;
            Runnable unwatch = started.guard().watch(failure -> pump.cancel(id, failure), false);
            boolean before = started.before();
            pump.add(
                    id,
                    message(
                            id,
                            withEvent(
                                    "subscribed",
                                    StreamPayloads.token(
                                            started.stream().start().encode()))),
                    started.stream().cursor().get(),
                    item -> message(id, changeEvent(item, before)),
                    () -> {
                        subscriptions.remove(id, sub);
                        unwatch.run();
                    });
        }
    }

    private void unsubscribe(String id) {
        Subscription sub = subscriptions.get(id);
        if (sub == null) {
            throw new ApiException(
                    404,
                    "subscription-not-found",
                    "Subscription not found",
                    "no subscription '" + id + "' on this connection",
                    "/sub");
        }
        cancel(sub);
    }

    private void cancel(Subscription sub) {
        synchronized (sub) {
            sub.cancelled = true;
            if (sub.killSwitch != null) {
                sub.killSwitch.shutdown();
            }
            if (sub.pumped) {
                pump.cancel(sub.id, null);
            }
        }
    }

    // ---- the three kinds of subscription, as streams of event objects

    private static final Permission SUBSCRIBE_COLLECTION = Permission.of(Action.SUBSCRIBE, Scope.COLLECTION);
    private static final Permission SUBSCRIBE_TOPIC = Permission.of(Action.SUBSCRIBE, Scope.TOPIC);
    private static final Permission PUBLISH_TOPIC = Permission.of(Action.PUBLISH, Scope.TOPIC);

    /** A change stream ready for the pump, with whether its events carry {@code before} and its caller's guard. */
    private record PumpedChanges(ChangeStreams.Subscription stream, boolean before, SubscriptionGuard guard) {}

    private CompletionStage<PumpedChanges> changes(ObjectNode msg) {
        String db = Names.checkDatabase(requiredText(msg, "db"));
        String collection = Names.checkCollection(requiredText(msg, "collection"));
        access.check(SUBSCRIBE_COLLECTION, Map.of(Permission.DB, db, Permission.COLLECTION, collection));
        String from = optionalText(msg, "from");
        JsonNode filter = msg.get("filter");
        JsonNode beforeField = msg.get("before");
        if (beforeField != null && !beforeField.isBoolean()) {
            throw protocol("'before' must be true or false", "/before");
        }
        java.util.Optional<Boolean> asked =
                java.util.Optional.ofNullable(beforeField).map(JsonNode::booleanValue);
        SubscriptionGuard guard = guards.apply(db, collection);
        guard.refuseHidden(filter, null);
        return streams.changes(
                        db,
                        collection,
                        from == null ? "now" : from,
                        filter,
                        streams.settings().heartbeat(),
                        false,
                        null,
                        io.lumadb.cdc.groups.ConsumerGroups.Member.ALL,
                        guard.access())
                .thenApply(s -> new PumpedChanges(s, StreamParams.before(s.collection(), asked), guard));
    }

    private CompletionStage<Source<ObjectNode, NotUsed>> live(ObjectNode msg) {
        String db = Names.checkDatabase(requiredText(msg, "db"));
        String collection = Names.checkCollection(requiredText(msg, "collection"));
        access.check(SUBSCRIBE_COLLECTION, Map.of(Permission.DB, db, Permission.COLLECTION, collection));
        JsonNode limitField = msg.get("limit");
        if (limitField != null && !limitField.canConvertToInt()) {
            throw protocol("'limit' must be an integer", "/limit");
        }
        Integer limit = limitField == null ? null : limitField.intValue();
        SubscriptionGuard guard = guards.apply(db, collection);
        if (msg.has("search")) {
            return searches.start(db, collection, msg.get("search"), guard.access())
                    .thenApply(live -> {
                        String token = live.start().encode();
                        List<ObjectNode> head = new ArrayList<>();
                        ObjectNode subscribed = StreamPayloads.token(token);
                        subscribed.put("resumed", false);
                        head.add(withEvent("subscribed", subscribed));
                        for (var row : live.initial()) {
                            head.add(withEvent("result", StreamPayloads.row(row, token)));
                        }
                        ObjectNode ready = StreamPayloads.token(token);
                        ready.put("count", live.initial().size());
                        head.add(withEvent("ready", ready));
                        return Source.from(head)
                                .concat(guard.guard(live.items(), true).map(item -> changeEvent(item, false)));
                    });
        }
        guard.refuseHidden(msg.get("filter"), msg.get("sort"));
        return streams.liveQuery(
                        db,
                        collection,
                        msg.get("filter"),
                        msg.get("sort"),
                        limit,
                        optionalText(msg, "from"),
                        guard.access())
                .thenApply(q -> {
                    String token = q.start().encode();
                    List<ObjectNode> head = new ArrayList<>();
                    ObjectNode subscribed = StreamPayloads.token(token);
                    subscribed.put("resumed", q.resumed());
                    head.add(withEvent("subscribed", subscribed));
                    for (byte[] doc : q.initial()) {
                        ObjectNode result = DocumentJson.mapper().createObjectNode();
                        result.putRawValue("document", raw(doc));
                        head.add(withEvent("result", result));
                    }
                    ObjectNode ready = StreamPayloads.token(token);
                    ready.put("count", q.initial().size());
                    head.add(withEvent("ready", ready));
                    return Source.from(head).concat(guard.guard(q.items(), true).map(item -> changeEvent(item, false)));
                });
    }

    /**
     * A live window query of a time-series collection: {@code query} (a {@code _tsquery} body
     * without a range), optional {@code grace}, {@code horizon} and {@code from} (a token).
     */
    private CompletionStage<Source<ObjectNode, NotUsed>> windows(ObjectNode msg) {
        String db = Names.checkDatabase(requiredText(msg, "db"));
        String collection = Names.checkCollection(requiredText(msg, "collection"));
        access.check(SUBSCRIBE_COLLECTION, Map.of(Permission.DB, db, Permission.COLLECTION, collection));
        JsonNode horizon = msg.get("horizon");
        if (horizon != null && (!horizon.canConvertToInt() || horizon.intValue() < 0)) {
            throw protocol("'horizon' must be a number of windows, 0 or more", "/horizon");
        }
        return liveWindows
                .open(
                        db,
                        collection,
                        msg.get("query"),
                        optionalText(msg, "grace"),
                        horizon == null ? null : horizon.intValue(),
                        optionalText(msg, "from"))
                .thenApply(events -> events.map(e -> withEvent(e.name(), e.data())));
    }

    private CompletionStage<Source<ObjectNode, NotUsed>> topic(ObjectNode msg) {
        String topic = requiredText(msg, "topic");
        Topics.validateName(topic);
        access.check(SUBSCRIBE_TOPIC, Map.of(Permission.TOPIC, topic));
        return topics.subscribe(topic)
                .thenApply(events -> events.map(event -> switch (event) {
                    case TopicEvent.Subscribed s -> withEvent("subscribed", TopicsResource.topicNode(s.topic()));
                    case TopicEvent.Message m -> {
                        ObjectNode node = DocumentJson.mapper().createObjectNode();
                        node.putRawValue("data", raw(m.message().json()));
                        yield withEvent("message", node);
                    }
                    case TopicEvent.Heartbeat h ->
                        withEvent("heartbeat", DocumentJson.mapper().createObjectNode());
                    case TopicEvent.Overflow o -> withEvent("overflow", TopicsResource.overflow(o));
                }));
    }

    /**
     * A stream item as an event object. A change-stream change carries its envelope as {@code
     * data}; a live-query change (classified added/changed/removed) its id, version and document.
     */
    private static ObjectNode changeEvent(StreamItem item, boolean before) {
        String token = item.position().encode();
        return switch (item) {
            case StreamItem.Change c
            when c.kind().equals("change") -> {
                ObjectNode node = StreamPayloads.token(token);
                node.putRawValue("data", raw(c.event().envelope(before, token)));
                yield withEvent("change", node);
            }
            case StreamItem.Change c -> withEvent(c.kind(), StreamPayloads.liveChange(c, token));
            case StreamItem.Row r -> withEvent(r.kind(), StreamPayloads.row(r, token));
            case StreamItem.Heartbeat h -> withEvent("heartbeat", StreamPayloads.token(token));
            case StreamItem.Overflow o ->
                withEvent("overflow", StreamPayloads.overflow(token, "lumadb.cdc.buffer-size"));
            case StreamItem.HistoryLost lost ->
                withEvent("error", StreamPayloads.error(StreamPayloads.historyLost(lost), token));
            case StreamItem.Dropped dropped -> withEvent("dropped", StreamPayloads.dropped(dropped));
        };
    }

    // ---- server messages

    /** JSON text that is written as it is, without parsing it again. */
    private static com.fasterxml.jackson.databind.util.RawValue raw(byte[] json) {
        return new com.fasterxml.jackson.databind.util.RawValue(new String(json, StandardCharsets.UTF_8));
    }

    private static ObjectNode withEvent(String event, ObjectNode fields) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        node.put("event", event);
        node.setAll(fields);
        return node;
    }

    /** An event of subscription {@code id}: {@code sub} names it ({@code id} is a document's, in live events). */
    private static Message message(String id, ObjectNode event) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        node.put("sub", id);
        node.setAll(event);
        return TextMessage.create(new String(DocumentJson.bytes(node), StandardCharsets.UTF_8));
    }

    /**
     * A reply outside any subscription's stream (published, pong, error) with the request's
     * {@code sub} and {@code ref}; the connection is closed (1011) if replies pile up unread.
     */
    private void reply(String sub, String ref, String event, ObjectNode fields) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        if (sub != null) {
            node.put("sub", sub);
        }
        if (ref != null) {
            node.put("ref", ref);
        }
        node.put("event", event);
        if (fields != null) {
            node.setAll(fields);
        }
        QueueOfferResult result =
                control.offer(TextMessage.create(new String(DocumentJson.bytes(node), StandardCharsets.UTF_8)));
        if (result instanceof QueueOfferResult.Dropped$) {
            // Failing only the reply queue would leave the socket open and silent: close it.
            abort("the client sends requests faster than it reads the replies");
        }
    }

    // ---- parsing

    private static ApiException protocol(String detail, String pointer) {
        return ApiException.badRequest("invalid-ws-message", "Invalid WebSocket message", detail, pointer);
    }

    private static String requiredSub(String id) {
        if (id == null || id.isEmpty() || id.length() > 128) {
            throw protocol("this op needs 'sub': a string of 1 to 128 characters naming the subscription", "/sub");
        }
        return id;
    }

    private static String requiredText(ObjectNode msg, String field) {
        String value = optionalText(msg, field);
        if (value == null) {
            throw protocol("'" + field + "' is required and must be a string", "/" + field);
        }
        return value;
    }

    private static String optionalText(ObjectNode msg, String field) {
        JsonNode node = msg.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw protocol("'" + field + "' must be a string", "/" + field);
        }
        return node.asText();
    }
}

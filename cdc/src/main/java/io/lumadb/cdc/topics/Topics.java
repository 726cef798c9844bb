package io.lumadb.cdc.topics;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.streams.SubscriberBuffer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Pub/sub topics on Pekko's distributed {@link Topic}: each topic has one topic actor per node
 * that has publishers or subscribers of it, and the topic actors find each other through the
 * cluster receptionist, so a message published on any node reaches the subscribers of every
 * node.
 *
 * <p><b>Delivery is at-most-once.</b> A message reaches the subscribers registered when it
 * arrives; nothing is stored, so a subscriber that is disconnected, or that joins later, misses
 * it. Durable, resumable streams are the change stream. On one node, a subscription receives
 * every message published after {@code subscribe} completed; across nodes, after the
 * receptionist has gossiped the subscription (typically well under a second).
 *
 * <p><b>Slow subscribers</b> never slow a publisher: each subscriber has a buffer of {@code
 * buffer-size} messages; when it is full the subscriber gets {@link TopicEvent.Overflow} and is
 * closed.
 */
public final class Topics {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** Messages taken from a buffer per step: one, so that the buffer bounds what a subscriber holds. */
    private static final int DRAIN = 1;

    private enum Stop {
        INSTANCE
    }

    /** A topic actor on this node and how it is used. */
    private static final class Entry {
        final ActorRef<Topic.Command<TopicMessage>> ref;
        final AtomicInteger localSubscribers = new AtomicInteger();
        volatile long lastUsedNanos = System.nanoTime();

        Entry(ActorRef<Topic.Command<TopicMessage>> ref) {
            this.ref = ref;
        }
    }

    private final ActorSystem<?> system;
    private final TopicSettings settings;
    private final ConcurrentHashMap<String, Entry> topics = new ConcurrentHashMap<>();
    /** Actor name suffixes, unique in the JVM (tests run several instances in one system). */
    private static final AtomicLong actorIds = new AtomicLong();

    private final AtomicInteger subscribers = new AtomicInteger();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong overflows = new AtomicLong();

    private Topics(ActorSystem<?> system, TopicSettings settings) {
        this.system = system;
        this.settings = settings;
    }

    /** Topics on {@code system}; idle topic actors are stopped after {@code idle-timeout}. */
    public static Topics create(ActorSystem<?> system, TopicSettings settings) {
        Topics topics = new Topics(system, settings);
        Duration every = settings.idleTimeout().dividedBy(2);
        if (every.compareTo(Duration.ofSeconds(1)) < 0) {
            every = Duration.ofSeconds(1);
        }
        system.scheduler().scheduleWithFixedDelay(every, every, topics::stopIdle, system.executionContext());
        return topics;
    }

    public TopicSettings settings() {
        return settings;
    }

    /** Fails with {@link InvalidTopicException} unless {@code name} is a valid topic name. */
    public static void validateName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidTopicException("invalid topic name '" + name
                    + "': 1 to 128 characters of letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
    }

    /**
     * Publishes one JSON value to {@code topic}: fire and forget (at-most-once). Fails with
     * {@link InvalidTopicException} for a bad name, a message that is not exactly one JSON
     * value, or one larger than {@code max-message-bytes}.
     */
    public void publish(String topic, byte[] json) {
        validateName(topic);
        if (json.length == 0) {
            throw new InvalidTopicException("the message is empty; publish one JSON value");
        }
        if (json.length > settings.maxMessageBytes()) {
            throw new InvalidTopicException("the message is " + json.length
                    + " bytes; lumadb.topics.max-message-bytes is " + settings.maxMessageBytes());
        }
        JsonNode value;
        try {
            value = DocumentJson.mapper()
                    .readerFor(JsonNode.class)
                    .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readValue(json);
        } catch (JacksonException e) {
            throw new InvalidTopicException("the message is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidTopicException("the message is not JSON: " + e.getMessage());
        }
        if (value == null || value.isMissingNode()) {
            throw new InvalidTopicException("the message is empty; publish one JSON value");
        }
        Entry entry = entry(topic, false);
        entry.ref.tell(Topic.publish(new TopicMessage(topic, DocumentJson.bytes(value), System.currentTimeMillis())));
        published.incrementAndGet();
    }

    /**
     * Subscribes to {@code topic}. Completes once the subscription is registered with this
     * node's topic actor, with a stream that starts with {@link TopicEvent.Subscribed}, then
     * delivers messages (and heartbeats when quiet) until it is cancelled or overflows.
     */
    public CompletionStage<Source<TopicEvent, NotUsed>> subscribe(String topic) {
        validateName(topic);
        Entry entry = entry(topic, true);
        subscribers.incrementAndGet();
        SubscriberBuffer<TopicMessage> buffer = new SubscriberBuffer<>(settings.bufferSize(), queued, overflows);
        ActorRef<Object> actor = system.systemActorOf(
                subscriber(buffer), "topic-subscriber-" + actorIds.incrementAndGet(), Props.empty());
        ActorRef<TopicMessage> subscriberRef = actor.narrow();
        Runnable release = () -> {
            actor.tell(Stop.INSTANCE);
            buffer.cutOff();
            subscribers.decrementAndGet();
            entry.lastUsedNanos = System.nanoTime();
            entry.localSubscribers.decrementAndGet();
        };
        entry.ref.tell(Topic.subscribe(subscriberRef));
        // The topic actor handles its commands in order: once it answers the stats request, the
        // subscription before it is registered.
        CompletionStage<Topic.TopicStats> registered =
                AskPattern.ask(entry.ref, Topic::getTopicStats, Duration.ofSeconds(10), system.scheduler());
        return registered.handle((stats, failure) -> {
            if (failure != null) {
                release.run();
                throw new IllegalStateException("topic " + topic + " did not register the subscription", failure);
            }
            return Source.<TopicEvent>single(new TopicEvent.Subscribed(topic))
                    // concatLazy: plain concat would prefetch a message beyond the buffer
                    .concatLazy(
                            Source.unfoldAsync(new Cursor(buffer), this::next).mapConcat(events -> events))
                    .watchTermination((mat, done) -> {
                        done.whenComplete((d, f) -> release.run());
                        return mat;
                    });
        });
    }

    /** The reading side of one subscription: whether it has ended. */
    private static final class Cursor {
        final SubscriberBuffer<TopicMessage> buffer;
        boolean done;

        Cursor(SubscriberBuffer<TopicMessage> buffer) {
            this.buffer = buffer;
        }
    }

    private CompletionStage<Optional<Pair<Cursor, List<TopicEvent>>>> next(Cursor cursor) {
        if (cursor.done) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        List<TopicMessage> messages = cursor.buffer.drain(DRAIN);
        if (!messages.isEmpty()) {
            List<TopicEvent> out = new ArrayList<>(messages.size());
            for (TopicMessage m : messages) {
                out.add(new TopicEvent.Message(m));
            }
            return CompletableFuture.completedFuture(Optional.of(Pair.create(cursor, out)));
        }
        if (cursor.buffer.overflowed()) {
            cursor.done = true;
            return CompletableFuture.completedFuture(
                    Optional.of(Pair.create(cursor, List.of(new TopicEvent.Overflow(settings.bufferSize())))));
        }
        return cursor.buffer
                .whenReady()
                .toCompletableFuture()
                .copy()
                .completeOnTimeout(null, settings.heartbeat().toMillis(), TimeUnit.MILLISECONDS)
                .thenApply(v -> {
                    boolean woken = cursor.buffer.depth() > 0 || cursor.buffer.overflowed();
                    List<TopicEvent> out = woken ? List.of() : List.of(new TopicEvent.Heartbeat());
                    return Optional.of(Pair.create(cursor, out));
                });
    }

    private Behavior<Object> subscriber(SubscriberBuffer<TopicMessage> buffer) {
        return Behaviors.receive(Object.class)
                .onMessage(TopicMessage.class, m -> buffer.offer(m) ? Behaviors.same() : Behaviors.stopped())
                .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                .build();
    }

    /** The topic's entry, created if need be; atomically with the idle check of {@link #stopIdle}. */
    private Entry entry(String topic, boolean subscribing) {
        return topics.compute(topic, (name, existing) -> {
            Entry e = existing != null ? existing : new Entry(spawnTopic(name));
            if (subscribing) {
                e.localSubscribers.incrementAndGet();
            }
            e.lastUsedNanos = System.nanoTime();
            return e;
        });
    }

    private ActorRef<Topic.Command<TopicMessage>> spawnTopic(String name) {
        // A stopped topic's actor name may still be taken while it stops, hence the suffix.
        return system.systemActorOf(
                Topic.create(TopicMessage.class, name),
                "topic-" + name + "-" + actorIds.incrementAndGet(),
                Props.empty());
    }

    /** Stops the topic actors that had no local subscriber and no publish for {@code idle-timeout}. */
    private void stopIdle() {
        long idleNanos = settings.idleTimeout().toNanos();
        long now = System.nanoTime();
        for (String name : topics.keySet()) {
            Entry[] stopped = new Entry[1];
            topics.computeIfPresent(name, (n, e) -> {
                if (e.localSubscribers.get() == 0 && now - e.lastUsedNanos > idleNanos) {
                    stopped[0] = e;
                    return null;
                }
                return e;
            });
            if (stopped[0] != null) {
                Adapter.toClassic(system).stop(Adapter.toClassic(stopped[0].ref));
            }
        }
    }

    /** Subscriptions open on this node. */
    public int subscribers() {
        return subscribers.get();
    }

    /** Messages waiting in the buffers of this node's subscribers. */
    public long queued() {
        return queued.get();
    }

    /** Topics with a topic actor on this node. */
    public int activeTopics() {
        return topics.size();
    }

    /** Messages published through this node since it started. */
    public long published() {
        return published.get();
    }

    /** Subscribers closed for overflowing since this node started. */
    public long overflows() {
        return overflows.get();
    }
}

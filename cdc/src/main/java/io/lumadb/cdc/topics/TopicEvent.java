package io.lumadb.cdc.topics;

/** What a topic subscription delivers: its messages and the control events around them. */
public sealed interface TopicEvent {

    /** The subscription is registered: every message published on this node after it is delivered. */
    record Subscribed(String topic) implements TopicEvent {}

    /** A published message. */
    record Message(TopicMessage message) implements TopicEvent {}

    /** Nothing arrived for a while; the subscription is alive. */
    record Heartbeat() implements TopicEvent {}

    /**
     * The subscriber fell {@code lumadb.topics.buffer-size} messages behind and is closed; messages
     * after those delivered were dropped for it (delivery is at-most-once).
     */
    record Overflow(int bufferSize) implements TopicEvent {}
}

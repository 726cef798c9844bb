package io.lumadb.cdc.topics;

import io.lumadb.shards.CborSerializable;

/**
 * One published message: the topic, the message as compact JSON, and when the publishing node
 * accepted it. Travels between nodes (Pekko Jackson CBOR), hence plain fields.
 *
 * @param topic the topic it was published to
 * @param json the message, compact JSON text in UTF-8 (one line)
 * @param publishedAtMillis the publishing node's wall clock when it accepted the message
 */
public record TopicMessage(String topic, byte[] json, long publishedAtMillis) implements CborSerializable {}

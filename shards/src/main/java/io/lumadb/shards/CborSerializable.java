package io.lumadb.shards;

/**
 * Marker for every message, event and snapshot that may cross a process boundary or reach the
 * journal. Bound to Jackson CBOR in {@code reference.conf}; nothing uses Java serialization.
 */
public interface CborSerializable {}

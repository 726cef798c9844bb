package io.lumadb.tiering;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hot tier: the bodies of cold documents read recently, bounded by bytes, least recently used
 * out first. Keyed by store, id and version, so a document written since can never be answered
 * from here (its new version is warm and never looked up).
 */
final class HotCache {

    private record Key(String store, String id, long version) {}

    private final long capacity;
    private final LinkedHashMap<Key, byte[]> entries = new LinkedHashMap<>(1024, 0.75f, true);
    private long bytes;

    HotCache(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes must be >= 0, was " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    synchronized byte[] get(String store, String id, long version) {
        return entries.get(new Key(store, id, version));
    }

    synchronized void put(String store, String id, long version, byte[] json) {
        long size = weight(id, json);
        if (size > capacity / 8) {
            return;
        }
        byte[] old = entries.put(new Key(store, id, version), json);
        bytes += size - (old == null ? 0 : weight(id, old));
        var it = entries.entrySet().iterator();
        while (bytes > capacity && it.hasNext()) {
            Map.Entry<Key, byte[]> eldest = it.next();
            bytes -= weight(eldest.getKey().id(), eldest.getValue());
            it.remove();
        }
    }

    private static long weight(String id, byte[] json) {
        return json.length + 2L * id.length() + 64;
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized long documents() {
        return entries.size();
    }
}

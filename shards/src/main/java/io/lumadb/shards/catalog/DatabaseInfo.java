package io.lumadb.shards.catalog;

import io.lumadb.shards.CborSerializable;
import java.util.Map;
import java.util.TreeMap;

/** A database and its collections, by name. Immutable. */
public record DatabaseInfo(String name, long createdAtMillis, Map<String, CollectionInfo> collections)
        implements CborSerializable {
    public DatabaseInfo {
        // Sorted by name, so listings come out in name order.
        collections = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(collections));
    }

    DatabaseInfo with(CollectionInfo collection) {
        Map<String, CollectionInfo> next = new TreeMap<>(collections);
        next.put(collection.name(), collection);
        return new DatabaseInfo(name, createdAtMillis, next);
    }

    DatabaseInfo without(String collection) {
        Map<String, CollectionInfo> next = new TreeMap<>(collections);
        next.remove(collection);
        return new DatabaseInfo(name, createdAtMillis, next);
    }
}

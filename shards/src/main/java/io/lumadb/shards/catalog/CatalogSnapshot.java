package io.lumadb.shards.catalog;

import io.lumadb.shards.CborSerializable;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable view of the whole catalog at one version. Versions only grow, so of two
 * snapshots the one with the higher version is the newer.
 *
 * @param version the number of catalog changes so far; also the source of incarnations
 */
public record CatalogSnapshot(long version, Map<String, DatabaseInfo> databases) implements CborSerializable {

    public static final CatalogSnapshot EMPTY = new CatalogSnapshot(0, Map.of());

    public CatalogSnapshot {
        // Sorted by name, so listings come out in name order.
        databases = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(databases));
    }

    public Optional<DatabaseInfo> database(String name) {
        return Optional.ofNullable(databases.get(name));
    }

    public Optional<CollectionInfo> collection(String database, String name) {
        DatabaseInfo db = databases.get(database);
        return db == null
                ? Optional.empty()
                : Optional.ofNullable(db.collections().get(name));
    }

    /** Whether the collection with exactly this incarnation is live. */
    public boolean isLive(String database, String name, long incarnation) {
        return collection(database, name)
                .map(c -> c.incarnation() == incarnation)
                .orElse(false);
    }

    CatalogSnapshot withDatabase(DatabaseInfo db) {
        Map<String, DatabaseInfo> next = new TreeMap<>(databases);
        next.put(db.name(), db);
        return new CatalogSnapshot(version + 1, next);
    }

    CatalogSnapshot withoutDatabase(String name) {
        Map<String, DatabaseInfo> next = new TreeMap<>(databases);
        next.remove(name);
        return new CatalogSnapshot(version + 1, next);
    }
}

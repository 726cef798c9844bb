package io.lumadb.sql.schema;

import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.catalog.DatabaseInfo;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.calcite.schema.Schema;
import org.apache.calcite.schema.SchemaVersion;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;
import org.apache.calcite.schema.lookup.CompatibilityLookup;
import org.apache.calcite.schema.lookup.Lookup;

/**
 * A database as a SQL schema: one {@link CollectionTable} per collection, looked up in the
 * catalog when a statement names it (a name the cached catalog lacks is asked of the catalog
 * itself, so a collection created a moment ago is found).
 */
public final class DatabaseSchema extends AbstractSchema {

    private final String database;
    private final SqlBackend backend;
    private final ColumnInference inference;
    private final Duration catalogTimeout;

    public DatabaseSchema(String database, SqlBackend backend, ColumnInference inference, Duration catalogTimeout) {
        this.database = database;
        this.backend = backend;
        this.inference = inference;
        this.catalogTimeout = catalogTimeout;
    }

    @Override
    public Lookup<Table> tables() {
        return new CompatibilityLookup<>(this::table, this::names);
    }

    @Override
    public boolean isMutable() {
        return false;
    }

    @Override
    public Schema snapshot(SchemaVersion version) {
        return this;
    }

    private Set<String> names() {
        return backend.catalog()
                .database(database)
                .map(db -> (Set<String>) new TreeSet<>(db.collections().keySet()))
                .orElse(Set.of());
    }

    private Table table(String name) {
        Optional<CollectionInfo> info = collection(backend.catalog(), name);
        if (info.isEmpty()) {
            info = collection(refreshed(), name);
        }
        if (info.isEmpty()) {
            return null;
        }
        SqlSession session = SqlSession.current();
        session.planned(name);
        CollectionInfo collection = info.get();
        return new CollectionTable(collection, backend, () -> {
            // Planning a statement that uses the collection reads its columns: only a caller that
            // may read the collection learns them.
            session.sight().of(database, name);
            return inference.columns(collection, session.deadlineNanos());
        });
    }

    private Optional<CollectionInfo> collection(CatalogSnapshot snapshot, String name) {
        return snapshot.database(database).map(DatabaseInfo::collections).map(c -> c.get(name));
    }

    private CatalogSnapshot refreshed() {
        return Waits.await(
                backend.refreshCatalog(),
                catalogTimeout.toMillis(),
                () -> new io.lumadb.shards.ShardUnavailableException("the catalog did not answer in time", null));
    }
}

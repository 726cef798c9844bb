package io.lumadb.shards.catalog;

import io.lumadb.shards.CborSerializable;
import io.lumadb.shards.model.IndexDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A collection as the catalog knows it. The incarnation is unique for the life of the catalog,
 * so a collection dropped and created again under the same name never shares shards (or
 * journal history) with its predecessor.
 *
 * @param indexes its secondary indexes, in creation order
 * @param indexesVersion the catalog version at which {@code indexes} last changed; shards apply
 *     an index set only when it is newer than the one they have
 * @param preImages whether change-stream consumers see each change's previous document
 *     ({@code before}); shards always record it, because live queries classify updates with it
 * @param schema the declared schema as JSON text ({@link io.lumadb.shards.model.CollectionSchema}),
 *     or null: documents of any shape
 * @param schemaVersion the catalog version at which {@code schema} last changed (0: never); shards
 *     adopt a schema only when it is newer than the one they have
 * @param timeSeries for a time-series collection ({@code "kind": "timeseries"}), its options as
 *     JSON text, which the {@code timeseries} module defines and checked before creation; null for
 *     a collection of documents. Fixed at creation.
 */
public record CollectionInfo(
        String database,
        String name,
        int shards,
        long incarnation,
        long createdAtMillis,
        List<IndexDefinition> indexes,
        long indexesVersion,
        boolean preImages,
        String schema,
        long schemaVersion,
        String timeSeries)
        implements CborSerializable {

    public CollectionInfo {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, was " + shards);
        }
        // Catalog snapshots written before indexes existed carry none.
        indexes = indexes == null ? List.of() : List.copyOf(indexes);
    }

    public CollectionInfo(String database, String name, int shards, long incarnation, long createdAtMillis) {
        this(database, name, shards, incarnation, createdAtMillis, List.of(), incarnation, false, null, 0, null);
    }

    /** The shard entity id of shard {@code n}: {@code <database>/<collection>/<incarnation>/<n>}. */
    public String shardEntityId(int n) {
        return database + "/" + name + "/" + incarnation + "/" + n;
    }

    /** Whether this is a time-series collection (its shards hold points, not documents). */
    public boolean holdsTimeSeries() {
        return timeSeries != null;
    }

    /** The declared schema, compiled (once per text), or null when the collection declares none. */
    public io.lumadb.shards.model.CollectionSchema declaredSchema() {
        return schema == null ? null : io.lumadb.shards.model.CollectionSchema.parse(schema);
    }

    public Optional<IndexDefinition> index(String indexName) {
        return indexes.stream().filter(i -> i.name().equals(indexName)).findFirst();
    }

    CollectionInfo withIndex(IndexDefinition index, long version) {
        List<IndexDefinition> next = new ArrayList<>(indexes);
        next.add(index);
        return new CollectionInfo(
                database,
                name,
                shards,
                incarnation,
                createdAtMillis,
                next,
                version,
                preImages,
                schema,
                schemaVersion,
                timeSeries);
    }

    CollectionInfo withSchema(String nextSchema, long version) {
        return new CollectionInfo(
                database,
                name,
                shards,
                incarnation,
                createdAtMillis,
                indexes,
                indexesVersion,
                preImages,
                nextSchema,
                version,
                timeSeries);
    }

    CollectionInfo withoutIndex(String indexName, long version) {
        List<IndexDefinition> next = new ArrayList<>(indexes);
        next.removeIf(i -> i.name().equals(indexName));
        return new CollectionInfo(
                database,
                name,
                shards,
                incarnation,
                createdAtMillis,
                next,
                version,
                preImages,
                schema,
                schemaVersion,
                timeSeries);
    }
}

package io.lumadb.sql.schema;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.shards.query.QueryLimits;
import java.util.concurrent.CompletionStage;

/** What SQL needs of the data layer: the catalog and JQL queries over collections. */
public interface SqlBackend {

    /** The newest catalog this node knows. */
    CatalogSnapshot catalog();

    /** Fetches the catalog from its single writer (after a name was not found in {@link #catalog}). */
    CompletionStage<CatalogSnapshot> refreshCatalog();

    /** Runs a JQL request body over one collection. */
    CompletionStage<Queries.Result> query(String database, String collection, JsonNode body);

    QueryLimits limits();

    /** Writes documents of one collection: atomic per shard, as a bulk request (see {@code Documents#writeAll}). */
    CompletionStage<java.util.List<io.lumadb.shards.model.WriteOutcome>> write(
            String database, String collection, java.util.List<io.lumadb.shards.model.DocumentWrite> writes);

    /** Creates a collection with {@code schema} declared (null: none), as SQL's {@code CREATE TABLE}. */
    CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> createCollection(
            String database, String name, io.lumadb.shards.model.CollectionSchema schema);

    /** Drops a collection and its documents. */
    CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> dropCollection(String database, String name);

    /** Declares (null: removes) a collection's schema. */
    CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> setSchema(
            String database, String name, io.lumadb.shards.model.CollectionSchema schema);

    /** Defines a secondary index, built in the background. */
    CompletionStage<Queries.IndexStatus> createIndex(
            String database,
            String collection,
            String name,
            java.util.List<io.lumadb.shards.model.IndexDefinition.Field> fields);

    /** The data layer of this node. */
    static SqlBackend of(io.lumadb.shards.Shards shards) {
        return new SqlBackend() {
            @Override
            public CatalogSnapshot catalog() {
                return shards.catalog().cached();
            }

            @Override
            public CompletionStage<CatalogSnapshot> refreshCatalog() {
                return shards.catalog().refresh();
            }

            @Override
            public CompletionStage<Queries.Result> query(String database, String collection, JsonNode body) {
                Queries queries = shards.queries();
                return queries.query(database, collection, queries.parse(body));
            }

            @Override
            public QueryLimits limits() {
                return shards.catalog().settings().queryLimits();
            }

            @Override
            public CompletionStage<java.util.List<io.lumadb.shards.model.WriteOutcome>> write(
                    String database, String collection, java.util.List<io.lumadb.shards.model.DocumentWrite> writes) {
                return shards.documents().writeAll(database, collection, writes);
            }

            @Override
            public CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> createCollection(
                    String database, String name, io.lumadb.shards.model.CollectionSchema schema) {
                return shards.catalog().createCollection(database, name, 0, false, schema);
            }

            @Override
            public CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> dropCollection(
                    String database, String name) {
                return shards.catalog().dropCollection(database, name);
            }

            @Override
            public CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> setSchema(
                    String database, String name, io.lumadb.shards.model.CollectionSchema schema) {
                return shards.catalog().setSchema(database, name, schema);
            }

            @Override
            public CompletionStage<Queries.IndexStatus> createIndex(
                    String database,
                    String collection,
                    String name,
                    java.util.List<io.lumadb.shards.model.IndexDefinition.Field> fields) {
                return shards.queries().createIndex(database, collection, name, fields);
            }
        };
    }
}

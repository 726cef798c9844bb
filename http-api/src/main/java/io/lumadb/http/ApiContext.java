package io.lumadb.http;

import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.topics.Topics;
import io.lumadb.security.Security;
import io.lumadb.shards.Catalog;
import io.lumadb.shards.Documents;
import io.lumadb.shards.Queries;
import io.lumadb.tiering.Tiering;
import io.lumadb.vector.Search;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * What the resources of the API work with: the node's services and settings, and the shared
 * request helpers. {@link #resources()} lists every resource; a new family of routes is added
 * there.
 */
public final class ApiContext {

    private final ClassicActorSystemProvider system;
    private final Catalog catalog;
    private final Documents documents;
    private final io.lumadb.timeseries.shard.TimeSeriesWrites timeSeriesWrites;
    private final io.lumadb.timeseries.shard.TimeSeriesQueries timeSeriesQueries;
    private final Queries queries;
    private final ChangeStreams changeStreams;
    private final Topics topics;
    private final HttpSettings settings;
    private final WebSocketSettings webSocketSettings;
    private final Supplier<String> metrics;
    private final Cors cors;
    private final Bodies bodies;
    private final Security security;
    private final Search search;
    private final Tiering tiering;
    private final io.lumadb.sql.SqlEngine sql;
    private final Backups backups;

    /**
     * @param metrics the Prometheus text of the node's metrics, for {@code /metrics}
     * @param security who callers are and what they may do
     */
    public ApiContext(
            ClassicActorSystemProvider system,
            Catalog catalog,
            Documents documents,
            Queries queries,
            ChangeStreams changeStreams,
            Topics topics,
            HttpSettings settings,
            WebSocketSettings webSocketSettings,
            Supplier<String> metrics,
            Security security) {
        this(
                system,
                catalog,
                documents,
                queries,
                changeStreams,
                topics,
                settings,
                webSocketSettings,
                metrics,
                security,
                null,
                null,
                null);
    }

    /**
     * @param search vector and full-text search over the collections (null: not on this node)
     * @param tiering the cold tier (null: not on this node)
     * @param sql SQL over the collections (null: not on this node)
     */
    public ApiContext(
            ClassicActorSystemProvider system,
            Catalog catalog,
            Documents documents,
            Queries queries,
            ChangeStreams changeStreams,
            Topics topics,
            HttpSettings settings,
            WebSocketSettings webSocketSettings,
            Supplier<String> metrics,
            Security security,
            Search search,
            Tiering tiering,
            io.lumadb.sql.SqlEngine sql) {
        this(
                system,
                catalog,
                documents,
                queries,
                changeStreams,
                topics,
                settings,
                webSocketSettings,
                metrics,
                security,
                search,
                tiering,
                sql,
                null);
    }

    /** @param backups the node's online backups (null: not on this node) */
    public ApiContext(
            ClassicActorSystemProvider system,
            Catalog catalog,
            Documents documents,
            Queries queries,
            ChangeStreams changeStreams,
            Topics topics,
            HttpSettings settings,
            WebSocketSettings webSocketSettings,
            Supplier<String> metrics,
            Security security,
            Search search,
            Tiering tiering,
            io.lumadb.sql.SqlEngine sql,
            Backups backups) {
        this.backups = backups;
        this.search = search;
        this.sql = sql;
        this.tiering = tiering;
        this.system = system;
        this.security = security;
        this.catalog = catalog;
        this.documents = documents;
        this.timeSeriesWrites = new io.lumadb.timeseries.shard.TimeSeriesWrites(documents);
        this.timeSeriesQueries = new io.lumadb.timeseries.shard.TimeSeriesQueries(documents);
        this.queries = queries;
        this.changeStreams = changeStreams;
        this.topics = topics;
        this.settings = settings;
        this.webSocketSettings = webSocketSettings;
        this.metrics = metrics;
        this.cors = new Cors(settings.corsAllowedOrigins(), settings.corsMaxAge());
        this.bodies = new Bodies(system, settings.bodyTimeout());
    }

    /** Every resource of the API, in the order their routes are listed. */
    List<Resource> resources() {
        return List.of(
                new HealthResource(this),
                new OpenApiResource(),
                new ClusterResource(this),
                new DatabasesResource(this),
                new CollectionsResource(this),
                new DocumentsResource(this),
                new BulkResource(this),
                new QueriesResource(this),
                new SqlResource(this),
                new SearchResource(this),
                new TimeSeriesResource(this),
                new IndexesResource(this),
                new SchemaResource(this),
                new TieringResource(this),
                new BackupsResource(this),
                new ChangesResource(this),
                new LiveResource(this),
                new TopicsResource(this),
                new WebSocketResource(this),
                new SecurityResource(this),
                new AuthResource(this),
                new ConsoleResource());
    }

    ClassicActorSystemProvider system() {
        return system;
    }

    Catalog catalog() {
        return catalog;
    }

    Documents documents() {
        return documents;
    }

    Queries queries() {
        return queries;
    }

    /** Writes to time-series collections. */
    io.lumadb.timeseries.shard.TimeSeriesWrites timeSeriesWrites() {
        return timeSeriesWrites;
    }

    /** Queries of time-series collections. */
    io.lumadb.timeseries.shard.TimeSeriesQueries timeSeriesQueries() {
        return timeSeriesQueries;
    }

    /** Vector and full-text search. */
    Search search() {
        if (search == null) {
            throw new ApiException(
                    503, "search-unavailable", "Search unavailable", "search is not running on this node", null);
        }
        return search;
    }

    /** The cold tier. */
    Tiering tiering() {
        if (tiering == null) {
            throw new ApiException(
                    503,
                    "tiering-unavailable",
                    "Cold tier unavailable",
                    "the cold tier is not running on this node",
                    null);
        }
        return tiering;
    }

    /** The node's online backups. */
    Backups backups() {
        if (backups == null) {
            throw new ApiException(
                    503, "backups-unavailable", "Backups unavailable", "backups are not made on this node", null);
        }
        return backups;
    }

    /** SQL over the collections. */
    io.lumadb.sql.SqlEngine sql() {
        if (sql == null) {
            throw new ApiException(503, "sql-unavailable", "SQL unavailable", "SQL is not running on this node", null);
        }
        return sql;
    }

    ChangeStreams changeStreams() {
        return changeStreams;
    }

    Topics topics() {
        return topics;
    }

    HttpSettings settings() {
        return settings;
    }

    WebSocketSettings webSocketSettings() {
        return webSocketSettings;
    }

    Supplier<String> metrics() {
        return metrics;
    }

    Cors cors() {
        return cors;
    }

    Security security() {
        return security;
    }

    Bodies bodies() {
        return bodies;
    }
}

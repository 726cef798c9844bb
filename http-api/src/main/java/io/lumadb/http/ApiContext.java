package io.lumadb.http;

import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.topics.Topics;
import io.lumadb.shards.Catalog;
import io.lumadb.shards.Documents;
import io.lumadb.shards.Queries;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * What the resources work with: the node's services and settings, and the shared request
 * helpers. {@link #resources()} lists every resource of the API; a new family of routes is
 * added there.
 */
record ApiContext(
        ClassicActorSystemProvider system,
        Catalog catalog,
        Documents documents,
        Queries queries,
        ChangeStreams changeStreams,
        Topics topics,
        HttpSettings settings,
        WebSocketSettings webSocketSettings,
        Supplier<String> metrics,
        Cors cors,
        Bodies bodies) {

    ApiContext(
            ClassicActorSystemProvider system,
            Catalog catalog,
            Documents documents,
            Queries queries,
            ChangeStreams changeStreams,
            Topics topics,
            HttpSettings settings,
            WebSocketSettings webSocketSettings,
            Supplier<String> metrics) {
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
                new Cors(settings.corsAllowedOrigins(), settings.corsMaxAge()),
                new Bodies(system, settings.bodyTimeout()));
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
                new IndexesResource(this),
                new ChangesResource(this),
                new LiveResource(this),
                new TopicsResource(this),
                new WebSocketResource(this));
    }
}

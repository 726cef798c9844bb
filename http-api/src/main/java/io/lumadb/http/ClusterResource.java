package io.lumadb.http;

import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.ClusterView;
import io.lumadb.shards.model.DocumentJson;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** The cluster as this node sees it: members, their roles and the shards each hosts. */
final class ClusterResource implements Resource {

    private final ApiContext api;

    ClusterResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get(
                "/api/v1/_cluster", "clusterStatus", Permission.of(Action.READ, Scope.CLUSTER), call -> status()));
    }

    private CompletionStage<HttpResponse> status() {
        var typed = Adapter.toTyped(api.system().classicSystem());
        return ClusterView.status(typed, Duration.ofSeconds(3))
                .thenApply(status -> JsonResponses.json(
                        StatusCodes.OK, DocumentJson.bytes(DocumentJson.mapper().valueToTree(status))));
    }
}

package io.lumadb.http;

import static io.lumadb.http.JsonResponses.done;
import static io.lumadb.http.JsonResponses.json;

import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.StorageCondition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** Liveness ({@code /health}), readiness ({@code /ready}) and metrics ({@code /metrics}). */
final class HealthResource implements Resource {

    private static final ContentType PROMETHEUS = ContentTypes.parse("text/plain; version=0.0.4; charset=UTF-8");
    private static final byte[] UP = "{\"status\":\"up\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] READY = "{\"status\":\"ready\"}".getBytes(StandardCharsets.UTF_8);

    private final ApiContext api;

    HealthResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/health", "getHealth", Permission.PUBLIC, call -> done(json(StatusCodes.OK, UP))),
                Route.get("/ready", "getReady", Permission.PUBLIC, call -> ready()),
                Route.get("/metrics", "getMetrics", Permission.of(Action.READ, Scope.CLUSTER), call -> metrics()));
    }

    /**
     * 200 once the catalog answers and the storage can make writes durable; else 503 {@code
     * storage-unavailable} (naming the condition, e.g. {@code no-space}) or {@code not-ready}.
     */
    private CompletionStage<HttpResponse> ready() {
        Optional<StorageCondition.Unwritable> storage =
                StorageCondition.get(api.system()).current();
        if (storage.isPresent()) {
            StorageCondition.Unwritable u = storage.get();
            return done(Problems.response(
                    new ApiException(
                            503,
                            "storage-unavailable",
                            "Storage unavailable",
                            "writes cannot be made durable: " + u.reason(),
                            null,
                            Map.of("condition", u.kind(), "since", u.since().toString())),
                    "/ready"));
        }
        return api.catalog()
                .refresh()
                .toCompletableFuture()
                .orTimeout(2, TimeUnit.SECONDS)
                .handle((snapshot, failure) -> failure == null
                        ? json(StatusCodes.OK, READY)
                        : Problems.response(
                                new ApiException(
                                        503, "not-ready", "Not ready", "the catalog is not reachable yet", null),
                                "/ready"));
    }

    private CompletionStage<HttpResponse> metrics() {
        return done(
                HttpResponse.create().withEntity(PROMETHEUS, api.metrics().get().getBytes(StandardCharsets.UTF_8)));
    }
}

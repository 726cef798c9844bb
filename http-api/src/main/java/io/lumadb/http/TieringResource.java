package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.Documents;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.QueryException;
import io.lumadb.tiering.Policy;
import io.lumadb.tiering.Tiering;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.TimeoutAccess;

/**
 * {@code _tiering}: a collection's cold-tier policy and its documents by tier ({@code GET}); set or
 * remove the policy, or move the collection (a filter's matches) to the cold tier now ({@code
 * PUT}); and a scrub of every fragment of the node's cluster ({@code POST /api/v1/_tiering/scrub}).
 */
final class TieringResource implements Resource {

    private static final String TIERING = "/api/v1/{db}/{collection}/_tiering";
    private static final Set<String> FIELDS = Set.of("policy", "move", "filter");
    /** How long a move or a scrub may take before the request gives up waiting (the work goes on). */
    private static final Duration LONG = Duration.ofMinutes(30);

    private final ApiContext api;

    TieringResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get(TIERING, "getTiering", Permission.of(Action.READ, Scope.COLLECTION), this::get),
                Route.put(TIERING, "setTiering", Permission.of(Action.MANAGE_DATABASES, Scope.DATABASE), this::put),
                Route.post(
                        "/api/v1/_tiering/scrub",
                        "scrubColdTier",
                        Permission.of(Action.ADMIN, Scope.CLUSTER),
                        this::scrub));
    }

    private CompletionStage<HttpResponse> get(Call call) {
        return api.tiering()
                .describe(call.db(), call.collection())
                .thenApply(o -> JsonResponses.json(StatusCodes.OK, overview(o, null)));
    }

    /** A move or a scrub answers when done: the request may wait as long as it does. */
    private static void waitLong(Call call) {
        call.request().getHeader(TimeoutAccess.class).ifPresent(t -> t.timeoutAccess()
                .updateTimeout(scala.concurrent.duration.Duration.fromNanos(
                        LONG.plusSeconds(10).toNanos())));
    }

    private CompletionStage<HttpResponse> put(Call call) {
        Tiering tiering = api.tiering();
        waitLong(call);
        String db = call.db();
        String coll = call.collection();
        return api.bodies()
                .readJson(call.request(), api.settings().maxRequestBytes())
                .thenCompose(body -> {
                    Request request = parse(body);
                    CompletionStage<Void> policy = request.setPolicy()
                            ? tiering.setPolicy(db, coll, request.policy())
                            : CompletableFuture.completedFuture(null);
                    CompletionStage<Tiering.MoveOutcome> moved = policy.thenCompose(x -> request.move()
                            ? tiering.move(db, coll, request.filter(), LONG)
                            : CompletableFuture.completedFuture(null));
                    return moved.thenCompose(m -> tiering.describe(db, coll)
                                    .thenApply(o -> JsonResponses.json(StatusCodes.OK, overview(o, m))))
                            .exceptionally(TieringResource::invalidFilter);
                });
    }

    private CompletionStage<HttpResponse> scrub(Call call) {
        waitLong(call);
        return api.tiering().scrub(LONG).thenApply(s -> {
            ObjectNode out = DocumentJson.mapper().createObjectNode();
            out.put("segments", s.segments());
            out.put("repairedFragments", s.repairedFragments());
            out.put("orphanFragmentsDeleted", s.orphansDeleted());
            var damaged = out.putArray("damaged");
            s.damaged().forEach(damaged::add);
            return JsonResponses.json(StatusCodes.OK, out);
        });
    }

    /** What a PUT asks: a policy to set (null: remove), and/or a move of the matches of {@code filter}. */
    private record Request(boolean setPolicy, Policy policy, boolean move, JsonNode filter) {}

    private static Request parse(JsonNode body) {
        if (!(body instanceof ObjectNode object) || object.isEmpty()) {
            throw ApiException.badRequest(
                    "invalid-tiering",
                    "Invalid tiering request",
                    "expected {\"policy\": {...}|null} and/or {\"move\": \"cold\", \"filter\": {...}}",
                    "");
        }
        var names = object.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw ApiException.badRequest(
                        "invalid-tiering",
                        "Invalid tiering request",
                        "unknown field '" + name + "' (policy, move, filter)",
                        "/" + name);
            }
        }
        boolean setPolicy = object.has("policy");
        Policy policy = null;
        if (setPolicy && !object.get("policy").isNull()) {
            try {
                policy = Policy.parse(object.get("policy"));
            } catch (Policy.PolicyException e) {
                throw ApiException.badRequest("invalid-tiering", "Invalid tiering policy", e.getMessage(), e.pointer());
            }
        }
        boolean move = object.has("move");
        if (move && !"cold".equals(object.get("move").asText(null))) {
            throw ApiException.badRequest(
                    "invalid-tiering",
                    "Invalid tiering request",
                    "\"move\" takes \"cold\" (writing a document makes it warm again)",
                    "/move");
        }
        JsonNode filter = object.get("filter");
        if (filter != null && !move) {
            throw ApiException.badRequest(
                    "invalid-tiering", "Invalid tiering request", "\"filter\" goes with \"move\"", "/filter");
        }
        if (filter != null && !filter.isObject()) {
            throw ApiException.badRequest(
                    "invalid-tiering", "Invalid tiering request", "\"filter\" must be a JQL filter object", "/filter");
        }
        return new Request(setPolicy, policy, move, filter);
    }

    private static HttpResponse invalidFilter(Throwable failure) {
        Throwable cause = Documents.unwrap(failure);
        if (cause instanceof QueryException bad) {
            // The filter is read as a query's filter: its pointers start at /filter already.
            String pointer = bad.pointer() == null || bad.pointer().isEmpty() ? "/filter" : bad.pointer();
            throw ApiException.badRequest("invalid-tiering", "Invalid filter", bad.getMessage(), pointer);
        }
        throw cause instanceof RuntimeException re ? re : new CompletionException(cause);
    }

    private static ObjectNode overview(Tiering.Overview o, Tiering.MoveOutcome moved) {
        ObjectNode out = DocumentJson.mapper().createObjectNode();
        if (o.policy() == null) {
            out.putNull("policy");
        } else {
            out.set("policy", o.policy().toJson());
        }
        ObjectNode tiers = out.putObject("tiers");
        ObjectNode hot = tiers.putObject("hot");
        hot.put("documents", o.hotDocuments());
        hot.put("bytes", o.hotBytes());
        hot.put("scope", "this node, all collections");
        ObjectNode warm = tiers.putObject("warm");
        warm.put("documents", o.usage().warmDocuments());
        warm.put("bytes", o.usage().warmBytes());
        ObjectNode cold = tiers.putObject("cold");
        cold.put("documents", o.usage().coldDocuments());
        cold.put("pointerBytes", o.usage().pointerBytes());
        cold.put("segments", o.segments());
        cold.put("segmentBytes", o.segmentBytes());
        cold.put("storedBytes", o.storedBytes());
        if (o.segmentBytes() > 0) {
            cold.put("overhead", Math.round(1000.0 * o.storedBytes() / o.segmentBytes()) / 1000.0);
        }
        var damaged = cold.putArray("damaged");
        o.damaged().forEach(damaged::add);
        out.put("coder", o.coder());
        if (moved != null) {
            ObjectNode m = out.putObject("moved");
            m.put("documents", moved.documents());
            m.put("segments", moved.segments());
            m.put("segmentBytes", moved.segmentBytes());
        }
        return out;
    }
}

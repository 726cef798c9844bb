package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ChangeStreams;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Live queries ({@code _live}) over Server-Sent Events: the current result of a filter (sorted
 * and limited if asked), then every change to it as {@code added}, {@code changed} or {@code
 * removed}, each with the resume token that continues after it.
 */
final class LiveResource implements Resource {

    private final ApiContext api;

    LiveResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get(
                "/api/v1/{db}/{collection}/_live",
                "liveQuery",
                Permission.of(Action.SUBSCRIBE, Scope.COLLECTION),
                this::live));
    }

    private CompletionStage<HttpResponse> live(Call call) {
        String db = call.db();
        String collection = call.collection();
        HttpRequest request = call.request();
        ChangeStreams streams = api.changeStreams();
        Sse.require(request, "a live query");
        JsonNode search = StreamParams.json(request, "search");
        if (search != null) {
            return liveSearch(call, search);
        }
        String resume = StreamParams.resumeFrom(request).orElse(null);
        JsonNode filter = StreamParams.json(request, "filter");
        JsonNode sort = StreamParams.json(request, "sort");
        Integer limit = request.getUri().query().get("limit").isPresent()
                ? StreamParams.integer(
                        request, "limit", 0, 1, streams.settings().maxLiveQueryResult())
                : null;
        SubscriptionGuard guard = new SubscriptionGuard(api, call.principal(), db, collection);
        guard.refuseHidden(filter, sort);
        return streams.liveQuery(db, collection, filter, sort, limit, resume, guard.access())
                .thenApply(q -> {
                    List<ByteString> head = new ArrayList<>();
                    String token = q.start().encode();
                    ObjectNode subscribed = StreamPayloads.token(token);
                    subscribed.put("resumed", q.resumed());
                    head.add(Sse.frame("subscribed", null, subscribed));
                    for (byte[] doc : q.initial()) {
                        head.add(Sse.frame("result", null, doc));
                    }
                    ObjectNode ready = StreamPayloads.token(token);
                    ready.put("count", q.initial().size());
                    head.add(Sse.frame("ready", token, ready));
                    Source<ByteString, NotUsed> frames = Source.from(head)
                            .concat(guard.guard(q.items(), true)
                                    .mapConcat(item -> StreamParams.sseFrames(item, false, null)));
                    return Sse.response(SubscriptionGuard.withClosingFrame(frames));
                });
    }

    /**
     * A live search ({@code ?search=<a _search body>}): its top k as {@code result} events (with
     * {@code rank} and {@code score}), {@code ready}, then {@code added}, {@code changed} and
     * {@code removed} as writes move the top k. It always starts afresh, like a limited live query.
     */
    private CompletionStage<HttpResponse> liveSearch(Call call, JsonNode search) {
        SubscriptionGuard guard = new SubscriptionGuard(api, call.principal(), call.db(), call.collection());
        return LiveSearches.start(api, call.db(), call.collection(), search, guard.access())
                .thenApply(live -> {
                    List<ByteString> head = new ArrayList<>();
                    String token = live.start().encode();
                    ObjectNode subscribed = StreamPayloads.token(token);
                    subscribed.put("resumed", false);
                    head.add(Sse.frame("subscribed", null, subscribed));
                    for (var row : live.initial()) {
                        head.add(Sse.frame("result", null, StreamPayloads.row(row, token)));
                    }
                    ObjectNode ready = StreamPayloads.token(token);
                    ready.put("count", live.initial().size());
                    head.add(Sse.frame("ready", token, ready));
                    Source<ByteString, NotUsed> frames = Source.from(head)
                            .concat(guard.guard(live.items(), true)
                                    .mapConcat(item -> StreamParams.sseFrames(item, false, null)));
                    return Sse.response(SubscriptionGuard.withClosingFrame(frames));
                });
    }
}

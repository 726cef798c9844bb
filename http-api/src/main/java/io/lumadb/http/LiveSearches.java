package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.ChangeStreams;
import io.lumadb.cdc.Ranking;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.RowAccess;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Live searches, over SSE ({@code _live?search=...}) and WebSocket (a live subscription with a
 * {@code search}): a {@code _search} body's top k kept current by the change stream ({@link
 * ChangeStreams#liveSearch}). Each ranking runs the search with {@code wait}, under the caller's
 * row rules as they are at that moment; a search naming a hidden field, or over an index of one,
 * is refused at subscribe time.
 */
final class LiveSearches {

    private LiveSearches() {}

    static CompletionStage<ChangeStreams.LiveSearch> start(
            ApiContext api, String db, String collection, JsonNode search, Supplier<RowAccess> access) {
        if (search == null || !search.isObject()) {
            throw ApiException.badRequest(
                    "invalid-search", "Invalid search", "search must be a JSON object like a _search body", "search");
        }
        return SearchResource.refuseHidden(api, db, collection, search, access.get())
                .thenCompose(checked -> {
                    Ranking ranking = () -> api.search()
                            .search(db, collection, QueriesResource.withRowFilter(ranked(checked), access.get()))
                            .thenApply(LiveSearches::ranking);
                    return api.changeStreams().liveSearch(db, collection, ranking, access);
                })
                .exceptionally(SearchResource::invalidSearch);
    }

    /** The search as each ranking runs it: after every write acknowledged before it, without explain. */
    private static JsonNode ranked(JsonNode search) {
        ObjectNode copy = ((ObjectNode) search).deepCopy();
        copy.put("wait", true);
        copy.remove("explain");
        return copy;
    }

    private static Ranking.Ranked ranking(ObjectNode answer) {
        List<Ranking.Entry> entries = new ArrayList<>();
        for (JsonNode hit : answer.path("hits")) {
            JsonNode document = hit.path("document");
            entries.add(new Ranking.Entry(
                    hit.path("_id").asText(),
                    document.path(DocumentJson.VERSION).asLong(0),
                    hit.path("score").asDouble(),
                    DocumentJson.bytes(document)));
        }
        Map<Integer, Long> positions = new HashMap<>();
        answer.path("positions")
                .properties()
                .forEach(e ->
                        positions.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
        return new Ranking.Ranked(entries, positions);
    }
}

package io.lumadb.vector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.ShardUnavailableException;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.query.Deadline;
import io.lumadb.shards.query.Projection;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.query.plan.ShardQueryExecutor;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.vector.index.SearchQueryException;
import io.lumadb.vector.index.ShardSearchIndex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The part of a search that runs on one shard, on the search dispatcher: waits (when asked) until
 * every write the shard acknowledged before the request is searchable, evaluates the JQL filter
 * against the shard's documents (through its secondary indexes where they help) into the set of
 * ids the Lucene search may return (pre-filtering: the HNSW search itself skips the others, so
 * {@code k} hits come back whenever {@code k} documents match), runs each sub-search, and reads
 * each hit's document from the store: a document deleted since the index's last refresh is never
 * returned, and the search asks Lucene for more hits until it has {@code k} live ones or no more.
 *
 * <p>The request and answer are JSON, written and read by {@link Search}.
 */
final class ShardSearcher {

    /** Most rounds of asking Lucene for more hits when some of them were deleted meanwhile. */
    private static final int ROUNDS = 4;

    private final SearchingShardStore shardStore;
    private final SearchNode node;

    ShardSearcher(SearchingShardStore shardStore, SearchNode node) {
        this.shardStore = shardStore;
        this.node = node;
    }

    CompletionStage<byte[]> search(byte[] requestBytes) {
        JsonNode request;
        try {
            request = DocumentJson.mapper().readTree(requestBytes);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new QueryException("", "the search request is not valid JSON"));
        }
        List<JsonNode> queries = new ArrayList<>();
        request.path("queries").forEach(queries::add);
        List<ShardIndex> indexes = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            String name = queries.get(i).path("index").asText();
            ShardIndex index = shardStore.searchIndex(name);
            if (index == null) {
                return CompletableFuture.failedFuture(new QueryException(
                        queries.get(i).path("pointer").asText() + "/index", "no search index named '" + name + "'"));
            }
            String unusable = index.unusable();
            if (unusable != null) {
                return CompletableFuture.failedFuture(new ShardUnavailableException(unusable, null));
            }
            indexes.add(index);
        }
        // The position to wait for is read now: every write acknowledged before this request.
        long target = shardStore.meta().appliedSeq();
        boolean wait = request.path("wait").asBoolean(false);
        long deadlineNanos = System.nanoTime()
                + Duration.ofMillis(request.path("timeoutMs").asLong(10_000)).toNanos();
        CompletableFuture<Void> ready =
                CompletableFuture.allOf(indexes.stream().map(ShardIndex::opened).toArray(CompletableFuture[]::new));
        if (wait) {
            ready = ready.thenCompose(v -> CompletableFuture.allOf(
                    indexes.stream().map(index -> index.awaitVisible(target)).toArray(CompletableFuture[]::new)));
        }
        return ready.thenApplyAsync(v -> run(request, queries, indexes, deadlineNanos), node.executor());
    }

    private byte[] run(JsonNode request, List<JsonNode> queries, List<ShardIndex> indexes, long deadlineNanos) {
        long started = System.nanoTime();
        Deadline deadline = Deadline.at(deadlineNanos);
        ShardStore store = shardStore.store();
        ObjectNode answer = DocumentJson.mapper().createObjectNode();
        ObjectNode explain = request.path("explain").asBoolean(false) ? answer.putObject("explain") : null;
        Set<String> allowed = null;
        JsonNode filter = request.get("filter");
        if (filter != null && !filter.isNull()) {
            allowed = new HashSet<>();
            Set<String> ids = allowed;
            ObjectNode spec = DocumentJson.mapper().createObjectNode();
            spec.set("filter", filter);
            try (ReadView view = store.readView()) {
                if (view == null) {
                    throw new ShardQueryExecutor.ShardClosingException();
                }
                var stats = ShardQueryExecutor.forEachMatch(
                        shardStore.shard(),
                        view,
                        QuerySpec.parse(spec, node.shardsSettings().queryLimits()),
                        deadline,
                        d -> ids.add(d.id()));
                if (explain != null) {
                    ObjectNode f = explain.putObject("filter");
                    f.put("plan", stats.plan());
                    if (stats.index() != null) {
                        f.put("index", stats.index());
                    }
                    f.put("keysExamined", stats.keysExamined());
                    f.put("documentsExamined", stats.documentsExamined());
                    f.put("matched", stats.matched());
                }
            }
        }
        // The position the ranking reflects: every change up to it is in each index searched (read
        // before searching; a refresh meanwhile only adds later ones). Documents are read from the
        // store, which may be further on.
        long position = Long.MAX_VALUE;
        for (ShardIndex index : indexes) {
            position = Math.min(position, index.index().visibleSeq());
        }
        Projection projection = Projection.parse(request.get("fields"), "/fields");
        ArrayNode results = answer.putArray("results");
        for (int i = 0; i < queries.size(); i++) {
            results.add(one(queries.get(i), indexes.get(i), allowed, projection, store, explain));
        }
        answer.put("position", position);
        if (explain != null) {
            explain.put("micros", (System.nanoTime() - started) / 1_000);
        }
        return DocumentJson.bytes(answer);
    }

    private ObjectNode one(
            JsonNode query,
            ShardIndex shardIndex,
            Set<String> allowed,
            Projection projection,
            ShardStore store,
            ObjectNode explain) {
        ShardSearchIndex index = shardIndex.index();
        SearchSpec spec = shardIndex.definition().search();
        int k = query.path("k").asInt();
        int numCandidates = query.path("numCandidates").asInt(k);
        boolean knn = "knn".equals(query.path("mode").asText());
        float[] vector = knn ? vector(query.path("vector")) : null;
        String text = knn ? null : query.path("query").asText();
        boolean highlight = query.path("highlight").asBoolean(false);
        List<ShardSearchIndex.Hit> live = new ArrayList<>();
        List<StoredDocument> documents = new ArrayList<>();
        int asked = k;
        int rounds = 0;
        int skipped = 0;
        while (true) {
            rounds++;
            List<ShardSearchIndex.Hit> hits;
            try {
                hits = knn
                        ? index.knn(vector, asked, Math.max(numCandidates, asked), allowed)
                        : index.text(text, asked, highlight, allowed);
            } catch (SearchQueryException e) {
                throw new QueryException(query.path("pointer").asText() + "/query", e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new QueryException(query.path("pointer").asText() + "/vector", e.getMessage());
            }
            live.clear();
            documents.clear();
            skipped = 0;
            for (ShardSearchIndex.Hit hit : hits) {
                StoredDocument document = store.get(hit.id());
                if (document == null) {
                    skipped++;
                    continue;
                }
                live.add(hit);
                documents.add(document);
                if (live.size() == k) {
                    break;
                }
            }
            if (live.size() >= k || hits.size() < asked || rounds == ROUNDS) {
                break;
            }
            asked = Math.min(asked * 2, node.settings().maxNumCandidates());
        }
        ObjectNode result = DocumentJson.mapper().createObjectNode();
        ArrayNode out = result.putArray("hits");
        for (int i = 0; i < live.size(); i++) {
            ShardSearchIndex.Hit hit = live.get(i);
            ObjectNode h = out.addObject();
            h.put("id", hit.id());
            h.put("score", hit.score());
            JsonNode document = parse(documents.get(i).json());
            h.set("document", projection.isAll() ? document : projection.apply(document));
            if (hit.highlights() != null && !hit.highlights().isEmpty()) {
                ObjectNode highlights = h.putObject("highlights");
                for (Map.Entry<String, List<String>> e : hit.highlights().entrySet()) {
                    ArrayNode fragments = highlights.putArray(e.getKey());
                    e.getValue().forEach(fragments::add);
                }
            }
        }
        if (explain != null) {
            ObjectNode e = explain.withArray("searches").addObject();
            e.put("index", shardIndex.definition().name());
            e.put("kind", spec.kind().name().toLowerCase(java.util.Locale.ROOT));
            e.put("state", shardIndex.state().phase().name().toLowerCase(java.util.Locale.ROOT));
            e.put("indexedDocuments", index.documentCount());
            e.put("visiblePosition", index.visibleSeq());
            e.put("rounds", rounds);
            e.put("deletedSinceRefresh", skipped);
            e.put("hits", live.size());
            if (knn) {
                e.put("numCandidates", Math.max(numCandidates, asked));
            }
            if (allowed != null) {
                e.put("allowed", allowed.size());
            }
        }
        return result;
    }

    private static float[] vector(JsonNode array) {
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) array.get(i).doubleValue();
        }
        return v;
    }

    private static JsonNode parse(byte[] json) {
        try {
            return DocumentJson.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored document is not valid JSON", e);
        }
    }
}

package io.lumadb.vector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.Catalog;
import io.lumadb.shards.Documents;
import io.lumadb.shards.Queries;
import io.lumadb.shards.ShardUnavailableException;
import io.lumadb.shards.ShardsSettings;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.query.Projection;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.query.QueryTimeoutException;
import io.lumadb.shards.shard.ShardEntity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A search over one collection ({@code POST /api/v1/{db}/{collection}/_search}): validates the
 * request, asks every shard in parallel ({@link ShardSearcher} does each shard's part), and
 * merges their answers: each sub-search's hits by score into its global top {@code k}, and,
 * when a request has both a {@code knn} and a {@code text} part, the two ranked lists fused by
 * weighted reciprocal rank fusion over {@code _id}: {@code score = Σ weight / (rankConstant +
 * rank)}.
 *
 * <pre>{@code
 * {"knn":  {"index": "emb", "vector": [0.1, ...], "k": 10, "numCandidates": 100, "weight": 1},
 *  "text": {"index": "body", "query": "quick fox", "highlight": true, "weight": 1},
 *  "filter": {"lang": "en"}, "k": 10, "fields": ["title"], "wait": true, "explain": false,
 *  "rankConstant": 60, "timeoutMs": 10000}
 * }</pre>
 *
 * Text scores are BM25 as each shard computes it (term statistics are per shard, as in other
 * sharded engines); kNN scores are Lucene's similarity scores (cosine: {@code (1 + cos) / 2}).
 */
public final class Search {

    private static final Set<String> FIELDS =
            Set.of("knn", "text", "filter", "k", "fields", "wait", "explain", "rankConstant", "timeoutMs");
    private static final Set<String> KNN_FIELDS = Set.of("index", "vector", "k", "numCandidates", "weight");
    private static final Set<String> TEXT_FIELDS = Set.of("index", "query", "k", "highlight", "weight");
    private static final int DEFAULT_K = 10;
    private static final int DEFAULT_RANK_CONSTANT = 60;

    private final Catalog catalog;
    private final Documents documents;
    private final SearchSettings settings;
    private final ShardsSettings shards;

    public Search(Catalog catalog, Documents documents, SearchSettings settings, ShardsSettings shards) {
        this.catalog = catalog;
        this.documents = documents;
        this.settings = settings;
        this.shards = shards;
    }

    /** One sub-search as validated: which list it is, its size and weight, and what the shards are asked. */
    private record Part(String name, int k, double weight, ObjectNode shardQuery) {}

    /**
     * Runs a search; completes with the answer body {@code {"hits": [...], "positions": {...}}}.
     * Bad requests fail with a {@link QueryException} pointing at the offending field.
     */
    public CompletionStage<ObjectNode> search(String database, String collection, JsonNode body) {
        return catalog.resolve(database, collection, false).thenCompose(info -> run(info, body));
    }

    private CompletionStage<ObjectNode> run(CollectionInfo info, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new QueryException("", "a search is a JSON object with \"knn\" and/or \"text\"");
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                throw new QueryException(
                        "/" + name,
                        "unknown field '" + name + "'; allowed: " + String.join(", ", new java.util.TreeSet<>(FIELDS)));
            }
        });
        int k = integer(body, "k", "/k", DEFAULT_K, 1, settings.maxK());
        List<Part> parts = new ArrayList<>();
        if (body.has("knn")) {
            parts.add(knn(info, body.get("knn"), k));
        }
        if (body.has("text")) {
            parts.add(text(info, body.get("text"), k));
        }
        if (parts.isEmpty()) {
            throw new QueryException(
                    "", "a search needs \"knn\" (a vector search) or \"text\" (a full-text search), or both");
        }
        int rankConstant = integer(body, "rankConstant", "/rankConstant", DEFAULT_RANK_CONSTANT, 1, 10_000);
        long timeoutMs = body.has("timeoutMs")
                ? integer(body, "timeoutMs", "/timeoutMs", 0, 1, (int)
                        Math.min(Integer.MAX_VALUE, settings.timeout().toMillis()))
                : settings.timeout().toMillis();
        JsonNode filter = body.get("filter");
        if (filter != null && !filter.isNull()) {
            ObjectNode spec = DocumentJson.mapper().createObjectNode();
            spec.set("filter", filter);
            QuerySpec.parse(spec, shards.queryLimits());
        }
        Projection.parse(body.get("fields"), "/fields");
        boolean wait = bool(body, "wait");
        boolean explain = bool(body, "explain");

        ObjectNode request = DocumentJson.mapper().createObjectNode();
        ArrayNode queries = request.putArray("queries");
        parts.forEach(p -> queries.add(p.shardQuery()));
        if (filter != null && !filter.isNull()) {
            request.set("filter", filter);
        }
        if (body.has("fields")) {
            request.set("fields", body.get("fields"));
        }
        request.put("wait", wait);
        request.put("explain", explain);
        request.put("timeoutMs", timeoutMs);
        byte[] bytes = DocumentJson.bytes(request);

        long started = System.nanoTime();
        List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
        for (int n = 0; n < info.shards(); n++) {
            answers.add(documents
                    .ask(
                            info,
                            n,
                            r -> new ShardEntity.Extension(
                                    SearchingShardStore.SEARCH, bytes, info.indexesVersion(), info.indexes(), r),
                            Duration.ofMillis(timeoutMs + 2_000))
                    .thenApply(Search::answer)
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .exceptionally(failure -> {
                    Throwable cause = Documents.unwrap(failure);
                    if (cause instanceof ShardUnavailableException
                            && System.nanoTime() - started > timeoutMs * 1_000_000) {
                        throw new QueryTimeoutException("the search did not finish within " + timeoutMs + " ms");
                    }
                    throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
                })
                .thenApply(v -> merge(
                        parts,
                        answers.stream().map(CompletableFuture::join).toList(),
                        k,
                        rankConstant,
                        explain,
                        (System.nanoTime() - started) / 1_000));
    }

    private static JsonNode answer(ShardEntity.Reply reply) {
        return switch (reply) {
            case ShardEntity.ExtensionAnswered answered -> {
                try {
                    yield DocumentJson.mapper().readTree(answered.answer());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            case ShardEntity.QueryFailed failed -> throw Queries.failure(failed);
            default -> throw new IllegalStateException("unexpected reply " + reply);
        };
    }

    // ---- validation

    private Part knn(CollectionInfo info, JsonNode knn, int k) {
        if (!knn.isObject()) {
            throw new QueryException("/knn", "knn must be an object like {\"index\": ..., \"vector\": [...]}");
        }
        fields(knn, KNN_FIELDS, "/knn");
        IndexDefinition index = index(info, knn, "/knn", SearchSpec.Kind.VECTOR);
        SearchSpec spec = index.search();
        JsonNode vector = knn.get("vector");
        if (vector == null || !vector.isArray()) {
            throw new QueryException("/knn/vector", "vector must be an array of " + spec.dimension() + " numbers");
        }
        if (vector.size() != spec.dimension()) {
            throw new QueryException(
                    "/knn/vector",
                    "the vector has " + vector.size() + " numbers; index '" + index.name() + "' has dimension "
                            + spec.dimension());
        }
        double norm = 0;
        for (int i = 0; i < vector.size(); i++) {
            JsonNode x = vector.get(i);
            if (!x.isNumber() || !Float.isFinite((float) x.doubleValue())) {
                throw new QueryException(
                        "/knn/vector/" + i, "every element of the vector must be a finite number, got " + x);
            }
            norm += x.doubleValue() * x.doubleValue();
        }
        if (norm == 0 && spec.similarity() == SearchSpec.Similarity.COSINE) {
            throw new QueryException("/knn/vector", "a zero vector has no cosine similarity");
        }
        int partK = integer(knn, "k", "/knn/k", k, 1, settings.maxK());
        int numCandidates = integer(
                knn,
                "numCandidates",
                "/knn/numCandidates",
                Math.max(settings.defaultNumCandidates(), partK),
                partK,
                settings.maxNumCandidates());
        double weight = weight(knn, "/knn/weight");
        ObjectNode q = DocumentJson.mapper().createObjectNode();
        q.put("mode", "knn").put("index", index.name()).put("k", partK).put("numCandidates", numCandidates);
        q.set("vector", vector);
        q.put("pointer", "/knn");
        return new Part("knn", partK, weight, q);
    }

    private Part text(CollectionInfo info, JsonNode text, int k) {
        if (!text.isObject()) {
            throw new QueryException("/text", "text must be an object like {\"index\": ..., \"query\": \"...\"}");
        }
        fields(text, TEXT_FIELDS, "/text");
        IndexDefinition index = index(info, text, "/text", SearchSpec.Kind.TEXT);
        JsonNode query = text.get("query");
        if (query == null || !query.isTextual() || query.textValue().isBlank()) {
            throw new QueryException("/text/query", "query must be a non-empty string");
        }
        int partK = integer(text, "k", "/text/k", k, 1, settings.maxK());
        double weight = weight(text, "/text/weight");
        ObjectNode q = DocumentJson.mapper().createObjectNode();
        q.put("mode", "text").put("index", index.name()).put("k", partK).put("query", query.textValue());
        q.put("highlight", bool(text, "highlight"));
        q.put("pointer", "/text");
        return new Part("text", partK, weight, q);
    }

    private static IndexDefinition index(CollectionInfo info, JsonNode part, String pointer, SearchSpec.Kind kind) {
        JsonNode name = part.get("index");
        String kindName = kind.name().toLowerCase(java.util.Locale.ROOT);
        List<String> candidates = info.indexes().stream()
                .filter(d -> d.hasSearch() && d.search().kind() == kind)
                .map(IndexDefinition::name)
                .toList();
        if (name == null || !name.isTextual()) {
            throw new QueryException(
                    pointer + "/index", "index must name a " + kindName + " index of the collection " + candidates);
        }
        return info.indexes().stream()
                .filter(d -> d.name().equals(name.textValue())
                        && d.hasSearch()
                        && d.search().kind() == kind)
                .findFirst()
                .orElseThrow(() -> new QueryException(
                        pointer + "/index",
                        "no " + kindName + " index named '" + name.textValue() + "' in " + info.database() + "/"
                                + info.name() + "; its " + kindName + " indexes: " + candidates));
    }

    private static void fields(JsonNode node, Set<String> allowed, String pointer) {
        node.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                throw new QueryException(
                        pointer + "/" + name,
                        "unknown field '" + name + "'; allowed: "
                                + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        });
    }

    private static int integer(JsonNode node, String field, String pointer, int fallback, int min, int max) {
        JsonNode v = node.get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw new QueryException(pointer, field + " must be an integer from " + min + " to " + max + ", got " + v);
        }
        return v.intValue();
    }

    private static double weight(JsonNode node, String pointer) {
        JsonNode v = node.get("weight");
        if (v == null) {
            return 1.0;
        }
        if (!v.isNumber() || !(v.doubleValue() > 0) || !Double.isFinite(v.doubleValue())) {
            throw new QueryException(pointer, "weight must be a positive number, got " + v);
        }
        return v.doubleValue();
    }

    private static boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new QueryException("/" + field, field + " must be true or false");
        }
        return v.booleanValue();
    }

    // ---- merging

    /** One hit of one sub-search on one shard. */
    private record Hit(String id, double score, JsonNode hit) {}

    private static final Comparator<Hit> BY_SCORE =
            Comparator.comparingDouble(Hit::score).reversed().thenComparing(Hit::id);

    private static ObjectNode merge(
            List<Part> parts, List<JsonNode> answers, int k, int rankConstant, boolean explain, long micros) {
        List<List<Hit>> ranked = new ArrayList<>();
        for (int p = 0; p < parts.size(); p++) {
            List<Hit> all = new ArrayList<>();
            for (JsonNode answer : answers) {
                for (JsonNode hit : answer.path("results").path(p).path("hits")) {
                    all.add(new Hit(hit.path("id").asText(), hit.path("score").doubleValue(), hit));
                }
            }
            all.sort(BY_SCORE);
            ranked.add(all.subList(0, Math.min(parts.get(p).k(), all.size())));
        }
        ObjectNode out = DocumentJson.mapper().createObjectNode();
        ArrayNode hits = out.putArray("hits");
        if (parts.size() == 1) {
            List<Hit> only = ranked.getFirst();
            for (int i = 0; i < Math.min(k, only.size()); i++) {
                hits.add(render(
                        only.get(i),
                        only.get(i).score(),
                        Map.of(
                                parts.getFirst().name(),
                                new Rank(i + 1, only.get(i).score()))));
            }
        } else {
            Map<String, Double> fused = new LinkedHashMap<>();
            Map<String, Map<String, Rank>> ranks = new HashMap<>();
            Map<String, Hit> first = new HashMap<>();
            for (int p = 0; p < parts.size(); p++) {
                List<Hit> list = ranked.get(p);
                for (int r = 0; r < list.size(); r++) {
                    Hit hit = list.get(r);
                    fused.merge(hit.id(), parts.get(p).weight() / (rankConstant + r + 1), Double::sum);
                    ranks.computeIfAbsent(hit.id(), id -> new LinkedHashMap<>())
                            .put(parts.get(p).name(), new Rank(r + 1, hit.score()));
                    Hit known = first.get(hit.id());
                    if (known == null
                            || (hit.hit().has("highlights") && !known.hit().has("highlights"))) {
                        first.put(hit.id(), hit);
                    }
                }
            }
            List<Hit> order = new ArrayList<>();
            fused.forEach(
                    (id, score) -> order.add(new Hit(id, score, first.get(id).hit())));
            order.sort(BY_SCORE);
            for (int i = 0; i < Math.min(k, order.size()); i++) {
                Hit h = order.get(i);
                hits.add(render(h, h.score(), ranks.get(h.id())));
            }
        }
        ObjectNode positions = out.putObject("positions");
        for (int n = 0; n < answers.size(); n++) {
            positions.put(Integer.toString(n), answers.get(n).path("position").asLong());
        }
        if (explain) {
            ObjectNode e = out.putObject("explain");
            e.put("micros", micros);
            ArrayNode shards = e.putArray("shards");
            for (int n = 0; n < answers.size(); n++) {
                ObjectNode s = shards.addObject().put("shard", n);
                s.setAll((ObjectNode) answers.get(n).path("explain"));
            }
        }
        return out;
    }

    private record Rank(int rank, double score) {}

    private static ObjectNode render(Hit hit, double score, Map<String, Rank> ranks) {
        ObjectNode h = DocumentJson.mapper().createObjectNode();
        h.put("_id", hit.id());
        h.put("score", score);
        for (var r : ranks.entrySet()) {
            h.putObject(r.getKey())
                    .put("rank", r.getValue().rank())
                    .put("score", r.getValue().score());
        }
        if (hit.hit().has("highlights")) {
            h.set("highlights", hit.hit().get("highlights"));
        }
        h.set("document", hit.hit().get("document"));
        return h;
    }
}

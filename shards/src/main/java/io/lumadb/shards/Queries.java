package io.lumadb.shards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.query.Deadline;
import io.lumadb.shards.query.Path;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.query.QueryTimeoutException;
import io.lumadb.shards.query.plan.Planner;
import io.lumadb.shards.query.plan.QueryCursor;
import io.lumadb.shards.query.plan.ShardQueryResult;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.shards.store.IndexState;
import io.lumadb.shards.store.ShardStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Queries and secondary indexes of collections. A query is validated here, sent to every shard
 * it may concern (only the shards of the ids when the filter pins {@code _id}), run by each
 * shard in parallel over a consistent snapshot of that shard, and the sorted answers are merged
 * into one page; counts add up and aggregations merge. Index definitions live in the catalog;
 * each shard builds and maintains its part of an index, and an index is ready when every shard's
 * part is.
 */
public final class Queries {

    /**
     * The answer to a query: a page of documents (with the cursor of the next page, or null), a
     * count, or an aggregation / distinct result, and the plan when {@code explain} was asked.
     */
    /**
     * @param positions for each shard asked, its applied sequence number at the snapshot it read
     */
    public record Result(
            List<byte[]> documents,
            String next,
            Long count,
            JsonNode aggregate,
            JsonNode explain,
            Map<Integer, Long> positions) {
        public Result {
            positions = positions == null ? Map.of() : Map.copyOf(positions);
        }

        Result at(Map<Integer, Long> shardPositions) {
            return new Result(documents, next, count, aggregate, explain, shardPositions);
        }
    }

    /** A secondary index across the shards of its collection. */
    public record IndexStatus(
            IndexDefinition definition,
            String state,
            long indexed,
            long total,
            List<ShardIndex> shards,
            boolean created) {}

    /**
     * One shard's part of an index; {@code state} is {@code unknown} when the shard has not
     * adopted it yet. {@code appliedSeq} is the shard's applied sequence number and {@code search}
     * where a search index stands against it (null for a secondary index).
     */
    public record ShardIndex(
            int shard,
            String state,
            long indexed,
            long total,
            boolean multikey,
            String failure,
            long appliedSeq,
            IndexState.SearchProgress search) {}

    private final Catalog catalog;
    private final Documents documents;
    private final ShardsSettings settings;
    private final Executor queryExecutor;

    Queries(Catalog catalog, Documents documents) {
        this.catalog = catalog;
        this.documents = documents;
        this.settings = catalog.settings();
        this.queryExecutor = documents.queryExecutor();
    }

    /** Parses and checks a query body; {@link QueryException} for a bad one. */
    public QuerySpec parse(JsonNode body) {
        return QuerySpec.parse(body, settings.queryLimits());
    }

    public CompletionStage<Result> query(String database, String collection, QuerySpec spec) {
        long timeoutMillis = settings.queryTimeout().toMillis();
        if (spec.timeoutMillis() != null) {
            timeoutMillis = Math.min(timeoutMillis, spec.timeoutMillis());
        }
        int fingerprint = fingerprint(spec);
        QueryCursor after = spec.after() == null ? null : QueryCursor.decode(spec.after(), fingerprint);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        return documents.withCollection(database, collection, false, info -> {
            if (spec.hint() != null
                    && !spec.hint().equals("scan")
                    && info.index(spec.hint()).isEmpty()) {
                throw new QueryException(
                        "/hint", "no index named '" + spec.hint() + "' in " + database + "/" + collection);
            }
            return run(info, spec, after, deadline, fingerprint);
        });
    }

    private CompletionStage<Result> run(
            CollectionInfo info, QuerySpec spec, QueryCursor after, long deadline, int fingerprint) {
        long started = System.nanoTime();
        // The request as text only for a shard on another node (it travels in the message): a
        // local shard reads the parsed spec, and serializing it was a measurable part of a query.
        Supplier<String> body = memoized(() -> spec.source().toString());
        long remaining = Math.max(1, (deadline - started) / 1_000_000L);
        List<CompletableFuture<ShardQueryResult>> parts = new ArrayList<>();
        List<Integer> asked = shardsOf(info, spec);
        for (int shard : asked) {
            Supplier<CompletableFuture<ShardQueryResult>> askShard = () -> documents
                    .ask(
                            info,
                            shard,
                            r -> new ShardEntity.Query(
                                    shard,
                                    body.get(),
                                    after == null ? null : after.values(),
                                    after == null ? null : after.id(),
                                    remaining,
                                    info.indexesVersion(),
                                    info.indexes(),
                                    r),
                            Duration.ofMillis(remaining + 2_000))
                    .thenApply(Queries::answer)
                    .toCompletableFuture();
            ShardStore store = documents.localStore(info, shard);
            if (store == null) {
                parts.add(askShard.get());
            } else {
                // A shard on this node: its part runs straight over its store, with the spec parsed
                // once for every shard, instead of travelling through the shard's mailbox as JSON.
                // A store that is closing leaves the answer to the shard, wherever it runs next.
                parts.add(CompletableFuture.supplyAsync(
                                () -> ShardEntity.query(
                                        info.shardEntityId(shard),
                                        store,
                                        shard,
                                        spec,
                                        after,
                                        Deadline.at(deadline),
                                        settings),
                                queryExecutor)
                        .thenCompose(reply -> reply instanceof ShardEntity.QueryFailed f
                                        && f.kind().equals("unavailable")
                                ? askShard.get()
                                : CompletableFuture.completedFuture(answer(reply))));
            }
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .exceptionally(failure -> {
                    Throwable cause = Documents.unwrap(failure);
                    if (cause instanceof ShardUnavailableException && System.nanoTime() > deadline) {
                        throw new QueryTimeoutException(
                                "the query did not finish within " + (deadline - started) / 1_000_000 + " ms");
                    }
                    throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
                })
                .thenApply(v -> {
                    List<ShardQueryResult> results =
                            parts.stream().map(CompletableFuture::join).toList();
                    Map<Integer, Long> positions = new java.util.HashMap<>();
                    for (int i = 0; i < asked.size(); i++) {
                        positions.put(asked.get(i), results.get(i).position());
                    }
                    return merge(spec, results, fingerprint, (System.nanoTime() - started) / 1_000)
                            .at(positions);
                });
    }

    /** {@code value}, computed once, on first use. */
    private static <T> Supplier<T> memoized(Supplier<T> value) {
        return new Supplier<>() {
            private T computed;

            @Override
            public synchronized T get() {
                if (computed == null) {
                    computed = value.get();
                }
                return computed;
            }
        };
    }

    private static ShardQueryResult answer(ShardEntity.Reply reply) {
        return switch (reply) {
            case ShardEntity.QueryAnswered answered -> answered.result();
            case ShardEntity.QueryFailed failed -> throw failure(failed);
            default -> throw new IllegalStateException("unexpected reply " + reply);
        };
    }

    /** The exception a shard's {@link ShardEntity.QueryFailed} stands for, as the API reports it. */
    public static RuntimeException failure(ShardEntity.QueryFailed failed) {
        return switch (failed.kind()) {
            case "timeout" -> new QueryTimeoutException(failed.message());
            case "invalid" -> new QueryException(failed.pointer(), failed.message());
            case "internal" -> new IllegalStateException(failed.message());
            case "cold" -> new ColdDataUnavailableException(failed.message());
            default -> new ShardUnavailableException(failed.message(), null);
        };
    }

    /** The shards a query must ask: those of the ids when the filter pins {@code _id}, else all. */
    private static List<Integer> shardsOf(CollectionInfo info, QuerySpec spec) {
        List<String> ids = Planner.idLookup(spec.filter());
        TreeSet<Integer> shards = new TreeSet<>();
        if (ids == null) {
            for (int n = 0; n < info.shards(); n++) {
                shards.add(n);
            }
        } else {
            ids.forEach(id -> shards.add(Documents.shardOf(id, info.shards())));
        }
        return List.copyOf(shards);
    }

    /** Ties a cursor to the filter and sort it was made for. */
    private static int fingerprint(QuerySpec spec) {
        JsonNode source = spec.source();
        return (String.valueOf(source.get("filter")) + "\u0000" + source.get("sort")).hashCode();
    }

    private Result merge(QuerySpec spec, List<ShardQueryResult> results, int fingerprint, long micros) {
        JsonNode explain = spec.explain() ? explain(results, micros) : null;
        if (spec.count()) {
            return new Result(
                    null,
                    null,
                    results.stream().mapToLong(ShardQueryResult::count).sum(),
                    null,
                    explain,
                    null);
        }
        if (spec.aggregate() != null || spec.distinct() != null) {
            List<byte[]> partials =
                    results.stream().map(ShardQueryResult::partial).toList();
            JsonNode merged = spec.aggregate() != null
                    ? spec.aggregate().merge(partials, settings.queryLimits())
                    : spec.distinct().merge(partials, settings.queryLimits());
            return new Result(null, null, null, merged, explain, null);
        }
        return mergePage(spec, results, fingerprint, explain);
    }

    /**
     * Merges the shards' sorted rows. A shard that was not exhausted may have more rows after its
     * last one, so the page ends there at the latest: nothing of that shard is skipped.
     */
    private Result mergePage(QuerySpec spec, List<ShardQueryResult> results, int fingerprint, JsonNode explain) {
        record Head(ShardQueryResult.Row row, int shard, int index) {}
        PriorityQueue<Head> heads = new PriorityQueue<>(
                (a, b) -> Arrays.compareUnsigned(a.row().key(), b.row().key()));
        byte[] boundary = null;
        for (int s = 0; s < results.size(); s++) {
            ShardQueryResult r = results.get(s);
            if (!r.rows().isEmpty()) {
                heads.add(new Head(r.rows().getFirst(), s, 0));
                if (!r.exhausted()) {
                    byte[] last = r.rows().getLast().key();
                    boundary = boundary == null || Arrays.compareUnsigned(last, boundary) < 0 ? last : boundary;
                }
            }
        }
        List<byte[]> page = new ArrayList<>();
        ShardQueryResult.Row lastRow = null;
        long bytes = 0;
        boolean more = results.stream().anyMatch(r -> !r.exhausted());
        while (!heads.isEmpty()) {
            Head head = heads.poll();
            ShardQueryResult.Row row = head.row();
            boolean full = page.size() == spec.limit()
                    || (!page.isEmpty() && bytes + row.document().length > settings.maxResultBytes())
                    || (boundary != null && Arrays.compareUnsigned(row.key(), boundary) > 0);
            if (full) {
                more = true;
                break;
            }
            page.add(row.document());
            bytes += row.document().length;
            lastRow = row;
            List<ShardQueryResult.Row> rows = results.get(head.shard()).rows();
            if (head.index() + 1 < rows.size()) {
                heads.add(new Head(rows.get(head.index() + 1), head.shard(), head.index() + 1));
            }
        }
        String next = more && lastRow != null
                ? QueryCursor.ofKey(lastRow.key(), lastRow.valuesLength()).encode(fingerprint)
                : null;
        return new Result(page, next, null, null, explain, null);
    }

    private static JsonNode explain(List<ShardQueryResult> results, long micros) {
        ObjectNode out = DocumentJson.mapper().createObjectNode();
        out.put("shardsTouched", results.size());
        long keys = 0;
        long docs = 0;
        long matched = 0;
        ArrayNode shards = out.putArray("shards");
        for (ShardQueryResult r : results) {
            ShardQueryResult.ShardExplain e = r.explain();
            ObjectNode s = shards.addObject();
            s.put("shard", e.shard());
            s.put("plan", e.plan());
            if (e.index() != null) {
                s.put("index", e.index());
                s.put("intervals", e.intervals());
            }
            s.put("order", e.order());
            s.put("keysExamined", e.keysExamined());
            s.put("documentsExamined", e.documentsExamined());
            s.put("matched", e.matched());
            s.put("returned", e.returned());
            s.put("millis", e.micros() / 1000.0);
            if (e.note() != null) {
                s.put("note", e.note());
            }
            keys += e.keysExamined();
            docs += e.documentsExamined();
            matched += e.matched();
        }
        out.put("keysExamined", keys);
        out.put("documentsExamined", docs);
        out.put("matched", matched);
        out.put("millis", micros / 1000.0);
        return out;
    }

    // ---- indexes

    /**
     * The fields of an index definition body {@code {"fields": ["a", "-b", {"path": "c",
     * "order": "desc"}]}}.
     *
     * @throws QueryException with the pointer of the offending part
     */
    public static List<IndexDefinition.Field> indexFields(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new QueryException("", "the body must be a JSON object like {\"fields\":[\"age\",\"-name\"]}");
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!name.equals("fields")) {
                throw new QueryException("/" + name, "unknown field '" + name + "'; an index has only 'fields'");
            }
        });
        JsonNode fields = body.get("fields");
        if (fields == null || !fields.isArray() || fields.isEmpty() || fields.size() > IndexDefinition.MAX_FIELDS) {
            throw new QueryException(
                    "/fields", "'fields' must be an array of 1 to " + IndexDefinition.MAX_FIELDS + " paths");
        }
        List<IndexDefinition.Field> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < fields.size(); i++) {
            String pointer = "/fields/" + i;
            JsonNode f = fields.get(i);
            String path;
            boolean descending;
            if (f.isTextual()) {
                descending = f.textValue().startsWith("-");
                path = descending ? f.textValue().substring(1) : f.textValue();
            } else if (f.isObject() && f.path("path").isTextual()) {
                path = f.get("path").textValue();
                String order = f.path("order").asText("asc");
                if (!order.equals("asc") && !order.equals("desc")) {
                    throw new QueryException(pointer + "/order", "order must be \"asc\" or \"desc\"");
                }
                descending = order.equals("desc");
                f.fieldNames().forEachRemaining(name -> {
                    if (!name.equals("path") && !name.equals("order")) {
                        throw new QueryException(pointer + "/" + name, "unknown field; use 'path' and 'order'");
                    }
                });
            } else {
                throw new QueryException(
                        pointer, "a field is a path (\"age\", \"-age\" for descending) or {\"path\":..,\"order\":..}");
            }
            Path.parse(path, pointer);
            if (path.equals(DocumentJson.ID) || path.equals(DocumentJson.VERSION)) {
                throw new QueryException(
                        pointer, "'" + path + "' cannot be indexed: documents are already found by _id");
            }
            if (!seen.add(path)) {
                throw new QueryException(pointer, "path '" + path + "' appears twice");
            }
            out.add(new IndexDefinition.Field(path, descending));
        }
        return out;
    }

    /** Defines an index and starts its build on every shard; {@code created} is false if it existed. */
    public CompletionStage<IndexStatus> createIndex(
            String database, String collection, String name, List<IndexDefinition.Field> fields) {
        return createIndex(database, collection, name, fields, null);
    }

    /**
     * Defines a secondary index, or with {@code search} a search index (its fields are its
     * paths), and starts its build on every shard; {@code created} is false if it existed.
     */
    public CompletionStage<IndexStatus> createIndex(
            String database,
            String collection,
            String name,
            List<IndexDefinition.Field> fields,
            io.lumadb.shards.model.SearchSpec search) {
        return catalog.resolve(database, collection, false)
                .thenCompose(info -> {
                    if (info.holdsTimeSeries()) {
                        throw new WrongKindException(database, collection);
                    }
                    return catalog.createIndex(database, collection, name, fields, search);
                })
                .thenCompose(result -> switch (result.outcome()) {
                    case CREATED, EXISTS ->
                        status(result.collection(), name, result.outcome() == CatalogEntity.Outcome.CREATED);
                    case INDEX_CONFLICT ->
                        throw new IndexConflictException("index '" + name + "' exists with another definition "
                                + describe(result.collection()
                                        .index(name)
                                        .orElseThrow()
                                        .fields())
                                + "; drop it first to redefine it");
                    case TOO_MANY_INDEXES ->
                        throw new IllegalArgumentException("collection " + database + "/" + collection
                                + " has the most indexes allowed (lumadb.query.max-indexes-per-collection = "
                                + settings.maxIndexes() + ")");
                    case DATABASE_NOT_FOUND -> throw new NotFoundException("database", database);
                    default -> throw new NotFoundException("collection", database + "/" + collection);
                });
    }

    private static String describe(List<IndexDefinition.Field> fields) {
        return fields.stream()
                .map(f -> (f.descending() ? "-" : "") + f.path())
                .toList()
                .toString();
    }

    /** The index's state on every shard. */
    public CompletionStage<IndexStatus> index(String database, String collection, String name) {
        return catalog.resolveFresh(database, collection, false).thenCompose(info -> {
            if (info.index(name).isEmpty()) {
                throw new NotFoundException("index", database + "/" + collection + "/" + name);
            }
            return status(info, name, false);
        });
    }

    /** Every index of the collection with its state. */
    public CompletionStage<List<IndexStatus>> indexes(String database, String collection) {
        return catalog.resolveFresh(database, collection, false)
                .thenCompose(info -> shardIndexes(info).thenApply(perShard -> info.indexes().stream()
                        .map(def -> summarize(def, perShard, false))
                        .toList()));
    }

    /** Removes an index; every shard deletes its entries. */
    public CompletionStage<Void> dropIndex(String database, String collection, String name) {
        return catalog.resolve(database, collection, false)
                .thenCompose(info -> catalog.dropIndex(database, collection, name))
                .thenCompose(result -> switch (result.outcome()) {
                    case DROPPED -> shardIndexes(result.collection()).thenApply(ignored -> (Void) null);
                    case INDEX_NOT_FOUND ->
                        throw new NotFoundException("index", database + "/" + collection + "/" + name);
                    case DATABASE_NOT_FOUND -> throw new NotFoundException("database", database);
                    default -> throw new NotFoundException("collection", database + "/" + collection);
                });
    }

    private CompletionStage<IndexStatus> status(CollectionInfo info, String name, boolean created) {
        IndexDefinition def = info.index(name).orElseThrow();
        return shardIndexes(info).thenApply(perShard -> summarize(def, perShard, created));
    }

    /**
     * Each shard's applied sequence number now: the change-stream position of "now". A shard may
     * have journaled a batch it has not applied yet; a stream started here delivers that batch.
     */
    public CompletionStage<long[]> positions(CollectionInfo info) {
        return shardIndexes(info).thenApply(perShard -> perShard.stream()
                .mapToLong(ShardEntity.Indexes::appliedSeq)
                .toArray());
    }

    /** Tells every shard the collection's index set and collects their index states. */
    private CompletionStage<List<ShardEntity.Indexes>> shardIndexes(CollectionInfo info) {
        List<CompletableFuture<ShardEntity.Indexes>> parts = new ArrayList<>();
        for (int n = 0; n < info.shards(); n++) {
            parts.add(documents
                    .ask(info, n, r -> new ShardEntity.GetIndexes(info.indexesVersion(), info.indexes(), r))
                    .thenApply(reply -> (ShardEntity.Indexes) reply)
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
    }

    private static IndexStatus summarize(IndexDefinition def, List<ShardEntity.Indexes> perShard, boolean created) {
        List<ShardIndex> shards = new ArrayList<>();
        long indexed = 0;
        long total = 0;
        boolean failed = false;
        boolean allReady = true;
        for (int n = 0; n < perShard.size(); n++) {
            ShardEntity.Indexes s = perShard.get(n);
            IndexState state = s.indexes().stream()
                    .filter(i -> i.definition().id() == def.id())
                    .findFirst()
                    .orElse(null);
            if (state == null) {
                shards.add(new ShardIndex(n, "unknown", 0, s.documentCount(), false, null, s.appliedSeq(), null));
                allReady = false;
            } else {
                String phase = state.phase().name().toLowerCase(java.util.Locale.ROOT);
                long done = state.ready() ? s.documentCount() : state.indexed();
                shards.add(new ShardIndex(
                        n,
                        phase,
                        done,
                        s.documentCount(),
                        state.multikey(),
                        state.failure(),
                        s.appliedSeq(),
                        state.search()));
                indexed += done;
                failed |= state.phase() == IndexState.Phase.FAILED;
                allReady &= state.ready();
            }
            total += s.documentCount();
        }
        String state = failed ? "failed" : allReady ? "ready" : "building";
        return new IndexStatus(def, state, indexed, total, shards, created);
    }
}

package io.lumadb.timeseries.shard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.Documents;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.timeseries.query.TsQuery;
import io.lumadb.timeseries.query.TsQueryMerge;
import io.lumadb.timeseries.query.TsQueryShard;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs time-series queries ({@code _tsquery}) over a collection: the query goes to every shard,
 * each answers a mergeable partial from its series ({@link TsQueryShard}), and the partials merge
 * into the answer ({@link TsQueryMerge}).
 *
 * <p>The request a shard gets is JSON: {@code {"blockDuration": ns, "lateness": ns, "retention":
 * ns, "downsampling": [{"every": ns, "retention": ns, "aggregates": mask}], "query": <the query,
 * canonical>}}; the collection's settings let a shard open its series
 * before its first write since it started. A shard without series answers no bytes. Without
 * {@code query}, a shard only opens its series ({@link #open}).
 */
public final class TimeSeriesQueries {

    /** The extension kind of a shard's part of a query. */
    static final String SHARD_QUERY_KIND = "tsquery";

    private final Documents documents;

    public TimeSeriesQueries(Documents documents) {
        this.documents = documents;
    }

    /** Runs {@code query} over the time-series collection {@code info} with its {@code options}. */
    public CompletionStage<ObjectNode> query(CollectionInfo info, TimeSeriesOptions options, TsQuery query) {
        ObjectNode request = settings(options);
        request.set("query", query.json());
        List<CompletableFuture<byte[]>> answers = ask(info, DocumentJson.bytes(request));
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(v -> TsQueryMerge.merge(
                        query,
                        answers.stream()
                                .map(CompletableFuture::join)
                                .filter(b -> b.length > 0)
                                .toList()));
    }

    /**
     * Starts every shard of the time-series collection {@code info} (where the cluster places it)
     * and opens its series with the collection's {@code options}, so that retention and
     * downsampling run on shards nobody has written to or queried since their node started.
     * Completes once every shard has; a shard whose series are open already only answers.
     */
    public CompletionStage<Void> open(CollectionInfo info, TimeSeriesOptions options) {
        List<CompletableFuture<byte[]>> answers = ask(info, DocumentJson.bytes(settings(options)));
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new));
    }

    /** The collection's settings as every shard request carries them. */
    private static ObjectNode settings(TimeSeriesOptions options) {
        ObjectNode request = DocumentJson.mapper().createObjectNode();
        request.put("blockDuration", options.blockDuration());
        request.put("lateness", options.lateness());
        request.put("retention", options.retention());
        var rules = request.putArray("downsampling");
        for (DownsamplingRule rule : options.downsampling()) {
            rules.addObject()
                    .put("every", rule.every())
                    .put("retention", rule.retention())
                    .put("aggregates", rule.mask());
        }
        return request;
    }

    /** Sends {@code bytes} to every shard of {@code info}: their answers, in shard order. */
    private List<CompletableFuture<byte[]>> ask(CollectionInfo info, byte[] bytes) {
        List<CompletableFuture<byte[]>> answers = new ArrayList<>();
        for (int n = 0; n < info.shards(); n++) {
            answers.add(documents
                    .ask(
                            info,
                            n,
                            r -> new ShardEntity.Extension(
                                    SHARD_QUERY_KIND, bytes, info.indexesVersion(), info.indexes(), r))
                    .thenApply(TimeSeriesQueries::partial)
                    .toCompletableFuture());
        }
        return answers;
    }

    private static byte[] partial(ShardEntity.Reply reply) {
        return switch (reply) {
            case ShardEntity.ExtensionAnswered answered -> answered.answer();
            case ShardEntity.QueryFailed failed -> throw Queries.failure(failed);
            default -> throw new IllegalStateException("unexpected reply " + reply);
        };
    }

    /** A shard's part: its partial answer from its series, or no bytes when it has none. */
    static byte[] runOnShard(TimeSeriesShardStore store, byte[] request) {
        JsonNode r;
        try {
            r = DocumentJson.mapper().readTree(request);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TimeSeriesSettings settings = new TimeSeriesSettings(
                r.get("blockDuration").asLong(), r.get("lateness").asLong());
        List<DownsamplingRule> rules = new ArrayList<>();
        if (r.has("downsampling")) {
            for (JsonNode rule : r.get("downsampling")) {
                rules.add(new DownsamplingRule(
                        rule.get("every").asLong(),
                        rule.get("retention").asLong(),
                        DownsamplingRule.ofMask(rule.get("aggregates").asInt())));
            }
        }
        TimeSeriesStore series = store.series(settings, r.get("retention").asLong(), rules);
        if (!r.has("query")) {
            return new byte[0]; // only opened (see open)
        }
        TsQuery query = TsQuery.parse(r.get("query"), System.currentTimeMillis() * 1_000_000L);
        return TsQueryShard.run(series, query, rules);
    }
}

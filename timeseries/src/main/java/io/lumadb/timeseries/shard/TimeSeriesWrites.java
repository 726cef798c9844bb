package io.lumadb.timeseries.shard;

import io.lumadb.shards.Documents;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.timeseries.Point;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Writes points to a time-series collection: each point goes to the shard of its series (a hash
 * of its canonical series key, like a document's id), each shard's points as one append. A write
 * is answered once every shard has made its points durable; points a shard refused (a field
 * whose type differs from what its series has, a time older than retention kept) are reported by
 * their position, and the others are stored.
 */
public final class TimeSeriesWrites {

    private final Documents documents;

    public TimeSeriesWrites(Documents documents) {
        this.documents = documents;
    }

    /** What a write did: how many points were stored, and which were not and why (by position). */
    public record Outcome(int stored, List<Rejected> rejected) {
        public Outcome {
            rejected = List.copyOf(rejected);
        }
    }

    /** A point that was not stored: its position among the points written, and why. */
    public record Rejected(int position, String message) {}

    /** The shard that holds the series of {@code point}, of {@code shards}. */
    public static int shardOf(Point point, int shards) {
        return Documents.shardOf(point.seriesKey().canonical(), shards);
    }

    /**
     * Writes {@code points} to the time-series collection {@code info} with its {@code options}.
     * Fails like a document write when a shard is unavailable; the points of the shards that
     * answered are stored then, and writing the same points again is harmless.
     */
    public CompletionStage<Outcome> write(CollectionInfo info, TimeSeriesOptions options, List<Point> points) {
        int shards = info.shards();
        List<List<Point>> perShard = new ArrayList<>(shards);
        List<List<Integer>> positions = new ArrayList<>(shards);
        for (int n = 0; n < shards; n++) {
            perShard.add(new ArrayList<>());
            positions.add(new ArrayList<>());
        }
        // The points of one series in a body share their tag list (LineProtocol parses a series
        // once per body), so the series key is built once per list, not once per point.
        java.util.IdentityHashMap<List<Point.Tag>, Object[]> seen = new java.util.IdentityHashMap<>();
        for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            Object[] known = seen.get(p.tags());
            int n;
            if (known != null && known[0].equals(p.measurement())) {
                n = (Integer) known[1];
            } else {
                n = shardOf(p, shards);
                seen.put(p.tags(), new Object[] {p.measurement(), n});
            }
            perShard.get(n).add(p);
            positions.get(n).add(i);
        }
        List<CompletableFuture<List<Rejected>>> answers = new ArrayList<>();
        for (int n = 0; n < shards; n++) {
            if (perShard.get(n).isEmpty()) {
                continue;
            }
            byte[] batch = PointBatchFormat.encode(
                    options.settings(), options.retention(), options.downsampling(), perShard.get(n));
            List<Integer> where = positions.get(n);
            answers.add(documents
                    .ask(info, n, r -> new ShardEntity.Append(TimeSeriesShardStore.APPEND_KIND, batch, r))
                    .thenApply(reply -> rejected(reply, where))
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(v -> {
                    List<Rejected> rejected = new ArrayList<>();
                    answers.forEach(a -> rejected.addAll(a.join()));
                    rejected.sort(Comparator.comparingInt(Rejected::position));
                    return new Outcome(points.size() - rejected.size(), rejected);
                });
    }

    private static List<Rejected> rejected(ShardEntity.Reply reply, List<Integer> positions) {
        return switch (reply) {
            case ShardEntity.Appended appended ->
                PointBatchFormat.readAnswer(appended.answer()).errors().stream()
                        .map(e -> new Rejected(positions.get(e.position()), e.message()))
                        .toList();
            case ShardEntity.QueryFailed failed -> throw Queries.failure(failed);
            default -> throw new IllegalStateException("unexpected reply " + reply);
        };
    }
}

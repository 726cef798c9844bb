package io.lumadb.timeseries.shard;

import io.lumadb.shards.Documents;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.timeseries.FieldType;
import io.lumadb.timeseries.LineProtocol;
import io.lumadb.timeseries.LineProtocolError;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
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
        byte[][] batches = new byte[shards][];
        int[][] where = new int[shards][];
        for (int n = 0; n < shards; n++) {
            if (!perShard.get(n).isEmpty()) {
                batches[n] = PointBatchFormat.encode(
                        options.settings(), options.retention(), options.downsampling(), perShard.get(n));
                where[n] = positions.get(n).stream().mapToInt(Integer::intValue).toArray();
            }
        }
        return send(info, batches, where, points.size());
    }

    /**
     * Writes the points of a line-protocol body, which {@code lines} read (see {@link
     * #lines}). Fails, and stores, as {@link #write(CollectionInfo, TimeSeriesOptions, List)}
     * does; positions in its outcome count the good lines' points in body order.
     */
    public CompletionStage<Outcome> write(CollectionInfo info, LineBatches lines) {
        byte[][] batches = new byte[lines.shards][];
        int[][] where = new int[lines.shards][];
        for (int n = 0; n < batches.length; n++) {
            batches[n] = lines.batch(n);
            where[n] = lines.positions(n);
        }
        return send(info, batches, where, lines.points());
    }

    /** A sink for the lines of a body to {@code info}, which {@link #write(CollectionInfo, LineBatches)} then writes. */
    public static LineBatches lines(CollectionInfo info, TimeSeriesOptions options) {
        return new LineBatches(info.shards(), options);
    }

    /**
     * The points of a line-protocol body, encoded as they are parsed into one batch per shard
     * (no {@link Point} is built), with the line of each point and the bad lines.
     */
    public static final class LineBatches implements LineProtocol.Sink {
        private final int shards;
        private final TimeSeriesOptions options;
        private final PointBatchFormat.Builder[] builders;
        /** For each shard, the position (among the body's points) of each of its points. */
        private final int[][] positions;
        /** For each series of the body (by id): its shard, and its index in that shard's batch; -1: not yet. */
        private int[] shardOf = filled(new int[64]);

        private int[] batchSeries = filled(new int[64]);
        /** For each shard and field key of the body (by id): the key's string in the batch; -1: not yet. */
        private final int[][] names;

        private final List<LineProtocolError> errors = new ArrayList<>();
        private int[] lines = new int[1024];
        private int points;

        LineBatches(int shards, TimeSeriesOptions options) {
            this.shards = shards;
            this.options = options;
            this.builders = new PointBatchFormat.Builder[shards];
            this.positions = new int[shards][];
            this.names = new int[shards][];
        }

        private static int[] filled(int[] a) {
            java.util.Arrays.fill(a, -1);
            return a;
        }

        private static int[] grown(int[] a, int index) {
            if (index < a.length) {
                return a;
            }
            int old = a.length;
            int[] b = java.util.Arrays.copyOf(a, Math.max(old * 2, index + 1));
            java.util.Arrays.fill(b, old, b.length, -1);
            return b;
        }

        /** The bytes a shard's batch is expected to take for its points; sized from the body. */
        private int pointBytes = 4096;

        @Override
        public void body(int length) {
            // A line of text takes about three times the bytes its point takes in a batch.
            pointBytes = Math.max(4096, length / 3 / shards + 1024);
        }

        @Override
        public void point(int line, LineProtocol.Series series, LineProtocol.Fields fields, long time) {
            int id = series.id();
            shardOf = grown(shardOf, id);
            batchSeries = grown(batchSeries, id);
            int n = shardOf[id];
            if (n < 0) {
                n = Documents.shardOf(new SeriesKey(series.measurement(), series.tags()).canonical(), shards);
                shardOf[id] = n;
            }
            PointBatchFormat.Builder out = builders[n];
            if (out == null) {
                out = builders[n] = new PointBatchFormat.Builder(
                        options.settings(), options.retention(), options.downsampling(), pointBytes);
                positions[n] = new int[256];
                names[n] = filled(new int[64]);
            }
            int s = batchSeries[id];
            if (s < 0) {
                s = batchSeries[id] = out.series(series.measurement(), series.tags());
            }
            int position = out.points();
            if (position == positions[n].length) {
                positions[n] = java.util.Arrays.copyOf(positions[n], position * 2);
            }
            positions[n][position] = points;
            if (points == lines.length) {
                lines = java.util.Arrays.copyOf(lines, points * 2);
            }
            lines[points++] = line;
            out.point(s, time, fields.size());
            for (int i = 0; i < fields.size(); i++) {
                int key = fields.keyId(i);
                int[] known = names[n] = grown(names[n], key);
                int name = known[key];
                if (name < 0) {
                    name = known[key] = out.string(fields.key(i));
                }
                if (fields.type(i) == FieldType.STRING) {
                    out.stringField(name, fields.string(i));
                } else {
                    out.field(name, fields.type(i), fields.bits(i));
                }
            }
        }

        @Override
        public void error(LineProtocolError error) {
            errors.add(error);
        }

        /** The batch for shard {@code n}, or null when no point goes there. */
        byte[] batch(int n) {
            return builders[n] == null ? null : builders[n].toByteArray();
        }

        /** The positions (among the body's points) of the points of shard {@code n}'s batch, or null. */
        int[] positions(int n) {
            return builders[n] == null ? null : java.util.Arrays.copyOf(positions[n], builders[n].points());
        }

        /** How many points the good lines held. */
        public int points() {
            return points;
        }

        /** The line number (from 1) of point {@code position}. */
        public int line(int position) {
            if (position < 0 || position >= points) {
                throw new IndexOutOfBoundsException("no point " + position + " of " + points);
            }
            return lines[position];
        }

        /** One error per bad line, in body order. */
        public List<LineProtocolError> errors() {
            return List.copyOf(errors);
        }
    }

    /** Sends each shard its batch ({@code batches[n]}, null: none) and gathers the answers. */
    private CompletionStage<Outcome> send(CollectionInfo info, byte[][] batches, int[][] where, int total) {
        List<CompletableFuture<List<Rejected>>> answers = new ArrayList<>();
        for (int n = 0; n < batches.length; n++) {
            if (batches[n] == null) {
                continue;
            }
            byte[] batch = batches[n];
            int[] positions = where[n];
            answers.add(documents
                    .ask(info, n, r -> new ShardEntity.Append(TimeSeriesShardStore.APPEND_KIND, batch, r))
                    .thenApply(reply -> rejected(reply, positions))
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(v -> {
                    List<Rejected> rejected = new ArrayList<>();
                    answers.forEach(a -> rejected.addAll(a.join()));
                    rejected.sort(Comparator.comparingInt(Rejected::position));
                    return new Outcome(total - rejected.size(), rejected);
                });
    }

    private static List<Rejected> rejected(ShardEntity.Reply reply, int[] positions) {
        return switch (reply) {
            case ShardEntity.Appended appended ->
                PointBatchFormat.readAnswer(appended.answer()).errors().stream()
                        .map(e -> new Rejected(positions[e.position()], e.message()))
                        .toList();
            case ShardEntity.QueryFailed failed -> throw Queries.failure(failed);
            default -> throw new IllegalStateException("unexpected reply " + reply);
        };
    }
}

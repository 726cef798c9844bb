package io.lumadb.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.lumadb.shards.Queries;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.KeyCodec;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.query.SortSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The window of a live query with a limit: the first {@code limit} matching documents in sort
 * order, kept current from the query's change stream. A change updates the window directly when
 * the outcome is certain; when the window lost a member and documents outside it may now belong
 * (or a member moved past the window's edge), it is read again from a fresh snapshot and the
 * difference is sent, and the stream's events up to that snapshot are skipped, because the
 * snapshot already holds them. So after every step the subscriber's window equals the query's
 * first {@code limit} results at the position reached.
 *
 * <p>Not thread-safe: one stream drives it, one item at a time.
 */
final class LiveWindow {

    private record Member(String id, long version, byte[] document) {}

    private static final int MAX_SNAPSHOT_ATTEMPTS = 500;
    private static final long SNAPSHOT_RETRY_MILLIS = 10;

    private final SortSpec sort;
    private final boolean idDescendingLast;
    private final int limit;
    private final Supplier<CompletionStage<Queries.Result>> requery;
    private final TreeMap<byte[], Member> window = new TreeMap<>(Arrays::compareUnsigned);
    private final Map<String, byte[]> keys = new HashMap<>();
    private boolean more;
    private long[] skipUntil;

    LiveWindow(QuerySpec spec, Queries.Result initial, Supplier<CompletionStage<Queries.Result>> requery) {
        this.sort = spec.sort();
        this.idDescendingLast = sort.keys().getLast().path().text().equals(DocumentJson.ID)
                && sort.keys().getLast().descending();
        this.limit = spec.limit();
        this.requery = requery;
        load(initial.documents());
        this.more = initial.next() != null;
    }

    private void load(List<byte[]> documents) {
        window.clear();
        keys.clear();
        for (byte[] doc : documents) {
            JsonNode parsed = parse(doc);
            put(
                    parsed.get(DocumentJson.ID).asText(),
                    parsed.get(DocumentJson.VERSION).asLong(),
                    doc,
                    parsed);
        }
    }

    private void put(String id, long version, byte[] doc, JsonNode parsed) {
        byte[] key = key(parsed, id);
        window.put(key, new Member(id, version, doc));
        keys.put(id, key);
    }

    private Member remove(String id) {
        byte[] key = keys.remove(id);
        return key == null ? null : window.remove(key);
    }

    /** The query engine's order: sort values (then {@code _id} descending if asked), then the id. */
    private byte[] key(JsonNode doc, String id) {
        byte[] values = sort.sortKey(doc);
        if (idDescendingLast) {
            byte[] idDesc = KeyCodec.encode(TextNode.valueOf(id), true);
            values = concat(values, idDesc);
        }
        return concat(values, id.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static JsonNode parse(byte[] doc) {
        try {
            return DocumentJson.mapper().readTree(doc);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The rows one stream item makes; control items pass through. */
    CompletionStage<List<StreamItem>> process(StreamItem item) {
        if (!(item instanceof StreamItem.Change c)) {
            return CompletableFuture.completedFuture(List.of(item));
        }
        ChangeEvent e = c.event();
        if (skipUntil != null && e.seq() <= skipUntil[e.shard()]) {
            return CompletableFuture.completedFuture(List.of()); // the last snapshot holds it
        }
        List<StreamItem> out = new ArrayList<>();
        String id = e.id();
        byte[] edge = window.isEmpty() ? null : window.lastKey();
        Member before = remove(id);
        boolean matches = !c.kind().equals("removed");
        boolean refill = false;
        if (matches) {
            byte[] docBytes = e.afterJson();
            JsonNode after = e.after();
            byte[] key = key(after, id);
            boolean beyondEdge = more && edge != null && Arrays.compareUnsigned(key, edge) > 0;
            if (!beyondEdge) {
                put(id, e.version(), docBytes, after);
                if (window.size() > limit) {
                    Member evicted = window.pollLastEntry().getValue();
                    keys.remove(evicted.id());
                    more = true;
                    if (!evicted.id().equals(id)) {
                        out.add(row("removed", evicted.id(), evicted.version(), null, c.position()));
                    } else if (before == null) {
                        return CompletableFuture.completedFuture(out); // it never entered
                    }
                }
            } else if (before != null) {
                refill = true; // a member moved past the edge: documents outside may come first
            }
        }
        boolean in = keys.containsKey(id);
        if (before != null && in) {
            out.add(row("changed", id, e.version(), e.afterJson(), c.position()));
        } else if (before == null && in) {
            out.add(row("added", id, e.version(), e.afterJson(), c.position()));
        } else if (before != null) {
            out.add(row("removed", id, e.version(), null, c.position()));
        }
        if (refill || (more && window.size() < limit)) {
            return refill(out, c.position());
        }
        return CompletableFuture.completedFuture(out);
    }

    /** Reads the window again from a fresh snapshot and appends the difference to {@code out}. */
    private CompletionStage<List<StreamItem>> refill(List<StreamItem> out, ResumeToken position) {
        return snapshotAtLeast(position, 0).thenApply(result -> {
            Map<String, Member> old = new HashMap<>();
            window.values().forEach(m -> old.put(m.id(), m));
            load(result.documents());
            more = result.next() != null;
            Map<String, Member> now = new HashMap<>();
            window.values().forEach(m -> now.put(m.id(), m));
            old.forEach((id, m) -> {
                if (!now.containsKey(id)) {
                    out.add(row("removed", id, m.version(), null, position));
                }
            });
            for (Member m : window.values()) {
                Member was = old.get(m.id());
                if (was == null) {
                    out.add(row("added", m.id(), m.version(), m.document(), position));
                } else if (was.version() != m.version()) {
                    out.add(row("changed", m.id(), m.version(), m.document(), position));
                }
            }
            long[] seqs = skipUntil == null ? new long[position.shards()] : skipUntil;
            result.positions().forEach((shard, seq) -> seqs[shard] = Math.max(seqs[shard], seq));
            skipUntil = seqs;
            return out;
        });
    }

    /**
     * A query answer whose snapshot includes everything up to {@code position}. The stream reads
     * the journal, and a shard applies an event to its state just after journaling it, so a query
     * right after an event may not see it yet: it is asked again shortly. Using an older snapshot
     * would undo changes the window has already applied.
     */
    private CompletionStage<Queries.Result> snapshotAtLeast(ResumeToken position, int attempt) {
        return atLeast(requery, Queries.Result::positions, position, "the shards' state", attempt);
    }

    /**
     * What {@code read} answers once the positions it reflects ({@code positions}) are at or past
     * {@code position} (including a partly delivered event), asking again every 10 ms, for at most
     * 5 s: the read of a live query's window or of a live search's ranking right after the event
     * that called for it.
     */
    static <T> CompletionStage<T> atLeast(
            Supplier<CompletionStage<T>> read,
            java.util.function.Function<T, Map<Integer, Long>> positions,
            ResumeToken position,
            String what,
            int attempt) {
        return read.get().thenCompose(result -> {
            if (covers(positions.apply(result), position)) {
                return CompletableFuture.completedFuture(result);
            }
            if (attempt >= MAX_SNAPSHOT_ATTEMPTS) {
                throw new IllegalStateException(what + " did not reach the live query's position " + position
                        + " within " + MAX_SNAPSHOT_ATTEMPTS * SNAPSHOT_RETRY_MILLIS + " ms");
            }
            return CompletableFuture.runAsync(
                            () -> {}, CompletableFuture.delayedExecutor(SNAPSHOT_RETRY_MILLIS, TimeUnit.MILLISECONDS))
                    .thenCompose(v -> atLeast(read, positions, position, what, attempt + 1));
        });
    }

    /** Whether every shard's snapshot is at or past the position (including a partly delivered event). */
    private static boolean covers(Map<Integer, Long> snapshot, ResumeToken position) {
        long[] seqs = position.seqs();
        int[] skips = position.skips();
        for (var e : snapshot.entrySet()) {
            int shard = e.getKey();
            long needed = seqs[shard] + (skips[shard] > 0 ? 1 : 0);
            if (e.getValue() < needed) {
                return false;
            }
        }
        return true;
    }

    private static StreamItem.Row row(String kind, String id, long version, byte[] doc, ResumeToken position) {
        return new StreamItem.Row(kind, id, version, doc, position);
    }
}

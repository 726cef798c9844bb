package io.lumadb.cdc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The top k of a live search, kept current from the collection's change stream. A search's
 * ranking can move with any write (a BM25 score depends on the whole collection's statistics; a
 * deleted document lets the next one in), so every change the stream delivers past the last
 * ranking's position ranks again, from a ranking that reflects at least that change, and the
 * difference goes out: {@code removed} rows first, then {@code added} and {@code changed} (a
 * new rank, score or version) in rank order. The stream's events up to the new ranking's
 * positions are then skipped: that ranking already reflects them. One ranking covers every
 * change that arrived while it ran, so a busy collection costs one search per step, not one per
 * write.
 *
 * <p>Not thread-safe: one stream drives it, one item at a time.
 */
final class LiveRanking {

    private record Member(String id, long version, double score, int rank, byte[] document) {}

    private final Ranking ranking;
    private Map<String, Member> members = new LinkedHashMap<>();
    private long[] skipUntil;

    LiveRanking(Ranking ranking, Ranking.Ranked initial, int shards) {
        this.ranking = ranking;
        this.members = members(initial);
        this.skipUntil = new long[shards];
        initial.positions().forEach((shard, seq) -> skipUntil[shard] = seq);
    }

    /** The initial ranking as rows (kind {@code result}), best first. */
    static List<StreamItem.Row> rows(Ranking.Ranked ranked, ResumeToken position) {
        List<StreamItem.Row> out = new ArrayList<>();
        for (Member m : members(ranked).values()) {
            out.add(new StreamItem.Row("result", m.id(), m.version(), m.document(), m.rank(), m.score(), position));
        }
        return out;
    }

    private static Map<String, Member> members(Ranking.Ranked ranked) {
        Map<String, Member> out = new LinkedHashMap<>();
        int rank = 0;
        for (Ranking.Entry e : ranked.entries()) {
            rank++;
            out.put(e.id(), new Member(e.id(), e.version(), e.score(), rank, e.document()));
        }
        return out;
    }

    /** The rows one stream item makes; control items pass through. */
    CompletionStage<List<StreamItem>> process(StreamItem item) {
        if (!(item instanceof StreamItem.Change c)) {
            return CompletableFuture.completedFuture(List.of(item));
        }
        ChangeEvent e = c.event();
        if (e.seq() <= skipUntil[e.shard()]) {
            return CompletableFuture.completedFuture(List.of()); // the last ranking reflects it
        }
        return rankedAtLeast(c.position(), 0).thenApply(ranked -> {
            Map<String, Member> now = members(ranked);
            List<StreamItem> out = new ArrayList<>();
            members.forEach((id, m) -> {
                if (!now.containsKey(id)) {
                    out.add(new StreamItem.Row("removed", id, m.version(), null, m.rank(), m.score(), c.position()));
                }
            });
            for (Member m : now.values()) {
                Member was = members.get(m.id());
                if (was == null) {
                    out.add(new StreamItem.Row(
                            "added", m.id(), m.version(), m.document(), m.rank(), m.score(), c.position()));
                } else if (was.rank() != m.rank() || was.version() != m.version() || was.score() != m.score()) {
                    out.add(new StreamItem.Row(
                            "changed", m.id(), m.version(), m.document(), m.rank(), m.score(), c.position()));
                }
            }
            members = now;
            ranked.positions().forEach((shard, seq) -> skipUntil[shard] = Math.max(skipUntil[shard], seq));
            return out;
        });
    }

    /**
     * A ranking that reflects everything up to {@code position}. The stream reads the journal, and
     * a shard applies an event (and queues it to its search indexes) just after journaling it, so
     * a ranking right after an event may not reflect it yet: it is asked again shortly.
     */
    private CompletionStage<Ranking.Ranked> rankedAtLeast(ResumeToken position, int attempt) {
        return LiveWindow.atLeast(ranking::rank, Ranking.Ranked::positions, position, "the search indexes", attempt);
    }
}

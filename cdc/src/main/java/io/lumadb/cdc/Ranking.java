package io.lumadb.cdc;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * What a live search asks for its current top k (the search module answers it; the change stream
 * knows nothing of how): the ranked documents, best first, and for each shard the position the
 * ranking reflects, so that every change up to it is in the ranking.
 */
@FunctionalInterface
public interface Ranking {

    /** Ranks again, now. */
    CompletionStage<Ranked> rank();

    /** One ranked document. */
    record Entry(String id, long version, double score, byte[] document) {}

    /** A ranking: entries best first, and the shards' positions it reflects. */
    record Ranked(List<Entry> entries, Map<Integer, Long> positions) {
        public Ranked {
            entries = List.copyOf(entries);
            positions = Map.copyOf(positions);
        }
    }
}

package io.lumadb.shards.query.plan;

import io.lumadb.shards.CborSerializable;
import java.util.List;

/**
 * What one shard answers to a query.
 *
 * @param rows matching documents after the cursor, in sort order, at most the query's limit
 * @param valuesLengths for each row, how many bytes of its key are sort values (the rest is the id)
 * @param exhausted whether no matching document comes after the last row
 * @param count matching documents (all of them, whatever the limit)
 * @param partial the shard's aggregation or distinct state, or null
 * @param position the shard's applied sequence number at the snapshot the query read: the answer
 *     reflects exactly the shard's events up to it, which is where a live query's stream starts
 */
public record ShardQueryResult(
        List<Row> rows, boolean exhausted, long count, byte[] partial, ShardExplain explain, long position)
        implements CborSerializable {

    public ShardQueryResult {
        rows = List.copyOf(rows);
    }

    /** A matching document: its row key (sort values ++ id), the length of the values, its JSON (projected). */
    public record Row(byte[] key, int valuesLength, byte[] document) implements CborSerializable {}

    /** How the shard ran the query, for {@code explain}. */
    public record ShardExplain(
            int shard,
            String plan,
            String index,
            int intervals,
            String order,
            long keysExamined,
            long documentsExamined,
            long matched,
            long returned,
            long micros,
            String note)
            implements CborSerializable {}
}

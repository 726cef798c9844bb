package io.lumadb.shards.query.plan;

import io.lumadb.shards.store.IndexState;
import java.util.List;

/** How one shard finds the candidate documents of a query; every candidate is then filtered. */
public sealed interface ShardPlan {

    /** A short name for explain: {@code ids}, {@code index} or {@code scan}. */
    String kind();

    /** Fetch exactly these documents ({@code _id} equality or {@code $in}), in id order. */
    record Ids(List<String> ids) implements ShardPlan {
        public Ids {
            ids = List.copyOf(ids);
        }

        @Override
        public String kind() {
            return "ids";
        }
    }

    /** Read every document, in {@code _id} order. */
    record Scan(String reason) implements ShardPlan {
        @Override
        public String kind() {
            return "scan";
        }
    }

    /**
     * Read the entries of a ready index within {@code intervals} (in index order), then their
     * documents.
     *
     * @param ordered whether the entries come in the query's sort order (up to ties), so the
     *     scan may stop once it has enough rows
     * @param eqPrefix the encoded values of the equality-bound leading fields (when {@code
     *     ordered}, a cursor's sort values continue it)
     * @param boundFields how many leading index fields the filter bounds
     */
    record IndexScan(
            IndexState index,
            List<Interval> intervals,
            boolean reverse,
            boolean ordered,
            byte[] eqPrefix,
            int boundFields)
            implements ShardPlan {
        public IndexScan {
            intervals = List.copyOf(intervals);
        }

        @Override
        public String kind() {
            return "index";
        }
    }

    /** Index keys in {@code [start, end)}; null bounds are open. */
    record Interval(byte[] start, byte[] end) {}
}

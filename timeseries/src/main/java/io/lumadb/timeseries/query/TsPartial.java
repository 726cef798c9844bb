package io.lumadb.timeseries.query;

import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.SeriesKey;
import java.util.List;
import java.util.Map;

/** What one shard answers to a query, before it is encoded ({@link TsPartialFormat}) or merged. */
sealed interface TsPartial {

    /**
     * Aggregate state per group, window start and field.
     *
     * @param firstLast whether the cells carry first and last
     * @param values whether the cells carry their numeric values (for percentiles)
     * @param groups group → window start → field → state
     */
    record Aggregates(
            boolean firstLast, boolean values, Map<GroupKey, Map<Long, Map<String, Cell>>> groups, long downsampled)
            implements TsPartial {
        /** A partial from the points (not from rolled-up windows). */
        Aggregates(boolean firstLast, boolean values, Map<GroupKey, Map<Long, Map<String, Cell>>> groups) {
            this(firstLast, values, groups, 0);
        }
    }

    /**
     * Rows of the raw or last mode, in the response's order.
     *
     * @param truncated whether the shard had more rows than it sent
     * @param rows the rows
     */
    record Rows(boolean truncated, List<Row> rows) implements TsPartial {
        public Rows {
            rows = List.copyOf(rows);
        }
    }

    /** A row of a series with its selected fields. */
    record Row(SeriesKey series, long time, Map<String, FieldValue> fields) {}
}

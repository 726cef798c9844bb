package io.lumadb.timeseries.store;

import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.TimeBlock;
import java.util.List;

/**
 * The rows of one series that a scan read, in time order, one per distinct timestamp (duplicates
 * merged, the last write winning per field).
 */
public record SeriesRows(SeriesKey series, List<TimeBlock.Row> rows) {
    public SeriesRows {
        rows = List.copyOf(rows);
    }
}

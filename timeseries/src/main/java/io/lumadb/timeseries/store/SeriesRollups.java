package io.lumadb.timeseries.store;

import io.lumadb.timeseries.SeriesKey;
import java.util.List;
import java.util.Map;

/**
 * The downsampled windows of one series, in time order: each window's start and the rolled-up
 * state of each of its fields.
 */
public record SeriesRollups(SeriesKey series, List<Window> windows) {

    public SeriesRollups {
        windows = List.copyOf(windows);
    }

    /** One window: its start and the state per field. */
    public record Window(long start, Map<String, RollupCell> fields) {
        public Window {
            fields = Map.copyOf(fields);
        }
    }
}

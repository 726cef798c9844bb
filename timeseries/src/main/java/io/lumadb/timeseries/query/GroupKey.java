package io.lumadb.timeseries.query;

import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
import java.util.List;

/**
 * The identity of a result group: the grouped tags a series has, in the query's groupBy order (a
 * tag the series lacks is left out), or, grouping by series, the series' measurement and tags.
 *
 * @param measurement the measurement when grouping by series, null otherwise
 * @param tags the group's tags
 */
record GroupKey(String measurement, List<Point.Tag> tags) {

    /** The one group of a query without groupBy. */
    static final GroupKey ALL = new GroupKey(null, List.of());

    GroupKey {
        tags = List.copyOf(tags);
    }

    /** The value of tag {@code key} in this group, or null. */
    String tag(String key) {
        for (Point.Tag t : tags) {
            if (t.key().equals(key)) {
                return t.value();
            }
        }
        return null;
    }

    /** The series this group stands for, when grouping by series. */
    SeriesKey series() {
        return new SeriesKey(measurement, tags);
    }
}

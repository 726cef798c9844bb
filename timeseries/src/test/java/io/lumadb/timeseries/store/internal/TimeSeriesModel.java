package io.lumadb.timeseries.store.internal;

import io.lumadb.timeseries.FieldType;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.TimeBlock;
import io.lumadb.timeseries.store.PointError;
import io.lumadb.timeseries.store.SeriesFilter;
import io.lumadb.timeseries.store.SeriesRows;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The brute-force reference a store is checked against: every series' rows in a sorted map, the
 * last write winning per timestamp and field, and the field types each series first gave.
 */
final class TimeSeriesModel {
    /** Canonical key (ASCII in the tests, so String order is byte order) → the series. */
    final TreeMap<String, SeriesKey> keys = new TreeMap<>();

    final Map<String, TreeMap<Long, Map<String, FieldValue>>> rows = new HashMap<>();
    final Map<String, Map<String, FieldType>> types = new HashMap<>();
    long horizon = Long.MIN_VALUE;

    /** A predicted per-point error. */
    record Rejected(int index, PointError.Kind kind, String field) {}

    /** Applies a batch and returns the errors the store must report. */
    List<Rejected> apply(List<Point> batch) {
        List<Rejected> rejected = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Point p = batch.get(i);
            if (p.time() < horizon) {
                rejected.add(new Rejected(i, PointError.Kind.BEFORE_RETENTION, null));
                continue;
            }
            String canonical = p.seriesKey().canonical();
            Map<String, FieldType> known = types.getOrDefault(canonical, Map.of());
            String conflict = null;
            for (Map.Entry<String, FieldValue> f : p.fields().entrySet()) {
                FieldType t = known.get(f.getKey());
                if (t != null
                        && t != f.getValue().type()
                        && (conflict == null || f.getKey().compareTo(conflict) < 0)) {
                    conflict = f.getKey();
                }
            }
            if (conflict != null) {
                rejected.add(new Rejected(i, PointError.Kind.FIELD_TYPE_CONFLICT, conflict));
                continue;
            }
            keys.put(canonical, p.seriesKey());
            Map<String, FieldType> t = types.computeIfAbsent(canonical, k -> new HashMap<>());
            p.fields().forEach((k, v) -> t.putIfAbsent(k, v.type()));
            rows.computeIfAbsent(canonical, k -> new TreeMap<>())
                    .computeIfAbsent(p.time(), k -> new HashMap<>())
                    .putAll(p.fields());
        }
        return rejected;
    }

    static boolean matches(SeriesKey key, SeriesFilter filter) {
        if (filter.measurement() != null && !filter.measurement().equals(key.measurement())) {
            return false;
        }
        for (Map.Entry<String, String> f : filter.tags().entrySet()) {
            if (key.tags().stream()
                    .noneMatch(t -> t.key().equals(f.getKey()) && t.value().equals(f.getValue()))) {
                return false;
            }
        }
        return true;
    }

    /** What a scan must return. */
    List<SeriesRows> scan(SeriesFilter filter, long from, long to) {
        List<SeriesRows> out = new ArrayList<>();
        for (Map.Entry<String, SeriesKey> e : keys.entrySet()) {
            if (!matches(e.getValue(), filter) || from >= to) {
                continue;
            }
            List<TimeBlock.Row> r = new ArrayList<>();
            rows.get(e.getKey()).subMap(from, to).forEach((t, f) -> r.add(new TimeBlock.Row(t, f)));
            if (!r.isEmpty()) {
                out.add(new SeriesRows(e.getValue(), r));
            }
        }
        return out;
    }
}

package io.lumadb.timeseries.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.WindowAggregator.Fill;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Merges the shards' partial answers ({@link TsQueryShard#run}) into the {@code _tsquery} response.
 *
 * <pre>{@code
 * {"groups": [{"tags": {"host": "a"},
 *              "rows": [{"time": "2026-12-01T00:01:00Z", "usage_user": {"mean": 1.5, "count": 4}}]}],
 *  "truncated": false}
 * }</pre>
 *
 * <p>Groups are ordered by the grouped tags' values in groupBy order (a series without a grouped
 * tag sorts first and the tag is left out of the group's {@code tags}); grouping by series
 * ({@code "*"}) a group also names its {@code measurement} and groups are ordered by series key.
 * Without groupBy there is one group with empty tags. Only groups with data appear.
 *
 * <p>Aggregate mode: one row per window (at the window's start; without a window one row at {@code
 * from}), each selected field an object of the asked aggregates by the names they were asked by.
 * {@code count} is an integer and counts values of every type; {@code first} and {@code last} are
 * typed values of any type; the others are numbers over the numeric values, null when a window has
 * only non-numeric ones. A field with no value in a window is filled per group: {@code none} leaves
 * it out (and a window with no field at all), {@code null} gives every aggregate null, a number
 * gives every aggregate that number, {@code previous} repeats the field's aggregates of the last
 * window that had a value (null before any), {@code linear} interpolates each aggregate between the
 * nearest windows before and after that have a numeric one (null otherwise). Without named fields,
 * a group reports the fields it has a value for.
 *
 * <p>Raw and last mode: rows {@code {"time", "measurement", "tags": {...}, <field>: <value>...}}
 * ordered by group, time and series key; at most {@code limit} rows in all, {@code truncated} saying
 * whether more matched. Values are typed: integers and unsigned integers as JSON integers, floats
 * as numbers, booleans, strings.
 *
 * <p>Times are RFC 3339 in UTC with as many fraction digits as needed. JSON has no NaN or
 * infinity: such a number (a stored infinity, a sum that overflowed) is reported as null. A field
 * named {@code time}, {@code measurement}, {@code tags} or {@code fields} would collide with the
 * row's own members, so such fields go into a {@code "fields"} object of the row instead.
 */
public final class TsQueryMerge {
    private static final Set<String> RESERVED = Set.of("time", "measurement", "tags", "fields");
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private TsQueryMerge() {}

    /**
     * The response to {@code q} from its shards' partials (any number, empty included).
     *
     * @throws IllegalArgumentException when a partial is corrupt or answers another kind of query
     */
    public static ObjectNode merge(TsQuery q, List<byte[]> partials) {
        List<TsPartial> decoded = new ArrayList<>(partials.size());
        for (byte[] p : partials) {
            TsPartial d = TsPartialFormat.read(p);
            boolean aggregate = q.mode() == TsQuery.Mode.AGGREGATE;
            if (aggregate != (d instanceof TsPartial.Aggregates)) {
                throw new IllegalArgumentException("a shard answered a " + (aggregate ? "raw or last" : "aggregate")
                        + " query to a " + q.mode() + " query");
            }
            decoded.add(d);
        }
        return q.mode() == TsQuery.Mode.AGGREGATE ? aggregates(q, decoded) : rows(q, decoded);
    }

    // ------------------------------------------------------------------ aggregates

    private static ObjectNode aggregates(TsQuery q, List<TsPartial> partials) {
        Map<GroupKey, Map<Long, Map<String, Cell>>> groups = new HashMap<>();
        Set<Long> downsampled = new HashSet<>();
        for (TsPartial p : partials) {
            downsampled.add(((TsPartial.Aggregates) p).downsampled());
            ((TsPartial.Aggregates) p).groups().forEach((g, windows) -> {
                Map<Long, Map<String, Cell>> into = groups.computeIfAbsent(g, x -> new HashMap<>());
                windows.forEach((start, cells) -> {
                    Map<String, Cell> intoCells = into.computeIfAbsent(start, x -> new HashMap<>());
                    cells.forEach((field, c) -> intoCells.merge(field, c, (a, b) -> {
                        a.merge(b);
                        return a;
                    }));
                });
            });
        }
        ObjectNode out = JSON.objectNode();
        ArrayNode groupsJson = out.putArray("groups");
        List<GroupKey> order = new ArrayList<>(groups.keySet());
        order.sort(q::compareGroups);
        for (GroupKey g : order) {
            ObjectNode gj = group(q, g);
            gj.set("rows", aggregateRows(q, groups.get(g)));
            groupsJson.add(gj);
        }
        out.put("truncated", false);
        // Said when every shard answered from the same rule's rolled-up windows.
        if (downsampled.size() == 1 && downsampled.iterator().next() > 0) {
            out.put("downsampled", TsTime.duration(downsampled.iterator().next()));
        }
        return out;
    }

    private static ArrayNode aggregateRows(TsQuery q, Map<Long, Map<String, Cell>> windows) {
        List<String> fields;
        if (q.fields() != null) {
            fields = q.fields();
        } else {
            Set<String> seen = new TreeSet<>(SeriesKey::compareCodePoints);
            windows.values().forEach(cells -> seen.addAll(cells.keySet()));
            fields = List.copyOf(seen);
        }
        long[] starts;
        if (q.window() == 0 || q.fill() instanceof Fill.None) {
            starts = windows.keySet().stream()
                    .mapToLong(Long::longValue)
                    .sorted()
                    .toArray();
        } else {
            long first = q.windowStart(q.from());
            int n = (int) ((q.windowStart(q.to() - 1) - first) / q.window() + 1);
            starts = new long[n];
            for (int i = 0; i < n; i++) {
                starts[i] = first + i * q.window();
            }
        }
        // Per field, per window: the aggregates, or null where the field has no value.
        ObjectNode[][] values = new ObjectNode[fields.size()][starts.length];
        for (int f = 0; f < fields.size(); f++) {
            for (int w = 0; w < starts.length; w++) {
                Map<String, Cell> cells = windows.get(starts[w]);
                Cell c = cells == null ? null : cells.get(fields.get(f));
                values[f][w] = c == null || c.count == 0 ? null : aggregates(q, c);
            }
            fill(q, values[f]);
        }
        ArrayNode rows = JSON.arrayNode();
        for (int w = 0; w < starts.length; w++) {
            ObjectNode row = JSON.objectNode();
            row.put("time", TsTime.format(starts[w]));
            boolean any = false;
            for (int f = 0; f < fields.size(); f++) {
                if (values[f][w] != null) {
                    putField(row, fields.get(f), values[f][w]);
                    any = true;
                }
            }
            if (any) {
                rows.add(row);
            }
        }
        return rows;
    }

    private static ObjectNode aggregates(TsQuery q, Cell c) {
        ObjectNode o = JSON.objectNode();
        for (TsQuery.Aggregate a : q.aggregates()) {
            boolean numbers = c.n > 0;
            JsonNode v =
                    switch (a.spec().kind()) {
                        case MEAN -> numbers ? Values.number(c.sum / c.n) : NullNode.instance;
                        case SUM -> numbers ? Values.number(c.sum) : NullNode.instance;
                        case MIN -> numbers ? Values.number(c.min) : NullNode.instance;
                        case MAX -> numbers ? Values.number(c.max) : NullNode.instance;
                        case COUNT -> JSON.numberNode(c.count);
                        case FIRST -> Values.json(c.first);
                        case LAST -> Values.json(c.last);
                        case PERCENTILE -> {
                            Double p = c.percentile(a.spec().percentile());
                            yield p == null ? NullNode.instance : Values.number(p);
                        }
                    };
            o.set(a.name(), v);
        }
        return o;
    }

    /** Fills the windows of one field that have no value, as the query's fill says. */
    private static void fill(TsQuery q, ObjectNode[] v) {
        Fill fill = q.fill();
        if (fill instanceof Fill.None) {
            return;
        }
        ObjectNode[] known = v.clone();
        int prev = -1;
        int next = -1;
        for (int w = 0; w < v.length; w++) {
            if (known[w] != null) {
                prev = w;
                continue;
            }
            ObjectNode o = JSON.objectNode();
            for (TsQuery.Aggregate a : q.aggregates()) {
                JsonNode value =
                        switch (fill) {
                            case Fill.None n -> throw new AssertionError("no fill");
                            case Fill.Null n -> NullNode.instance;
                            case Fill.Constant c -> Values.number(c.value());
                            case Fill.Previous p -> prev < 0 ? NullNode.instance : known[prev].get(a.name());
                            case Fill.Linear l -> {
                                if (next <= w) {
                                    next = w + 1;
                                    while (next < v.length && known[next] == null) {
                                        next++;
                                    }
                                }
                                if (prev < 0 || next >= v.length) {
                                    yield NullNode.instance;
                                }
                                JsonNode y0 = known[prev].get(a.name());
                                JsonNode y1 = known[next].get(a.name());
                                if (!y0.isNumber() || !y1.isNumber()) {
                                    yield NullNode.instance;
                                }
                                double a0 = y0.doubleValue();
                                double a1 = y1.doubleValue();
                                yield Values.number(a0 + (a1 - a0) * (w - prev) / (next - prev));
                            }
                        };
                o.set(a.name(), value);
            }
            v[w] = o;
        }
    }

    // ------------------------------------------------------------------ raw and last

    private static ObjectNode rows(TsQuery q, List<TsPartial> partials) {
        List<TsPartial.Row> rows = new ArrayList<>();
        boolean truncated = false;
        for (TsPartial p : partials) {
            TsPartial.Rows r = (TsPartial.Rows) p;
            rows.addAll(r.rows());
            truncated |= r.truncated();
        }
        truncated |= TsQueryShard.keepFirst(rows, TsQueryShard.rowOrder(q), q.limit());
        ObjectNode out = JSON.objectNode();
        ArrayNode groupsJson = out.putArray("groups");
        GroupKey current = null;
        ArrayNode currentRows = null;
        for (TsPartial.Row r : rows) {
            GroupKey g = q.groupOf(r.series());
            if (current == null || q.compareGroups(current, g) != 0) {
                current = g;
                ObjectNode gj = group(q, g);
                currentRows = gj.putArray("rows");
                groupsJson.add(gj);
            }
            ObjectNode row = JSON.objectNode();
            row.put("time", TsTime.format(r.time()));
            row.put("measurement", r.series().measurement());
            ObjectNode tags = row.putObject("tags");
            for (Point.Tag t : r.series().tags()) {
                tags.put(t.key(), t.value());
            }
            for (Map.Entry<String, FieldValue> f : r.fields().entrySet()) {
                putField(row, f.getKey(), Values.json(f.getValue()));
            }
            currentRows.add(row);
        }
        out.put("truncated", truncated);
        return out;
    }

    // ------------------------------------------------------------------ shared

    private static ObjectNode group(TsQuery q, GroupKey g) {
        ObjectNode gj = JSON.objectNode();
        if (q.groupBySeries()) {
            gj.put("measurement", g.measurement());
        }
        ObjectNode tags = gj.putObject("tags");
        for (Point.Tag t : g.tags()) {
            tags.put(t.key(), t.value());
        }
        return gj;
    }

    private static void putField(ObjectNode row, String name, JsonNode value) {
        if (RESERVED.contains(name)) {
            row.withObject("/fields").set(name, value);
        } else {
            row.set(name, value);
        }
    }
}

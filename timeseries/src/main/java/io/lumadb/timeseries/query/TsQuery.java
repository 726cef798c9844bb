package io.lumadb.timeseries.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.TimeBlock;
import io.lumadb.timeseries.WindowAggregator;
import io.lumadb.timeseries.WindowAggregator.Fill;
import io.lumadb.timeseries.store.SeriesFilter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A parsed, validated {@code _tsquery} request (POST /api/v1/{db}/{collection}/_tsquery). It is
 * parsed once at the HTTP node; {@link #json()} is its canonical text, which each shard parses again
 * (with every time resolved to nanoseconds, so the shards need not agree on "now").
 *
 * <p>The request body:
 *
 * <pre>{@code
 * {
 *   "measurement": "cpu",              // optional: every measurement when absent
 *   "from": "2026-12-01T00:00:00Z",    // required: RFC 3339 (any offset, up to 9 fraction digits)
 *                                      //   or an integer in "precision"
 *   "to": ...,                         // optional, default now; the range is [from, to)
 *   "precision": "ns",                 // ns (default), us, ms or s: the unit of integer times
 *   "tags": {"host": "a", "region": {"$in": ["x", "y"]}, "dc": {"$ne": "z"},
 *            "rack": {"$nin": ["r1"]}, "os": {"$exists": false}},   // also {"$eq": "a"}
 *   "filter": {"usage_user": {"$gt": 50, "$lte": 90}, "status": "ok", "on": true},
 *   "fields": ["usage_user"],          // default: every field
 *   "groupBy": ["host"],               // tag keys, or "*" / ["*"] for one group per series
 *   "window": "1m",                    // a duration: ns, us, ms, s, m, h, d (w), combinable (1h30m)
 *   "aggregates": ["mean", "p95"],     // mean sum min max count first last median p<0..100>
 *   "fill": "none",                    // none, null, previous, linear or a number; only with a window
 *   "last": true,                      // the newest row of each series (not with aggregates)
 *   "limit": 10000                     // rows in raw and last mode, 1..10000 (default 10000)
 * }
 * }</pre>
 *
 * <p>Tag conditions: a string means equal; {@code $ne} and {@code $nin} also match series without
 * the tag; {@code $exists} says whether the series has the tag at all. Several operators in one
 * object must all hold. Row filter: a string, number or boolean means {@code $eq}; {@code $eq},
 * {@code $ne}, {@code $gt}, {@code $gte}, {@code $lt}, {@code $lte}, {@code $in} compare the field's
 * value (integers and unsigned integers by exact numeric value, floats against the double nearest
 * the operand; strings by code point;
 * booleans only with {@code $eq}, {@code $ne}, {@code $in}); a row without the field, or with a
 * NaN, matches no condition on it, not even {@code $ne}; a value of another type is unequal.
 *
 * <p>Modes: with {@code aggregates}, windows are epoch-aligned like {@link WindowAggregator}'s (one
 * window spanning {@code [from, to)} when there is no {@code window}); with {@code last}, the newest
 * row of each series in range that passes the filter and carries a selected field; otherwise the
 * raw rows, at most {@code limit}.
 */
public final class TsQuery {

    /** The most rows a raw or last query returns, and its default limit. */
    public static final int MAX_LIMIT = 10_000;

    /** What a query computes. */
    public enum Mode {
        /** Window aggregates per group, field and window. */
        AGGREGATE,
        /** The newest row per series. */
        LAST,
        /** The rows themselves. */
        RAW
    }

    /** A requested aggregate: the name it was asked by (the response's key) and what it computes. */
    public record Aggregate(String name, WindowAggregator.Aggregate spec) {}

    /** A tag condition's operator. */
    public enum TagOp {
        EQ,
        NE,
        IN,
        NIN,
        EXISTS,
        ABSENT
    }

    /**
     * One condition on a series' tag.
     *
     * @param key the tag key
     * @param op the operator
     * @param values the operand(s): one for EQ and NE, any number for IN and NIN, none for EXISTS
     *     and ABSENT
     */
    public record TagCondition(String key, TagOp op, List<String> values) {
        public TagCondition {
            values = List.copyOf(values);
        }

        boolean test(SeriesKey series) {
            String v = null;
            for (Point.Tag t : series.tags()) {
                if (t.key().equals(key)) {
                    v = t.value();
                    break;
                }
            }
            return switch (op) {
                case EQ -> values.getFirst().equals(v);
                case NE -> !values.getFirst().equals(v);
                case IN -> v != null && values.contains(v);
                case NIN -> v == null || !values.contains(v);
                case EXISTS -> v != null;
                case ABSENT -> v == null;
            };
        }
    }

    /** A row filter's operator. */
    public enum FieldOp {
        EQ("$eq"),
        NE("$ne"),
        GT("$gt"),
        GTE("$gte"),
        LT("$lt"),
        LTE("$lte"),
        IN("$in");

        private final String symbol;

        FieldOp(String symbol) {
            this.symbol = symbol;
        }

        /** The operator as the request writes it. */
        public String symbol() {
            return symbol;
        }
    }

    /**
     * One condition on a row's field.
     *
     * @param field the field key
     * @param op the operator
     * @param operands one operand ({@link BigDecimal}, {@link String} or {@link Boolean}), several
     *     for IN
     */
    public record FieldCondition(String field, FieldOp op, List<Object> operands) {
        public FieldCondition {
            operands = List.copyOf(operands);
        }

        boolean test(Map<String, FieldValue> fields) {
            FieldValue v = fields.get(field);
            if (v == null || (v instanceof FieldValue.FloatValue f && Double.isNaN(f.value()))) {
                return false;
            }
            return switch (op) {
                case EQ -> Values.same(v, operands.getFirst());
                case NE -> !Values.same(v, operands.getFirst());
                case IN -> operands.stream().anyMatch(o -> Values.same(v, o));
                case GT -> Values.compare(v, operands.getFirst()) > 0;
                case GTE -> {
                    int c = Values.compare(v, operands.getFirst());
                    yield c >= 0 && c != Values.INCOMPARABLE;
                }
                case LT -> {
                    int c = Values.compare(v, operands.getFirst());
                    yield c < 0 && c != Values.INCOMPARABLE;
                }
                case LTE -> {
                    int c = Values.compare(v, operands.getFirst());
                    yield c <= 0 && c != Values.INCOMPARABLE;
                }
            };
        }
    }

    private static final Set<String> MEMBERS = Set.of(
            "measurement",
            "from",
            "to",
            "precision",
            "tags",
            "filter",
            "fields",
            "groupBy",
            "window",
            "aggregates",
            "fill",
            "last",
            "limit");

    private final Mode mode;
    private final String measurement;
    private final long from;
    private final long to;
    private final List<TagCondition> tags;
    private final List<FieldCondition> filter;
    private final List<String> fields;
    private final Set<String> fieldSet;
    private final List<String> groupBy;
    private final boolean groupBySeries;
    private final long window;
    private final List<Aggregate> aggregates;
    private final Fill fill;
    private final int limit;

    private TsQuery(
            Mode mode,
            String measurement,
            long from,
            long to,
            List<TagCondition> tags,
            List<FieldCondition> filter,
            List<String> fields,
            List<String> groupBy,
            boolean groupBySeries,
            long window,
            List<Aggregate> aggregates,
            Fill fill,
            int limit) {
        this.mode = mode;
        this.measurement = measurement;
        this.from = from;
        this.to = to;
        this.tags = List.copyOf(tags);
        this.filter = List.copyOf(filter);
        this.fields = fields == null ? null : List.copyOf(fields);
        this.fieldSet = fields == null ? null : Set.copyOf(fields);
        this.groupBy = List.copyOf(groupBy);
        this.groupBySeries = groupBySeries;
        this.window = window;
        this.aggregates = List.copyOf(aggregates);
        this.fill = fill;
        this.limit = limit;
    }

    // ------------------------------------------------------------------ accessors

    public Mode mode() {
        return mode;
    }

    /** The measurement, or null for every measurement. */
    public String measurement() {
        return measurement;
    }

    /** The start of the range, inclusive, in nanoseconds. */
    public long from() {
        return from;
    }

    /** The end of the range, exclusive, in nanoseconds. */
    public long to() {
        return to;
    }

    public List<TagCondition> tags() {
        return tags;
    }

    public List<FieldCondition> filter() {
        return filter;
    }

    /** The selected fields in request order, or null for every field. */
    public List<String> fields() {
        return fields;
    }

    /** The tag keys grouped by (empty for one group, or when grouping by series). */
    public List<String> groupBy() {
        return groupBy;
    }

    /** Whether there is one group per series ({@code "groupBy": "*"}). */
    public boolean groupBySeries() {
        return groupBySeries;
    }

    /** The window in nanoseconds, or 0 for one window spanning the range. */
    public long window() {
        return window;
    }

    /** The aggregates in request order; empty unless {@link Mode#AGGREGATE}. */
    public List<Aggregate> aggregates() {
        return aggregates;
    }

    public Fill fill() {
        return fill;
    }

    /** The most rows a raw or last query returns. */
    public int limit() {
        return limit;
    }

    // ------------------------------------------------------------------ evaluation helpers

    /** The equality part of the tag conditions, which the store's tag index can answer. */
    SeriesFilter seriesFilter() {
        Map<String, String> eq = new TreeMap<>();
        for (TagCondition c : tags) {
            if (c.op() == TagOp.EQ || (c.op() == TagOp.IN && c.values().size() == 1)) {
                // Of two different required values the index narrows by one; the exact test rejects all.
                eq.putIfAbsent(c.key(), c.values().getFirst());
            }
        }
        return new SeriesFilter(measurement, eq);
    }

    /** Whether the series passes the measurement and every tag condition. */
    boolean matchesSeries(SeriesKey series) {
        if (measurement != null && !measurement.equals(series.measurement())) {
            return false;
        }
        for (TagCondition c : tags) {
            if (!c.test(series)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the row passes every row-filter condition. */
    boolean matchesRow(TimeBlock.Row row) {
        for (FieldCondition c : filter) {
            if (!c.test(row.fields())) {
                return false;
            }
        }
        return true;
    }

    /** Whether the query reports {@code field}. */
    boolean selects(String field) {
        return fieldSet == null || fieldSet.contains(field);
    }

    /** The group a series falls in. */
    GroupKey groupOf(SeriesKey series) {
        if (groupBySeries) {
            return new GroupKey(series.measurement(), series.tags());
        }
        if (groupBy.isEmpty()) {
            return GroupKey.ALL;
        }
        List<Point.Tag> g = new ArrayList<>(groupBy.size());
        for (String k : groupBy) {
            for (Point.Tag t : series.tags()) {
                if (t.key().equals(k)) {
                    g.add(t);
                    break;
                }
            }
        }
        return new GroupKey(null, g);
    }

    /** The order of groups in the response: by the grouped tags' values (absent first), or by series key. */
    int compareGroups(GroupKey a, GroupKey b) {
        if (groupBySeries) {
            return SeriesKey.compareCodePoints(
                    a.series().canonical(), b.series().canonical());
        }
        for (String k : groupBy) {
            String va = a.tag(k);
            String vb = b.tag(k);
            if (va == null || vb == null) {
                if (va != vb) {
                    return va == null ? -1 : 1;
                }
                continue;
            }
            int c = SeriesKey.compareCodePoints(va, vb);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** The start of the window holding {@code time} ({@link #from} without a window). */
    long windowStart(long time) {
        return window == 0 ? from : Math.floorDiv(time, window) * window;
    }

    /** Whether the partials need first and last (with their times and series). */
    boolean needsFirstLast() {
        return aggregates.stream()
                .anyMatch(a -> a.spec().kind() == WindowAggregator.Kind.FIRST
                        || a.spec().kind() == WindowAggregator.Kind.LAST);
    }

    /** Whether the partials need every value (for exact percentiles). */
    boolean needsValues() {
        return aggregates.stream().anyMatch(a -> a.spec().kind() == WindowAggregator.Kind.PERCENTILE);
    }

    // ------------------------------------------------------------------ canonical JSON

    /** The canonical request: every time in nanoseconds, every default spelled out; parses back to an equal query. */
    public ObjectNode json() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        if (measurement != null) {
            o.put("measurement", measurement);
        }
        o.put("from", from);
        o.put("to", to);
        o.put("precision", "ns");
        ObjectNode t = o.putObject("tags");
        for (TagCondition c : tags) {
            ObjectNode ops = t.has(c.key()) ? (ObjectNode) t.get(c.key()) : t.putObject(c.key());
            switch (c.op()) {
                case EQ -> ops.put("$eq", c.values().getFirst());
                case NE -> ops.put("$ne", c.values().getFirst());
                case IN -> c.values().forEach(ops.putArray("$in")::add);
                case NIN -> c.values().forEach(ops.putArray("$nin")::add);
                case EXISTS -> ops.put("$exists", true);
                case ABSENT -> ops.put("$exists", false);
            }
        }
        ObjectNode fl = o.putObject("filter");
        for (FieldCondition c : filter) {
            ObjectNode ops = fl.has(c.field()) ? (ObjectNode) fl.get(c.field()) : fl.putObject(c.field());
            if (c.op() == FieldOp.IN) {
                ArrayNode a = ops.putArray("$in");
                c.operands().forEach(v -> a.add(Values.operandJson(v)));
            } else {
                ops.set(c.op().symbol(), Values.operandJson(c.operands().getFirst()));
            }
        }
        if (fields != null) {
            fields.forEach(o.putArray("fields")::add);
        }
        if (groupBySeries) {
            o.putArray("groupBy").add("*");
        } else if (!groupBy.isEmpty()) {
            groupBy.forEach(o.putArray("groupBy")::add);
        }
        if (window != 0) {
            o.put("window", window + "ns");
        }
        if (mode == Mode.AGGREGATE) {
            aggregates.forEach(a -> o.withArray("aggregates").add(a.name()));
            switch (fill) {
                case Fill.None n -> {}
                case Fill.Null n -> o.put("fill", "null");
                case Fill.Previous p -> o.put("fill", "previous");
                case Fill.Linear l -> o.put("fill", "linear");
                case Fill.Constant c -> o.put("fill", c.value());
            }
        } else {
            if (mode == Mode.LAST) {
                o.put("last", true);
            }
            o.put("limit", limit);
        }
        return o;
    }

    @Override
    public String toString() {
        return json().toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TsQuery q && json().equals(q.json());
    }

    @Override
    public int hashCode() {
        return json().hashCode();
    }

    // ------------------------------------------------------------------ parsing

    /**
     * Parses and checks a request body.
     *
     * @param body the request's JSON
     * @param nowNanos the time {@code to} defaults to
     * @throws TsQueryException naming the offending member for every bad input
     */
    public static TsQuery parse(JsonNode body, long nowNanos) {
        if (body == null || !body.isObject()) {
            throw new TsQueryException("", "the query must be a JSON object");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!MEMBERS.contains(name)) {
                throw new TsQueryException(
                        "/" + TsQueryException.escape(name),
                        "unknown member '" + name + "'; a query has measurement, from, to, precision, tags,"
                                + " filter, fields, groupBy, window, aggregates, fill, last and limit");
            }
        }
        String measurement = null;
        if (body.has("measurement")) {
            measurement = nonEmptyString(body.get("measurement"), "/measurement", "measurement");
        }
        long unit = precision(body.get("precision"));
        if (!body.has("from")) {
            throw new TsQueryException("/from", "from is required: an RFC 3339 time or an integer timestamp");
        }
        long from = time(body.get("from"), unit, "/from");
        long to = body.has("to") ? time(body.get("to"), unit, "/to") : nowNanos;
        if (from >= to) {
            throw new TsQueryException(
                    body.has("to") ? "/to" : "/from",
                    "the time range is empty: from " + TsTime.format(from) + " must be before to " + TsTime.format(to));
        }
        List<TagCondition> tags = body.has("tags") ? tags(body.get("tags")) : List.of();
        List<FieldCondition> filter = body.has("filter") ? filter(body.get("filter")) : List.of();
        List<String> fields = body.has("fields") ? names(body.get("fields"), "/fields", "fields", false) : null;
        boolean groupBySeries = false;
        List<String> groupBy = List.of();
        if (body.has("groupBy")) {
            JsonNode g = body.get("groupBy");
            if (g.isTextual() && g.asText().equals("*")) {
                groupBySeries = true;
            } else {
                groupBy = names(g, "/groupBy", "groupBy", true);
                if (groupBy.contains("*")) {
                    if (groupBy.size() > 1) {
                        throw new TsQueryException(
                                "/groupBy", "groupBy \"*\" (one group per series) cannot be combined with tag keys");
                    }
                    groupBySeries = true;
                    groupBy = List.of();
                }
            }
        }
        long window = 0;
        if (body.has("window")) {
            window = window(body.get("window"), from, to);
        }
        List<Aggregate> aggregates = body.has("aggregates") ? aggregates(body.get("aggregates")) : List.of();
        boolean last = false;
        if (body.has("last")) {
            JsonNode l = body.get("last");
            if (!l.isBoolean()) {
                throw new TsQueryException("/last", "last must be true or false");
            }
            last = l.booleanValue();
        }
        Mode mode = last ? Mode.LAST : aggregates.isEmpty() ? Mode.RAW : Mode.AGGREGATE;
        if (last && body.has("aggregates")) {
            throw new TsQueryException("/last", "last cannot be combined with aggregates");
        }
        if (window != 0 && mode != Mode.AGGREGATE) {
            throw new TsQueryException(
                    "/window", "a window needs aggregates (and last and raw queries take no window)");
        }
        Fill fill = Fill.NONE;
        if (body.has("fill")) {
            if (window == 0) {
                throw new TsQueryException("/fill", "fill needs a window");
            }
            fill = fill(body.get("fill"));
        }
        int limit = MAX_LIMIT;
        if (body.has("limit")) {
            if (mode == Mode.AGGREGATE) {
                throw new TsQueryException("/limit", "limit applies to raw and last queries, not to aggregates");
            }
            JsonNode l = body.get("limit");
            if (!l.isIntegralNumber() || !l.canConvertToLong() || l.longValue() < 1 || l.longValue() > MAX_LIMIT) {
                throw new TsQueryException("/limit", "limit must be an integer from 1 to " + MAX_LIMIT);
            }
            limit = l.intValue();
        }
        return new TsQuery(
                mode,
                measurement,
                from,
                to,
                tags,
                filter,
                fields,
                groupBy,
                groupBySeries,
                window,
                aggregates,
                fill,
                limit);
    }

    private static String nonEmptyString(JsonNode n, String pointer, String what) {
        if (!n.isTextual() || n.asText().isEmpty()) {
            throw new TsQueryException(pointer, what + " must be a non-empty string");
        }
        return n.asText();
    }

    private static long precision(JsonNode n) {
        if (n == null) {
            return 1;
        }
        if (!n.isTextual()) {
            throw new TsQueryException("/precision", "precision must be one of \"ns\", \"us\", \"ms\", \"s\"");
        }
        return switch (n.asText()) {
            case "ns" -> 1L;
            case "us" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            default ->
                throw new TsQueryException(
                        "/precision",
                        "precision must be one of \"ns\", \"us\", \"ms\", \"s\"; got \"" + n.asText() + "\"");
        };
    }

    private static long time(JsonNode n, long unit, String pointer) {
        String name = pointer.substring(1);
        if (n.isTextual()) {
            try {
                return TsTime.parse(n.asText());
            } catch (IllegalArgumentException e) {
                throw new TsQueryException(pointer, name + ": " + e.getMessage());
            }
        }
        if (n.isIntegralNumber()) {
            if (!n.canConvertToLong()) {
                throw new TsQueryException(pointer, name + " is outside the nanosecond time range");
            }
            try {
                return Math.multiplyExact(n.longValue(), unit);
            } catch (ArithmeticException e) {
                throw new TsQueryException(pointer, name + " is outside the nanosecond time range");
            }
        }
        throw new TsQueryException(
                pointer, name + " must be an RFC 3339 time like \"2026-12-01T00:00:00Z\" or an integer timestamp");
    }

    private static List<String> names(JsonNode n, String pointer, String what, boolean allowStar) {
        if (!n.isArray() || n.isEmpty()) {
            throw new TsQueryException(pointer, what + " must be a non-empty array of strings");
        }
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n.size(); i++) {
            String p = pointer + "/" + i;
            String s = nonEmptyString(n.get(i), p, what + " entry");
            if (!seen.add(s)) {
                throw new TsQueryException(p, what + " names '" + s + "' twice");
            }
            out.add(s);
        }
        return out;
    }

    private static List<TagCondition> tags(JsonNode n) {
        if (!n.isObject()) {
            throw new TsQueryException("/tags", "tags must be an object of tag key → value or condition");
        }
        List<TagCondition> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            String p = "/tags/" + TsQueryException.escape(key);
            if (key.isEmpty()) {
                throw new TsQueryException(p, "a tag key is never empty");
            }
            JsonNode c = e.getValue();
            if (c.isTextual()) {
                out.add(new TagCondition(key, TagOp.EQ, List.of(nonEmptyString(c, p, "tag value"))));
                continue;
            }
            if (!c.isObject() || c.isEmpty()) {
                throw new TsQueryException(
                        p, "tag condition must be a string or an object with $eq, $ne, $in, $nin or $exists");
            }
            for (Iterator<Map.Entry<String, JsonNode>> ops = c.fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                String q = p + "/" + TsQueryException.escape(op.getKey());
                JsonNode v = op.getValue();
                switch (op.getKey()) {
                    case "$eq" -> out.add(new TagCondition(key, TagOp.EQ, List.of(nonEmptyString(v, q, "$eq"))));
                    case "$ne" -> out.add(new TagCondition(key, TagOp.NE, List.of(nonEmptyString(v, q, "$ne"))));
                    case "$in" -> out.add(new TagCondition(key, TagOp.IN, strings(v, q, op.getKey())));
                    case "$nin" -> out.add(new TagCondition(key, TagOp.NIN, strings(v, q, op.getKey())));
                    case "$exists" -> {
                        if (!v.isBoolean()) {
                            throw new TsQueryException(q, "$exists must be true or false");
                        }
                        out.add(new TagCondition(key, v.booleanValue() ? TagOp.EXISTS : TagOp.ABSENT, List.of()));
                    }
                    default ->
                        throw new TsQueryException(
                                q, "unknown tag operator '" + op.getKey() + "'; use $eq, $ne, $in, $nin or $exists");
                }
            }
        }
        return out;
    }

    private static List<String> strings(JsonNode n, String pointer, String what) {
        if (!n.isArray() || n.isEmpty()) {
            throw new TsQueryException(pointer, what + " must be a non-empty array of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            out.add(nonEmptyString(n.get(i), pointer + "/" + i, what + " entry"));
        }
        return out;
    }

    private static List<FieldCondition> filter(JsonNode n) {
        if (!n.isObject()) {
            throw new TsQueryException("/filter", "filter must be an object of field key → value or condition");
        }
        List<FieldCondition> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = e.getKey();
            String p = "/filter/" + TsQueryException.escape(field);
            if (field.isEmpty()) {
                throw new TsQueryException(p, "a field key is never empty");
            }
            JsonNode c = e.getValue();
            if (!c.isObject()) {
                out.add(new FieldCondition(field, FieldOp.EQ, List.of(operand(c, p, false))));
                continue;
            }
            if (c.isEmpty()) {
                throw new TsQueryException(p, "field condition must not be empty");
            }
            for (Iterator<Map.Entry<String, JsonNode>> ops = c.fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                String q = p + "/" + TsQueryException.escape(op.getKey());
                FieldOp fop = null;
                for (FieldOp candidate : FieldOp.values()) {
                    if (candidate.symbol().equals(op.getKey())) {
                        fop = candidate;
                    }
                }
                if (fop == null) {
                    throw new TsQueryException(
                            q,
                            "unknown field operator '" + op.getKey() + "'; use $eq, $ne, $gt, $gte, $lt, $lte or $in");
                }
                JsonNode v = op.getValue();
                if (fop == FieldOp.IN) {
                    if (!v.isArray() || v.isEmpty()) {
                        throw new TsQueryException(q, "$in must be a non-empty array of values");
                    }
                    List<Object> operands = new ArrayList<>();
                    for (int i = 0; i < v.size(); i++) {
                        operands.add(operand(v.get(i), q + "/" + i, false));
                    }
                    out.add(new FieldCondition(field, fop, operands));
                } else {
                    boolean ordered = fop != FieldOp.EQ && fop != FieldOp.NE;
                    out.add(new FieldCondition(field, fop, List.of(operand(v, q, ordered))));
                }
            }
        }
        return out;
    }

    private static Object operand(JsonNode v, String pointer, boolean ordered) {
        if (v.isNumber()) {
            if (v.isDouble() || v.isFloat()) {
                double d = v.doubleValue();
                if (!Double.isFinite(d)) {
                    throw new TsQueryException(pointer, "a number in a filter must be finite");
                }
            }
            return v.decimalValue().stripTrailingZeros();
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isBoolean() && !ordered) {
            return v.booleanValue();
        }
        throw new TsQueryException(
                pointer,
                ordered
                        ? "an ordering comparison needs a number or a string"
                        : "a filter value must be a number, a string or a boolean");
    }

    private static long window(JsonNode n, long from, long to) {
        String message = "window must be a positive duration like 10s, 1m, 1h or 1d";
        if (!n.isTextual()) {
            throw new TsQueryException("/window", message);
        }
        long w;
        try {
            w = WindowAggregator.parseDuration(n.asText());
        } catch (IllegalArgumentException e) {
            throw new TsQueryException("/window", message + " (" + e.getMessage() + ")");
        }
        long windows;
        try {
            windows = Math.addExact(Math.subtractExact(Math.floorDiv(to - 1, w), Math.floorDiv(from, w)), 1);
        } catch (ArithmeticException e) {
            windows = Long.MAX_VALUE;
        }
        if (windows > WindowAggregator.MAX_WINDOWS) {
            throw new TsQueryException(
                    "/window",
                    "the range spans " + windows + " windows of " + n.asText() + "; at most "
                            + WindowAggregator.MAX_WINDOWS + " are allowed: take a longer window or a shorter range");
        }
        return w;
    }

    private static List<Aggregate> aggregates(JsonNode n) {
        if (!n.isArray() || n.isEmpty()) {
            throw new TsQueryException(
                    "/aggregates", "aggregates must be a non-empty array like [\"mean\", \"max\", \"p95\"]");
        }
        Map<String, Aggregate> out = new LinkedHashMap<>();
        for (int i = 0; i < n.size(); i++) {
            String p = "/aggregates/" + i;
            String s = nonEmptyString(n.get(i), p, "aggregate");
            WindowAggregator.Aggregate spec;
            try {
                spec = WindowAggregator.Aggregate.parse(s);
            } catch (IllegalArgumentException e) {
                throw new TsQueryException(p, e.getMessage());
            }
            String name = s.trim().toLowerCase(Locale.ROOT);
            if (out.putIfAbsent(name, new Aggregate(name, spec)) != null) {
                throw new TsQueryException(p, "aggregate '" + name + "' is asked twice");
            }
        }
        return List.copyOf(out.values());
    }

    private static Fill fill(JsonNode n) {
        if (n.isNumber()) {
            double d = n.doubleValue();
            if (!Double.isFinite(d)) {
                throw new TsQueryException("/fill", "a fill constant must be a finite number");
            }
            return new Fill.Constant(d);
        }
        if (n.isTextual()) {
            switch (n.asText()) {
                case "none":
                    return Fill.NONE;
                case "null":
                    return Fill.NULL;
                case "previous":
                    return Fill.PREVIOUS;
                case "linear":
                    return Fill.LINEAR;
                default:
                    break;
            }
        }
        throw new TsQueryException(
                "/fill", "fill must be \"none\", \"null\", \"previous\", \"linear\" or a number; got " + n);
    }
}

package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An aggregation ({@code aggregate} of a request): documents grouped by the values of {@code
 * groupBy} paths, with metrics per group. Each shard feeds its matching documents to an {@link
 * Accumulator}; the coordinator {@link #merge}s the shards' partial results, which travel as bytes.
 *
 * <p>Shape: {@code {"groupBy": ["path", ...], "metrics": {"name": {"$count": {}} | {"$sum": "path"}
 * | {"$avg": "path"} | {"$min": "path"} | {"$max": "path"} | {"$percentile": {"path": "p", "p":
 * 95}}}}}. A group key takes each path's value whole ({@link Paths#value}: arrays are not unwound,
 * missing is null). {@code $sum}/{@code $avg} use the value at the path when it is a number
 * (others and missing are ignored; the sum of none is 0, the average of none null); integer sums
 * are exact. {@code $min}/{@code $max} take the least/greatest present non-null value in {@link
 * KeyCodec} order (null if none). {@code $percentile} is exact, by the nearest-rank method over the
 * numeric values (null if none).
 */
public final class AggregateSpec {

    /** The kinds of metric. */
    public enum Kind {
        COUNT,
        SUM,
        AVG,
        MIN,
        MAX,
        PERCENTILE
    }

    /**
     * One requested metric.
     *
     * @param name the name of the metric in each output group
     * @param kind what it computes
     * @param path the path it reads; null for {@link Kind#COUNT}
     * @param percentile the percentile in (0, 100] for {@link Kind#PERCENTILE}, else 0
     */
    public record Metric(String name, Kind kind, Path path, double percentile) {}

    /** Collects one shard's documents into a partial result. Not thread-safe. */
    public interface Accumulator {
        /** Adds a matching document; a {@link QueryException} if a limit is exceeded. */
        void add(JsonNode doc);

        /** The partial result, for {@link #merge}. */
        byte[] toBytes();
    }

    private static final String POINTER = "/aggregate";

    private final List<Path> groupBy;
    private final List<Metric> metrics;

    private AggregateSpec(List<Path> groupBy, List<Metric> metrics) {
        this.groupBy = List.copyOf(groupBy);
        this.metrics = List.copyOf(metrics);
    }

    /** The group-by paths, in request order (empty: one group of all documents). */
    public List<Path> groupBy() {
        return groupBy;
    }

    /** The metrics, in request order. */
    public List<Metric> metrics() {
        return metrics;
    }

    /** Parses {@code aggregate} found at {@code pointer}. */
    public static AggregateSpec parse(JsonNode aggregate, String pointer, QueryLimits limits) {
        if (aggregate == null || !aggregate.isObject()) {
            throw new QueryException(
                    pointer, "aggregate takes an object {\"groupBy\": [paths], \"metrics\": {name: metric}}");
        }
        List<Path> groupBy = new ArrayList<>();
        List<Metric> metrics = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : aggregate.properties()) {
            String at = QueryException.child(pointer, e.getKey());
            switch (e.getKey()) {
                case "groupBy" -> parseGroupBy(e.getValue(), at, groupBy);
                case "metrics" -> parseMetrics(e.getValue(), at, metrics);
                default ->
                    throw new QueryException(
                            at, "unknown field '" + e.getKey() + "' in aggregate; allowed: groupBy, metrics");
            }
        }
        if (groupBy.isEmpty() && metrics.isEmpty()) {
            throw new QueryException(pointer, "aggregate needs at least one metric or groupBy path");
        }
        return new AggregateSpec(groupBy, metrics);
    }

    private static void parseGroupBy(JsonNode value, String at, List<Path> out) {
        if (!value.isArray()) {
            throw new QueryException(at, "groupBy takes an array of paths, e.g. [\"city\"]");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < value.size(); i++) {
            String itemAt = QueryException.child(at, i);
            JsonNode item = value.get(i);
            if (!item.isTextual()) {
                throw new QueryException(itemAt, "a groupBy entry is a path string");
            }
            Path path = Path.parse(item.textValue(), itemAt);
            if (!seen.add(path.text())) {
                throw new QueryException(itemAt, "path '" + path.text() + "' appears twice in groupBy");
            }
            out.add(path);
        }
    }

    private static void parseMetrics(JsonNode value, String at, List<Metric> out) {
        if (!value.isObject()) {
            throw new QueryException(at, "metrics takes an object {name: {\"$count\": {}} | {\"$sum\": \"path\"} ...}");
        }
        for (Map.Entry<String, JsonNode> e : value.properties()) {
            String name = e.getKey();
            String metricAt = QueryException.child(at, name);
            if (name.isEmpty() || name.startsWith("$") || name.equals("key")) {
                throw new QueryException(
                        metricAt, "a metric name must be non-empty, not start with '$' and not be 'key'");
            }
            JsonNode spec = e.getValue();
            if (!spec.isObject() || spec.size() != 1) {
                throw new QueryException(
                        metricAt,
                        "a metric is an object with one operator: $count, $sum, $avg, $min, $max, $percentile");
            }
            Map.Entry<String, JsonNode> op = spec.properties().iterator().next();
            String opAt = QueryException.child(metricAt, op.getKey());
            JsonNode arg = op.getValue();
            out.add(
                    switch (op.getKey()) {
                        case "$count" -> {
                            if (!arg.isObject() || !arg.isEmpty()) {
                                throw new QueryException(opAt, "$count takes {}");
                            }
                            yield new Metric(name, Kind.COUNT, null, 0);
                        }
                        case "$sum" -> new Metric(name, Kind.SUM, metricPath(arg, opAt), 0);
                        case "$avg" -> new Metric(name, Kind.AVG, metricPath(arg, opAt), 0);
                        case "$min" -> new Metric(name, Kind.MIN, metricPath(arg, opAt), 0);
                        case "$max" -> new Metric(name, Kind.MAX, metricPath(arg, opAt), 0);
                        case "$percentile" -> percentile(name, arg, opAt);
                        default ->
                            throw new QueryException(
                                    opAt,
                                    "unknown metric '" + op.getKey()
                                            + "'; allowed: $count, $sum, $avg, $min, $max, $percentile");
                    });
        }
    }

    private static Path metricPath(JsonNode arg, String at) {
        if (!arg.isTextual()) {
            throw new QueryException(at, "this metric takes a path string, e.g. \"price\"");
        }
        return Path.parse(arg.textValue(), at);
    }

    private static Metric percentile(String name, JsonNode arg, String at) {
        if (!arg.isObject()) {
            throw new QueryException(at, "$percentile takes {\"path\": \"p\", \"p\": 95}");
        }
        for (Map.Entry<String, JsonNode> e : arg.properties()) {
            if (!e.getKey().equals("path") && !e.getKey().equals("p")) {
                throw new QueryException(
                        QueryException.child(at, e.getKey()),
                        "unknown field '" + e.getKey() + "' in $percentile; allowed: path, p");
            }
        }
        JsonNode path = arg.get("path");
        if (path == null) {
            throw new QueryException(QueryException.child(at, "path"), "$percentile needs a \"path\"");
        }
        JsonNode p = arg.get("p");
        if (p == null || !p.isNumber() || !(p.doubleValue() > 0 && p.doubleValue() <= 100)) {
            throw new QueryException(QueryException.child(at, "p"), "$percentile needs \"p\", a number in (0, 100]");
        }
        return new Metric(name, Kind.PERCENTILE, metricPath(path, QueryException.child(at, "path")), p.doubleValue());
    }

    /** A new, empty accumulator for one shard. */
    public Accumulator newAccumulator(QueryLimits limits) {
        return new Groups(limits);
    }

    /**
     * Merges the shards' partial results into the answer: {@code {"groups": [{"key": {path:
     * value, ...}, metric: value, ...}, ...]}}, groups sorted by their key values in {@code
     * groupBy} order and {@link KeyCodec} order. Without groupBy there is exactly one group, with
     * key {@code {}}, even when no document matched.
     */
    public JsonNode merge(List<byte[]> partials, QueryLimits limits) {
        Groups all = new Groups(limits);
        for (byte[] partial : partials) {
            all.mergeBytes(partial);
        }
        if (groupBy.isEmpty() && all.groups.isEmpty()) {
            all.group(new JsonNode[0]);
        }
        ArrayNode groups = JsonNodeFactory.instance.arrayNode();
        for (Group group : all.groups.values()) {
            ObjectNode out = groups.addObject();
            ObjectNode key = out.putObject("key");
            for (int i = 0; i < groupBy.size(); i++) {
                key.set(groupBy.get(i).text(), group.key[i]);
            }
            for (int m = 0; m < metrics.size(); m++) {
                out.set(metrics.get(m).name(), group.states[m].result(metrics.get(m)));
            }
        }
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        result.set("groups", groups);
        return result;
    }

    private final class Groups implements Accumulator {
        final QueryLimits limits;
        final TreeMap<byte[], Group> groups = new TreeMap<>(Arrays::compareUnsigned);
        long percentileValues;

        Groups(QueryLimits limits) {
            this.limits = limits;
        }

        Group group(JsonNode[] key) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (JsonNode v : key) {
                KeyCodec.encode(v, false, bytes);
            }
            return groups.computeIfAbsent(bytes.toByteArray(), k -> {
                if (groups.size() >= limits.maxGroups()) {
                    throw new QueryException(
                            POINTER, "the aggregation has more than " + limits.maxGroups() + " groups (the limit)");
                }
                return new Group(key, metrics.size());
            });
        }

        @Override
        public void add(JsonNode doc) {
            JsonNode[] key = new JsonNode[groupBy.size()];
            for (int i = 0; i < key.length; i++) {
                key[i] = Paths.value(doc, groupBy.get(i));
            }
            Group group = group(key);
            for (int m = 0; m < metrics.size(); m++) {
                Metric metric = metrics.get(m);
                MetricState state = group.states[m];
                if (metric.kind() == Kind.COUNT) {
                    state.n++;
                } else {
                    int before = state.values.size();
                    state.add(metric.kind(), Paths.value(doc, metric.path()));
                    countPercentileValues(state.values.size() - before);
                }
            }
        }

        private void countPercentileValues(int added) {
            percentileValues += added;
            if (percentileValues > limits.maxPercentileValues()) {
                throw new QueryException(
                        POINTER,
                        "$percentile would hold more than " + limits.maxPercentileValues() + " values (the limit)");
            }
        }

        @Override
        public byte[] toBytes() {
            ArrayNode list = JsonNodeFactory.instance.arrayNode();
            for (Group group : groups.values()) {
                ObjectNode g = list.addObject();
                ArrayNode key = g.putArray("key");
                for (JsonNode v : group.key) {
                    key.add(v);
                }
                ArrayNode states = g.putArray("metrics");
                for (MetricState state : group.states) {
                    states.add(state.toJson());
                }
            }
            ObjectNode root = JsonNodeFactory.instance.objectNode();
            root.set("groups", list);
            try {
                return DocumentJson.mapper().writeValueAsBytes(root);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void mergeBytes(byte[] partial) {
            JsonNode root;
            try {
                root = DocumentJson.mapper().readTree(partial);
            } catch (IOException e) {
                throw new IllegalArgumentException("not a partial aggregation result", e);
            }
            for (JsonNode g : root.path("groups")) {
                JsonNode keyJson = g.get("key");
                JsonNode[] key = new JsonNode[keyJson.size()];
                for (int i = 0; i < key.length; i++) {
                    key[i] = keyJson.get(i);
                }
                Group group = group(key);
                JsonNode states = g.get("metrics");
                if (states.size() != metrics.size()) {
                    throw new IllegalArgumentException("a partial aggregation result of another aggregation");
                }
                for (int m = 0; m < metrics.size(); m++) {
                    MetricState other = MetricState.fromJson(states.get(m));
                    group.states[m].merge(metrics.get(m).kind(), other);
                    countPercentileValues(other.values.size());
                }
            }
        }
    }

    private static final class Group {
        final JsonNode[] key;
        final MetricState[] states;

        Group(JsonNode[] key, int metrics) {
            this.key = key;
            this.states = new MetricState[metrics];
            for (int i = 0; i < metrics; i++) {
                states[i] = new MetricState();
            }
        }
    }

    /** The state of one metric of one group; which fields are used depends on the metric's kind. */
    private static final class MetricState {
        long n; // documents counted, or numbers summed
        long longSum;
        BigInteger bigSum = BigInteger.ZERO; // integer sum beyond long, kept apart from longSum
        double doubleSum;
        boolean hasDouble;
        JsonNode extreme; // $min/$max
        final List<JsonNode> values = new ArrayList<>(); // $percentile

        void add(Kind kind, JsonNode v) {
            switch (kind) {
                case SUM, AVG -> addNumber(v);
                case MIN -> {
                    if (!KeyCodec.isNull(v) && (extreme == null || KeyCodec.compare(v, extreme) < 0)) {
                        extreme = v;
                    }
                }
                case MAX -> {
                    if (!KeyCodec.isNull(v) && (extreme == null || KeyCodec.compare(v, extreme) > 0)) {
                        extreme = v;
                    }
                }
                case PERCENTILE -> {
                    if (v.isNumber()) {
                        values.add(v);
                    }
                }
                case COUNT -> n++;
            }
        }

        private void addNumber(JsonNode v) {
            if (!v.isNumber()) {
                return;
            }
            n++;
            if (v.isIntegralNumber()) {
                if (v.canConvertToLong()) {
                    long x = v.longValue();
                    long sum = longSum + x;
                    if (((longSum ^ sum) & (x ^ sum)) < 0) { // overflow: move the long part aside
                        bigSum = bigSum.add(BigInteger.valueOf(longSum));
                        longSum = x;
                    } else {
                        longSum = sum;
                    }
                } else {
                    bigSum = bigSum.add(v.bigIntegerValue());
                }
            } else {
                doubleSum += v.doubleValue();
                hasDouble = true;
            }
        }

        private BigInteger integerSum() {
            return bigSum.add(BigInteger.valueOf(longSum));
        }

        void merge(Kind kind, MetricState o) {
            n += o.n;
            bigSum = integerSum().add(o.integerSum());
            longSum = 0;
            doubleSum += o.doubleSum;
            hasDouble |= o.hasDouble;
            if ((kind == Kind.MIN || kind == Kind.MAX) && o.extreme != null) {
                add(kind, o.extreme);
            }
            values.addAll(o.values);
        }

        JsonNode result(Metric metric) {
            JsonNodeFactory f = JsonNodeFactory.instance;
            return switch (metric.kind()) {
                case COUNT -> f.numberNode(n);
                case SUM -> {
                    BigInteger total = integerSum();
                    if (hasDouble) {
                        yield f.numberNode(total.doubleValue() + doubleSum);
                    }
                    yield total.bitLength() < 64 ? f.numberNode(total.longValue()) : f.numberNode(total);
                }
                case AVG ->
                    n == 0 ? NullNode.instance : f.numberNode((integerSum().doubleValue() + doubleSum) / n);
                case MIN, MAX -> extreme == null ? NullNode.instance : extreme;
                case PERCENTILE -> {
                    if (values.isEmpty()) {
                        yield NullNode.instance;
                    }
                    List<JsonNode> sorted = new ArrayList<>(values);
                    sorted.sort(KeyCodec::compare);
                    int size = sorted.size();
                    int rank = (int) Math.ceil(metric.percentile() * size / 100.0);
                    yield sorted.get(Math.clamp(rank, 1, size) - 1);
                }
            };
        }

        JsonNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("n", n);
            o.put("i", integerSum().toString());
            o.put("d", Double.doubleToLongBits(doubleSum));
            o.put("hd", hasDouble);
            if (extreme != null) {
                o.set("x", extreme);
            }
            ArrayNode v = o.putArray("v");
            values.forEach(v::add);
            return o;
        }

        static MetricState fromJson(JsonNode o) {
            MetricState s = new MetricState();
            s.n = o.path("n").longValue();
            s.bigSum = new BigInteger(o.path("i").asText("0"));
            s.doubleSum = Double.longBitsToDouble(o.path("d").longValue());
            s.hasDouble = o.path("hd").booleanValue();
            s.extreme = o.get("x");
            o.path("v").forEach(s.values::add);
            return s;
        }
    }
}

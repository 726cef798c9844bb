package io.lumadb.shards.query.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.query.Condition;
import io.lumadb.shards.query.Filter;
import io.lumadb.shards.query.KeyCodec;
import io.lumadb.shards.query.SortSpec;
import io.lumadb.shards.store.IndexState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Chooses, per shard, how to find a query's candidates: the documents named by an {@code _id}
 * equality, a range of a ready secondary index, or a full scan. An index serves equality and
 * {@code $in} on its leading fields, then one range ({@code $gt $gte $lt $lte}, {@code
 * $startsWith}) and the sort when its remaining fields follow the sort keys. Plans only narrow
 * the candidates: the whole filter is still applied to every candidate, so a plan can never
 * change a query's answer, only its cost.
 */
public final class Planner {

    /** Most index intervals one plan reads ({@code $in} lists multiply them). */
    static final int MAX_INTERVALS = 512;

    private Planner() {}

    /**
     * @param hint null (the planner chooses), {@code "scan"}, or the name of an index to use
     * @param needOrder whether rows must come in {@code sort} order (document queries)
     */
    public static ShardPlan plan(
            Filter filter, SortSpec sort, List<IndexState> indexes, String hint, boolean needOrder) {
        Map<String, List<Condition>> conjuncts = new LinkedHashMap<>();
        collect(filter, conjuncts);
        if ("scan".equals(hint)) {
            return new ShardPlan.Scan("hint");
        }
        if (hint == null) {
            List<String> ids = idLookup(conjuncts.get(DocumentJson.ID));
            if (ids != null) {
                return new ShardPlan.Ids(ids);
            }
        }
        ShardPlan.IndexScan best = null;
        int bestScore = 0;
        for (IndexState index : indexes) {
            if (!index.ready()
                    || (hint != null && !hint.equals(index.definition().name()))) {
                continue;
            }
            ShardPlan.IndexScan candidate = indexPlan(index, conjuncts, sort, needOrder);
            int score = candidate.boundFields() * 4 + (candidate.ordered() ? 1 : 0);
            if (hint != null || score > bestScore) {
                best = candidate;
                bestScore = score;
            }
        }
        if (best != null) {
            return best;
        }
        return new ShardPlan.Scan(
                hint != null ? "index '" + hint + "' is not ready on this shard" : "no ready index serves the filter");
    }

    /** Top-level conjuncts by path: fields of an implicit or explicit AND, operators split. */
    private static void collect(Filter filter, Map<String, List<Condition>> out) {
        switch (filter) {
            case Filter.And and -> and.filters().forEach(f -> collect(f, out));
            case Filter.Field field -> addCondition(field.path().text(), field.condition(), out);
            default -> {}
        }
    }

    private static void addCondition(String path, Condition condition, Map<String, List<Condition>> out) {
        if (condition instanceof Condition.AllOf all) {
            all.conditions().forEach(c -> addCondition(path, c, out));
        } else {
            out.computeIfAbsent(path, p -> new ArrayList<>()).add(condition);
        }
    }

    /**
     * The ids a filter pins {@code _id} to (a top-level {@code _id} equality or {@code $in} of
     * strings), sorted, or null when it pins none: then only these ids can match.
     */
    public static List<String> idLookup(Filter filter) {
        Map<String, List<Condition>> conjuncts = new LinkedHashMap<>();
        collect(filter, conjuncts);
        return idLookup(conjuncts.get(DocumentJson.ID));
    }

    private static List<String> idLookup(List<Condition> conditions) {
        if (conditions == null) {
            return null;
        }
        for (Condition c : conditions) {
            List<JsonNode> values =
                    switch (c) {
                        case Condition.Eq eq -> List.of(eq.value());
                        case Condition.In in -> in.values();
                        default -> null;
                    };
            if (values != null && values.stream().allMatch(JsonNode::isTextual)) {
                TreeSet<String> ids = new TreeSet<>(KeyCodec.CODE_POINT_ORDER);
                values.forEach(v -> ids.add(v.textValue()));
                return List.copyOf(ids);
            }
        }
        return null;
    }

    private static ShardPlan.IndexScan indexPlan(
            IndexState state, Map<String, List<Condition>> conjuncts, SortSpec sort, boolean needOrder) {
        List<IndexDefinition.Field> fields = state.definition().fields();
        List<byte[]> prefixes = List.of(new byte[0]);
        int eqFields = 0;
        ShardPlan.Interval range = null;
        for (IndexDefinition.Field field : fields) {
            List<Condition> conditions = conjuncts.getOrDefault(field.path(), List.of());
            List<JsonNode> points = points(conditions);
            if (points != null && (long) prefixes.size() * points.size() <= MAX_INTERVALS) {
                List<byte[]> next = new ArrayList<>();
                for (byte[] prefix : prefixes) {
                    for (JsonNode point : points) {
                        next.add(ByteKeys.concat(prefix, KeyCodec.encode(point, field.descending())));
                    }
                }
                prefixes = next;
                eqFields++;
                continue;
            }
            range = range(conditions, field.descending(), state.multikey());
            break;
        }
        List<ShardPlan.Interval> intervals = new ArrayList<>(prefixes.size());
        for (byte[] prefix : prefixes) {
            if (range != null) {
                intervals.add(new ShardPlan.Interval(
                        ByteKeys.concat(prefix, range.start()),
                        range.end() == null ? ByteKeys.successor(prefix) : ByteKeys.concat(prefix, range.end())));
            } else {
                intervals.add(new ShardPlan.Interval(prefix.length == 0 ? null : prefix, ByteKeys.successor(prefix)));
            }
        }
        Boolean reverse =
                needOrder && intervals.size() == 1 && !state.multikey() ? sortDirection(fields, eqFields, sort) : null;
        return new ShardPlan.IndexScan(
                state,
                intervals,
                Boolean.TRUE.equals(reverse),
                reverse != null,
                prefixes.size() == 1 ? prefixes.getFirst() : null,
                eqFields + (range != null ? 1 : 0));
    }

    /**
     * Whether the index fields after the {@code eqFields} equality-bound ones give the sort
     * order: null if not, false for a forward scan, true for a reverse one.
     */
    private static Boolean sortDirection(List<IndexDefinition.Field> fields, int eqFields, SortSpec sort) {
        List<SortSpec.Key> keys = new ArrayList<>(sort.keys());
        SortSpec.Key last = keys.getLast();
        if (last.path().text().equals(DocumentJson.ID) && !last.descending()) {
            keys.removeLast();
        }
        if (keys.isEmpty() || eqFields + keys.size() > fields.size()) {
            return null;
        }
        Boolean reverse = null;
        for (int i = 0; i < keys.size(); i++) {
            IndexDefinition.Field field = fields.get(eqFields + i);
            SortSpec.Key key = keys.get(i);
            if (!field.path().equals(key.path().text())) {
                return null;
            }
            boolean flipped = field.descending() != key.descending();
            if (reverse == null) {
                reverse = flipped;
            } else if (reverse != flipped) {
                return null;
            }
        }
        return reverse;
    }

    /** The values an equality or {@code $in} pins the path to, or null; never arrays (indexed per element). */
    private static List<JsonNode> points(List<Condition> conditions) {
        for (Condition c : conditions) {
            List<JsonNode> values =
                    switch (c) {
                        case Condition.Eq eq -> List.of(eq.value());
                        case Condition.In in -> in.values();
                        default -> null;
                    };
            if (values != null && values.stream().noneMatch(JsonNode::isArray)) {
                return values;
            }
        }
        return null;
    }

    /**
     * The key interval of a range or prefix condition on one field, or null if there is none.
     *
     * <p>On a multikey index only one bound is used: {@code {a: {$gt: 3, $lte: 1}}} matches
     * {@code a: [3.5, -0.5]} because each condition may be met by a different element, so the
     * intersection of the two bounds would skip it. The executor re-checks the whole filter.
     */
    static ShardPlan.Interval range(List<Condition> conditions, boolean descending, boolean multikey) {
        JsonNode lower = null;
        boolean lowerInclusive = false;
        JsonNode upper = null;
        boolean upperInclusive = false;
        for (Condition c : conditions) {
            Bound bound = Bound.of(c);
            if (bound == null) {
                continue;
            }
            if (bound.lower() && lower == null && usable(bound.value(), upper) && !(multikey && upper != null)) {
                lower = bound.value();
                lowerInclusive = bound.inclusive();
            } else if (!bound.lower()
                    && upper == null
                    && usable(bound.value(), lower)
                    && !(multikey && lower != null)) {
                upper = bound.value();
                upperInclusive = bound.inclusive();
            }
        }
        if (lower == null && upper == null) {
            for (Condition c : conditions) {
                if (c instanceof Condition.StartsWith sw) {
                    byte[] prefix = KeyCodec.encodeStringPrefix(sw.prefix(), descending);
                    return new ShardPlan.Interval(prefix, ByteKeys.successor(prefix));
                }
            }
            return null;
        }
        JsonNode sample = lower != null ? lower : upper;
        if (sample.isNull()) {
            // $gte/$lte null mean = null; $gt/$lt null match nothing.
            boolean inclusive = lower != null ? lowerInclusive : upperInclusive;
            byte[] point = KeyCodec.encode(NullNode.getInstance(), descending);
            return inclusive
                    ? new ShardPlan.Interval(point, ByteKeys.successor(point))
                    : new ShardPlan.Interval(point, point);
        }
        byte[] classStart = {classLow(sample)};
        byte[] classEnd = {(byte) (classHigh(sample) + 1)};
        if (!descending) {
            byte[] start = lower == null ? classStart : bound(lower, false, !lowerInclusive);
            byte[] end = upper == null ? classEnd : bound(upper, false, upperInclusive);
            return new ShardPlan.Interval(start, end);
        }
        // Descending keys are inverted bytes: the largest value comes first, and the class of tags
        // [low, high] becomes the first bytes [~high, ~low].
        byte[] start = upper == null ? new byte[] {(byte) ~classHigh(sample)} : bound(upper, true, !upperInclusive);
        byte[] end = lower == null
                ? new byte[] {(byte) ((~classLow(sample) & 0xFF) + 1)}
                : bound(lower, true, lowerInclusive);
        return new ShardPlan.Interval(start, end);
    }

    /** One side of a range condition. */
    private record Bound(JsonNode value, boolean lower, boolean inclusive) {
        static Bound of(Condition c) {
            return switch (c) {
                case Condition.Gt gt -> new Bound(gt.value(), true, false);
                case Condition.Gte gte -> new Bound(gte.value(), true, true);
                case Condition.Lt lt -> new Bound(lt.value(), false, false);
                case Condition.Lte lte -> new Bound(lte.value(), false, true);
                default -> null;
            };
        }
    }

    /** The encoding of {@code v}, or its successor (past every key that starts with it). */
    private static byte[] bound(JsonNode v, boolean descending, boolean past) {
        byte[] encoded = KeyCodec.encode(v, descending);
        return past ? ByteKeys.successor(encoded) : encoded;
    }

    /** Range bounds combine only within one type class, and never with an array (not indexed whole). */
    private static boolean usable(JsonNode value, JsonNode other) {
        return !value.isArray() && (other == null || classLow(other) == classLow(value));
    }

    private static byte classLow(JsonNode v) {
        byte tag = KeyCodec.typeTag(v);
        return tag == KeyCodec.TRUE_TAG ? KeyCodec.FALSE_TAG : tag;
    }

    private static byte classHigh(JsonNode v) {
        byte tag = KeyCodec.typeTag(v);
        return tag == KeyCodec.FALSE_TAG ? KeyCodec.TRUE_TAG : tag;
    }
}

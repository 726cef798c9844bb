package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Reading values at paths of documents, with MongoDB's array traversal: when a value along the path
 * is an array, the rest of the path applies to each of its object elements; a numeric segment on an
 * array indexes it instead.
 */
public final class Paths {

    private Paths() {}

    /**
     * The result of walking a path: the leaf values reached, and whether some branch was missing.
     * {@code whole}: the leaves are candidates as they are, an array leaf is not unwound into its
     * elements (an {@code $elemMatch} element, which MongoDB compares whole).
     */
    record Walk(List<JsonNode> leaves, boolean missingBranch, boolean metArray, boolean whole) {

        /**
         * One element of an array as the target of a condition inside {@code $elemMatch}: the
         * element is the only candidate, so an element that is an array is compared as an array.
         */
        static Walk element(JsonNode value) {
            return new Walk(List.of(value), false, false, true);
        }

        /** True if {@code $eq null} matches: a candidate is null, or the path is missing somewhere. */
        boolean nullish() {
            if (missingBranch || leaves.isEmpty()) {
                return true;
            }
            for (JsonNode leaf : leaves) {
                if (KeyCodec.isNull(leaf)) {
                    return true;
                }
                if (leaf.isArray() && !whole) {
                    for (JsonNode element : leaf) {
                        if (KeyCodec.isNull(element)) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }

        /** The candidates: each leaf, and for an array leaf its elements too (unless {@code whole}). */
        List<JsonNode> candidates() {
            if (whole) {
                return leaves;
            }
            List<JsonNode> out = new ArrayList<>(leaves.size());
            for (JsonNode leaf : leaves) {
                if (leaf.isArray()) {
                    leaf.forEach(out::add);
                }
                out.add(leaf);
            }
            return out;
        }
    }

    static Walk walk(JsonNode doc, Path path) {
        List<JsonNode> leaves = new ArrayList<>(1);
        boolean[] flags = new boolean[2]; // missingBranch, metArray
        walk(doc, path.segments(), 0, leaves, flags);
        return new Walk(leaves, flags[0], flags[1], false);
    }

    private static void walk(JsonNode node, List<String> segments, int i, List<JsonNode> leaves, boolean[] flags) {
        if (i == segments.size()) {
            if (node.isArray()) {
                flags[1] = true;
            }
            leaves.add(node);
            return;
        }
        String segment = segments.get(i);
        if (node.isObject()) {
            JsonNode child = node.get(segment);
            if (child == null) {
                flags[0] = true;
            } else {
                walk(child, segments, i + 1, leaves, flags);
            }
        } else if (node.isArray()) {
            flags[1] = true;
            int index = Path.arrayIndex(segment);
            if (index >= 0) {
                JsonNode element = node.get(index);
                if (element == null) {
                    flags[0] = true;
                } else {
                    walk(element, segments, i + 1, leaves, flags);
                }
            } else {
                // Only object elements carry fields; scalars and nested arrays are not branches.
                for (JsonNode element : node) {
                    if (element.isObject()) {
                        walk(element, segments, i, leaves, flags);
                    }
                }
            }
        } else {
            flags[0] = true;
        }
    }

    /**
     * The candidates at {@code path}: the leaf values reached; for a leaf that is an array, its
     * elements and the array itself. Comparison operators match if some candidate matches.
     */
    public static List<JsonNode> candidates(JsonNode doc, Path path) {
        return walk(doc, path).candidates();
    }

    /** True if walking {@code path} reaches no value at all (an explicit null is a value). */
    public static boolean isMissing(JsonNode doc, Path path) {
        return walk(doc, path).leaves().isEmpty();
    }

    /**
     * The values a secondary index stores for {@code doc} at {@code path}, de-duplicated and in
     * {@link KeyCodec} order: every candidate that is not an array (so array elements one by one,
     * never a whole array; objects whole), plus null when the path is missing or null on any branch
     * or a leaf is an empty array (or an array holding only arrays), so every document has at least
     * one entry.
     *
     * <p>Invariant: for every filter {@code $eq/$in/$gt/$gte/$lt/$lte/$startsWith} with non-array
     * operands on this path, if it matches {@code doc} then at least one of these values satisfies
     * the condition on its own, so an index scan never misses a match. Filters with array operands
     * (e.g. {@code {tags: ["x","y"]}}) match whole arrays, which the index does not store.
     */
    public static IndexValues indexValues(JsonNode doc, Path path) {
        Walk walk = walk(doc, path);
        TreeSet<JsonNode> values = new TreeSet<>(KeyCodec::compare);
        boolean addNull = walk.missingBranch() || walk.leaves().isEmpty();
        for (JsonNode leaf : walk.leaves()) {
            if (leaf.isArray()) {
                if (leaf.isEmpty()) {
                    addNull = true;
                }
                for (JsonNode element : leaf) {
                    if (!element.isArray()) {
                        values.add(KeyCodec.isNull(element) ? NullNode.instance : element);
                    }
                }
            } else {
                values.add(KeyCodec.isNull(leaf) ? NullNode.instance : leaf);
            }
        }
        if (addNull || values.isEmpty()) {
            // values.isEmpty(): every leaf is an array of arrays; null keeps one entry per document.
            values.add(NullNode.instance);
        }
        return new IndexValues(List.copyOf(values), walk.metArray());
    }

    /**
     * The index entries of one document at one path.
     *
     * @param values the distinct values, in {@link KeyCodec} order, never empty
     * @param multikey true if an array was met along the path or at its end, so the document may
     *     have several entries
     */
    public record IndexValues(List<JsonNode> values, boolean multikey) {
        public IndexValues {
            values = List.copyOf(values);
        }
    }

    /**
     * The value of {@code path} as one JSON value, as aggregation group keys and metrics see it:
     * missing is null; through an array of objects the result is the array of the elements' values
     * (elements lacking the rest of the path are skipped); a numeric segment on an array indexes it.
     */
    public static JsonNode value(JsonNode doc, Path path) {
        JsonNode v = value(doc, path.segments(), 0);
        return v == null ? NullNode.instance : v;
    }

    private static JsonNode value(JsonNode node, List<String> segments, int i) {
        if (i == segments.size()) {
            return node;
        }
        String segment = segments.get(i);
        if (node.isObject()) {
            JsonNode child = node.get(segment);
            return child == null ? null : value(child, segments, i + 1);
        }
        if (node.isArray()) {
            int index = Path.arrayIndex(segment);
            if (index >= 0) {
                JsonNode element = node.get(index);
                return element == null ? null : value(element, segments, i + 1);
            }
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode element : node) {
                if (element.isObject()) {
                    JsonNode v = value(element, segments, i);
                    if (v != null) {
                        out.add(v);
                    }
                }
            }
            return out;
        }
        return null;
    }
}

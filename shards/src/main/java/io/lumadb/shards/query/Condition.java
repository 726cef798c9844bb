package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the value at a path must satisfy: one field operator of JQL. Conditions are evaluated
 * against the candidates at the path (see {@link Paths#candidates}); the semantics of each are in
 * the README (Reference: the JSON query language).
 */
public sealed interface Condition {

    /** Some candidate equals {@code value}; a null value also matches a missing path. */
    record Eq(JsonNode value) implements Condition {}

    /** Not {@link Eq}: matches a missing path unless the value is null. */
    record Ne(JsonNode value) implements Condition {}

    /** Some candidate of the value's type class is greater. */
    record Gt(JsonNode value) implements Condition {}

    /** Some candidate of the value's type class is greater or equal; null: like {@link Eq}. */
    record Gte(JsonNode value) implements Condition {}

    /** Some candidate of the value's type class is less. */
    record Lt(JsonNode value) implements Condition {}

    /** Some candidate of the value's type class is less or equal; null: like {@link Eq}. */
    record Lte(JsonNode value) implements Condition {}

    /**
     * Some candidate equals one of {@code values}, which are kept sorted in {@link KeyCodec} order
     * and de-duplicated (null first, if present).
     */
    record In(List<JsonNode> values) implements Condition {
        public In {
            values = sortedDistinct(values);
        }
    }

    /** Not {@link In}; values sorted and de-duplicated like {@link In}'s. */
    record Nin(List<JsonNode> values) implements Condition {
        public Nin {
            values = sortedDistinct(values);
        }
    }

    /** The path reaches some value ({@code true}) or none ({@code false}). */
    record Exists(boolean exists) implements Condition {}

    /**
     * Some candidate has one of {@code types}: null, boolean, number, integer, string, object,
     * array.
     */
    record Type(Set<String> types) implements Condition {
        /** The accepted type names. */
        public static final Set<String> NAMES =
                Set.of("null", "boolean", "number", "integer", "string", "object", "array");

        public Type {
            types = Set.copyOf(types);
        }
    }

    /**
     * Some string candidate contains a match of {@code pattern} ({@code Matcher.find}); RE2 syntax
     * and linear-time matching (see {@link Regexes}).
     */
    record Regex(Pattern pattern) implements Condition {}

    /** Some string candidate starts with {@code prefix} (by code points). */
    record StartsWith(String prefix) implements Condition {}

    /** For each of {@code values}, some candidate equals it; never matches if empty. */
    record All(List<JsonNode> values) implements Condition {
        public All {
            values = List.copyOf(values);
        }
    }

    /** Some value at the path is an array of exactly {@code size} elements. */
    record Size(int size) implements Condition {}

    /**
     * Some value at the path is an array with an element that satisfies the condition. Exactly one
     * of the components is non-null: {@code valueCondition} when every key of the {@code
     * $elemMatch} object is an operator (the element itself must satisfy it, compared whole: an
     * element that is an array is not searched, as in MongoDB), {@code elementFilter} otherwise (a
     * filter applied to each element that is an object).
     */
    record ElemMatch(Condition valueCondition, Filter elementFilter) implements Condition {
        public ElemMatch {
            if ((valueCondition == null) == (elementFilter == null)) {
                throw new IllegalArgumentException("exactly one of valueCondition and elementFilter must be set");
            }
        }
    }

    /** {@code condition} does not hold (field-level {@code $not}); matches a missing path. */
    record Not(Condition condition) implements Condition {
        public Not {
            Objects.requireNonNull(condition, "condition");
        }
    }

    /** Every one of {@code conditions} holds: several operators on one field. */
    record AllOf(List<Condition> conditions) implements Condition {
        public AllOf {
            conditions = List.copyOf(conditions);
        }
    }

    private static List<JsonNode> sortedDistinct(List<JsonNode> values) {
        List<JsonNode> sorted = new ArrayList<>(values);
        sorted.sort(KeyCodec::compare);
        List<JsonNode> out = new ArrayList<>(sorted.size());
        for (JsonNode v : sorted) {
            if (out.isEmpty() || KeyCodec.compare(out.getLast(), v) != 0) {
                out.add(v);
            }
        }
        return List.copyOf(out);
    }
}

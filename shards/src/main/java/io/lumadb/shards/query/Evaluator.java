package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import java.util.Collections;
import java.util.List;

/** Evaluates {@link Condition}s against the result of walking a path. */
final class Evaluator {

    private Evaluator() {}

    static boolean test(Condition condition, Paths.Walk walk, Deadline deadline) {
        return switch (condition) {
            case Condition.Eq c -> eq(c.value(), walk);
            case Condition.Ne c -> !eq(c.value(), walk);
            case Condition.Gt c -> compare(c.value(), walk, false, 1);
            case Condition.Gte c -> compare(c.value(), walk, true, 1);
            case Condition.Lt c -> compare(c.value(), walk, false, -1);
            case Condition.Lte c -> compare(c.value(), walk, true, -1);
            case Condition.In c -> in(c.values(), walk);
            case Condition.Nin c -> !in(c.values(), walk);
            case Condition.Exists c -> walk.leaves().isEmpty() != c.exists();
            case Condition.Type c -> type(c, walk);
            case Condition.Regex c -> regex(c.pattern(), walk, deadline);
            case Condition.StartsWith c -> startsWith(c.prefix(), walk);
            case Condition.All c -> all(c.values(), walk);
            case Condition.Size c -> size(c.size(), walk);
            case Condition.ElemMatch c -> elemMatch(c, walk, deadline);
            case Condition.Not c -> !test(c.condition(), walk, deadline);
            case Condition.AllOf c -> allOf(c.conditions(), walk, deadline);
        };
    }

    private static boolean eq(JsonNode value, Paths.Walk walk) {
        if (KeyCodec.isNull(value)) {
            return walk.nullish();
        }
        for (JsonNode candidate : walk.candidates()) {
            if (KeyCodec.equal(candidate, value)) {
                return true;
            }
        }
        return false;
    }

    /** {@code sign} 1: greater (or equal); -1: less (or equal); only candidates of value's type class. */
    private static boolean compare(JsonNode value, Paths.Walk walk, boolean orEqual, int sign) {
        int typeClass = KeyCodec.typeClass(value);
        if (typeClass == KeyCodec.NULL_CLASS) {
            return orEqual && walk.nullish();
        }
        for (JsonNode candidate : walk.candidates()) {
            if (KeyCodec.typeClass(candidate) == typeClass) {
                int c = Integer.signum(KeyCodec.compare(candidate, value));
                if (c == sign || (orEqual && c == 0)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean in(List<JsonNode> sortedValues, Paths.Walk walk) {
        if (sortedValues.isEmpty()) {
            return false;
        }
        if (KeyCodec.isNull(sortedValues.getFirst()) && walk.nullish()) {
            return true;
        }
        for (JsonNode candidate : walk.candidates()) {
            if (Collections.binarySearch(sortedValues, candidate, KeyCodec::compare) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean type(Condition.Type condition, Paths.Walk walk) {
        for (JsonNode candidate : walk.candidates()) {
            if (condition.types().contains(typeName(candidate))) {
                return true;
            }
            if (candidate.isNumber() && condition.types().contains("integer") && isInteger(candidate)) {
                return true;
            }
        }
        return false;
    }

    static String typeName(JsonNode v) {
        return switch (KeyCodec.typeClass(v)) {
            case KeyCodec.NUMBER_CLASS -> "number";
            case KeyCodec.STRING_CLASS -> "string";
            case KeyCodec.OBJECT_CLASS -> "object";
            case KeyCodec.ARRAY_CLASS -> "array";
            case KeyCodec.BOOLEAN_CLASS -> "boolean";
            default -> "null";
        };
    }

    private static boolean isInteger(JsonNode number) {
        if (number.isIntegralNumber()) {
            return true;
        }
        if (number.isBigDecimal()) {
            return number.decimalValue().stripTrailingZeros().scale() <= 0;
        }
        double d = number.doubleValue();
        return Double.isFinite(d) && d == Math.rint(d);
    }

    private static boolean regex(Pattern pattern, Paths.Walk walk, Deadline deadline) {
        for (JsonNode candidate : walk.candidates()) {
            if (candidate.isTextual()
                    && pattern.matcher(new DeadlineCharSequence(candidate.textValue(), deadline))
                            .find()) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(String prefix, Paths.Walk walk) {
        for (JsonNode candidate : walk.candidates()) {
            if (candidate.isTextual() && KeyCodec.startsWithCodePoints(candidate.textValue(), prefix)) {
                return true;
            }
        }
        return false;
    }

    private static boolean all(List<JsonNode> values, Paths.Walk walk) {
        if (values.isEmpty()) {
            return false;
        }
        for (JsonNode v : values) {
            if (!eq(v, walk)) {
                return false;
            }
        }
        return true;
    }

    private static boolean size(int size, Paths.Walk walk) {
        for (JsonNode leaf : walk.leaves()) {
            if (leaf.isArray() && leaf.size() == size) {
                return true;
            }
        }
        return false;
    }

    private static boolean elemMatch(Condition.ElemMatch condition, Paths.Walk walk, Deadline deadline) {
        for (JsonNode leaf : walk.leaves()) {
            if (!leaf.isArray()) {
                continue;
            }
            for (JsonNode element : leaf) {
                if (condition.valueCondition() != null) {
                    // MongoDB: the operators apply to the element whole; a nested array is not unwound.
                    if (test(condition.valueCondition(), Paths.Walk.element(element), deadline)) {
                        return true;
                    }
                } else if (element.isObject() && condition.elementFilter().matches(element, deadline)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean allOf(List<Condition> conditions, Paths.Walk walk, Deadline deadline) {
        for (Condition c : conditions) {
            if (!test(c, walk, deadline)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A string as a CharSequence that checks the deadline every 1024 reads. RE2/J reads its input
     * through {@code charAt} and its work per character is bounded by the size of the pattern, so
     * one long match still stops soon after the query's deadline.
     */
    static final class DeadlineCharSequence implements CharSequence {
        private final String text;
        private final Deadline deadline;
        private final int[] reads;

        DeadlineCharSequence(String text, Deadline deadline) {
            this(text, deadline, new int[1]);
        }

        private DeadlineCharSequence(String text, Deadline deadline, int[] reads) {
            this.text = text;
            this.deadline = deadline;
            this.reads = reads;
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public char charAt(int index) {
            if ((++reads[0] & 1023) == 0) {
                deadline.check();
            }
            return text.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new DeadlineCharSequence(text.substring(start, end), deadline, reads);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}

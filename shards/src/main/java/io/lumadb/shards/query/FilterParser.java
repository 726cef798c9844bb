package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Parses JQL filters into {@link Filter} trees, enforcing {@link QueryLimits}; one per parse. */
final class FilterParser {

    private static final String LOGICAL = "$and, $or, $nor, $not";
    private static final String FIELD_OPERATORS = "$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $type,"
            + " $regex (with $options), $startsWith, $all, $size, $elemMatch, $not";

    private final QueryLimits limits;
    private int nodes;

    FilterParser(QueryLimits limits) {
        this.limits = limits;
    }

    Filter parseFilter(JsonNode filter, String pointer, int depth) {
        if (filter == null || !filter.isObject()) {
            throw new QueryException(pointer, "a filter must be a JSON object, got " + describe(filter));
        }
        if (depth > limits.maxFilterDepth()) {
            throw new QueryException(
                    pointer, "the filter nests deeper than the limit of " + limits.maxFilterDepth() + " levels");
        }
        List<Filter> parts = new ArrayList<>(filter.size());
        for (Map.Entry<String, JsonNode> entry : filter.properties()) {
            String key = entry.getKey();
            String at = QueryException.child(pointer, key);
            if (key.startsWith("$")) {
                parts.add(parseLogical(key, entry.getValue(), at, depth));
            } else {
                Path path = Path.parse(key, at);
                parts.add(new Filter.Field(path, parseFieldValue(entry.getValue(), at, depth)));
            }
        }
        return switch (parts.size()) {
            case 0 -> new Filter.All();
            case 1 -> parts.getFirst();
            default -> new Filter.And(parts);
        };
    }

    private Filter parseLogical(String operator, JsonNode value, String at, int depth) {
        count(at);
        switch (operator) {
            case "$and", "$or", "$nor" -> {
                if (!value.isArray() || value.isEmpty()) {
                    throw new QueryException(
                            at, operator + " takes a non-empty array of filter objects, got " + describe(value));
                }
                List<Filter> filters = new ArrayList<>(value.size());
                for (int i = 0; i < value.size(); i++) {
                    filters.add(parseFilter(value.get(i), QueryException.child(at, i), depth + 1));
                }
                return switch (operator) {
                    case "$and" -> new Filter.And(filters);
                    case "$or" -> new Filter.Or(filters);
                    default -> new Filter.Nor(filters);
                };
            }
            case "$not" -> {
                return new Filter.Not(parseFilter(value, at, depth + 1));
            }
            default ->
                throw new QueryException(
                        at,
                        "unknown top-level operator '" + operator + "'; allowed: " + LOGICAL
                                + " (field operators go inside a field: {\"age\": {\"$gt\": 5}})");
        }
    }

    /** The value of a field in a filter: an operator object, or a literal to compare for equality. */
    private Condition parseFieldValue(JsonNode value, String at, int depth) {
        if (isOperatorObject(value, at)) {
            return parseOperators(value, at, depth);
        }
        count(at);
        return new Condition.Eq(value);
    }

    /** True if {@code value} is a non-empty object whose keys all start with $; mixing is an error. */
    private static boolean isOperatorObject(JsonNode value, String at) {
        if (!value.isObject() || value.isEmpty()) {
            return false;
        }
        int operators = 0;
        String plain = null;
        for (Map.Entry<String, JsonNode> e : value.properties()) {
            if (e.getKey().startsWith("$")) {
                operators++;
            } else {
                plain = e.getKey();
            }
        }
        if (operators > 0 && plain != null) {
            throw new QueryException(
                    QueryException.child(at, plain),
                    "'" + plain + "' is mixed with operators in one object; use either only operators ("
                            + FIELD_OPERATORS + ") or a literal value to compare with");
        }
        return operators > 0;
    }

    private Condition parseOperators(JsonNode object, String at, int depth) {
        List<Condition> conditions = new ArrayList<>(object.size());
        JsonNode options = object.get("$options");
        if (options != null && object.get("$regex") == null) {
            throw new QueryException(QueryException.child(at, "$options"), "$options is only allowed next to $regex");
        }
        for (Map.Entry<String, JsonNode> entry : object.properties()) {
            String op = entry.getKey();
            if (op.equals("$options")) {
                continue;
            }
            conditions.add(parseOperator(op, entry.getValue(), options, QueryException.child(at, op), at, depth));
        }
        return conditions.size() == 1 ? conditions.getFirst() : new Condition.AllOf(conditions);
    }

    private Condition parseOperator(String op, JsonNode v, JsonNode options, String at, String fieldAt, int depth) {
        count(at);
        return switch (op) {
            case "$eq" -> new Condition.Eq(v);
            case "$ne" -> new Condition.Ne(v);
            case "$gt" -> new Condition.Gt(v);
            case "$gte" -> new Condition.Gte(v);
            case "$lt" -> new Condition.Lt(v);
            case "$lte" -> new Condition.Lte(v);
            case "$in" -> new Condition.In(values(op, v, at));
            case "$nin" -> new Condition.Nin(values(op, v, at));
            case "$all" -> new Condition.All(values(op, v, at));
            case "$exists" -> {
                if (!v.isBoolean()) {
                    throw new QueryException(at, "$exists takes true or false, got " + describe(v));
                }
                yield new Condition.Exists(v.booleanValue());
            }
            case "$type" -> new Condition.Type(types(v, at));
            case "$regex" -> new Condition.Regex(regex(v, options, at, QueryException.child(fieldAt, "$options")));
            case "$startsWith" -> {
                if (!v.isTextual()) {
                    throw new QueryException(at, "$startsWith takes a string, got " + describe(v));
                }
                yield new Condition.StartsWith(v.textValue());
            }
            case "$size" -> {
                if (!v.canConvertToInt() || !isWholeNumber(v) || v.intValue() < 0) {
                    throw new QueryException(at, "$size takes a non-negative integer, got " + describe(v));
                }
                yield new Condition.Size(v.intValue());
            }
            case "$elemMatch" -> elemMatch(v, at, depth);
            case "$not" -> {
                if (!v.isObject() || v.isEmpty() || !isOperatorObject(v, at)) {
                    throw new QueryException(
                            at,
                            "$not on a field takes an object of operators, e.g. {\"$not\": {\"$gt\": 5}}, got "
                                    + describe(v));
                }
                if (depth + 1 > limits.maxFilterDepth()) {
                    throw new QueryException(
                            at, "the filter nests deeper than the limit of " + limits.maxFilterDepth() + " levels");
                }
                yield new Condition.Not(parseOperators(v, at, depth + 1));
            }
            case "$and", "$or", "$nor" ->
                throw new QueryException(
                        at, op + " is a top-level operator; write {\"" + op + "\": [{...}, ...]} around field filters");
            default -> throw new QueryException(at, "unknown operator '" + op + "'; allowed: " + FIELD_OPERATORS);
        };
    }

    private static boolean isWholeNumber(JsonNode v) {
        return v.isIntegralNumber() || (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()));
    }

    private List<JsonNode> values(String op, JsonNode v, String at) {
        if (!v.isArray()) {
            throw new QueryException(at, op + " takes an array of values, got " + describe(v));
        }
        List<JsonNode> values = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            count(QueryException.child(at, i));
            values.add(v.get(i));
        }
        return values;
    }

    private static Set<String> types(JsonNode v, String at) {
        Set<String> types = new LinkedHashSet<>();
        if (v.isTextual()) {
            types.add(typeName(v, at));
        } else if (v.isArray() && !v.isEmpty()) {
            for (int i = 0; i < v.size(); i++) {
                types.add(typeName(v.get(i), QueryException.child(at, i)));
            }
        } else {
            throw new QueryException(at, "$type takes a type name or a non-empty array of them, got " + describe(v));
        }
        return types;
    }

    private static String typeName(JsonNode v, String at) {
        if (!v.isTextual() || !Condition.Type.NAMES.contains(v.textValue())) {
            throw new QueryException(
                    at,
                    "unknown type " + describe(v)
                            + "; allowed: \"null\", \"boolean\", \"number\", \"integer\", \"string\", \"object\","
                            + " \"array\"");
        }
        return v.textValue();
    }

    private Pattern regex(JsonNode v, JsonNode options, String at, String optionsAt) {
        if (!v.isTextual()) {
            throw new QueryException(at, "$regex takes a string pattern, got " + describe(v));
        }
        String pattern = v.textValue();
        if (pattern.length() > limits.maxRegexLength()) {
            throw new QueryException(
                    at, "the pattern is " + pattern.length() + " chars long; the limit is " + limits.maxRegexLength());
        }
        return Regexes.compile(pattern, options, at, optionsAt);
    }

    private Condition elemMatch(JsonNode v, String at, int depth) {
        if (!v.isObject() || v.isEmpty()) {
            throw new QueryException(
                    at,
                    "$elemMatch takes a non-empty object: operators for the element ({\"$gt\": 5}) or a filter"
                            + " for object elements ({\"sku\": \"a\"}), got " + describe(v));
        }
        if (depth + 1 > limits.maxFilterDepth()) {
            throw new QueryException(
                    at, "the filter nests deeper than the limit of " + limits.maxFilterDepth() + " levels");
        }
        boolean allOperators = true;
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            String key = e.getKey();
            if (!key.startsWith("$") || key.equals("$and") || key.equals("$or") || key.equals("$nor")) {
                allOperators = false;
            }
        }
        if (allOperators) {
            return new Condition.ElemMatch(parseOperators(v, at, depth + 1), null);
        }
        return new Condition.ElemMatch(null, parseFilter(v, at, depth + 1));
    }

    private void count(String at) {
        if (++nodes > limits.maxFilterNodes()) {
            throw new QueryException(
                    at, "the filter has more than " + limits.maxFilterNodes() + " operators and values (the limit)");
        }
    }

    static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        String text = v.toString();
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        return Evaluator.typeName(v) + " " + text;
    }
}

package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The whole request body of {@code POST /_query}, parsed and validated. Exactly one of four kinds:
 * a document query (filter, sort, fields, limit, after), or {@code count}, {@code aggregate} or
 * {@code distinct} over the filter's matches.
 *
 * @param source the request body as received
 * @param filter the filter ({@code {}} when absent)
 * @param sort the sort order ({@link SortSpec#BY_ID} when absent)
 * @param projection the fields to return
 * @param limit documents per page
 * @param after the opaque cursor of the previous page ({@code next}), or null
 * @param count true to return only the number of matches
 * @param aggregate the aggregation, or null
 * @param distinct the distinct request, or null
 * @param explain true to describe the plan with the answer
 * @param hint {@code "scan"} or an index name to force, or null
 * @param timeoutMillis the requested timeout, or null for the server's default
 */
public record QuerySpec(
        JsonNode source,
        Filter filter,
        SortSpec sort,
        Projection projection,
        int limit,
        String after,
        boolean count,
        AggregateSpec aggregate,
        DistinctSpec distinct,
        boolean explain,
        String hint,
        Long timeoutMillis) {

    private static final List<String> FIELDS = List.of(
            "filter",
            "sort",
            "fields",
            "limit",
            "after",
            "count",
            "aggregate",
            "distinct",
            "explain",
            "hint",
            "timeoutMs");

    /** Parses a request body; every problem is a {@link QueryException} pointing at its field. */
    public static QuerySpec parse(JsonNode body, QueryLimits limits) {
        if (body == null || !body.isObject()) {
            throw new QueryException("", "the query must be a JSON object with fields " + String.join(", ", FIELDS));
        }
        for (Map.Entry<String, JsonNode> e : body.properties()) {
            if (!FIELDS.contains(e.getKey())) {
                throw new QueryException(
                        QueryException.child("", e.getKey()),
                        "unknown field '" + e.getKey() + "'; allowed: " + String.join(", ", FIELDS));
            }
        }
        JsonNode filterJson = body.get("filter");
        Filter filter = filterJson == null ? new Filter.All() : Filter.parse(filterJson, "/filter", limits);
        SortSpec sort = SortSpec.parse(body.get("sort"), "/sort");
        Projection projection = Projection.parse(body.get("fields"), "/fields");

        int limit = limits.defaultLimit();
        JsonNode limitJson = body.get("limit");
        if (limitJson != null) {
            if (!limitJson.isIntegralNumber()
                    || !limitJson.canConvertToInt()
                    || limitJson.intValue() < 1
                    || limitJson.intValue() > limits.maxLimit()) {
                throw new QueryException(
                        "/limit", "limit must be an integer from 1 to " + limits.maxLimit() + ", got " + limitJson);
            }
            limit = limitJson.intValue();
        }
        String after = optionalString(body, "after");
        boolean count = optionalBoolean(body, "count");
        boolean explain = optionalBoolean(body, "explain");
        String hint = optionalString(body, "hint");
        if (hint != null && hint.isEmpty()) {
            throw new QueryException("/hint", "hint must be \"scan\" or the name of an index");
        }
        Long timeoutMillis = null;
        JsonNode timeout = body.get("timeoutMs");
        if (timeout != null) {
            if (!timeout.isIntegralNumber() || !timeout.canConvertToLong() || timeout.longValue() <= 0) {
                throw new QueryException("/timeoutMs", "timeoutMs must be a positive integer (milliseconds)");
            }
            timeoutMillis = timeout.longValue();
        }
        AggregateSpec aggregate =
                body.has("aggregate") ? AggregateSpec.parse(body.get("aggregate"), "/aggregate", limits) : null;
        DistinctSpec distinct = body.has("distinct") ? DistinctSpec.parse(body.get("distinct"), "/distinct") : null;

        List<String> kinds = new ArrayList<>();
        if (count) {
            kinds.add("count");
        }
        if (aggregate != null) {
            kinds.add("aggregate");
        }
        if (distinct != null) {
            kinds.add("distinct");
        }
        if (kinds.size() > 1) {
            throw new QueryException(
                    "/" + kinds.get(1),
                    kinds.get(1) + " cannot be combined with " + kinds.getFirst()
                            + "; a query is one of: documents, count, aggregate, distinct");
        }
        if (!kinds.isEmpty()) {
            for (String documentOnly : List.of("sort", "fields", "limit", "after")) {
                if (body.has(documentOnly)) {
                    throw new QueryException(
                            "/" + documentOnly,
                            documentOnly + " applies to document queries only and cannot be combined with "
                                    + kinds.getFirst());
                }
            }
        }
        return new QuerySpec(
                body, filter, sort, projection, limit, after, count, aggregate, distinct, explain, hint, timeoutMillis);
    }

    /** Parses a body given only a filter, e.g. for tests and internal callers. */
    public static QuerySpec ofFilter(JsonNode filter, QueryLimits limits) {
        return parse(JsonNodeFactory.instance.objectNode().set("filter", filter), limits);
    }

    private static String optionalString(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw new QueryException("/" + field, field + " must be a string, got " + FilterParser.describe(v));
        }
        return v.textValue();
    }

    private static boolean optionalBoolean(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new QueryException("/" + field, field + " must be true or false, got " + FilterParser.describe(v));
        }
        return v.booleanValue();
    }

    /** True if this query returns documents (not count, aggregate or distinct). */
    public boolean isDocumentQuery() {
        return !count && aggregate == null && distinct == null;
    }
}

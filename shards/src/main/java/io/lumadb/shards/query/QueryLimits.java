package io.lumadb.shards.query;

/**
 * The configurable limits a query must stay within; a query beyond one is rejected with a {@link
 * QueryException} instead of being run.
 *
 * @param defaultLimit documents per page when the request gives no {@code limit}
 * @param maxLimit largest accepted {@code limit}
 * @param maxFilterDepth deepest nesting of {@code $and/$or/$nor/$not/$elemMatch} levels (the
 *     top-level filter is level 1)
 * @param maxFilterNodes most operators plus operand values in a filter ({@code $in}, {@code $nin} and
 *     {@code $all} count each element)
 * @param maxRegexLength longest {@code $regex} pattern, in chars
 * @param maxGroups most groups of an aggregation, or values of a distinct, per shard and merged
 * @param maxPercentileValues most values a {@code $percentile} may hold (all groups and metrics
 *     together)
 */
public record QueryLimits(
        int defaultLimit,
        int maxLimit,
        int maxFilterDepth,
        int maxFilterNodes,
        int maxRegexLength,
        int maxGroups,
        int maxPercentileValues) {

    /** The limits used when the configuration sets none. */
    public static final QueryLimits DEFAULTS = new QueryLimits(100, 10_000, 16, 1_000, 1_000, 10_000, 1_000_000);

    public QueryLimits {
        positive("defaultLimit", defaultLimit);
        positive("maxLimit", maxLimit);
        positive("maxFilterDepth", maxFilterDepth);
        positive("maxFilterNodes", maxFilterNodes);
        positive("maxRegexLength", maxRegexLength);
        positive("maxGroups", maxGroups);
        positive("maxPercentileValues", maxPercentileValues);
        if (defaultLimit > maxLimit) {
            throw new IllegalArgumentException(
                    "defaultLimit " + defaultLimit + " must not exceed maxLimit " + maxLimit);
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}

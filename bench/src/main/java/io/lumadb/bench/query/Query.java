package io.lumadb.bench.query;

/** The queries the benchmark measures, by their names in reports. */
public enum Query {
    /** Equality on a unique field: {@code sku = ?}, one document. */
    POINT("point", "sku = ? (unique; 1 document)"),
    /** A price window, sorted by price, first 20: about 50 documents match before the limit. */
    RANGE("range", "price >= ? and price < ?, sort by price, limit 20"),
    /**
     * A join with grouping, in SQL only: the items of a price window (about 500) joined to their
     * categories, grouped by the categories' region; one row per region.
     */
    JOIN(
            "join",
            "items with price >= ? and price < ? (about 500) JOIN categories ON category, GROUP BY region:"
                    + " COUNT(*), SUM(stock)");

    /** The queries a secondary index answers in JQL (the join is SQL's alone). */
    public static final java.util.List<Query> INDEXED = java.util.List.of(POINT, RANGE);

    private final String id;
    private final String description;

    Query(String id, String description) {
        this.id = id;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }
}

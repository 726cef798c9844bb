package io.lumadb.bench.query;

/** The two queries the benchmark measures, by their names in reports. */
public enum Query {
    /** Equality on a unique field: {@code sku = ?}, one document. */
    POINT("point", "sku = ? (unique; 1 document)"),
    /** A price window, sorted by price, first 20: about 50 documents match before the limit. */
    RANGE("range", "price >= ? and price < ?, sort by price, limit 20");

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

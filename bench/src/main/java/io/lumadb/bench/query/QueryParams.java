package io.lumadb.bench.query;

/** The parameters of one query: an SKU for {@link Query#POINT}, a price window [lo, hi) for {@link Query#RANGE}. */
record QueryParams(Query query, String sku, double lo, double hi) {

    static QueryParams point(String sku) {
        return new QueryParams(Query.POINT, sku, Double.NaN, Double.NaN);
    }

    static QueryParams range(double lo, double hi) {
        return new QueryParams(Query.RANGE, null, lo, hi);
    }

    static QueryParams join(double lo, double hi) {
        return new QueryParams(Query.JOIN, null, lo, hi);
    }

    @Override
    public String toString() {
        return query == Query.POINT ? "sku=" + sku : "price in [" + lo + ", " + hi + ")";
    }
}

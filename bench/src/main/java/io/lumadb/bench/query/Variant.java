package io.lumadb.bench.query;

/** How a query is answered: the three measurements of each query. */
public enum Variant {
    /** LumaDB, planned on its secondary index. */
    LUMADB_INDEX("lumadb-index", "LumaDB, secondary index"),
    /** LumaDB, the same query with {@code "hint":"scan"}: every document of every shard examined. */
    LUMADB_SCAN("lumadb-scan", "LumaDB, full scan"),
    /**
     * LumaDB, the same query as SQL over HTTP ({@code POST _sql} with parameters, so its plan is
     * cached): the filter is pushed into JQL and answered on the same index.
     */
    LUMADB_SQL("lumadb-sql", "LumaDB, SQL over HTTP"),
    /**
     * LumaDB, the same SQL over the PostgreSQL protocol with the PostgreSQL JDBC driver, as a
     * prepared statement per client thread (named on the server after its fifth use).
     */
    LUMADB_PGWIRE("lumadb-pgwire", "LumaDB, SQL over the PostgreSQL protocol (JDBC)"),
    /** PostgreSQL, jsonb with an expression B-tree index equivalent to LumaDB's. */
    POSTGRESQL("postgresql", "PostgreSQL, B-tree index");

    private final String id;
    private final String description;

    Variant(String id, String description) {
        this.id = id;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    /** Whether this variant answers {@code q}: JQL has no joins, so the join is measured in SQL alone. */
    public boolean answers(Query q) {
        return q != Query.JOIN || (this != LUMADB_INDEX && this != LUMADB_SCAN);
    }
}

package io.lumadb.bench.query;

import static io.lumadb.bench.query.QueryBenchmark.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * PostgreSQL's side of the query benchmark, the reference: the items in a table {@code (id text
 * primary key, doc jsonb)} with expression B-tree indexes equivalent to LumaDB's secondary
 * indexes ({@code doc->>'sku'} and {@code (doc->>'price')::float8}), analyzed; queried over JDBC
 * with one connection per client thread and prepared statements, returning {@code id, doc} as
 * LumaDB returns whole documents.
 */
final class PostgresQueries implements QuerySystem {

    static final String TABLE = "query_bench";
    static final String PRICE = "(doc->>'price')::float8";

    static final String POINT_SQL = "SELECT id, doc FROM " + TABLE + " WHERE doc->>'sku' = ?";
    static final String RANGE_SQL = "SELECT id, doc FROM " + TABLE + " WHERE " + PRICE + " >= ? AND " + PRICE
            + " < ? ORDER BY " + PRICE + ", id LIMIT " + ItemData.RANGE_LIMIT;

    /** The join's other table: the items' categories, {@code (id text primary key, doc jsonb)}. */
    static final String CATEGORIES = TABLE + "_categories";

    static final String JOIN_SQL = "SELECT c.doc->>'region' AS region, COUNT(*) AS n,"
            + " SUM((i.doc->>'stock')::bigint) AS stock FROM " + TABLE + " i JOIN " + CATEGORIES
            + " c ON c.id = i.doc->>'category' WHERE (i.doc->>'price')::float8 >= ? AND (i.doc->>'price')::float8 < ?"
            + " GROUP BY 1 ORDER BY 1";

    private static final int BATCH = 1000;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String url;
    private final String user;
    private final int timeoutSeconds;
    private final Connection setup;

    PostgresQueries(String url, String user, Duration timeout) throws SQLException {
        this.url = url;
        this.user = user;
        this.timeoutSeconds = (int) Math.max(1, timeout.toSeconds());
        this.setup = connect(false);
    }

    private Connection connect(boolean rewriteBatches) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", "");
        p.setProperty("socketTimeout", Integer.toString(timeoutSeconds));
        if (rewriteBatches) {
            p.setProperty("reWriteBatchedInserts", "true");
        }
        return DriverManager.getConnection(url, p);
    }

    /** The index {@code q} should use, and the expression it indexes. */
    private static String index(Query q) {
        return TABLE + (q == Query.POINT ? "_sku" : "_price");
    }

    private static String expression(Query q) {
        return q == Query.POINT ? "doc->>'sku'" : PRICE;
    }

    @Override
    public List<Variant> variants() {
        return List.of(Variant.POSTGRESQL);
    }

    @Override
    public String created() {
        return "PostgreSQL table " + TABLE;
    }

    /** Creates the table anew and inserts every item in one transaction, {@value #BATCH} rows per batch. */
    @Override
    public void load(ItemData data, Map<String, String> settings) throws SQLException {
        long t0 = System.nanoTime();
        execute(
                "DROP TABLE IF EXISTS " + TABLE,
                "DROP TABLE IF EXISTS " + CATEGORIES,
                "CREATE TABLE " + TABLE + " (id text PRIMARY KEY, doc jsonb NOT NULL)",
                "CREATE TABLE " + CATEGORIES + " (id text PRIMARY KEY, doc jsonb NOT NULL)");
        try (PreparedStatement ps =
                setup.prepareStatement("INSERT INTO " + CATEGORIES + " (id, doc) VALUES (?, ?::jsonb)")) {
            for (int c = 0; c < ItemData.CATEGORIES; c++) {
                ps.setString(1, ItemData.categoryId(c));
                ps.setString(2, ItemData.categoryBody(c));
                ps.executeUpdate();
            }
        }
        try (Connection c = connect(true)) {
            c.setAutoCommit(false);
            try (PreparedStatement ps =
                    c.prepareStatement("INSERT INTO " + TABLE + " (id, doc) VALUES (?, ?::jsonb)")) {
                for (int i = 0; i < data.size(); i++) {
                    ps.setString(1, data.id(i));
                    ps.setString(2, data.body(i));
                    ps.addBatch();
                    if ((i + 1) % BATCH == 0 || i + 1 == data.size()) {
                        ps.executeBatch();
                    }
                }
            }
            c.commit();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        settings.put(
                "postgresql.table",
                TABLE + " (id text primary key, doc jsonb), loaded in " + QueryBenchmark.seconds(s));
        log("PostgreSQL: %,d rows loaded in %.1f s", data.size(), s);
    }

    /** Builds each index with CREATE INDEX, then analyzes the table. */
    @Override
    public void index(ItemData data, Map<String, Double> buildSeconds, Map<String, String> settings)
            throws SQLException {
        List<String> indexes = new ArrayList<>();
        for (Query q : Query.INDEXED) {
            long t0 = System.nanoTime();
            execute("CREATE INDEX " + index(q) + " ON " + TABLE + " ((" + expression(q) + "))");
            buildSeconds.put("postgresql." + index(q), QueryBenchmark.secs(Duration.ofNanos(System.nanoTime() - t0)));
            indexes.add("B-tree " + index(q) + " ((" + expression(q) + "))");
        }
        execute("ANALYZE " + TABLE, "ANALYZE " + CATEGORIES);
        settings.put("postgresql.indexes", String.join(", ", indexes) + ", then ANALYZE");
        settings.put("postgresql.point", POINT_SQL);
        settings.put("postgresql.range", RANGE_SQL);
        settings.put("postgresql.join", JOIN_SQL);
        log("PostgreSQL: indexes built and analyzed");
    }

    @Override
    public void drop() throws SQLException {
        execute("DROP TABLE IF EXISTS " + TABLE, "DROP TABLE IF EXISTS " + CATEGORIES);
    }

    private void execute(String... statements) throws SQLException {
        try (Statement s = setup.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /** Checks that PostgreSQL's plan for {@code p} (EXPLAIN, parameters bound) uses the query's index. */
    @Override
    public QueryReport.PlanCheck plan(QueryParams p, Variant v, List<String> failures) throws SQLException {
        StringBuilder plan = new StringBuilder();
        try (PreparedStatement ps = bind(setup.prepareStatement("EXPLAIN " + sql(p.query())), p);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                plan.append(plan.isEmpty() ? "" : "\n").append(rs.getString(1));
            }
        }
        String index = index(p.query());
        boolean ok = plan.toString().contains(" " + index + " ");
        if (!ok) {
            failures.add(p.query().id() + ": PostgreSQL's plan does not use " + index + ":\n" + plan);
        }
        return new QueryReport.PlanCheck(p.query().id(), v.id(), nodes(plan.toString()), -1, -1, -1, ok);
    }

    /** PostgreSQL's plan as its nodes on one line: "Limit > Sort > Bitmap Heap Scan on query_bench > ...". */
    static String nodes(String plan) {
        List<String> nodes = new ArrayList<>();
        for (String line : plan.split("\n")) {
            String t = line.strip();
            if (t.startsWith("->")) {
                t = t.substring(2).strip();
            }
            if (t.isEmpty() || Character.isLowerCase(t.charAt(0)) || t.contains(": ") && !t.contains("(cost")) {
                continue; // Filter:, Index Cond:, Sort Key: ...
            }
            int cost = t.indexOf("  (cost");
            nodes.add(cost > 0 ? t.substring(0, cost) : t);
        }
        return String.join(" > ", nodes);
    }

    /** The answer to {@code p}: each row's {@code doc} with its {@code id} as {@code _id}, as LumaDB answers. */
    @Override
    public List<JsonNode> documents(QueryParams p, Variant v) throws SQLException, IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (PreparedStatement ps = bind(setup.prepareStatement(sql(p.query())), p);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                docs.add(((ObjectNode) MAPPER.readTree(rs.getString(2))).put("_id", rs.getString(1)));
            }
        }
        return docs;
    }

    static String sql(Query q) {
        return switch (q) {
            case POINT -> POINT_SQL;
            case RANGE -> RANGE_SQL;
            case JOIN -> JOIN_SQL;
        };
    }

    @Override
    public List<String> rows(QueryParams p, Variant v) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (PreparedStatement ps = bind(setup.prepareStatement(sql(p.query())), p);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(rs.getString(1) + "|" + rs.getLong(2) + "|" + rs.getLong(3));
            }
        }
        return rows;
    }

    static PreparedStatement bind(PreparedStatement ps, QueryParams p) throws SQLException {
        if (p.query() == Query.POINT) {
            ps.setString(1, p.sku());
        } else {
            ps.setDouble(1, p.lo());
            ps.setDouble(2, p.hi());
        }
        return ps;
    }

    /** A client thread's connection, with both statements prepared. */
    @Override
    public Client client(Variant v) throws SQLException {
        Connection c = connect(false);
        try {
            JdbcClient client = new JdbcClient(
                    c, c.prepareStatement(POINT_SQL), c.prepareStatement(RANGE_SQL), c.prepareStatement(JOIN_SQL));
            client.point().setQueryTimeout(timeoutSeconds);
            client.range().setQueryTimeout(timeoutSeconds);
            client.join().setQueryTimeout(timeoutSeconds);
            return client;
        } catch (SQLException e) {
            close(c);
            throw e;
        }
    }

    private record JdbcClient(
            Connection connection, PreparedStatement point, PreparedStatement range, PreparedStatement join)
            implements Client {
        @Override
        public int run(QueryParams p) throws SQLException {
            int count = 0;
            PreparedStatement ps =
                    switch (p.query()) {
                        case POINT -> point;
                        case RANGE -> range;
                        case JOIN -> join;
                    };
            try (ResultSet rs = bind(ps, p).executeQuery()) {
                while (rs.next()) {
                    // Read both columns, as the LumaDB client reads every byte of its answer.
                    if (rs.getString(1) == null || rs.getString(2) == null) {
                        throw new SQLException("a row without id or doc for " + p);
                    }
                    count++;
                }
            }
            return count;
        }

        @Override
        public void close() {
            PostgresQueries.close(connection);
        }
    }

    private static void close(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing is best effort
        }
    }

    @Override
    public void close() {
        close(setup);
    }
}

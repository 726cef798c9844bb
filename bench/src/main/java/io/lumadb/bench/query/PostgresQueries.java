package io.lumadb.bench.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * PostgreSQL's side of the query benchmark, the reference: the items in a table {@code (id text
 * primary key, doc jsonb)} with expression B-tree indexes equivalent to LumaDB's secondary
 * indexes ({@code doc->>'sku'} and {@code (doc->>'price')::float8}), analyzed; queried over JDBC
 * with one connection per client thread and prepared statements, returning {@code id, doc} as
 * LumaDB returns whole documents.
 */
final class PostgresQueries implements AutoCloseable {

    static final String TABLE = "query_bench";
    static final String SKU_INDEX = TABLE + "_sku";
    static final String PRICE_INDEX = TABLE + "_price";
    static final String PRICE = "(doc->>'price')::float8";

    static final String POINT_SQL = "SELECT id, doc FROM " + TABLE + " WHERE doc->>'sku' = ?";
    static final String RANGE_SQL = "SELECT id, doc FROM " + TABLE + " WHERE " + PRICE + " >= ? AND " + PRICE
            + " < ? ORDER BY " + PRICE + ", id LIMIT " + ItemData.RANGE_LIMIT;

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

    /** Drops the table if a previous run left it, then creates it empty. */
    void reset() throws SQLException {
        execute(
                "DROP TABLE IF EXISTS " + TABLE,
                "CREATE TABLE " + TABLE + " (id text PRIMARY KEY, doc jsonb NOT NULL)");
    }

    /** Inserts every item in one transaction, {@value #BATCH} rows per batch. */
    void load(ItemData data) throws SQLException {
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
    }

    /** Creates the index {@code name} on {@code expression}; returns how long that took. */
    Duration createIndex(String name, String expression) throws SQLException {
        long t0 = System.nanoTime();
        execute("CREATE INDEX " + name + " ON " + TABLE + " ((" + expression + "))");
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    void analyze() throws SQLException {
        execute("ANALYZE " + TABLE);
    }

    /** Drops the table. */
    void drop() throws SQLException {
        execute("DROP TABLE IF EXISTS " + TABLE);
    }

    private void execute(String... statements) throws SQLException {
        try (Statement s = setup.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /** PostgreSQL's plan for {@code p} with its parameters bound (EXPLAIN, text format). */
    String explain(QueryParams p) throws SQLException {
        try (PreparedStatement ps = setup.prepareStatement("EXPLAIN " + sql(p.query()))) {
            bind(ps, p);
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(plan.isEmpty() ? "" : "\n").append(rs.getString(1));
                }
            }
            return plan.toString();
        }
    }

    /** The answer to {@code p}: each row's {@code doc} with its {@code id} as {@code _id}, as LumaDB answers. */
    List<JsonNode> documents(QueryParams p) throws SQLException, JsonProcessingException {
        try (PreparedStatement ps = setup.prepareStatement(sql(p.query()))) {
            bind(ps, p);
            List<JsonNode> docs = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    docs.add(((ObjectNode) MAPPER.readTree(rs.getString(2))).put("_id", rs.getString(1)));
                }
            }
            return docs;
        }
    }

    static String sql(Query q) {
        return q == Query.POINT ? POINT_SQL : RANGE_SQL;
    }

    static void bind(PreparedStatement ps, QueryParams p) throws SQLException {
        if (p.query() == Query.POINT) {
            ps.setString(1, p.sku());
        } else {
            ps.setDouble(1, p.lo());
            ps.setDouble(2, p.hi());
        }
    }

    /** A client thread's connection, with both statements prepared. */
    QueryClient client() throws SQLException {
        return new Client(connect(false));
    }

    private final class Client implements QueryClient {
        private final Connection connection;
        private final PreparedStatement point;
        private final PreparedStatement range;

        Client(Connection connection) throws SQLException {
            this.connection = connection;
            try {
                this.point = connection.prepareStatement(POINT_SQL);
                this.range = connection.prepareStatement(RANGE_SQL);
                point.setQueryTimeout(timeoutSeconds);
                range.setQueryTimeout(timeoutSeconds);
            } catch (SQLException e) {
                connection.close();
                throw e;
            }
        }

        @Override
        public int run(QueryParams p) throws SQLException {
            PreparedStatement ps = p.query() == Query.POINT ? point : range;
            bind(ps, p);
            int count = 0;
            try (ResultSet rs = ps.executeQuery()) {
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
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing is best effort
            }
        }
    }

    @Override
    public void close() {
        try {
            setup.close();
        } catch (SQLException ignored) {
            // closing is best effort
        }
    }
}

package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The PostgreSQL protocol with the PostgreSQL JDBC driver, against a real server: sign-in with
 * SCRAM-SHA-256 (and its refusals), prepared statements with parameters of every common type in
 * the text and the binary format, answers equal to the local PostgreSQL's over the same rows,
 * fetching in pieces, cancel requests, and errors with their SQLSTATE and position.
 */
@Tag("services")
@Timeout(240)
class PgProtocolIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";

    private static Map<String, Object> settings(boolean secured) {
        Map<String, Object> s = new HashMap<>(secured ? InProcessServer.secured(ADMIN_PASSWORD) : Map.of());
        s.put("lumadb.sql.postgres.enabled", "on");
        s.put("lumadb.sql.postgres.port", 0);
        return s;
    }

    private static Connection connect(int port, String db, String user, String password, String... options)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        for (int i = 0; i + 1 < options.length; i += 2) {
            p.setProperty(options[i], options[i + 1]);
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db, p);
    }

    @Test
    void signInIsScramAgainstLumaDbsUsers() throws Exception {
        try (InProcessServer server = new InProcessServer(settings(true))) {
            TestHttp admin = server.http().asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/shop", null, null).status());
            admin.putDocument("/api/v1/shop/items", "a", "{\"n\":1}");
            assertEquals(
                    201,
                    admin.put("/api/v1/_security/users/reader", "{\"password\":\"reader-pw-1\",\"roles\":[]}")
                            .status());
            int port = server.postgresPort();

            try (Connection c = connect(port, "shop", "admin", ADMIN_PASSWORD);
                    ResultSet rs = c.createStatement().executeQuery("SELECT n FROM items")) {
                assertTrue(rs.next());
                assertEquals(1, rs.getInt(1));
            }
            SQLException wrong = assertThrows(SQLException.class, () -> connect(port, "shop", "admin", "nope-nope"));
            assertEquals("28P01", wrong.getSQLState(), wrong.getMessage());
            SQLException unknown =
                    assertThrows(SQLException.class, () -> connect(port, "shop", "nobody", "whatever-1"));
            assertEquals("28P01", unknown.getSQLState(), unknown.getMessage());
            SQLException noDatabase =
                    assertThrows(SQLException.class, () -> connect(port, "nowhere", "admin", ADMIN_PASSWORD));
            assertEquals("3D000", noDatabase.getSQLState(), noDatabase.getMessage());

            // Signed in, a user reads only what its roles grant.
            try (Connection c = connect(port, "shop", "reader", "reader-pw-1")) {
                SQLException denied = assertThrows(
                        SQLException.class, () -> c.createStatement().executeQuery("SELECT * FROM items"));
                assertEquals("42501", denied.getSQLState(), denied.getMessage());
                // A refusal is an error of the statement, not of the connection.
                try (ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                    assertTrue(rs.next());
                }
            }
        }
    }

    /** One row of the table both databases hold. */
    private record Row(
            String id,
            int qty,
            long big,
            double price,
            String amount,
            boolean paid,
            String day,
            String at,
            String name) {}

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        String[] names = {"Ada", "Bob", "Cyd", "Dee", "Eve", null};
        for (int i = 1; i <= 40; i++) {
            rows.add(new Row(
                    String.format("r%02d", i),
                    i % 7,
                    3_000_000_000L + i * 1_000_003L,
                    i * 1.25,
                    (i * 3) + "." + (i % 10) + "5",
                    i % 3 == 0,
                    LocalDate.of(2026, 1 + i % 12, 1 + i % 28).toString(),
                    LocalDateTime.of(2026, 1 + i % 12, 1 + i % 28, i % 24, i % 60, i % 60)
                            .toString()
                            .replace('T', ' '),
                    names[i % names.length]));
        }
        return rows;
    }

    @Test
    void preparedStatementsAnswerAsPostgresqlDoesInTextAndBinary() throws Exception {
        TestPostgres.ensureRunning();
        String pgDb = TestPostgres.createDatabase();
        try (InProcessServer server = new InProcessServer(settings(false));
                Connection pg = TestPostgres.connect(pgDb)) {
            TestHttp http = server.http();
            assertEquals(201, http.method("PUT", "/api/v1/shop", null, null).status());
            try (Statement s = pg.createStatement()) {
                s.execute("CREATE TABLE t (_id text PRIMARY KEY, qty integer, big bigint, price double precision,"
                        + " amount numeric, paid boolean, due date, seen timestamp, name text)");
            }
            try (PreparedStatement insert =
                    pg.prepareStatement("INSERT INTO t VALUES (?,?,?,?,?::numeric,?,?::date,?::timestamp,?)")) {
                for (Row r : rows()) {
                    // Dates and timestamps are kept as text in documents (SQL's form, which CAST reads).
                    http.putDocument(
                            "/api/v1/shop/t",
                            r.id(),
                            "{\"qty\":" + r.qty() + ",\"big\":" + r.big() + ",\"price\":" + r.price() + ",\"amount\":"
                                    + r.amount() + ",\"paid\":" + r.paid() + ",\"due\":\"" + r.day() + "\",\"seen\":\""
                                    + r.at() + "\"" + (r.name() == null ? "" : ",\"name\":\"" + r.name() + "\"") + "}");
                    insert.setString(1, r.id());
                    insert.setInt(2, r.qty());
                    insert.setLong(3, r.big());
                    insert.setDouble(4, r.price());
                    insert.setString(5, r.amount());
                    insert.setBoolean(6, r.paid());
                    insert.setString(7, r.day());
                    insert.setString(8, r.at());
                    insert.setString(9, r.name());
                    insert.executeUpdate();
                }
            }
            int port = server.postgresPort();
            // prepareThreshold 1: from the first use on, statements are named and rows come in binary.
            for (String threshold : List.of("5", "1")) {
                try (Connection luma = connect(port, "shop", "anyone", null, "prepareThreshold", threshold)) {
                    for (Query q : queries()) {
                        for (int run = 0; run < 3; run++) {
                            assertEquals(
                                    answer(pg, q), answer(luma, q), q.sql() + " (prepareThreshold " + threshold + ")");
                        }
                    }
                }
            }
        } finally {
            TestPostgres.dropDatabase(pgDb);
        }
    }

    @Test
    void databaseMetaDataListsTablesAndColumnsAsPostgresqlDoes() throws Exception {
        TestPostgres.ensureRunning();
        String pgDb = TestPostgres.createDatabase();
        String ddl = "CREATE TABLE m (id integer PRIMARY KEY, name varchar(20) NOT NULL, score double precision,"
                + " ok boolean, n smallint, big bigint, r real, amount numeric, note text, tag uuid)";
        try (InProcessServer server = new InProcessServer(settings(false));
                Connection pg = TestPostgres.connect(pgDb)) {
            assertEquals(
                    201, server.http().method("PUT", "/api/v1/shop", null, null).status());
            server.http().putDocument("/api/v1/shop/loose", "a", "{\"qty\":3,\"label\":\"x\",\"on\":true}");
            try (Connection luma = connect(server.postgresPort(), "shop", "anyone", null);
                    Statement sl = luma.createStatement();
                    Statement sp = pg.createStatement()) {
                sl.execute(ddl);
                sp.execute(ddl);
                DatabaseMetaData lm = luma.getMetaData();
                DatabaseMetaData pm = pg.getMetaData();
                assertEquals(List.of("loose", "m"), tables(lm, "%"));
                assertEquals(List.of("m"), tables(pm, "m"));
                assertEquals(List.of("m"), tables(lm, "m"));
                // A declared table: the columns PostgreSQL lists, with the same types, sizes and
                // nullability, after LumaDB's _id, _version and doc.
                List<String> declared = columns(lm, "m");
                assertEquals(
                        List.of("_id text 12 2147483647 0", "_version int8 -5 19 0", "doc jsonb 1111 2147483647 0"),
                        declared.subList(0, 3));
                assertEquals(columns(pm, "m"), declared.subList(3, declared.size()));
                // A collection without a schema: its sampled fields.
                assertEquals(
                        List.of("qty int8 -5 19 1", "label text 12 2147483647 1", "on bool -7 1 1"),
                        columns(lm, "loose").subList(3, 6));
            }
        } finally {
            TestPostgres.dropDatabase(pgDb);
        }
    }

    private static List<String> tables(DatabaseMetaData meta, String pattern) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = meta.getTables(null, "public", pattern, new String[] {"TABLE"})) {
            while (rs.next()) {
                assertEquals("TABLE", rs.getString("TABLE_TYPE"));
                out.add(rs.getString("TABLE_NAME"));
            }
        }
        return out;
    }

    /** Each column as {@code name type_name data_type column_size nullable}. */
    private static List<String> columns(DatabaseMetaData meta, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = meta.getColumns(null, "public", table, null)) {
            while (rs.next()) {
                out.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getInt("DATA_TYPE")
                        + " " + rs.getInt("COLUMN_SIZE") + " " + rs.getInt("NULLABLE"));
            }
        }
        return out;
    }

    /** A statement and its parameters, bound with the setter of their Java type. */
    private record Query(String sql, Object... params) {}

    private static List<Query> queries() {
        return List.of(
                new Query("SELECT _id, qty, big, price, paid, name FROM t WHERE qty = ? ORDER BY _id", 3),
                new Query("SELECT _id, big FROM t WHERE big > ? ORDER BY big DESC LIMIT 5", 3_020_000_000L),
                new Query("SELECT _id, price FROM t WHERE price BETWEEN ? AND ? ORDER BY _id", 10.0, 20.5),
                new Query("SELECT _id FROM t WHERE paid = ? AND name IS NOT NULL ORDER BY _id", true),
                new Query("SELECT _id, name FROM t WHERE name = ? OR name = ? ORDER BY _id", "Ada", "Eve"),
                new Query(
                        "SELECT _id FROM t WHERE CAST(amount AS DECIMAL(10,2)) > ? ORDER BY _id",
                        new BigDecimal("90.5")),
                new Query(
                        "SELECT _id FROM t WHERE CAST(due AS DATE) < ? ORDER BY _id",
                        java.sql.Date.valueOf("2026-03-15")),
                new Query(
                        "SELECT _id, CAST(seen AS TIMESTAMP) FROM t WHERE CAST(seen AS TIMESTAMP) >= ? ORDER BY _id",
                        java.sql.Timestamp.valueOf("2026-11-01 00:00:00")),
                new Query(
                        "SELECT name, COUNT(*), SUM(qty), MIN(price), MAX(big) FROM t GROUP BY name ORDER BY name",
                        new Object[0]),
                new Query("SELECT _id FROM t WHERE name IS NULL OR qty = ? ORDER BY _id", (Object) null),
                new Query("SELECT _id, qty * ? + 1 FROM t WHERE qty > ? ORDER BY _id LIMIT 3", 2, 4),
                new Query("SELECT CAST(COUNT(*) AS INTEGER), SUM(price) FROM t WHERE _id >= ?", "r30"));
    }

    /** The rows {@code q} answers on {@code c}, each value as text (numbers normalised), columns' types first. */
    private static List<String> answer(Connection c, Query q) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(q.sql())) {
            for (int i = 0; i < q.params().length; i++) {
                Object p = q.params()[i];
                switch (p) {
                    case null -> ps.setNull(i + 1, Types.INTEGER);
                    case Integer v -> ps.setInt(i + 1, v);
                    case Long v -> ps.setLong(i + 1, v);
                    case Double v -> ps.setDouble(i + 1, v);
                    case BigDecimal v -> ps.setBigDecimal(i + 1, v);
                    case Boolean v -> ps.setBoolean(i + 1, v);
                    case java.sql.Date v -> ps.setDate(i + 1, v);
                    case java.sql.Timestamp v -> ps.setTimestamp(i + 1, v);
                    default -> ps.setString(i + 1, (String) p);
                }
            }
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData meta = rs.getMetaData();
                while (rs.next()) {
                    StringBuilder row = new StringBuilder();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        Object v = rs.getObject(i);
                        row.append(i > 1 ? " | " : "").append(normalise(v));
                    }
                    out.add(row.toString());
                }
            }
            return out;
        }
    }

    private static String normalise(Object v) {
        return switch (v) {
            case null -> "NULL";
            case Number n
            when !(n instanceof BigDecimal) && n.doubleValue() == Math.rint(n.doubleValue()) ->
                Long.toString(n.longValue());
            case Number n -> new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
            default -> v.toString();
        };
    }

    @Test
    void fetchesInPiecesCancelsAndReportsErrorsWithTheirPosition() throws Exception {
        Map<String, Object> settings = settings(false);
        // Longer than the test waits for the cancel, so that only the cancel can stop the statement.
        settings.put("lumadb.sql.timeout", "120s");
        try (InProcessServer server = new InProcessServer(settings)) {
            TestHttp http = server.http();
            assertEquals(201, http.method("PUT", "/api/v1/shop", null, null).status());
            StringBuilder bulk = new StringBuilder();
            for (int i = 0; i < 600; i++) {
                bulk.append("{\"op\":\"put\",\"id\":\"d")
                        .append(i)
                        .append("\",\"doc\":{\"n\":")
                        .append(i)
                        .append("}}\n");
            }
            TestHttp.Response loaded =
                    http.method("POST", "/api/v1/shop/nums/_bulk", "application/x-ndjson", bulk.toString());
            assertTrue(loaded.status() < 300, loaded.toString());
            int port = server.postgresPort();
            try (Connection c = connect(port, "shop", "anyone", null)) {
                // A fetch size inside a transaction: the driver asks for 50 rows at a time (Execute
                // with a row limit, PortalSuspended, Execute again).
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("SELECT n FROM nums WHERE n >= ? ORDER BY n")) {
                    ps.setFetchSize(50);
                    ps.setInt(1, 100);
                    long sum = 0;
                    int count = 0;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            sum += rs.getInt(1);
                            count++;
                        }
                    }
                    assertEquals(500, count);
                    assertEquals((100 + 599) * 500L / 2, sum);
                }
                c.commit();
                c.setAutoCommit(true);

                SQLException syntax = assertThrows(
                        SQLException.class, () -> c.createStatement().executeQuery("SELECT n FROM nums WHERE"));
                assertEquals("42601", syntax.getSQLState(), syntax.getMessage());
                var detail = ((org.postgresql.util.PSQLException) syntax).getServerErrorMessage();
                assertTrue(detail.getPosition() > 20, "position " + detail.getPosition());
                SQLException missing = assertThrows(
                        SQLException.class, () -> c.createStatement().executeQuery("SELECT n FROM nothing"));
                assertEquals("42P01", missing.getSQLState(), missing.getMessage());
                SQLException badParam = assertThrows(SQLException.class, () -> {
                    try (PreparedStatement ps = c.prepareStatement("SELECT n FROM nums WHERE n = ?")) {
                        ps.setString(1, "not a number");
                        ps.executeQuery();
                    }
                });
                assertFalse(badParam.getSQLState().startsWith("XX"), badParam.getMessage());

                // A statement that runs for long (a cross join read again for every outer row) is
                // cancelled by a cancel request on a second connection, as Statement.cancel sends it.
                try (Statement slow = c.createStatement()) {
                    CompletableFuture<SQLException> outcome = CompletableFuture.supplyAsync(() -> {
                        try (ResultSet rs = slow.executeQuery(
                                "SELECT COUNT(*) FROM nums a, nums b, nums c WHERE a.n + b.n + c.n = -1")) {
                            return null;
                        } catch (SQLException e) {
                            return e;
                        }
                    });
                    Thread.sleep(1_000);
                    assertFalse(outcome.isDone(), "the statement ended before the cancel: " + outcome.getNow(null));
                    slow.cancel();
                    SQLException cancelled = outcome.get(20, TimeUnit.SECONDS);
                    assertTrue(cancelled != null, "the statement was not cancelled");
                    assertEquals("57014", cancelled.getSQLState(), cancelled.getMessage());
                    assertTrue(cancelled.getMessage().contains("user request"), cancelled.getMessage());
                }
                // The connection goes on after a cancel.
                try (ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM nums")) {
                    assertTrue(rs.next());
                    assertEquals(600, rs.getLong(1));
                }
            }
        }
    }
}

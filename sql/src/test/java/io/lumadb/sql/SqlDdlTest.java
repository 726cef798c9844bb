package io.lumadb.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.CollectionSchema;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.sql.schema.SqlSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CREATE TABLE, ALTER TABLE ADD COLUMN, CREATE INDEX and DROP TABLE over real shards and the real
 * catalog: the schema a table declares, what it lets through every write path, and the errors
 * (with PostgreSQL's SQLSTATEs and positions) of what it does not.
 */
@Timeout(120)
class SqlDdlTest {

    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        node = new TestNode(new SqlSettings(2, 1_000, Duration.ofSeconds(30), 1_000, Duration.ofSeconds(10), 64, 500));
        TestNode.await(node.shards.catalog().createDatabase("d"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    private static SqlResult sql(String sql, Object... params) throws Exception {
        return TestNode.await(node.engine.execute("d", sql, Arrays.asList(params), SqlSession.Sight.ALL));
    }

    private static SqlException refused(String sql, Object... params) {
        return assertThrows(SqlException.class, () -> sql(sql, params), sql);
    }

    private static CollectionSchema schema(String table) throws Exception {
        return TestNode.await(node.shards.catalog().refresh())
                .collection("d", table)
                .map(c -> c.schema() == null ? null : CollectionSchema.parse(c.schema()))
                .orElse(null);
    }

    @Test
    void aTableDeclaresItsColumnsAndTheirRules() throws Exception {
        assertEquals(
                new SqlResult.Written("CREATE TABLE", -1),
                sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer VARCHAR(8) NOT NULL, total NUMERIC,"
                                + " paid BOOLEAN, \"Note\" TEXT, meta JSONB)")
                        .written());
        CollectionSchema declared = schema("orders");
        assertEquals("id", declared.primaryKey());
        assertEquals(
                List.of("id", "customer", "total", "paid", "Note", "meta"),
                declared.properties().stream()
                        .map(CollectionSchema.Property::name)
                        .toList());

        sql("INSERT INTO orders (id, customer, total, paid) VALUES (1, 'ada', 12.5, true), (2, 'bob', NULL, false)");
        // The primary key's value is the _id, and a column of its own type.
        List<Object[]> rows = sql("SELECT _id, id, customer, total, paid FROM orders ORDER BY id")
                .rows();
        assertEquals("[1, 1, ada, 12.5, true]", Arrays.toString(rows.get(0)));
        assertEquals("[2, 2, bob, null, false]", Arrays.toString(rows.get(1)));
        assertEquals(
                "BIGINT",
                sql("SELECT id FROM orders WHERE id = 1").columns().getFirst().type(),
                "a declared integer column is typed before any sample");

        SqlException duplicate = refused("INSERT INTO orders (id, customer) VALUES (2, 'cy')");
        assertEquals("23505", duplicate.sqlState());
        assertEquals("Key (id)=(2) already exists.", duplicate.detail());
        assertEquals(
                "23502", refused("INSERT INTO orders (id, total) VALUES (3, 1)").sqlState());
        assertEquals(
                "23502",
                refused("INSERT INTO orders (id, customer) VALUES (NULL, 'x')").sqlState());
        assertEquals(
                "23502",
                refused("UPDATE orders SET customer = NULL WHERE id = 1").sqlState());
        assertEquals("0A000", refused("UPDATE orders SET id = 9 WHERE id = 1").sqlState());
        SqlException tooLong = refused("INSERT INTO orders (id, customer) VALUES (3, 'much too long')");
        assertEquals("23514", tooLong.sqlState());
        assertTrue(tooLong.getMessage().contains("/customer"), tooLong.getMessage());
        assertEquals(
                "23514",
                refused("INSERT INTO orders (id, customer, paid) VALUES (3, 'cy', 'yes')")
                        .sqlState());
        assertEquals(
                "42703",
                refused("INSERT INTO orders (id, customer, colour) VALUES (3, 'cy', 'red')")
                        .sqlState());
        assertEquals(2L, ((Number) sql("SELECT COUNT(*) FROM orders").rows().getFirst()[0]).longValue());

        // The schema holds for the document API too (the shard checks it), merged patches included.
        WriteOutcome put = TestNode.await(node.shards
                .documents()
                .write("d", "orders", DocumentWrite.put("9", bytes("{\"id\":9,\"customer\":7}"), DocumentWrite.ANY)));
        assertEquals(WriteOutcome.Status.SCHEMA_VIOLATION, put.status());
        assertEquals("/customer", put.pointer());
        WriteOutcome patch = TestNode.await(node.shards
                .documents()
                .write("d", "orders", DocumentWrite.patch("1", bytes("{\"customer\":null}"), DocumentWrite.ANY)));
        assertEquals("/customer", patch.pointer());
        assertEquals(
                "ada", sql("SELECT customer FROM orders WHERE id = 1").rows().getFirst()[0]);

        assertEquals("42P07", refused("CREATE TABLE orders (a TEXT)").sqlState());
        assertEquals(
                new SqlResult.Written("CREATE TABLE", -1),
                sql("CREATE TABLE IF NOT EXISTS orders (a TEXT)").written());
        assertEquals("id", schema("orders").primaryKey(), "IF NOT EXISTS leaves the table as it was");
    }

    @Test
    void addColumnWidensTheSchema() throws Exception {
        sql("CREATE TABLE people (name TEXT NOT NULL)");
        sql("INSERT INTO people (_id, name) VALUES ('p1', 'Ada')");
        assertEquals(
                new SqlResult.Written("ALTER TABLE", -1),
                sql("ALTER TABLE people ADD COLUMN age SMALLINT").written());
        sql("UPDATE people SET age = 36 WHERE _id = 'p1'");
        assertEquals(
                "[Ada, 36]",
                Arrays.toString(sql("SELECT name, age FROM people").rows().getFirst()));
        assertEquals("23514", refused("UPDATE people SET age = 70000").sqlState(), "SMALLINT's range");
        assertEquals(
                "42701", refused("ALTER TABLE people ADD COLUMN age INTEGER").sqlState());
        sql("ALTER TABLE people ADD COLUMN IF NOT EXISTS age INTEGER");
        assertEquals(
                "0A000",
                refused("ALTER TABLE people ADD COLUMN city TEXT NOT NULL").sqlState());
        assertEquals("0A000", refused("ALTER TABLE people DROP COLUMN age").sqlState());
        assertEquals("42P01", refused("ALTER TABLE nobody ADD COLUMN x TEXT").sqlState());
        sql("ALTER TABLE IF EXISTS nobody ADD COLUMN x TEXT");

        TestNode.await(node.shards.catalog().createCollection("d", "loose", 1));
        SqlException loose = refused("ALTER TABLE loose ADD COLUMN x TEXT");
        assertEquals("0A000", loose.sqlState());
        assertTrue(loose.getMessage().contains("declares no schema"), loose.getMessage());
    }

    @Test
    void createIndexDefinesASecondaryIndex() throws Exception {
        sql("CREATE TABLE items (sku TEXT PRIMARY KEY, price DOUBLE PRECISION, qty INT)");
        assertEquals(
                new SqlResult.Written("CREATE INDEX", -1),
                sql("CREATE INDEX ON items (price DESC, qty)").written());
        sql("CREATE INDEX by_qty ON public.items USING btree (qty)");
        var info = TestNode.await(node.shards.catalog().refresh())
                .collection("d", "items")
                .orElseThrow();
        var index = info.index("items_price_qty_idx").orElseThrow();
        assertEquals("price", index.fields().get(0).path());
        assertTrue(index.fields().get(0).descending());
        assertTrue(info.index("by_qty").isPresent());
        assertEquals("42P07", refused("CREATE INDEX by_qty ON items (price)").sqlState());
        sql("CREATE INDEX IF NOT EXISTS by_qty ON items (price)");
        assertEquals("0A000", refused("CREATE UNIQUE INDEX u ON items (qty)").sqlState());
        assertEquals(
                "0A000", refused("CREATE INDEX h ON items USING hash (qty)").sqlState());
        assertEquals("42P01", refused("CREATE INDEX ON nothing (qty)").sqlState());
    }

    @Test
    void dropTableDropsAllOrNone() throws Exception {
        sql("CREATE TABLE a1 (x INT)");
        sql("CREATE TABLE a2 (x INT)");
        sql("INSERT INTO a1 (x) VALUES (1)");
        SqlException missing = refused("DROP TABLE a1, nope");
        assertEquals("42P01", missing.sqlState());
        assertEquals(16, missing.position());
        assertTrue(schema("a1") != null, "nothing was dropped");
        assertEquals(
                new SqlResult.Written("DROP TABLE", -1),
                sql("DROP TABLE a1, a2").written());
        assertEquals(null, schema("a1"));
        assertFalse(TestNode.await(node.shards.catalog().refresh())
                .collection("d", "a2")
                .isPresent());
        assertEquals("42P01", refused("SELECT * FROM a1").sqlState());
        List<String> notices = new ArrayList<>();
        TestNode.await(node.engine.stream(
                "d",
                "DROP TABLE IF EXISTS a1",
                List.of(),
                SqlSession.Sight.ALL,
                new SqlEngine.RowSink() {
                    @Override
                    public void columns(List<SqlResult.Column> columns) {}

                    @Override
                    public void row(Object[] row) {}

                    @Override
                    public void notice(String message) {
                        notices.add(message);
                    }
                },
                new Cancellation()));
        assertEquals(List.of("table \"a1\" does not exist, skipping"), notices);
    }

    @Test
    void statementsOutsideTheGrammarAreRefusedWithTheirPosition() {
        record Case(String sql, String state, int position) {}
        for (Case c : List.of(
                new Case("CREATE TABLE t (a TIMESTAMP)", "0A000", 19),
                new Case("CREATE TABLE t (a INT DEFAULT 1)", "0A000", 23),
                new Case("CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b))", "0A000", 31),
                new Case("CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)", "42P16", 36),
                new Case("CREATE TABLE t (a INT, a TEXT)", "42701", 24),
                new Case("CREATE TABLE t (doc TEXT)", "42939", 17),
                new Case("CREATE TABLE t (a INT", "42601", 22),
                new Case("CREATE TABLE t a INT)", "42601", 16),
                new Case("CREATE VIEW v AS SELECT 1", "0A000", 8),
                new Case("CREATE TABLE other.t (a INT)", "3F000", 14),
                new Case("DROP INDEX i", "0A000", 6))) {
            SqlException e = refused(c.sql());
            assertEquals(c.state(), e.sqlState(), c.sql() + ": " + e.getMessage());
            assertEquals(c.position(), e.position(), c.sql() + ": " + e.getMessage());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unused")
    private static JsonNode json(byte[] b) throws Exception {
        return DocumentJson.mapper().readTree(b);
    }
}

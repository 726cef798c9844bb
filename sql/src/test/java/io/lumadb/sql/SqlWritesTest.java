package io.lumadb.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.AccessDeniedException;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.query.QueryLimits;
import io.lumadb.shards.query.RowAccess;
import io.lumadb.sql.schema.SqlBackend;
import io.lumadb.sql.schema.SqlSession;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * INSERT, UPDATE and DELETE over real shards: the documents they leave, the errors they answer
 * (and what those leave behind), an update that walks the index of the field it changes, and a
 * document changed by someone else between a statement's read and its write.
 */
@Timeout(120)
class SqlWritesTest {

    private static TestNode node;
    /** Runs once, just before the engine's next write reaches the shards (then is cleared). */
    private static final AtomicReference<Runnable> beforeNextWrite = new AtomicReference<>();

    @BeforeAll
    static void start() throws Exception {
        node = new TestNode(
                new SqlSettings(2, 1_000, Duration.ofSeconds(30), 1_000, Duration.ofSeconds(10), 64, 500),
                SqlWritesTest::interfering);
        TestNode.await(node.shards.catalog().createDatabase("w"));
        TestNode.await(node.shards.catalog().createCollection("w", "items", 3));
        TestNode.await(node.shards
                .queries()
                .createIndex("w", "items", "by_price", List.of(new IndexDefinition.Field("price", false))));
    }

    private static SqlBackend interfering(SqlBackend real) {
        return new SqlBackend() {
            @Override
            public CatalogSnapshot catalog() {
                return real.catalog();
            }

            @Override
            public CompletionStage<CatalogSnapshot> refreshCatalog() {
                return real.refreshCatalog();
            }

            @Override
            public CompletionStage<Queries.Result> query(String database, String collection, JsonNode body) {
                return real.query(database, collection, body);
            }

            @Override
            public QueryLimits limits() {
                return real.limits();
            }

            @Override
            public CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> createCollection(
                    String database, String name, io.lumadb.shards.model.CollectionSchema schema) {
                return real.createCollection(database, name, schema);
            }

            @Override
            public CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> dropCollection(
                    String database, String name) {
                return real.dropCollection(database, name);
            }

            @Override
            public CompletionStage<io.lumadb.shards.catalog.CatalogEntity.Result> setSchema(
                    String database, String name, io.lumadb.shards.model.CollectionSchema schema) {
                return real.setSchema(database, name, schema);
            }

            @Override
            public CompletionStage<Queries.IndexStatus> createIndex(
                    String database, String collection, String name, List<IndexDefinition.Field> fields) {
                return real.createIndex(database, collection, name, fields);
            }

            @Override
            public CompletionStage<List<WriteOutcome>> write(
                    String database, String collection, List<DocumentWrite> writes) {
                Runnable before = beforeNextWrite.getAndSet(null);
                if (before != null) {
                    before.run();
                }
                return real.write(database, collection, writes);
            }
        };
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    private static SqlResult sql(String sql, Object... params) throws Exception {
        return TestNode.await(node.engine.execute("w", sql, Arrays.asList(params), SqlSession.Sight.ALL));
    }

    private static SqlException refused(String sql, Object... params) {
        return assertThrows(SqlException.class, () -> sql(sql, params));
    }

    private static JsonNode doc(String id) throws Exception {
        var stored = TestNode.await(node.shards.documents().get("w", "items", id));
        return stored.map(d -> {
                    try {
                        return DocumentJson.mapper().readTree(d.json());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .orElse(null);
    }

    @Test
    void insertsUpdatesAndDeletesAreDocumentWrites() throws Exception {
        SqlResult inserted = sql(
                "INSERT INTO items (_id, name, price, tags) VALUES ('a', 'pen', 1.5, NULL), ('b', ?, ?, 'x'),"
                        + " ('c', 'pad', 3 * 2, 'y')",
                "ink",
                7);
        assertEquals(new SqlResult.Written("INSERT", 3), inserted.written());
        assertEquals("pen", doc("a").path("name").asText());
        assertEquals(7, doc("b").path("price").asInt());
        assertEquals(6, doc("c").path("price").asInt());
        assertTrue(doc("a").has("tags") && doc("a").get("tags").isNull(), doc("a").toString());

        SqlResult generated =
                sql("INSERT INTO items (name, price) SELECT name || '-copy', price FROM items WHERE _id = 'b'");
        assertEquals(1, generated.written().count());
        List<Object[]> copies =
                sql("SELECT _id FROM items WHERE name = 'ink-copy'").rows();
        assertEquals(1, copies.size());
        assertEquals(36, ((String) copies.getFirst()[0]).length(), "a generated _id is a UUID");

        SqlResult updated = sql("UPDATE items SET price = price + 1, tags = NULL WHERE price >= ?", 6);
        assertEquals(new SqlResult.Written("UPDATE", 3), updated.written());
        assertEquals(8, doc("b").path("price").asInt());
        assertTrue(!doc("b").has("tags"), "SET ... = NULL leaves the field out, read back as NULL: " + doc("b"));
        assertEquals(1.5, doc("a").path("price").asDouble(), "rows outside the WHERE are left alone");

        SqlResult deleted = sql("DELETE FROM items WHERE name LIKE '%copy'");
        assertEquals(new SqlResult.Written("DELETE", 1), deleted.written());
        assertEquals(3, sql("SELECT COUNT(*) FROM items").rows().getFirst()[0] instanceof Number n ? n.intValue() : -1);
        assertEquals(
                new SqlResult.Written("UPDATE", 0),
                sql("UPDATE items SET name = 'x' WHERE 1 = 0").written());

        // The new field is a column at once, for the statements that come after the write.
        sql("UPDATE items SET colour = 'red' WHERE _id = 'a'");
        assertEquals(
                List.of("red"),
                sql("SELECT colour FROM items WHERE _id = 'a'").rows().stream()
                        .map(r -> r[0])
                        .toList());
    }

    @Test
    void aRefusedWriteSaysWhyAndLeavesWhatItNamedAlone() throws Exception {
        sql("INSERT INTO items (_id, name, price) VALUES ('k1', 'keep', 1)");
        SqlException duplicate = refused("INSERT INTO items (_id, name) VALUES ('k1', 'other')");
        assertEquals("23505", duplicate.sqlState(), duplicate.getMessage());
        assertEquals("keep", doc("k1").path("name").asText());
        assertEquals("42P01", refused("INSERT INTO nothing (_id) VALUES ('x')").sqlState());
        assertEquals("42601", refused("INSERT INTO items VALUES ('x')").sqlState());
        assertEquals(
                "42601", refused("INSERT INTO items (_id, name) VALUES ('x')").sqlState());
        assertEquals(
                "23502",
                refused("INSERT INTO items (_id, name) VALUES (NULL, 'n')").sqlState());
        assertEquals(
                "0A000", refused("UPDATE items SET _id = 'z' WHERE _id = 'k1'").sqlState());
        assertEquals("428C9", refused("UPDATE items SET _version = 9").sqlState());
        assertEquals(
                "42703",
                refused("UPDATE items SET name = nope WHERE _id = 'k1'").sqlState());
        assertEquals("42601", refused("DELETE FROM items WHERE").sqlState());
        assertEquals("0A000", refused("EXPLAIN DELETE FROM items").sqlState());
        assertNull(doc("x"));
        assertEquals("keep", doc("k1").path("name").asText());
    }

    @Test
    void anUpdateWalkingTheIndexOfTheFieldItChangesChangesEachRowOnce() throws Exception {
        for (int i = 0; i < 30; i++) {
            node.put("w", "items", "h" + i, "{\"name\":\"h\",\"price\":" + (1000 + i) + "}");
        }
        // The scan walks by_price upwards; each row moves up by 100, past rows not yet read.
        SqlResult moved = sql("UPDATE items SET price = price + 100 WHERE price >= 1000 AND price < 2000");
        assertEquals(30, moved.written().count());
        for (int i = 0; i < 30; i++) {
            assertEquals(1100 + i, doc("h" + i).path("price").asInt(), "h" + i);
        }
    }

    @Test
    void aDocumentChangedBetweenReadAndWriteIsJudgedAgain() throws Exception {
        node.put("w", "items", "r1", "{\"name\":\"race\",\"stock\":5}");
        node.put("w", "items", "r2", "{\"name\":\"race\",\"stock\":5}");
        // Someone else writes r1 after the statement read it: its decrement must apply to what is
        // there now (5 + 10), not overwrite it with what it computed from what it read (5 - 1).
        beforeNextWrite.set(() -> {
            try {
                node.put("w", "items", "r1", "{\"name\":\"race\",\"stock\":15}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        SqlResult updated = sql("UPDATE items SET stock = stock - 1 WHERE name = 'race'");
        assertEquals(2, updated.written().count());
        assertEquals(14, doc("r1").path("stock").asInt());
        assertEquals(4, doc("r2").path("stock").asInt());

        // A document that no longer qualifies when judged again is left alone.
        node.put("w", "items", "r3", "{\"name\":\"gone\",\"stock\":1}");
        beforeNextWrite.set(() -> {
            try {
                node.put("w", "items", "r3", "{\"name\":\"kept\",\"stock\":1}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(0, sql("DELETE FROM items WHERE name = 'gone'").written().count());
        assertEquals("kept", doc("r3").path("name").asText());
    }

    @Test
    void writesNeedTheirPermissionAndTheCallersWithRowRulesAreSentToTheDocumentApi() throws Exception {
        node.put("w", "items", "p1", "{\"name\":\"p\"}");
        SqlSession.Sight readOnly = new SqlSession.Sight() {
            @Override
            public RowAccess of(String database, String collection) {
                return RowAccess.ALL;
            }

            @Override
            public void write(String database, String collection, boolean delete) {
                throw new AccessDeniedException("the reader may not " + (delete ? "delete" : "write") + " here");
            }
        };
        for (String statement :
                List.of("INSERT INTO items (_id) VALUES ('p2')", "UPDATE items SET name = 'q'", "DELETE FROM items")) {
            SqlException e = assertThrows(
                    SqlException.class, () -> TestNode.await(node.engine.execute("w", statement, List.of(), readOnly)));
            assertEquals("42501", e.sqlState(), statement);
        }
        assertEquals("p", doc("p1").path("name").asText());
        assertNull(doc("p2"));
    }

    @Test
    void aStatementThatWouldWriteMoreThanTheLimitWritesNothing() throws Exception {
        for (int i = 0; i < 501; i++) {
            node.put("w", "items", String.format("m%03d", i), "{\"name\":\"many\"}");
        }
        SqlException tooMany = refused("UPDATE items SET name = 'changed' WHERE name = 'many'");
        assertEquals("54000", tooMany.sqlState(), tooMany.getMessage());
        assertEquals("many", doc("m000").path("name").asText());
    }
}

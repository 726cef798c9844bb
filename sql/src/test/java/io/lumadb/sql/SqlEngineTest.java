package io.lumadb.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.Shards;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.query.QueryLimits;
import io.lumadb.shards.query.RowAccess;
import io.lumadb.sql.schema.SqlSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SQL over real shards (cluster sharding, RocksDB stores): answers checked against the same
 * data computed in Java, pushdown checked through the plans and the shards' own counters.
 */
@Timeout(120)
class SqlEngineTest {

    private static final String[] CITIES = {"Oslo", "Lima", "Kyiv", "Pune"};
    private static final String[] STATUSES = {"paid", "open", "void"};

    private static TestNode node;
    private static Shards shards;
    private static SqlEngine engine;

    /** customer id -> {name, city, vip}; order id -> {customer, amount, status} (status absent on every 10th). */
    private static final Map<String, Object[]> customers = new TreeMap<>();

    private static final Map<String, Object[]> orders = new TreeMap<>();

    @BeforeAll
    static void start() throws Exception {
        node = new TestNode(new SqlSettings(2, 1_000, Duration.ofSeconds(30), 1_000, Duration.ofMillis(300), 64));
        shards = node.shards;
        engine = node.engine;
        await(shards.catalog().createDatabase("shop"));
        await(shards.catalog().createCollection("shop", "customers", 2));
        await(shards.catalog().createCollection("shop", "orders", 3));
        await(shards.queries()
                .createIndex("shop", "orders", "by_status", List.of(new IndexDefinition.Field("status", false))));
        for (int i = 1; i <= 20; i++) {
            String id = String.format("c%02d", i);
            String city = CITIES[i % CITIES.length];
            boolean vip = i % 3 == 0;
            customers.put(id, new Object[] {"Name " + i, city, vip});
            put(
                    "customers",
                    id,
                    "{\"name\":\"Name " + i + "\",\"city\":\"" + city + "\",\"vip\":" + vip + ",\"address\":{\"zip\":\""
                            + (1000 + i) + "\"}}");
        }
        for (int i = 1; i <= 150; i++) {
            String id = String.format("o%03d", i);
            String customer = String.format("c%02d", 1 + (i * 7) % 20);
            long amount = (i * 37L) % 500;
            String status = i % 10 == 0 ? null : STATUSES[i % STATUSES.length];
            orders.put(id, new Object[] {customer, amount, status});
            put(
                    "orders",
                    id,
                    "{\"customer\":\"" + customer + "\",\"amount\":" + amount
                            + (status == null ? "" : ",\"status\":\"" + status + "\"") + "}");
        }
        // Odd documents a schemaless collection may hold: SQL reads their amount as NULL.
        put("orders", "x-array", "{\"customer\":\"c01\",\"amount\":[900],\"status\":\"paid\"}");
        put("orders", "x-text", "{\"customer\":\"c01\",\"amount\":\"950\",\"status\":\"paid\"}");
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    private static void put(String collection, String id, String json) throws Exception {
        node.put("shop", collection, id, json);
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return TestNode.await(stage);
    }

    private static SqlResult sql(String sql, Object... params) throws Exception {
        return await(engine.execute("shop", sql, Arrays.asList(params), SqlSession.Sight.ALL));
    }

    private static List<List<Object>> rows(String sql, Object... params) throws Exception {
        return sql(sql, params).rows().stream().map(Arrays::asList).toList();
    }

    private static String plan(String sql, Object... params) throws Exception {
        return rows("EXPLAIN " + sql, params).stream()
                .map(r -> (String) r.getFirst())
                .collect(Collectors.joining("\n"));
    }

    /** Whether Calcite evaluates a condition above the scans (a filter, or a calc with a condition). */
    private static boolean filtersAgain(String plan) {
        return plan.contains("EnumerableFilter") || plan.contains("$condition");
    }

    private static SqlException failure(String sql, Object... params) {
        return assertThrows(SqlException.class, () -> sql(sql, params));
    }

    @Test
    void readsTypedColumnsInferredFromTheDocuments() throws Exception {
        SqlResult r = sql("SELECT _id, _version, name, city, vip FROM customers WHERE _id = 'c03'");
        assertEquals(
                List.of("_id", "_version", "name", "city", "vip"),
                r.columns().stream().map(SqlResult.Column::name).toList());
        assertEquals(
                List.of("VARCHAR", "BIGINT", "VARCHAR", "VARCHAR", "BOOLEAN"),
                r.columns().stream().map(SqlResult.Column::type).toList());
        long version = await(shards.documents().get("shop", "customers", "c03"))
                .orElseThrow()
                .version();
        assertEquals(
                List.of(Arrays.asList("c03", version, "Name 3", CITIES[3], true)),
                rows("SELECT _id, _version, name, city, vip FROM customers WHERE _id = 'c03'"));
        List<List<Object>> star = rows("SELECT * FROM customers WHERE _id = 'c01'");
        assertEquals(1, star.size());
        assertTrue(((String) star.getFirst().get(2)).startsWith("{\"_id\":\"c01\""), "doc is the stored JSON");
    }

    @Test
    void nestedFieldsThroughJsonFunctions() throws Exception {
        assertEquals(
                List.of(List.of("1005")),
                rows("SELECT JSON_VALUE(doc, '$.address.zip') FROM customers WHERE _id = 'c05'"));
        assertEquals(
                List.of(List.of("1007")), rows("SELECT JSON_VALUE(address, '$.zip') FROM customers WHERE _id = 'c07'"));
    }

    @Test
    void anIdEqualityIsAnsweredByTheShardsAlone() throws Exception {
        String plan = plan("SELECT name FROM customers WHERE _id = 'c07'");
        assertTrue(plan.contains("jql=[filter={\"_id\":{\"$eq\":\"c07\"}}, fields=[\"name\"]]"), plan);
        assertFalse(filtersAgain(plan), "the exact filter is not evaluated again:\n" + plan);
        SqlResult analyzed = sql("EXPLAIN ANALYZE SELECT name FROM customers WHERE _id = 'c07'");
        assertEquals(1, analyzed.documentsRead(), "the shards returned only the matching document");
    }

    @Test
    void anIndexedEqualityReadsOnlyTheMatchingDocuments() throws Exception {
        long paid = orders.values().stream().filter(o -> "paid".equals(o[2])).count() + 2; // + the two odd ones
        String analyzed = rows("EXPLAIN ANALYZE SELECT _id FROM orders WHERE status = 'paid'").stream()
                .map(r -> (String) r.getFirst())
                .collect(Collectors.joining("\n"));
        assertTrue(analyzed.contains("jql=[filter={\"status\":{\"$eq\":\"paid\"}}, fields=[\"status\"]]"), analyzed);
        assertTrue(analyzed.contains("index by_status"), analyzed);
        assertTrue(analyzed.contains("documentsExamined=" + paid + " "), analyzed);
        assertTrue(analyzed.contains("documentsReturned=" + paid + " "), analyzed);
        assertTrue(analyzed.contains("Rows: " + paid + ","), analyzed);
    }

    @Test
    void aLooseFieldIsFilteredAgainAfterTheShards() throws Exception {
        // JQL's "amount > 800" also matches [900]; SQL reads that amount as NULL, so it is no answer.
        assertEquals(List.of(), rows("SELECT _id FROM orders WHERE amount > 800"));
        String plan = plan("SELECT _id FROM orders WHERE amount > 800");
        assertTrue(filtersAgain(plan), plan);
        assertTrue(plan.contains("jql=[filter={\"amount\":{\"$gt\":800}}, fields=[\"amount\"]]"), plan);
        List<String> expected = orders.entrySet().stream()
                .filter(e -> (long) e.getValue()[1] > 400)
                .map(Map.Entry::getKey)
                .toList();
        assertEquals(
                expected,
                rows("SELECT _id FROM orders WHERE amount > 400 ORDER BY _id").stream()
                        .map(r -> (String) r.getFirst())
                        .toList());
    }

    @Test
    void notEqualAndNullFollowSql() throws Exception {
        long notPaid = orders.values().stream()
                .filter(o -> o[2] != null && !"paid".equals(o[2]))
                .count();
        assertEquals(List.of(List.of(notPaid)), rows("SELECT COUNT(*) FROM orders WHERE status <> 'paid'"));
        long missing = orders.values().stream().filter(o -> o[2] == null).count();
        assertEquals(List.of(List.of(missing)), rows("SELECT COUNT(*) FROM orders WHERE status IS NULL"));
        assertEquals(List.of(List.of(0L)), rows("SELECT COUNT(*) FROM orders WHERE status = NULL"));
        // amount of the two odd documents reads as NULL
        assertEquals(List.of(List.of(2L)), rows("SELECT COUNT(*) FROM orders WHERE amount IS NULL"));
    }

    @Test
    void aJoinWithGroupingEqualsTheSameComputedInJava() throws Exception {
        Map<String, long[]> expected = new TreeMap<>();
        orders.values().stream().filter(o -> "paid".equals(o[2])).forEach(o -> {
            String city = (String) customers.get((String) o[0])[1];
            long[] agg = expected.computeIfAbsent(city, c -> new long[2]);
            agg[0]++;
            agg[1] += (long) o[1];
        });
        List<List<Object>> want = new ArrayList<>();
        expected.forEach((city, agg) -> want.add(List.of(city, agg[0], agg[1])));
        assertEquals(
                want,
                rows("SELECT c.city, COUNT(*) AS n, SUM(o.amount) AS total FROM orders o JOIN customers c"
                        + " ON o.customer = c._id WHERE o.status = 'paid' AND o.amount IS NOT NULL"
                        + " GROUP BY c.city ORDER BY c.city"));
    }

    @Test
    void parametersBindPerExecutionOfOnePlan() throws Exception {
        String sql = "SELECT _id FROM orders WHERE status = ? AND amount >= ? ORDER BY _id LIMIT 5";
        for (String status : STATUSES) {
            List<String> want = orders.entrySet().stream()
                    .filter(e -> status.equals(e.getValue()[2]) && (long) e.getValue()[1] >= 100)
                    .map(Map.Entry::getKey)
                    .limit(5)
                    .toList();
            assertEquals(
                    want,
                    rows(sql, status, 100).stream()
                            .map(r -> (String) r.getFirst())
                            .toList());
        }
        assertEquals(List.of(), rows(sql, null, 100), "a comparison with NULL matches nothing");
        assertEquals(List.of(List.of("c04")), rows("SELECT _id FROM customers WHERE _id = ?", "c04"));
    }

    @Test
    void aSortAndLimitOnTheIdArePushedIntoTheShards() throws Exception {
        String sql = "SELECT _id FROM orders ORDER BY _id DESC LIMIT 3 OFFSET 1";
        String plan = plan(sql);
        assertTrue(plan.contains("sort=[\"-_id\"], offset=1, limit=3"), plan);
        assertFalse(plan.contains("EnumerableSort") || plan.contains("EnumerableLimit"), plan);
        assertEquals(List.of(List.of("x-array"), List.of("o150"), List.of("o149")), rows(sql));
        assertEquals(4, sql(sql).documentsRead(), "offset + limit documents, not the collection");
    }

    @Test
    void onlyTheColumnsAStatementUsesAreFetched() throws Exception {
        String one = "SELECT customer FROM orders WHERE _id = 'o007'";
        assertTrue(plan(one).contains("fields=[\"customer\"]"), plan(one));
        assertEquals(List.of(List.of(orders.get("o007")[0])), rows(one));
        // Through a filter Calcite evaluates again: the filter's column is fetched too.
        String loose = "SELECT _id FROM orders WHERE amount > 480 ORDER BY _id";
        assertTrue(plan(loose).contains("fields=[\"amount\"]"), plan(loose));
        assertEquals(
                orders.entrySet().stream()
                        .filter(e -> (long) e.getValue()[1] > 480)
                        .map(e -> List.<Object>of(e.getKey()))
                        .sorted(java.util.Comparator.comparing(r -> (String) r.getFirst()))
                        .toList(),
                rows(loose));
        // Each side of a join reads what the join, the filter and the grouping need.
        String join = "SELECT c.city, SUM(o.amount) FROM orders o JOIN customers c ON o.customer = c._id"
                + " GROUP BY c.city";
        String joined = plan(join);
        assertTrue(joined.contains("fields=[\"customer\",\"amount\"]"), joined);
        assertTrue(joined.contains("fields=[\"city\"]"), joined);
        // The whole document is read whole.
        assertFalse(plan("SELECT doc FROM orders WHERE _id = 'o007'").contains("fields="));
        // Scans of one column each, set against each other.
        long smallest =
                orders.values().stream().mapToLong(o -> (long) o[1]).min().orElseThrow();
        long above =
                orders.values().stream().filter(o -> (long) o[1] > smallest).count();
        assertEquals(
                customers.size() + above,
                rows("SELECT _id FROM orders WHERE amount > (SELECT MIN(amount) FROM orders) UNION SELECT _id FROM"
                                + " customers ORDER BY 1")
                        .size());
    }

    @Test
    void countingRowsIsTheShardsWorkWhenTheFilterIsExact() throws Exception {
        String all = "SELECT COUNT(*) FROM orders";
        assertTrue(plan(all).contains("count=true"), plan(all));
        assertEquals(List.of(List.of(152L)), rows(all));
        assertEquals(0, sql(all).documentsRead(), "the shards sent the count, not the documents");
        String some = "SELECT COUNT(*) AS n FROM orders WHERE _id >= ? AND _id < 'o100'";
        assertTrue(plan(some, "o050").contains("count=true"), plan(some, "o050"));
        assertEquals(List.of(List.of(50L)), rows(some, "o050"));
        assertEquals("n", sql(some, "o050").columns().getFirst().name());
        // A loose filter (JQL would also count the array and the text amount) stays with Calcite.
        String loose = "SELECT COUNT(*) FROM orders WHERE amount > 450";
        assertFalse(plan(loose).contains("count=true"), plan(loose));
        long expected = orders.values().stream().filter(o -> (long) o[1] > 450).count();
        assertEquals(List.of(List.of(expected)), rows(loose));
        // Grouped counts, and counts of a column (its non-null values), are Calcite's too.
        assertFalse(plan("SELECT status, COUNT(*) FROM orders GROUP BY status").contains("count=true"));
        assertFalse(plan("SELECT COUNT(status) FROM orders").contains("count=true"));
        long withStatus = orders.values().stream().filter(o -> o[2] != null).count() + 2;
        assertEquals(List.of(List.of(withStatus)), rows("SELECT COUNT(status) FROM orders"));
        // Row rules hold for a pushed count as for any scan.
        ObjectNode oslo = DocumentJson.mapper().createObjectNode().put("city", "Oslo");
        RowAccess rule = RowAccess.of(oslo, Set.of(), QueryLimits.DEFAULTS);
        SqlResult counted =
                await(engine.execute("shop", "SELECT COUNT(*) FROM customers", List.of(), (db, coll) -> rule));
        long inOslo =
                customers.values().stream().filter(c -> c[1].equals("Oslo")).count();
        assertEquals(inOslo, ((Number) counted.rows().getFirst()[0]).longValue());
    }

    @Test
    void aSortOnALooseFieldIsCalcites() throws Exception {
        String plan = plan("SELECT _id, amount FROM orders ORDER BY amount DESC NULLS LAST, _id LIMIT 2");
        assertTrue(plan.contains("EnumerableSort") || plan.contains("EnumerableLimitSort"), plan);
        List<Map.Entry<String, Object[]>> top = orders.entrySet().stream()
                .sorted((a, b) -> Long.compare((long) b.getValue()[1], (long) a.getValue()[1]))
                .limit(2)
                .toList();
        assertEquals(
                top.stream().map(e -> List.of(e.getKey(), e.getValue()[1])).toList(),
                rows("SELECT _id, amount FROM orders ORDER BY amount DESC NULLS LAST, _id LIMIT 2"));
    }

    @Test
    void errorsCarryTheSqlStateAndThePlaceInTheStatement() {
        SqlException syntax = failure("SELECT _id FROM orders WHERE");
        assertEquals("42601", syntax.sqlState());
        assertTrue(syntax.position() > 0, "position of a syntax error");

        SqlException table = failure("SELECT * FROM nosuch");
        assertEquals("42P01", table.sqlState());
        assertEquals("relation \"nosuch\" does not exist", table.getMessage());
        assertEquals(15, table.position());

        SqlException column = failure("SELECT nosuch FROM orders");
        assertEquals("42703", column.sqlState());
        assertEquals(8, column.position());

        SqlException explained = failure("EXPLAIN SELECT nosuch FROM orders");
        assertEquals(16, explained.position(), "the place in the statement as given");

        SqlException unsupported = failure("TRUNCATE orders");
        assertEquals("0A000", unsupported.sqlState());
        assertEquals(SqlException.Kind.UNSUPPORTED, unsupported.kind());
        SqlException view = failure("CREATE VIEW v AS SELECT 1");
        assertEquals("0A000", view.sqlState());
        assertEquals(8, view.position());

        SqlException division = failure("SELECT 1 / 0");
        assertEquals("22012", division.sqlState());

        SqlException database = assertThrows(
                SqlException.class,
                () -> await(engine.execute("nosuchdb", "SELECT 1", List.of(), SqlSession.Sight.ALL)));
        assertEquals("3D000", database.sqlState());
        assertEquals(SqlException.Kind.NOT_FOUND, database.kind());
    }

    @Test
    void rowRulesAndHiddenFieldsApplyToEveryScan() throws Exception {
        ObjectNode oslo = DocumentJson.mapper().createObjectNode().put("city", "Oslo");
        RowAccess rule = RowAccess.of(oslo, Set.of("name"), QueryLimits.DEFAULTS);
        SqlSession.Sight sight = (db, coll) -> coll.equals("customers") ? rule : RowAccess.ALL;
        SqlResult r =
                await(engine.execute("shop", "SELECT _id, name, city FROM customers ORDER BY _id", List.of(), sight));
        List<String> want = customers.entrySet().stream()
                .filter(e -> e.getValue()[1].equals("Oslo"))
                .map(Map.Entry::getKey)
                .toList();
        assertEquals(want, r.rows().stream().map(row -> (String) row[0]).toList());
        r.rows().forEach(row -> assertNull(row[1], "a hidden field reads as NULL"));
        SqlException refused = assertThrows(
                SqlException.class,
                () -> await(
                        engine.execute("shop", "SELECT _id FROM customers WHERE name = 'Name 4'", List.of(), sight)));
        assertEquals("42501", refused.sqlState());
    }

    @Test
    void aCallerWhoMayNotReadACollectionLearnsNothingOfIt() throws Exception {
        SqlSession.Sight noOrders = (db, coll) -> {
            if (coll.equals("orders")) {
                throw new io.lumadb.security.AccessDeniedException("may not query shop/orders");
            }
            return RowAccess.ALL;
        };
        // Planned and cached for a caller who may read everything first.
        for (String sql : List.of(
                "SELECT _id, amount FROM orders WHERE _id = 'o001'", "EXPLAIN SELECT _id, amount FROM orders")) {
            sql(sql);
            SqlException refused =
                    assertThrows(SqlException.class, () -> await(engine.execute("shop", sql, List.of(), noOrders)));
            assertEquals("42501", refused.sqlState(), sql);
            assertEquals(SqlException.Kind.FORBIDDEN, refused.kind(), sql);
        }
        assertEquals(
                List.of(List.of("c01")),
                await(engine.execute("shop", "SELECT _id FROM customers WHERE _id = 'c01'", List.of(), noOrders))
                        .rows()
                        .stream()
                        .map(Arrays::asList)
                        .toList());
    }

    @Test
    void newCollectionsAndFieldsAppear() throws Exception {
        await(shards.catalog().createCollection("shop", "fresh", 1));
        put("fresh", "a", "{\"x\":1}");
        assertEquals(List.of(List.of("a", 1L)), rows("SELECT _id, x FROM fresh"));
        put("fresh", "b", "{\"x\":2,\"y\":\"new\"}");
        Thread.sleep(400); // past schema-refresh
        assertEquals(
                List.of(Arrays.asList("a", null), List.of("b", "new")), rows("SELECT _id, y FROM fresh ORDER BY _id"));
        // A cached plan outlives schema-refresh while the columns stay the same, and is made again
        // once a new sample finds a new field.
        String all = "SELECT * FROM fresh ORDER BY _id";
        assertEquals(List.of("_id", "_version", "doc", "x", "y"), names(sql(all)));
        Thread.sleep(400);
        assertEquals(List.of("_id", "_version", "doc", "x", "y"), names(sql(all)));
        put("fresh", "c", "{\"z\":true}");
        Thread.sleep(400);
        assertEquals(List.of("_id", "_version", "doc", "x", "y", "z"), names(sql(all)));
    }

    private static List<String> names(SqlResult r) {
        return r.columns().stream().map(SqlResult.Column::name).toList();
    }

    @Test
    void unnamedColumnsAreNamedAsPostgresqlNamesThemAndPublicIsTheDatabase() throws Exception {
        SqlResult r = sql("SELECT COUNT(*), SUM(amount), CAST(amount AS INTEGER), CASE WHEN amount > 1 THEN 'a' END,"
                + " amount + 1, UPPER(customer), customer, customer AS who FROM orders GROUP BY amount, customer");
        assertEquals(
                List.of("count", "sum", "int4", "case", "?column?", "upper", "customer", "who"),
                r.columns().stream().map(SqlResult.Column::name).toList());
        assertEquals(
                List.of("max"),
                sql("SELECT MAX(amount) FROM orders UNION SELECT 1 FROM customers").columns().stream()
                        .map(SqlResult.Column::name)
                        .toList());
        assertEquals(rows("SELECT COUNT(*) FROM orders"), rows("SELECT COUNT(*) FROM public.orders"));
    }
}

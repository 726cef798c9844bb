package io.lumadb.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.Shards;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.sql.schema.SqlSession;
import io.lumadb.testkit.TestPostgres;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded random tables, loaded as documents into LumaDB and as rows into the local PostgreSQL,
 * and random {@code SELECT}s from a small grammar (filters with NULLs, IN, LIKE and NOT; inner
 * and left joins; grouping with COUNT/SUM/MIN/MAX; ordering with NULLs; limits) run on both.
 * The answers must be equal: in order where the statement's {@code ORDER BY} is total, as
 * multisets otherwise. A missing field in LumaDB is a NULL column in PostgreSQL; text columns
 * are {@code COLLATE "C"}, the code-point order LumaDB compares strings in.
 */
@Tag("services")
@Timeout(300)
class SqlDifferentialTest {

    private static final long SEED = Long.getLong("sql.diff.seed", 20261204L);
    private static final int STATEMENTS = Integer.getInteger("sql.diff.statements", 400);
    private static final String[] WORDS = {"a", "ab", "abc", "b", "ba", "bab", "c", "Ca", "cb", "d"};

    private static TestNode node;
    private static SqlEngine engine;
    private static String pgDatabase;
    private static Connection pg;

    @BeforeAll
    static void start() throws Exception {
        TestPostgres.ensureRunning();
        pgDatabase = TestPostgres.createDatabase();
        pg = TestPostgres.connect(pgDatabase);
        node = new TestNode(new SqlSettings(2, 10_000, Duration.ofSeconds(30), 1_000, Duration.ofMinutes(5), 512));
        Shards shards = node.shards;
        engine = node.engine;
        shards.catalog().createDatabase("diff").toCompletableFuture().get(60, TimeUnit.SECONDS);
        Random random = new Random(SEED);
        load(shards, random, "t1", 60);
        load(shards, random, "t2", 40);
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
        if (pg != null) {
            pg.close();
        }
        if (pgDatabase != null) {
            TestPostgres.dropDatabase(pgDatabase);
        }
    }

    /** A table of {@code rows} rows: a BIGINT 0..9, b text, c a multiple of 0.5, d boolean; each NULL (missing) 1 time in 6. */
    private static void load(Shards shards, Random random, String table, int rows) throws Exception {
        shards.catalog()
                .createCollection("diff", table, 3)
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        try (Statement s = pg.createStatement()) {
            s.execute("CREATE TABLE " + table + " (_id text COLLATE \"C\" PRIMARY KEY, a bigint, b text COLLATE \"C\","
                    + " c double precision, d boolean)");
        }
        try (PreparedStatement insert = pg.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, ?, ?, ?)")) {
            for (int i = 0; i < rows; i++) {
                String id = String.format("%s-%03d", table, i);
                Long a = random.nextInt(6) == 0 ? null : Long.valueOf(random.nextInt(10));
                String b = random.nextInt(6) == 0 ? null : WORDS[random.nextInt(WORDS.length)];
                // The first row holds a fraction, so c is inferred DOUBLE.
                Double c = i == 0
                        ? Double.valueOf(0.5)
                        : random.nextInt(6) == 0 ? null : Double.valueOf(random.nextInt(20) / 2.0);
                Boolean d = random.nextInt(6) == 0 ? null : Boolean.valueOf(random.nextBoolean());
                StringBuilder json = new StringBuilder("{");
                List<String> fields = new ArrayList<>();
                if (a != null) {
                    fields.add("\"a\":" + a);
                }
                if (b != null) {
                    fields.add("\"b\":\"" + b + "\"");
                }
                if (c != null) {
                    fields.add("\"c\":" + c);
                }
                if (d != null) {
                    fields.add("\"d\":" + d);
                }
                json.append(String.join(",", fields)).append("}");
                shards.documents()
                        .write(
                                "diff",
                                table,
                                DocumentWrite.put(
                                        id, json.toString().getBytes(StandardCharsets.UTF_8), DocumentWrite.ANY))
                        .toCompletableFuture()
                        .get(60, TimeUnit.SECONDS);
                insert.setString(1, id);
                insert.setObject(2, a);
                insert.setString(3, b);
                insert.setObject(4, c);
                insert.setObject(5, d);
                insert.executeUpdate();
            }
        }
    }

    /** One generated statement and whether its ORDER BY makes the order of its rows total. */
    private record Generated(String sql, boolean ordered) {}

    /** The statement grammar. */
    private static final class Grammar {
        private final Random random;

        Grammar(Random random) {
            this.random = random;
        }

        private <T> T pick(List<T> options) {
            return options.get(random.nextInt(options.size()));
        }

        private String literal(String column) {
            return switch (column) {
                case "a" -> Integer.toString(random.nextInt(11) - 1);
                case "b" -> "'" + pick(List.of(WORDS)) + "'";
                case "c" -> (random.nextInt(22) - 1) / 2.0 + "";
                case "d" -> random.nextBoolean() ? "TRUE" : "FALSE";
                default -> "'" + pick(List.of("t1", "t2")) + "-0" + random.nextInt(6) + random.nextInt(10) + "'";
            };
        }

        String condition(String alias, int depth) {
            int kind = random.nextInt(depth >= 2 ? 6 : 9);
            String column = pick(List.of("a", "a", "b", "c", "d", "_id"));
            String ref = alias + "." + column;
            return switch (kind) {
                case 0, 1, 2 -> {
                    String op = column.equals("d")
                            ? pick(List.of("=", "<>"))
                            : pick(List.of("=", "<>", "<", "<=", ">", ">="));
                    yield random.nextInt(5) == 0
                            ? literal(column) + " " + op + " " + ref
                            : ref + " " + op + " " + literal(column);
                }
                case 3 -> ref + (random.nextBoolean() ? " IS NULL" : " IS NOT NULL");
                case 4 -> {
                    List<String> values = new ArrayList<>();
                    int n = 1 + random.nextInt(4);
                    for (int i = 0; i < n; i++) {
                        values.add(literal(column));
                    }
                    yield ref + (random.nextInt(4) == 0 ? " NOT IN (" : " IN (") + String.join(", ", values) + ")";
                }
                case 5 -> alias + ".b LIKE '" + pick(List.of("a", "b", "ab", "c", "C")) + "%'";
                case 6 -> "NOT (" + condition(alias, depth + 1) + ")";
                case 7 -> "(" + condition(alias, depth + 1) + " AND " + condition(alias, depth + 1) + ")";
                default -> "(" + condition(alias, depth + 1) + " OR " + condition(alias, depth + 1) + ")";
            };
        }

        private String where(String alias) {
            return random.nextInt(5) == 0 ? "" : " WHERE " + condition(alias, 0);
        }

        Generated next() {
            return switch (random.nextInt(6)) {
                case 0, 1 -> {
                    // Rows of one table, ordered by the id (total), maybe limited.
                    boolean desc = random.nextBoolean();
                    String limit = random.nextBoolean() ? " LIMIT " + (1 + random.nextInt(10)) : "";
                    String offset = !limit.isEmpty() && random.nextBoolean() ? " OFFSET " + random.nextInt(5) : "";
                    String t = pick(List.of("t1", "t2"));
                    yield new Generated(
                            "SELECT x._id, x.a, x.b, x.c, x.d FROM " + t + " x" + where("x") + " ORDER BY x._id"
                                    + (desc ? " DESC" : "") + limit + offset,
                            true);
                }
                case 2 -> {
                    // Ordered by a column with NULLs, then the id.
                    String column = pick(List.of("a", "b", "c", "d"));
                    String dir = pick(List.of("", " DESC", " NULLS FIRST", " DESC NULLS LAST"));
                    yield new Generated(
                            "SELECT x._id, x." + column + " FROM t1 x" + where("x") + " ORDER BY x." + column + dir
                                    + ", x._id LIMIT " + (1 + random.nextInt(15)),
                            true);
                }
                case 3 -> {
                    String key = pick(List.of("b", "d", "a"));
                    yield new Generated(
                            "SELECT x." + key + ", COUNT(*), COUNT(x.c), SUM(x.a), MIN(x.c), MAX(x.b) FROM t1 x"
                                    + where("x") + " GROUP BY x." + key
                                    + (random.nextBoolean() ? " HAVING COUNT(*) > " + random.nextInt(4) : ""),
                            false);
                }
                case 4 ->
                    new Generated(
                            "SELECT x._id, y._id, x.b, y.c FROM t1 x JOIN t2 y ON x.a = y.a" + where("x")
                                    + (random.nextBoolean() ? " AND " + condition("y", 1) : "")
                                    + " ORDER BY x._id, y._id LIMIT " + (5 + random.nextInt(30)),
                            true);
                default ->
                    new Generated(
                            "SELECT x._id, COUNT(y._id), SUM(y.a) FROM t1 x LEFT JOIN t2 y ON x.b = y.b" + where("x")
                                    + " GROUP BY x._id",
                            false);
            };
        }
    }

    @Test
    void randomSelectsAnswerAsPostgreSqlDoes() throws Exception {
        Grammar grammar = new Grammar(new Random(SEED + 1));
        List<String> differences = new ArrayList<>();
        int run = 0;
        for (int i = 0; i < STATEMENTS; i++) {
            Generated g = grammar.next();
            List<List<String>> expected = postgres(g.sql());
            List<List<String>> actual = lumadb(g.sql());
            if (!g.ordered()) {
                expected.sort(ROWS);
                actual.sort(ROWS);
            }
            run++;
            if (!expected.equals(actual)) {
                differences.add(g.sql() + "\n  PostgreSQL: " + expected + "\n  LumaDB:     " + actual);
            }
        }
        System.out.printf(
                "SQL differential test: %d statements (seed %d), %d differences%n", run, SEED, differences.size());
        assertEquals(STATEMENTS, run);
        assertTrue(
                differences.isEmpty(),
                differences.size() + " of " + run + " statements answered differently (seed " + SEED + "):\n"
                        + String.join("\n", differences.subList(0, Math.min(5, differences.size()))));
    }

    private static final Comparator<List<String>> ROWS = (x, y) -> {
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            int c = Comparator.nullsFirst(Comparator.<String>naturalOrder()).compare(x.get(i), y.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    };

    private static List<List<String>> postgres(String sql) throws Exception {
        List<List<String>> rows = new ArrayList<>();
        try (Statement s = pg.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(normal(rs.getObject(i)));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static List<List<String>> lumadb(String sql) throws Exception {
        SqlResult r;
        try {
            r = engine.execute("diff", sql, List.of(), SqlSession.Sight.ALL)
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(sql + " failed on LumaDB: " + e.getCause(), e.getCause());
        }
        List<List<String>> rows = new ArrayList<>();
        for (Object[] values : r.rows()) {
            List<String> row = new ArrayList<>();
            for (Object v : values) {
                row.add(normal(v));
            }
            rows.add(row);
        }
        return rows;
    }

    /** A value as comparable text: numbers by value (2, 2.0 and 2.00 alike). */
    private static String normal(Object v) {
        return switch (v) {
            case null -> null;
            case Number n -> new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
            default -> v.toString();
        };
    }
}

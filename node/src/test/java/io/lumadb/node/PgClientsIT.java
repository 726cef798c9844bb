package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The PostgreSQL protocol with the clients people have: the system's {@code psql} runs a scripted
 * session, and Node.js's {@code pg} package (from npm) runs parameterised queries, signing in
 * with its own SCRAM-SHA-256. Each answers exactly what the same client answers from the local
 * PostgreSQL holding the same rows.
 */
@Tag("services")
@Timeout(300)
class PgClientsIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";

    private static final String[][] CUSTOMERS = {{"c1", "Ada", "Oslo"}, {"c2", "Bob", "Lima"}, {"c3", "Cyd", "Oslo"}};
    private static final String[][] ORDERS = {
        {"o1", "c1", "10", "paid"}, {"o2", "c1", "20", "paid"}, {"o3", "c2", "5", "open"},
        {"o4", "c3", "7", "paid"}, {"o5", "c2", "30", "paid"}, {"o6", "c9", "1", "open"}
    };

    /** The same rows in LumaDB (documents) and in a fresh PostgreSQL database (tables); answers the latter's name. */
    private static String load(TestHttp http) throws Exception {
        assertEquals(201, http.method("PUT", "/api/v1/shop", null, null).status());
        for (String[] c : CUSTOMERS) {
            http.putDocument("/api/v1/shop/customers", c[0], "{\"name\":\"" + c[1] + "\",\"city\":\"" + c[2] + "\"}");
        }
        for (String[] o : ORDERS) {
            http.putDocument(
                    "/api/v1/shop/orders",
                    o[0],
                    "{\"customer\":\"" + o[1] + "\",\"amount\":" + o[2] + ",\"status\":\"" + o[3] + "\"}");
        }
        TestPostgres.ensureRunning();
        String pgDb = TestPostgres.createDatabase();
        try (Connection pg = TestPostgres.connect(pgDb);
                Statement s = pg.createStatement()) {
            s.execute("CREATE TABLE customers (_id text PRIMARY KEY, name text, city text)");
            s.execute("CREATE TABLE orders (_id text PRIMARY KEY, customer text, amount bigint, status text)");
            for (String[] c : CUSTOMERS) {
                s.execute("INSERT INTO customers VALUES ('" + c[0] + "','" + c[1] + "','" + c[2] + "')");
            }
            for (String[] o : ORDERS) {
                s.execute("INSERT INTO orders VALUES ('" + o[0] + "','" + o[1] + "'," + o[2] + ",'" + o[3] + "')");
            }
        }
        return pgDb;
    }

    private static Map<String, Object> settings() {
        Map<String, Object> s = new HashMap<>(InProcessServer.secured(ADMIN_PASSWORD));
        s.put("lumadb.sql.postgres.enabled", "on");
        s.put("lumadb.sql.postgres.port", 0);
        return s;
    }

    private record Ran(int exit, String out, String err) {}

    private static Ran run(Path dir, Map<String, String> env, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(env);
        Path out = dir.resolve("out-" + System.nanoTime());
        Path err = dir.resolve("err-" + System.nanoTime());
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "did not finish: " + command);
        } finally {
            p.destroyForcibly();
        }
        return new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static final String SESSION = String.join(
            "\n",
            "SELECT c.city, COUNT(*) AS orders, SUM(o.amount) AS total FROM orders o JOIN customers c"
                    + " ON o.customer = c._id WHERE o.status = 'paid' GROUP BY c.city HAVING SUM(o.amount) > 5"
                    + " ORDER BY c.city;",
            "SELECT _id, name FROM customers WHERE name LIKE 'A%' OR city = 'Lima' ORDER BY _id;",
            "SELECT o._id, c.name FROM orders o LEFT JOIN customers c ON o.customer = c._id ORDER BY o._id"
                    + " LIMIT 3 OFFSET 2;",
            "SELECT status, CASE WHEN SUM(amount) > 20 THEN 'big' ELSE 'small' END AS size, MAX(amount) AS most"
                    + " FROM orders GROUP BY status ORDER BY status;",
            "SELECT _id FROM orders WHERE amount > (SELECT MIN(amount) FROM orders) UNION SELECT _id FROM customers"
                    + " ORDER BY 1;",
            "SELECT CAST(amount AS DOUBLE PRECISION) / 4 AS quarter, amount * 2 AS twice FROM orders"
                    + " WHERE customer IN ('c1', 'c2') ORDER BY _id;",
            "SELECT nothing FROM orders;",
            "BEGIN;",
            "SELECT COUNT(*) AS n FROM customers;",
            "SELECT 1 / 0 AS broken;",
            "SELECT 2 AS ignored;",
            "ROLLBACK;",
            "SHOW server_encoding;",
            "SELECT status, COUNT(*), MAX(amount), amount > 5 FROM public.orders GROUP BY status, amount ORDER BY 1, 3;",
            "INSERT INTO customers (_id, name, city) VALUES ('c4', 'Dan', 'Kyiv'), ('c5', 'Eli', 'Oslo');",
            "INSERT INTO orders (_id, customer, amount, status) SELECT 'n' || _id, _id, 3, 'open' FROM customers"
                    + " WHERE city = 'Oslo';",
            "UPDATE orders SET amount = amount * 10, status = 'paid' WHERE customer IN ('c1', 'c5');",
            "DELETE FROM orders WHERE status = 'open' AND amount < 5;",
            "INSERT INTO customers (_id, name) VALUES ('c1', 'Again');",
            "SELECT c.city, COUNT(o._id) AS orders, SUM(o.amount) AS total FROM customers c LEFT JOIN orders o"
                    + " ON o.customer = c._id GROUP BY c.city ORDER BY c.city;",
            "SELECT _id, customer, amount, status FROM orders ORDER BY _id;",
            "CREATE TABLE products (sku text PRIMARY KEY, title varchar(12) NOT NULL, price double precision,"
                    + " stock integer);",
            "CREATE TABLE lines (id integer PRIMARY KEY, sku text NOT NULL, qty smallint);",
            "CREATE INDEX products_price ON products (price);",
            "INSERT INTO products (sku, title, price, stock) VALUES ('p1', 'Pen', 1.5, 10), ('p2', 'Pad', 4, 0),"
                    + " ('p3', 'Ink', 2.25, 3);",
            "INSERT INTO lines (id, sku, qty) VALUES (1, 'p1', 2), (2, 'p1', 3), (3, 'p3', 4), (4, 'p2', 1);",
            "ALTER TABLE products ADD COLUMN colour text;",
            "UPDATE products SET colour = 'blue' WHERE price < 3;",
            "INSERT INTO products (sku, title) VALUES ('p1', 'Again');",
            "SELECT p.title, COUNT(*) AS n, SUM(l.qty) AS qty, SUM(l.qty * p.price) AS revenue FROM lines l"
                    + " JOIN products p ON l.sku = p.sku WHERE p.price > 1 GROUP BY p.title HAVING SUM(l.qty) > 1"
                    + " ORDER BY revenue DESC;",
            "SELECT sku, title, price, stock, colour FROM products WHERE price BETWEEN 1 AND 3 ORDER BY sku;",
            "DROP TABLE lines;",
            "DROP TABLE IF EXISTS lines;",
            "SELECT id FROM lines;",
            "");

    @Test
    void psqlRunsAScriptedSessionAsOnPostgresql() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-psql");
        String pgDb = null;
        try (InProcessServer server = new InProcessServer(settings())) {
            pgDb = load(server.http().asUser("admin", ADMIN_PASSWORD));
            // psql's environment for LumaDB, as admin in the database shop.
            Map<String, String> lumadb = Map.of(
                    "PGHOST", "127.0.0.1",
                    "PGPORT", Integer.toString(server.postgresPort()),
                    "PGUSER", "admin",
                    "PGPASSWORD", ADMIN_PASSWORD,
                    "PGDATABASE", "shop");
            Path script = dir.resolve("session.sql");
            Files.writeString(script, SESSION);
            List<String> psql = List.of("psql", "-X", "-q", "-v", "ON_ERROR_STOP=0", "-f", "session.sql");
            Ran luma = run(dir, lumadb, psql);
            Ran pg = run(
                    dir,
                    Map.of(
                            "PGHOST",
                            TestPostgres.HOST,
                            "PGPORT",
                            Integer.toString(TestPostgres.PORT),
                            "PGUSER",
                            TestPostgres.USER,
                            "PGDATABASE",
                            pgDb),
                    psql);
            assertEquals(0, pg.exit(), pg.err());
            assertEquals(0, luma.exit(), luma.err());
            assertEquals(pg.out(), luma.out());
            assertEquals(errors(pg.err()), errors(luma.err()));
            assertTrue(luma.out().contains("Oslo"), luma.out());

            // psql's own listings, from the system catalogs: the tables, and one described.
            Ran described = run(dir, lumadb, List.of("psql", "-X", "-c", "\\dt", "-c", "\\d products", "-c", "\\l"));
            assertEquals(0, described.exit(), described.err());
            assertEquals("", described.err());
            assertTrue(described.out().startsWith(DESCRIBED), described.out());
            assertTrue(
                    java.util.regex.Pattern.compile("(?m)^ shop +\\| lumadb \\| UTF8 ")
                            .matcher(described.out())
                            .find(),
                    described.out());
        } finally {
            TestFiles.deleteRecursively(dir);
            if (pgDb != null) {
                TestPostgres.dropDatabase(pgDb);
            }
        }
    }

    /** What psql's {@code \\dt} and {@code \\d products} print after the session. */
    private static final String DESCRIBED = """
                      List of relations
             Schema |   Name    | Type  | Owner \s
            --------+-----------+-------+--------
             public | customers | table | lumadb
             public | orders    | table | lumadb
             public | products  | table | lumadb
            (3 rows)

                                  Table "public.products"
              Column  |         Type          | Collation | Nullable | Default\s
            ----------+-----------------------+-----------+----------+---------
             _id      | text                  |           | not null |\s
             _version | bigint                |           | not null |\s
             doc      | jsonb                 |           | not null |\s
             sku      | text                  |           | not null |\s
             title    | character varying(12) |           | not null |\s
             price    | double precision      |           |          |\s
             stock    | integer               |           |          |\s
             colour   | text                  |           |          |\s
            Indexes:
                "products_pkey" PRIMARY KEY, btree (sku)
                "products_price" btree (price)

            """;

    /** psql's error lines: the SQLSTATE's message and where it points, without psql's own prefix. */
    private static List<String> errors(String stderr) {
        List<String> lines = new ArrayList<>();
        for (String line : stderr.lines().toList()) {
            String l = line.replaceFirst("^psql:session\\.sql:\\d+: ", "");
            if (l.startsWith("ERROR:")
                    || l.startsWith("DETAIL:")
                    || l.startsWith("LINE")
                    || l.trim().equals("^")) {
                lines.add(l);
            }
        }
        return lines;
    }

    private static final String NODE_CLIENT = """
            const { Client } = require('pg');
            (async () => {
              const [port, user, password, database] = process.argv.slice(2);
              const c = new Client({ host: '127.0.0.1', port: +port, user, password: password || undefined, database });
              await c.connect();
              const picked = await c.query(
                'SELECT _id, amount FROM orders WHERE amount > $1 AND status = $2 ORDER BY _id', [6, 'paid']);
              const grouped = await c.query(
                'SELECT c.city, SUM(o.amount) AS total FROM orders o JOIN customers c ON o.customer = c._id'
                + ' GROUP BY c.city ORDER BY c.city');
              const none = await c.query('SELECT _id FROM orders WHERE customer = $1', ['nobody']);
              let failed = null;
              try { await c.query('SELECT _id FROM orders WHERE amount = $1', ['many']); }
              catch (e) { failed = e.code; }
              console.log(JSON.stringify({
                picked: picked.rows, fields: picked.fields.map(f => f.name),
                grouped: grouped.rows, none: none.rowCount, failed }));
              await c.end();
            })().catch(e => { console.error(e.code + ' ' + e.message); process.exit(2); });
            """;

    /** The Node.js client script against a server. */
    private static Ran client(Path dir, int port, String user, String password, String database) throws Exception {
        return run(dir, Map.of(), List.of("node", "client.js", Integer.toString(port), user, password, database));
    }

    @Test
    void nodePgRunsParameterisedQueriesAsOnPostgresql() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-node-pg");
        String pgDb = null;
        try (InProcessServer server = new InProcessServer(settings())) {
            pgDb = load(server.http().asUser("admin", ADMIN_PASSWORD));
            Files.writeString(dir.resolve("client.js"), NODE_CLIENT, StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("package.json"), "{\"name\":\"lumadb-pg-check\",\"private\":true}");
            Ran installed = run(
                    dir, Map.of(), List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "pg@8"));
            assertEquals(0, installed.exit(), installed.err());

            Ran luma = client(dir, server.postgresPort(), "admin", ADMIN_PASSWORD, "shop");
            Ran pg = client(dir, TestPostgres.PORT, TestPostgres.USER, "", pgDb);
            assertEquals(0, pg.exit(), pg.err());
            assertEquals(0, luma.exit(), luma.err());
            assertEquals(pg.out(), luma.out());
            assertTrue(luma.out().contains("\"failed\":\"22P02\""), luma.out());

            Ran refused = client(dir, server.postgresPort(), "admin", "wrong-password", "shop");
            assertEquals(2, refused.exit(), refused.out());
            assertTrue(refused.err().startsWith("28P01 "), refused.err());
        } finally {
            TestFiles.deleteRecursively(dir);
            if (pgDb != null) {
                TestPostgres.dropDatabase(pgDb);
            }
        }
    }
}

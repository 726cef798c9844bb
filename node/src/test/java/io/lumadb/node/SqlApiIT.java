package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code POST /api/v1/{db}/_sql} on a real server with a real HTTP client: a join with grouping
 * over documents written through the document API, parameters, plans, every error the route
 * promises with its status, problem type and SQLSTATE, and the caller's permissions and row rules.
 */
@Timeout(180)
class SqlApiIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";

    private static TestHttp.Response sql(TestHttp http, String db, String body) {
        return http.method("POST", db + "/_sql", "application/json", body);
    }

    private static JsonNode ok(TestHttp.Response r) {
        assertEquals(200, r.status(), r.toString());
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        return r.json();
    }

    private static void created(TestHttp.Response r) {
        assertTrue(r.status() == 200 || r.status() == 201, r.toString());
    }

    private static List<List<String>> rows(JsonNode answer) {
        List<List<String>> out = new ArrayList<>();
        answer.path("rows").forEach(row -> {
            List<String> r = new ArrayList<>();
            row.forEach(v -> r.add(v.isNull() ? null : v.asText()));
            out.add(r);
        });
        return out;
    }

    private static void problem(TestHttp.Response r, int status, String type, String sqlState) {
        assertEquals(status, r.status(), r.toString());
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
        assertEquals("urn:lumadb:problem:" + type, r.json().path("type").asText(), r.toString());
        if (sqlState != null) {
            assertEquals(sqlState, r.json().path("sqlState").asText(), r.toString());
        }
    }

    private static void load(TestHttp http, String db) {
        String[][] customers = {{"c1", "Ada", "Oslo"}, {"c2", "Bob", "Lima"}, {"c3", "Cyd", "Oslo"}};
        for (String[] c : customers) {
            http.putDocument(db + "/customers", c[0], "{\"name\":\"" + c[1] + "\",\"city\":\"" + c[2] + "\"}");
        }
        String[][] orders = {
            {"o1", "c1", "10", "paid"},
            {"o2", "c1", "20", "paid"},
            {"o3", "c2", "5", "open"},
            {"o4", "c3", "7", "paid"},
            {"o5", "c2", "30", "paid"}
        };
        for (String[] o : orders) {
            http.putDocument(
                    db + "/orders",
                    o[0],
                    "{\"customer\":\"" + o[1] + "\",\"amount\":" + o[2] + ",\"status\":\"" + o[3] + "\"}");
        }
    }

    @Test
    void answersJoinsParametersAndPlansAndNamesEveryError() throws Exception {
        try (InProcessServer server = new InProcessServer(Map.of("lumadb.sql.max-rows", 100))) {
            TestHttp http = server.http();
            String db = http.freshDatabase("sql");
            load(http, db);

            JsonNode joined = ok(sql(
                    http,
                    db,
                    "{\"sql\":\"SELECT c.city, COUNT(*) AS n, SUM(o.amount) AS total FROM orders o JOIN customers c"
                            + " ON o.customer = c._id WHERE o.status = ? GROUP BY c.city ORDER BY c.city\","
                            + "\"params\":[\"paid\"]}"));
            assertEquals(List.of(List.of("Lima", "1", "30"), List.of("Oslo", "3", "37")), rows(joined));
            assertEquals("city", joined.path("columns").get(0).path("name").asText());
            assertEquals("VARCHAR", joined.path("columns").get(0).path("type").asText());
            assertEquals("BIGINT", joined.path("columns").get(1).path("type").asText());
            assertEquals(2, joined.path("rowCount").asInt());

            JsonNode one =
                    ok(sql(http, db, "{\"sql\":\"SELECT name FROM customers WHERE _id = ?\",\"params\":[\"c2\"]}"));
            assertEquals(List.of(List.of("Bob")), rows(one));
            assertEquals(1, one.path("documentsRead").asInt(), "the id filter ran in the shards");

            JsonNode plan = ok(sql(http, db, "{\"sql\":\"EXPLAIN SELECT name FROM customers WHERE _id = 'c2'\"}"));
            assertEquals("QUERY PLAN", plan.path("columns").get(0).path("name").asText());
            assertTrue(plan.toString().contains("LumaTableScan"), plan.toString());
            assertTrue(plan.toString().contains("_id"), plan.toString());

            TestHttp.Response syntax = sql(http, db, "{\"sql\":\"SELECT FROM WHERE\"}");
            problem(syntax, 400, "invalid-sql", "42601");
            assertTrue(syntax.json().path("position").asInt() > 0, syntax.toString());
            TestHttp.Response table = sql(http, db, "{\"sql\":\"SELECT * FROM nosuch\"}");
            problem(table, 400, "invalid-sql", "42P01");
            assertEquals(15, table.json().path("position").asInt(), table.toString());
            problem(sql(http, db, "{\"sql\":\"SELECT nosuch FROM orders\"}"), 400, "invalid-sql", "42703");
            problem(sql(http, db, "{\"sql\":\"TRUNCATE orders\"}"), 400, "sql-not-supported", "0A000");
            // Definitions answer their command; the table's schema then holds for writes over HTTP.
            JsonNode defined = ok(sql(
                    http, db, "{\"sql\":\"CREATE TABLE notes (id integer PRIMARY KEY, body varchar(5) NOT NULL)\"}"));
            assertEquals("CREATE TABLE", defined.path("command").asText(), defined.toString());
            TestHttp.Response tooLong =
                    sql(http, db, "{\"sql\":\"INSERT INTO notes (id, body) VALUES (1, 'far too long')\"}");
            problem(tooLong, 400, "invalid-sql", "23514");
            TestHttp.Response direct = http.put(db + "/notes/2", "{\"id\":2,\"body\":7}");
            assertEquals(400, direct.status(), direct.toString());
            assertEquals("/body", direct.json().path("field").asText(), direct.toString());
            ok(sql(http, db, "{\"sql\":\"DROP TABLE notes\"}"));
            problem(sql(http, db, "{\"sql\":\"SELECT * FROM notes\"}"), 400, "invalid-sql", "42P01");
            problem(sql(http, "/api/v1/nosuchdb", "{\"sql\":\"SELECT 1\"}"), 404, "database-not-found", "3D000");
            problem(sql(http, db, "{\"sql\":\"SELECT 1\",\"limit\":3}"), 400, "invalid-sql-request", null);
            problem(sql(http, db, "{\"sql\":\"\"}"), 400, "invalid-sql-request", null);
            TestHttp.Response badParam = sql(http, db, "{\"sql\":\"SELECT ?\",\"params\":[{\"a\":1}]}");
            problem(badParam, 400, "invalid-sql-request", null);
            assertEquals("/params/0", badParam.json().path("field").asText(), badParam.toString());
            problem(sql(http, db, "{\"sql\":"), 400, "invalid-json", null);

            // 125 rows: more than a JSON answer may hold here, streamed as NDJSON.
            String cube = "{\"sql\":\"SELECT a._id, b._id, c._id FROM orders a, orders b, orders c"
                    + " ORDER BY a._id, b._id, c._id\"}";
            problem(sql(http, db, cube), 413, "sql-result-too-large", "54000");
            TestHttp.Response streamed =
                    http.method("POST", db + "/_sql", "application/json", cube, "Accept", "application/x-ndjson");
            assertEquals(200, streamed.status(), streamed.toString());
            assertTrue(streamed.contentType().startsWith("application/x-ndjson"), streamed.contentType());
            List<String> lines = streamed.body().lines().toList();
            assertEquals(127, lines.size(), "columns, 125 rows, totals");
            assertTrue(lines.getFirst().startsWith("{\"columns\":["), lines.getFirst());
            assertEquals("[\"o1\",\"o1\",\"o1\"]", lines.get(1));
            assertEquals("[\"o5\",\"o5\",\"o5\"]", lines.get(125));
            JsonNode totals = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.getLast());
            assertEquals(125, totals.path("rowCount").asInt(), lines.getLast());
            // A nested-loop join reads its inner tables again for each outer row.
            assertTrue(totals.path("documentsRead").asInt() >= 15, lines.getLast());
            // A failure before the columns is a problem; one after them ends the stream with it.
            problem(
                    http.method(
                            "POST",
                            db + "/_sql",
                            "application/json",
                            "{\"sql\":\"SELECT * FROM nosuch\"}",
                            "Accept",
                            "application/x-ndjson"),
                    400,
                    "invalid-sql",
                    "42P01");
            TestHttp.Response failed = http.method(
                    "POST",
                    db + "/_sql",
                    "application/json",
                    "{\"sql\":\"SELECT 100 / (amount - 10) FROM orders ORDER BY _id\"}",
                    "Accept",
                    "application/x-ndjson");
            assertEquals(200, failed.status(), failed.toString());
            List<String> failedLines = failed.body().lines().toList();
            assertTrue(failedLines.getFirst().startsWith("{\"columns\":["), failed.toString());
            assertTrue(
                    failedLines.getLast().startsWith("{\"error\":{\"type\":\"urn:lumadb:problem:invalid-sql\""),
                    failed.toString());
            assertTrue(failedLines.getLast().contains("\"sqlState\":\"22012\""), failed.toString());
            JsonNode count = ok(http.method("POST", db + "/orders/_query", "application/json", "{\"count\":true}"));
            assertEquals(5, count.path("count").asInt(), "no statement wrote anything");
        }
    }

    @Test
    void aStatementReadsOnlyWhatTheCallerMayRead() throws Exception {
        try (InProcessServer server = new InProcessServer(InProcessServer.secured(ADMIN_PASSWORD))) {
            TestHttp admin = server.http().asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/shop", null, null).status());
            load(admin, "/api/v1/shop");
            created(admin.put(
                    "/api/v1/_security/roles/osloOrders",
                    "{\"grants\":[{\"resource\":\"db:shop/customers\",\"actions\":[\"read\",\"query\"]}],"
                            + "\"rules\":[{\"resource\":\"db:shop/customers\",\"read\":{\"city\":\"Oslo\"},"
                            + "\"hide\":[\"name\"]}]}"));
            created(admin.put(
                    "/api/v1/_security/users/cy", "{\"password\":\"cy-password-1\",\"roles\":[\"osloOrders\"]}"));
            TestHttp cy = server.http().asUser("cy", "cy-password-1");

            JsonNode seen = ok(sql(cy, "/api/v1/shop", "{\"sql\":\"SELECT _id, name FROM customers ORDER BY _id\"}"));
            assertEquals(List.of(java.util.Arrays.asList("c1", null), java.util.Arrays.asList("c3", null)), rows(seen));
            problem(sql(cy, "/api/v1/shop", "{\"sql\":\"SELECT * FROM orders\"}"), 403, "forbidden", "42501");
            problem(
                    sql(cy, "/api/v1/shop", "{\"sql\":\"SELECT _id FROM customers WHERE name = 'Bob'\"}"),
                    403,
                    "forbidden",
                    "42501");
            JsonNode all = ok(sql(admin, "/api/v1/shop", "{\"sql\":\"SELECT COUNT(*) FROM customers\"}"));
            assertEquals(List.of(List.of("3")), rows(all));
            assertFalse(all.toString().contains("forbidden"));

            // Writes need write (or delete) on the collection; a row rule sends the caller to the document API.
            String update = "{\"sql\":\"UPDATE customers SET city = ? WHERE _id = ?\",\"params\":[\"Rome\",\"c1\"]}";
            problem(sql(cy, "/api/v1/shop", update), 403, "forbidden", "42501");
            JsonNode updated = ok(sql(admin, "/api/v1/shop", update));
            assertEquals("UPDATE", updated.path("command").asText(), updated.toString());
            assertEquals(1, updated.path("rowCount").asInt(), updated.toString());
            assertEquals(
                    "Rome",
                    admin.get("/api/v1/shop/customers/c1").json().path("city").asText());
        }
    }
}

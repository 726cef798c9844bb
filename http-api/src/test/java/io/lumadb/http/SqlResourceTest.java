package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.sql.SqlException;
import io.lumadb.sql.SqlResult;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code _sql} resource without a node: its body, its answer and its problems. */
class SqlResourceTest {

    private static JsonNode json(String s) throws Exception {
        return DocumentJson.mapper().readTree(s);
    }

    private static ApiException refused(String body) {
        return assertThrows(ApiException.class, () -> SqlResource.Request.parse(json(body)));
    }

    @Test
    void readsTheStatementAndItsParametersInTheirJavaTypes() throws Exception {
        SqlResource.Request r = SqlResource.Request.parse(
                json("{\"sql\":\"SELECT ?\",\"params\":[\"a\",1,2.5,true,null,123456789012345678901234]}"));
        assertEquals("SELECT ?", r.sql());
        assertEquals(Arrays.asList("a", 1L, 2.5, true, null, new BigDecimal("123456789012345678901234")), r.params());
        assertEquals(
                List.of(),
                SqlResource.Request.parse(json("{\"sql\":\"SELECT 1\"}")).params());
    }

    @Test
    void refusesABadBodyPointingAtTheFault() {
        assertEquals("", refused("[1]").field);
        assertEquals("/sql", refused("{}").field);
        assertEquals("/sql", refused("{\"sql\":\"  \"}").field);
        assertEquals("/sql", refused("{\"sql\":3}").field);
        assertEquals("/limit", refused("{\"sql\":\"SELECT 1\",\"limit\":1}").field);
        assertEquals("/params", refused("{\"sql\":\"SELECT 1\",\"params\":{}}").field);
        assertEquals("/params/1", refused("{\"sql\":\"SELECT ?\",\"params\":[1,[2]]}").field);
        assertEquals("invalid-sql-request", refused("{}").type);
        assertEquals(400, refused("{}").status);
    }

    @Test
    void rendersColumnsThenRows() throws Exception {
        SqlResult result = new SqlResult(
                List.of(new SqlResult.Column("a", "VARCHAR", true), new SqlResult.Column("n", "BIGINT", false)),
                List.of(new Object[] {"x", 1L}, new Object[] {null, 2L}),
                7);
        assertEquals(
                json("{\"columns\":[{\"name\":\"a\",\"type\":\"VARCHAR\",\"nullable\":true},"
                        + "{\"name\":\"n\",\"type\":\"BIGINT\",\"nullable\":false}],"
                        + "\"rows\":[[\"x\",1],[null,2]],\"rowCount\":2,\"documentsRead\":7}"),
                DocumentJson.mapper().readTree(SqlResource.render(result)));
    }

    @Test
    void aStatementsFailureIsAProblemWithItsSqlStateAndPlace() {
        ApiException bad = Problems.classify(new SqlException(
                SqlException.Kind.BAD_STATEMENT, "42703", "column \"x\" does not exist", 8, 1, 8, null));
        assertEquals(400, bad.status);
        assertEquals("invalid-sql", bad.type);
        assertEquals("/sql", bad.field);
        assertEquals("42703", bad.extra.get("sqlState"));
        assertEquals(8, bad.extra.get("position"));
        assertEquals(1, bad.extra.get("line"));
        assertEquals(8, bad.extra.get("column"));
        for (var kind : SqlException.Kind.values()) {
            ApiException e = Problems.classify(new SqlException(kind, "XX000", "m"));
            int want =
                    switch (kind) {
                        case BAD_STATEMENT, UNSUPPORTED -> 400;
                        case NOT_FOUND -> 404;
                        case FORBIDDEN -> 403;
                        case TIMEOUT -> 408;
                        case TOO_LARGE -> 413;
                        case UNAVAILABLE -> 503;
                    };
            assertEquals(want, e.status, kind.name());
            assertEquals(null, e.extra.get("position"), "no place when the statement is not at fault");
        }
    }
}

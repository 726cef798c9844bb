package io.lumadb.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.security.Principal;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.RowAccess;
import io.lumadb.sql.SqlException;
import io.lumadb.sql.SqlResult;
import io.lumadb.sql.schema.SqlSession;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * {@code _sql}: a SQL statement over the collections of one database. Any signed-in caller may send
 * one; each collection the statement reads needs {@code query} on it, as a JQL query does, and is
 * read with the caller's row rules and without its hidden fields.
 */
final class SqlResource implements Resource {

    private static final List<String> FIELDS = List.of("sql", "params");

    private final ApiContext api;

    SqlResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.post("/api/v1/{db}/_sql", "sql", Permission.of(Action.SIGNED_IN, Scope.CLUSTER), this::sql));
    }

    private CompletionStage<HttpResponse> sql(Call call) {
        String db = call.db();
        SqlSession.Sight sight = sight(call.principal());
        return api.bodies()
                .readJson(call.request(), api.settings().maxRequestBytes())
                .thenCompose(body -> {
                    Request r = Request.parse(body);
                    return api.sql().execute(db, r.sql(), r.params(), sight);
                })
                .thenApply(result -> JsonResponses.json(StatusCodes.OK, render(result)));
    }

    /** What {@code principal} may see of each collection a statement reads. */
    private SqlSession.Sight sight(Principal principal) {
        return (db, collection) -> {
            api.security()
                    .authorize(
                            principal,
                            Permission.of(Action.QUERY, Scope.COLLECTION),
                            Map.of(Permission.DB, db, Permission.COLLECTION, collection));
            RowAccess access = api.security().access(principal, Action.READ, false, db, collection);
            return access;
        };
    }

    /** The request body: {@code {"sql": "...", "params": [...]}}. */
    record Request(String sql, List<Object> params) {

        static Request parse(JsonNode body) {
            if (body == null || !body.isObject()) {
                throw ApiException.badRequest(
                        "invalid-sql-request",
                        "Invalid SQL request",
                        "the body must be a JSON object {\"sql\": \"...\", \"params\": [...]}",
                        "");
            }
            for (var field : body.properties()) {
                if (!FIELDS.contains(field.getKey())) {
                    throw ApiException.badRequest(
                            "invalid-sql-request",
                            "Invalid SQL request",
                            "unknown field '" + field.getKey() + "'; allowed: sql, params",
                            "/" + field.getKey());
                }
            }
            JsonNode sql = body.get("sql");
            if (sql == null || !sql.isTextual() || sql.textValue().isBlank()) {
                throw ApiException.badRequest(
                        "invalid-sql-request", "Invalid SQL request", "sql must be a non-empty string", "/sql");
            }
            List<Object> params = new ArrayList<>();
            JsonNode given = body.get("params");
            if (given != null && !given.isNull()) {
                if (!given.isArray()) {
                    throw ApiException.badRequest(
                            "invalid-sql-request",
                            "Invalid SQL request",
                            "params must be an array of the statement's parameters, in order",
                            "/params");
                }
                for (int i = 0; i < given.size(); i++) {
                    params.add(param(given.get(i), "/params/" + i));
                }
            }
            return new Request(sql.textValue(), params);
        }

        private static Object param(JsonNode v, String pointer) {
            if (v.isNull()) {
                return null;
            }
            if (v.isTextual()) {
                return v.textValue();
            }
            if (v.isBoolean()) {
                return v.booleanValue();
            }
            if (v.isIntegralNumber()) {
                return v.canConvertToLong() ? (Object) v.longValue() : new BigDecimal(v.bigIntegerValue());
            }
            if (v.isNumber()) {
                return v.doubleValue();
            }
            throw ApiException.badRequest(
                    "invalid-sql-request",
                    "Invalid SQL request",
                    "a parameter is a string, number, boolean or null; for JSON, pass its text",
                    pointer);
        }
    }

    /** {@code {"columns": [{"name", "type", "nullable"}], "rows": [[...]], "rowCount", "documentsRead"}}. */
    static byte[] render(SqlResult result) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = DocumentJson.mapper().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("columns");
            for (SqlResult.Column c : result.columns()) {
                g.writeStartObject();
                g.writeStringField("name", c.name());
                g.writeStringField("type", c.type());
                g.writeBooleanField("nullable", c.nullable());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("rows");
            for (Object[] row : result.rows()) {
                g.writeStartArray();
                for (Object v : row) {
                    g.writeObject(v);
                }
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeNumberField("rowCount", result.rows().size());
            g.writeNumberField("documentsRead", result.documentsRead());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A statement's failure as a problem with its SQLSTATE and its place in the statement. */
    static ApiException problem(SqlException e) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("sqlState", e.sqlState());
        if (e.position() > 0) {
            extra.put("position", e.position());
        }
        if (e.line() > 0) {
            extra.put("line", e.line());
            extra.put("column", e.column());
        }
        String detail = e.getMessage();
        String field = e.position() > 0 ? "/sql" : null;
        return switch (e.kind()) {
            case BAD_STATEMENT -> new ApiException(400, "invalid-sql", "Invalid SQL", detail, field, extra);
            case UNSUPPORTED -> new ApiException(400, "sql-not-supported", "SQL not supported", detail, field, extra);
            case NOT_FOUND -> new ApiException(404, "database-not-found", "Database not found", detail, null, extra);
            case FORBIDDEN -> new ApiException(403, "forbidden", "Forbidden", detail, null, extra);
            case TIMEOUT -> new ApiException(408, "query-timeout", "Query timeout", detail, null, extra);
            case TOO_LARGE ->
                new ApiException(413, "sql-result-too-large", "SQL result too large", detail, null, extra);
            case UNAVAILABLE -> new ApiException(503, "shard-unavailable", "Shard unavailable", detail, null, extra);
        };
    }
}

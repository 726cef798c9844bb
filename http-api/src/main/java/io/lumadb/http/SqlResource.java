package io.lumadb.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.sql.SqlEngine;
import io.lumadb.sql.SqlException;
import io.lumadb.sql.SqlResult;
import io.lumadb.sql.schema.SqlSession;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

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
        SqlSession.Sight sight = SqlSession.Sight.of(api.security(), call.principal());
        boolean ndjson = call.request()
                .getHeader("Accept")
                .map(h -> h.value().contains("application/x-ndjson"))
                .orElse(false);
        return api.bodies()
                .readJson(call.request(), api.settings().maxRequestBytes())
                .thenCompose(body -> {
                    Request r = Request.parse(body);
                    if (ndjson) {
                        return stream(db, r, sight);
                    }
                    return api.sql()
                            .execute(db, r.sql(), r.params(), sight)
                            .thenApply(result -> JsonResponses.json(StatusCodes.OK, render(result)));
                });
    }

    /**
     * The answer as NDJSON, streamed while the statement runs: {@code {"columns": [...]}}, a JSON
     * array per row, then {@code {"rowCount", "documentsRead"}}, or {@code {"error": problem}} if
     * the statement fails after its columns were sent. A failure before that is an ordinary problem
     * response. The statement waits while the client reads slowly, within its time limit, and stops
     * when the client goes away.
     */
    private CompletionStage<HttpResponse> stream(String db, Request r, SqlSession.Sight sight) {
        NdjsonPipe pipe = new NdjsonPipe(api.sql().settings().timeout());
        api.sql().stream(db, r.sql(), r.params(), sight, pipe).whenComplete(pipe::finish);
        return pipe.started().thenApply(v -> HttpResponse.create()
                .withStatus(StatusCodes.OK)
                .addHeader(RawHeader.create("X-Accel-Buffering", "no"))
                .withEntity(HttpEntities.createChunked(NDJSON, pipe.source())));
    }

    private static final ContentType NDJSON = ContentTypes.parse("application/x-ndjson");

    /** Lines from the statement's thread to the response stream, through a small bounded queue. */
    static final class NdjsonPipe implements SqlEngine.RowSink {
        private static final ByteString END = ByteString.emptyByteString();

        private final BlockingQueue<ByteString> lines = new ArrayBlockingQueue<>(256);
        private final CompletableFuture<Void> started = new CompletableFuture<>();
        private final AtomicBoolean gone = new AtomicBoolean();
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile SqlResult.Written written;

        @Override
        public void written(SqlResult.Written done) {
            written = done;
        }

        private final Duration patience;
        private long rows;

        NdjsonPipe(Duration patience) {
            this.patience = patience;
        }

        CompletionStage<Void> started() {
            return started;
        }

        @Override
        public void columns(List<SqlResult.Column> columns) throws InterruptedException {
            put(line(g -> {
                g.writeStartObject();
                writeColumns(g, columns);
                g.writeEndObject();
            }));
            started.complete(null);
        }

        @Override
        public void row(Object[] row) throws InterruptedException {
            put(line(g -> writeRow(g, row)));
            rows++;
        }

        /**
         * Ends the stream with the totals, or with the failure as a problem: on the statement's
         * thread, and again (then it does nothing) when the statement's stage completes, which
         * covers a statement that never ran.
         */
        @Override
        public void finish(Long documentsRead, Throwable failure) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            if (failure != null && !started.isDone()) {
                started.completeExceptionally(failure);
                return;
            }
            try {
                if (failure == null) {
                    put(line(g -> {
                        g.writeStartObject();
                        if (written != null) {
                            g.writeStringField("command", written.command());
                        }
                        g.writeNumberField("rowCount", written != null ? Math.max(0, written.count()) : rows);
                        g.writeNumberField("documentsRead", documentsRead);
                        g.writeEndObject();
                    }));
                } else if (!gone.get()) {
                    ApiException problem = Problems.classify(failure);
                    put(line(g -> {
                        g.writeStartObject();
                        g.writeObjectFieldStart("error");
                        g.writeStringField("type", Problems.TYPE_PREFIX + problem.type);
                        g.writeStringField("title", problem.title);
                        g.writeNumberField("status", problem.status);
                        if (problem.getMessage() != null) {
                            g.writeStringField("detail", problem.getMessage());
                        }
                        for (Map.Entry<String, Object> x : problem.extra.entrySet()) {
                            g.writeObjectField(x.getKey(), x.getValue());
                        }
                        g.writeEndObject();
                        g.writeEndObject();
                    }));
                }
                put(END);
            } catch (InterruptedException | RuntimeException e) {
                gone.set(true); // the client left; nothing more to tell it
            }
        }

        private void put(ByteString line) throws InterruptedException {
            long deadline = System.nanoTime() + patience.toNanos();
            while (!lines.offer(line, 100, TimeUnit.MILLISECONDS)) {
                if (gone.get()) {
                    throw new java.util.concurrent.CancellationException("the client stopped reading the answer");
                }
                if (System.nanoTime() > deadline) {
                    throw new io.lumadb.shards.query.QueryTimeoutException(
                            "the client did not read the answer within " + patience.toSeconds() + " s");
                }
            }
        }

        /** The response body: the lines as they come, read on the blocking-I/O dispatcher. */
        Source<ByteString, NotUsed> source() {
            Iterator<ByteString> taken = new Iterator<>() {
                private ByteString next;

                @Override
                public boolean hasNext() {
                    if (next == null) {
                        try {
                            next = lines.take();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            next = END;
                        }
                    }
                    return next != END;
                }

                @Override
                public ByteString next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    ByteString line = next;
                    next = null;
                    return line;
                }
            };
            return Source.fromIterator(() -> taken)
                    .withAttributes(ActorAttributes.dispatcher("pekko.actor.default-blocking-io-dispatcher"))
                    .watchTermination((mat, done) -> {
                        done.whenComplete((ok, err) -> gone.set(true));
                        return NotUsed.getInstance();
                    });
        }

        private interface Writer {
            void write(JsonGenerator g) throws IOException;
        }

        private static ByteString line(Writer writer) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator g = DocumentJson.mapper().createGenerator(out)) {
                writer.write(g);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.write('\n');
            return ByteString.fromArray(out.toByteArray());
        }
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
            writeColumns(g, result.columns());
            g.writeArrayFieldStart("rows");
            for (Object[] row : result.rows()) {
                writeRow(g, row);
            }
            g.writeEndArray();
            if (result.written() != null) {
                // A write: its command, and the documents it wrote.
                g.writeStringField("command", result.written().command());
                g.writeNumberField("rowCount", Math.max(0, result.written().count()));
            } else {
                g.writeNumberField("rowCount", result.rows().size());
            }
            g.writeNumberField("documentsRead", result.documentsRead());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeColumns(JsonGenerator g, List<SqlResult.Column> columns) throws IOException {
        g.writeArrayFieldStart("columns");
        for (SqlResult.Column c : columns) {
            g.writeStartObject();
            g.writeStringField("name", c.name());
            g.writeStringField("type", c.type());
            g.writeBooleanField("nullable", c.nullable());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeRow(JsonGenerator g, Object[] row) throws IOException {
        g.writeStartArray();
        for (Object v : row) {
            g.writeObject(v);
        }
        g.writeEndArray();
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
        String detail = e.getMessage()
                + (e.detail() == null ? "" : ". " + e.detail())
                + (e.hint() == null ? "" : " (" + e.hint() + ")");
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

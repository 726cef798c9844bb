package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.LineProtocolError;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.Precision;
import io.lumadb.timeseries.query.TsQuery;
import io.lumadb.timeseries.query.TsQueryException;
import io.lumadb.timeseries.shard.TimeSeriesOptions;
import io.lumadb.timeseries.shard.TimeSeriesWrites;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.zip.GZIPInputStream;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.util.ByteString;

/**
 * Time-series collections over HTTP: InfluxDB's line-protocol write endpoints, so InfluxDB client
 * libraries and agents can write to LumaDB unchanged, JSON points, and {@code _tsquery}.
 *
 * <ul>
 *   <li>{@code POST /write?db=<database>&rp=<collection>&precision=<n|u|ms|s|m|h>}: InfluxDB 1.x; the
 *       retention policy names the collection. Credentials as LumaDB takes them, or InfluxDB's
 *       {@code u} and {@code p} parameters.
 *   <li>{@code POST /api/v2/write?bucket=<database>/<collection>&precision=<ns|us|ms|s>}: InfluxDB
 *       2.x (the {@code org} parameter is ignored); {@code Authorization: Token <API key or
 *       token>} works as Bearer does.
 * </ul>
 *
 * Bodies may be gzip ({@code Content-Encoding: gzip}). A body with bad lines stores its good ones
 * and answers 400 naming each bad line and column, as InfluxDB's partial writes do; the problem
 * also carries InfluxDB's {@code code}/{@code message} (2.x) and {@code error} (1.x) members, which
 * its clients show.
 */
final class TimeSeriesResource implements Resource {

    /** How much larger than the request limit a gzip body may grow once decompressed. */
    private static final int MAX_INFLATION = 8;

    /**
     * The arrays line-protocol bodies are parsed from: one per processor, each kept up to 8 MiB
     * (a body of InfluxDB's clients or Telegraf takes a few hundred kilobytes to a few megabytes).
     */
    private static final LineBuffers LINE_BUFFERS =
            new LineBuffers(Runtime.getRuntime().availableProcessors(), 8 << 20);

    /** Bad lines named one by one in a problem; the rest are counted. */
    private static final int MAX_NAMED_ERRORS = 20;

    private final ApiContext api;

    TimeSeriesResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        Permission signedIn = Permission.of(Action.SIGNED_IN, Scope.CLUSTER);
        return List.of(
                Route.post("/write", "writeLineProtocolV1", signedIn, call -> lineProtocol(call, false)),
                Route.post("/api/v2/write", "writeLineProtocol", signedIn, call -> lineProtocol(call, true)),
                Route.post(
                        "/api/v1/{db}/{collection}/_points",
                        "writePoints",
                        Permission.of(Action.WRITE, Scope.COLLECTION),
                        this::jsonPoints),
                Route.post(
                        "/api/v1/{db}/{collection}/_tsquery",
                        "timeSeriesQuery",
                        Permission.of(Action.QUERY, Scope.COLLECTION),
                        this::query),
                Route.get(
                        "/api/v1/{db}/{collection}/_tsquery/live",
                        "liveTimeSeriesQuery",
                        Permission.of(Action.SUBSCRIBE, Scope.COLLECTION),
                        this::live));
    }

    // ---- line protocol

    /**
     * A line-protocol write. Its problems go out as {@code application/json}, as InfluxDB sends
     * its errors: InfluxDB's clients read {@code code} and {@code message} (or {@code error}) only
     * from a JSON media type, and show the raw body otherwise.
     */
    private CompletionStage<HttpResponse> lineProtocol(Call call, boolean v2) {
        CompletionStage<HttpResponse> answer;
        try {
            answer = write(call, v2);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.exceptionally(failure -> {
            HttpResponse problem = Problems.response(Problems.classify(failure), call.path());
            byte[] body = ((org.apache.pekko.http.javadsl.model.HttpEntity.Strict) problem.entity())
                    .getData()
                    .toArray();
            return problem.withEntity(ContentTypes.APPLICATION_JSON, body);
        });
    }

    private CompletionStage<HttpResponse> write(Call call, boolean v2) {
        var q = call.request().getUri().query();
        String db;
        String coll;
        if (v2) {
            String bucket = q.get("bucket")
                    .orElseThrow(() -> influx(ApiException.badRequest(
                            "missing-bucket",
                            "Invalid write",
                            "the bucket parameter names <database>/<collection>",
                            "bucket")));
            int slash = bucket.indexOf('/');
            if (slash <= 0 || slash == bucket.length() - 1 || bucket.indexOf('/', slash + 1) >= 0) {
                throw influx(ApiException.badRequest(
                        "invalid-bucket",
                        "Invalid write",
                        "bucket '" + bucket + "' must be <database>/<collection>, like metrics/cpu",
                        "bucket"));
            }
            db = bucket.substring(0, slash);
            coll = bucket.substring(slash + 1);
        } else {
            db = q.get("db")
                    .orElseThrow(() -> influx(ApiException.badRequest(
                            "missing-database", "Invalid write", "the db parameter names the database", "db")));
            coll = q.get("rp")
                    .orElseThrow(() -> influx(ApiException.badRequest(
                            "missing-collection",
                            "Invalid write",
                            "the rp (retention policy) parameter names the time-series collection of database " + db,
                            "rp")));
        }
        authorize(call, db, coll);
        Optional<String> precisionParameter = q.get("precision");
        long now = System.currentTimeMillis() * 1_000_000L;
        return timeSeries(db, coll).thenCompose(info -> {
            TimeSeriesOptions options = options(info);
            Precision precision = options.precision();
            if (precisionParameter.isPresent()) {
                try {
                    precision = Precision.of(precisionParameter.get());
                } catch (IllegalArgumentException e) {
                    throw influx(
                            ApiException.badRequest("invalid-precision", "Invalid write", e.getMessage(), "precision"));
                }
                if (v2 && (precision == Precision.MINUTES || precision == Precision.HOURS)) {
                    throw influx(ApiException.badRequest(
                            "invalid-precision",
                            "Invalid write",
                            "precision must be one of ns, us, ms, s",
                            "precision"));
                }
            }
            Precision p = precision;
            return body(call.request()).thenCompose(data -> {
                // Parsed straight into one batch per shard: no Point is built on the way.
                TimeSeriesWrites.LineBatches lines = TimeSeriesWrites.lines(info, options);
                LINE_BUFFERS.parse(data, p, now, lines);
                CompletionStage<TimeSeriesWrites.Outcome> written = lines.points() == 0
                        ? CompletableFuture.completedFuture(new TimeSeriesWrites.Outcome(0, List.of()))
                        : api.timeSeriesWrites().write(info, lines);
                return written.thenApply(outcome -> answer(lines, outcome));
            });
        });
    }

    /** The request body, gunzipped when it says it is gzip. */
    private CompletionStage<ByteString> body(HttpRequest request) {
        long limit = api.settings().maxRequestBytes();
        String encoding = request.getHeader("Content-Encoding")
                .map(h -> h.value().trim().toLowerCase(java.util.Locale.ROOT))
                .orElse("identity");
        if (!encoding.equals("identity") && !encoding.equals("gzip")) {
            request.discardEntityBytes(api.system());
            throw new ApiException(
                    415,
                    "unsupported-encoding",
                    "Unsupported content encoding",
                    "Content-Encoding must be gzip or identity, got " + encoding,
                    "Content-Encoding");
        }
        if (encoding.equals("gzip")) {
            return api.bodies()
                    .bytes(request, limit)
                    .thenApply(bytes -> ByteString.fromArrayUnsafe(gunzip(bytes, limit * MAX_INFLATION)));
        }
        return api.bodies().data(request, limit);
    }

    private static byte[] gunzip(byte[] bytes, long limit) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 4);
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                if (out.size() + (long) n > limit) {
                    throw Bodies.tooLarge(limit);
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw influx(ApiException.badRequest(
                    "invalid-gzip",
                    "Invalid write",
                    "the body says it is gzip but is not: " + e.getMessage(),
                    "Content-Encoding"));
        }
    }

    private HttpResponse answer(TimeSeriesWrites.LineBatches parsed, TimeSeriesWrites.Outcome outcome) {
        List<LineProtocolError> bad = parsed.errors();
        if (bad.isEmpty() && outcome.rejected().isEmpty()) {
            return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
        }
        List<String> reasons = new ArrayList<>();
        List<Map<String, Object>> lines = new ArrayList<>();
        for (LineProtocolError e : bad) {
            if (reasons.size() < MAX_NAMED_ERRORS) {
                reasons.add(e.describe());
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("line", e.line());
            line.put("column", e.column());
            line.put("message", e.message());
            if (lines.size() < MAX_NAMED_ERRORS * 50) {
                lines.add(line);
            }
        }
        for (TimeSeriesWrites.Rejected r : outcome.rejected()) {
            if (reasons.size() < MAX_NAMED_ERRORS) {
                reasons.add("line " + parsed.line(r.position()) + ": " + r.message());
            }
        }
        int failed = bad.size() + outcome.rejected().size();
        String message = "partial write: " + failed + " point" + (failed == 1 ? "" : "s") + " not written, "
                + outcome.stored() + " written; " + String.join("; ", reasons)
                + (failed > reasons.size() ? "; and " + (failed - reasons.size()) + " more" : "");
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("code", "invalid");
        extra.put("message", message);
        extra.put("error", message);
        extra.put("written", outcome.stored());
        extra.put("errors", lines);
        if (!outcome.rejected().isEmpty()) {
            extra.put(
                    "rejected",
                    outcome.rejected().stream()
                            .limit(MAX_NAMED_ERRORS * 50L)
                            .map(r -> Map.of("line", parsed.line(r.position()), "message", r.message()))
                            .toList());
        }
        throw new ApiException(400, "partial-write", "Partial write", message, "body", extra);
    }

    // ---- JSON points

    private CompletionStage<HttpResponse> jsonPoints(Call call) {
        String db = call.db();
        String coll = call.collection();
        long now = System.currentTimeMillis() * 1_000_000L;
        return timeSeries(db, coll).thenCompose(info -> {
            TimeSeriesOptions options = options(info);
            return api.bodies()
                    .readJson(call.request(), api.settings().maxRequestBytes())
                    .thenCompose(body -> {
                        JsonNode array = body.isObject() && body.has("points") ? body.get("points") : body;
                        String at = array == body ? "" : "/points";
                        if (!array.isArray()) {
                            throw ApiException.badRequest(
                                    "invalid-points",
                                    "Invalid points",
                                    "the body must be an array of points or {\"points\": [...]}",
                                    at.isEmpty() ? "body" : at);
                        }
                        List<Point> points = new ArrayList<>(array.size());
                        for (int i = 0; i < array.size(); i++) {
                            points.add(point(array.get(i), options, now, at + "/" + i));
                        }
                        return write(info, options, points);
                    })
                    .thenApply(outcome -> {
                        if (!outcome.rejected().isEmpty()) {
                            TimeSeriesWrites.Rejected first = outcome.rejected().getFirst();
                            throw new ApiException(
                                    400,
                                    "partial-write",
                                    "Partial write",
                                    outcome.rejected().size() + " points not written, " + outcome.stored()
                                            + " written; the first: " + first.message(),
                                    "/" + first.position(),
                                    Map.of(
                                            "written",
                                            outcome.stored(),
                                            "rejected",
                                            outcome.rejected().stream()
                                                    .map(r -> Map.of("point", r.position(), "message", r.message()))
                                                    .toList()));
                        }
                        return JsonResponses.json(
                                StatusCodes.OK, JsonResponses.object().put("written", outcome.stored()));
                    });
        });
    }

    /**
     * A JSON point: {@code {"measurement", "tags": {...}, "fields": {...}, "time"}}, or flat: the
     * time in the collection's time field, its tag members as tags and every other member a field.
     * Numbers are floats; times are RFC 3339 strings or integers in the collection's precision.
     */
    private static Point point(JsonNode node, TimeSeriesOptions options, long now, String at) {
        if (!node.isObject()) {
            throw invalidPoint(at, "a point must be an object");
        }
        String measurement = options.measurement();
        List<Point.Tag> tags = new ArrayList<>();
        Map<String, FieldValue> fields = new LinkedHashMap<>();
        JsonNode time;
        String timeAt;
        if (node.has("fields")) {
            for (var member : node.properties()) {
                if (!List.of("measurement", "tags", "fields", "time").contains(member.getKey())) {
                    throw invalidPoint(
                            at + "/" + member.getKey(),
                            "a point with \"fields\" has only measurement, tags, fields and time; got '"
                                    + member.getKey() + "'");
                }
            }
            if (node.has("measurement")) {
                JsonNode m = node.get("measurement");
                if (!m.isTextual() || m.asText().isEmpty()) {
                    throw invalidPoint(at + "/measurement", "measurement must be a non-empty string");
                }
                measurement = m.asText();
            }
            JsonNode t = node.path("tags");
            if (!t.isMissingNode() && !t.isObject()) {
                throw invalidPoint(at + "/tags", "tags must be an object of strings");
            }
            for (var tag : t.properties()) {
                tags.add(tag(tag.getKey(), tag.getValue(), at + "/tags/" + tag.getKey()));
            }
            JsonNode f = node.get("fields");
            if (!f.isObject()) {
                throw invalidPoint(at + "/fields", "fields must be an object");
            }
            for (var field : f.properties()) {
                fields.put(field.getKey(), field(field.getValue(), at + "/fields/" + field.getKey()));
            }
            time = node.get("time");
            timeAt = at + "/time";
        } else {
            for (var member : node.properties()) {
                String key = member.getKey();
                if (key.equals(options.timeField())) {
                    continue;
                }
                if (options.tags().contains(key)) {
                    tags.add(tag(key, member.getValue(), at + "/" + key));
                } else if (!member.getValue().isNull()) {
                    fields.put(key, field(member.getValue(), at + "/" + key));
                }
            }
            time = node.get(options.timeField());
            timeAt = at + "/" + options.timeField();
        }
        if (fields.isEmpty()) {
            throw invalidPoint(at, "a point needs at least one field");
        }
        long t = time == null || time.isNull() ? now : time(time, options.precision(), timeAt);
        try {
            return new Point(measurement, tags, fields, t);
        } catch (IllegalArgumentException e) {
            throw invalidPoint(at, e.getMessage());
        }
    }

    private static Point.Tag tag(String key, JsonNode value, String at) {
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw invalidPoint(at, "a tag value must be a non-empty string");
        }
        return new Point.Tag(key, value.asText());
    }

    private static FieldValue field(JsonNode value, String at) {
        if (value.isNumber()) {
            double d = value.doubleValue();
            if (!Double.isFinite(d)) {
                throw invalidPoint(at, "a field must be a finite number");
            }
            return new FieldValue.FloatValue(d);
        }
        if (value.isBoolean()) {
            return new FieldValue.BooleanValue(value.booleanValue());
        }
        if (value.isTextual()) {
            return new FieldValue.StringValue(value.asText());
        }
        throw invalidPoint(at, "a field is a number, a boolean or a string");
    }

    private static long time(JsonNode time, Precision precision, String at) {
        if (time.isIntegralNumber() && time.canConvertToLong()) {
            try {
                return Math.multiplyExact(time.longValue(), precision.nanos());
            } catch (ArithmeticException e) {
                throw invalidPoint(at, "time is out of range");
            }
        }
        if (time.isTextual()) {
            try {
                OffsetDateTime t = OffsetDateTime.parse(time.asText());
                return Math.addExact(Math.multiplyExact(t.toEpochSecond(), 1_000_000_000L), t.getNano());
            } catch (DateTimeParseException | ArithmeticException e) {
                throw invalidPoint(at, "time must be an RFC 3339 timestamp like 2026-12-01T10:00:00Z");
            }
        }
        throw invalidPoint(at, "time must be an RFC 3339 string or an integer in " + precision.symbol());
    }

    private static ApiException invalidPoint(String at, String message) {
        return ApiException.badRequest("invalid-point", "Invalid point", message, at);
    }

    // ---- queries

    private CompletionStage<HttpResponse> query(Call call) {
        String db = call.db();
        String coll = call.collection();
        long now = System.currentTimeMillis() * 1_000_000L;
        return timeSeries(db, coll).thenCompose(info -> api.bodies()
                .readJson(call.request(), api.settings().maxRequestBytes())
                .thenCompose(body -> {
                    TsQuery query;
                    try {
                        query = TsQuery.parse(body, now);
                    } catch (TsQueryException e) {
                        throw ApiException.badRequest("invalid-query", "Invalid query", e.getMessage(), e.pointer());
                    }
                    return api.timeSeriesQueries().query(info, options(info), query);
                })
                .thenApply(answer -> JsonResponses.json(StatusCodes.OK, answer)));
    }

    // ---- live windows

    /** A live window query over SSE; see {@link LiveWindowStreams} for the events. */
    private CompletionStage<HttpResponse> live(Call call) {
        HttpRequest request = call.request();
        Sse.require(request, "a live window query");
        var q = request.getUri().query();
        Integer horizon = q.get("horizon").isPresent()
                ? StreamParams.integer(request, "horizon", 0, 0, io.lumadb.timeseries.live.LiveWindows.MAX_HORIZON)
                : null;
        return LiveWindowStreams.open(
                        api,
                        call.db(),
                        call.collection(),
                        StreamParams.json(request, "query"),
                        q.get("grace").orElse(null),
                        horizon,
                        StreamParams.resumeFrom(request).orElse(null))
                .thenApply(events -> Sse.response(events.map(e -> Sse.frame(e.name(), e.token(), e.data()))));
    }

    // ---- shared

    private CompletionStage<TimeSeriesWrites.Outcome> write(
            CollectionInfo info, TimeSeriesOptions options, List<Point> points) {
        if (points.isEmpty()) {
            return CompletableFuture.completedFuture(new TimeSeriesWrites.Outcome(0, List.of()));
        }
        return api.timeSeriesWrites().write(info, options, points);
    }

    private CompletionStage<CollectionInfo> timeSeries(String db, String coll) {
        return timeSeries(api, db, coll);
    }

    /** The collection, which must be a time-series one. */
    static CompletionStage<CollectionInfo> timeSeries(ApiContext api, String db, String coll) {
        return api.catalog().resolve(db, coll, false).thenApply(info -> {
            if (!info.holdsTimeSeries()) {
                throw new ApiException(
                        409,
                        "not-time-series",
                        "Not a time-series collection",
                        "collection " + db + "/" + coll + " holds documents; create a time-series collection with"
                                + " PUT /api/v1/" + db + "/<name> {\"kind\": \"timeseries\"}",
                        null);
            }
            return info;
        });
    }

    static TimeSeriesOptions options(CollectionInfo info) {
        return TimeSeriesOptions.fromJson(info.timeSeries(), info.name());
    }

    private void authorize(Call call, String db, String coll) {
        try {
            io.lumadb.shards.model.Names.checkDatabase(db);
            io.lumadb.shards.model.Names.checkCollection(coll);
        } catch (IllegalArgumentException e) {
            throw influx(ApiException.badRequest("invalid-name", "Invalid name", e.getMessage(), null));
        }
        api.security()
                .authorize(
                        call.principal(),
                        Permission.of(Action.WRITE, Scope.COLLECTION),
                        Map.of(Call.DB, db, Call.COLLECTION, coll),
                        call.method() + " " + call.path(),
                        Audits.client(call.request()));
    }

    /**
     * {@code problem} with the members InfluxDB clients show: {@code code} and {@code message}
     * (2.x) and {@code error} (1.x).
     */
    private static ApiException influx(ApiException problem) {
        String message = problem.getMessage();
        return new ApiException(
                problem.status,
                problem.type,
                problem.title,
                message,
                problem.field,
                Map.of("code", "invalid", "message", message, "error", message));
    }
}

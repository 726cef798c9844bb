package io.lumadb.bench.query;

import static io.lumadb.bench.query.QueryBenchmark.log;
import static io.lumadb.bench.ycsb.LumaDbHttp.abbreviate;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import io.lumadb.bench.ycsb.LumaDbHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * LumaDB's side of the query benchmark over its HTTP API: creates the database, collection and
 * secondary indexes, bulk-loads the items, checks plans and answers, and hands out one
 * keep-alive {@link HttpConnection} per client thread for the measurement (through {@link
 * LumaDbHttp}, as the YCSB binding, so no client library's cost is measured).
 */
final class LumaDbQueries implements QuerySystem {

    static final String DATABASE = "querybench";
    static final String COLLECTION = "items";
    /** The join's other table: the items' categories. */
    static final String CATEGORIES = "categories";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int BULK_BATCH = 1000;

    private final LumaDbHttp api;
    private final Integer shards;
    private final Duration indexTimeout;
    private final String dbPath;
    private final String collectionPath;
    private final String queryPath;
    private final String sqlPath;

    /** The JDBC URL of the node's PostgreSQL protocol, or null when it is not measured. */
    private final String wireUrl;

    /**
     * {@code shards} of the collection, null for the server's default; {@code pgPort} the node's
     * PostgreSQL protocol, 0 to leave SQL over the wire out.
     */
    LumaDbQueries(String url, Duration timeout, Integer shards, Duration indexTimeout, int pgPort) {
        this.wireUrl = pgPort > 0
                ? "jdbc:postgresql://" + java.net.URI.create(url).getHost() + ":" + pgPort + "/" + DATABASE
                        + "?user=bench&connectTimeout=10&socketTimeout=" + timeout.toSeconds()
                : null;
        this.api = new LumaDbHttp(url, (int) timeout.toMillis());
        this.shards = shards;
        this.indexTimeout = indexTimeout;
        this.dbPath = api.path(DATABASE);
        this.collectionPath = api.path(DATABASE, COLLECTION);
        this.queryPath = collectionPath + "/_query";
        this.sqlPath = dbPath + "/_sql";
    }

    /** The field {@code q} filters on, and its secondary index. */
    private static String field(Query q) {
        return q == Query.POINT ? "sku" : "price";
    }

    private static String index(Query q) {
        return "by_" + field(q);
    }

    @Override
    public List<Variant> variants() {
        return wireUrl == null
                ? List.of(Variant.LUMADB_INDEX, Variant.LUMADB_SCAN, Variant.LUMADB_SQL)
                : List.of(Variant.LUMADB_INDEX, Variant.LUMADB_SCAN, Variant.LUMADB_SQL, Variant.LUMADB_PGWIRE);
    }

    @Override
    public String created() {
        return "LumaDB database " + DATABASE;
    }

    /** Loads every item with {@code _bulk}, {@value #BULK_BATCH} per request. */
    @Override
    public void load(ItemData data, Map<String, String> settings) throws IOException {
        long t0 = System.nanoTime();
        drop();
        api.expect("PUT", dbPath, null, 200, 201);
        api.expect("PUT", collectionPath, shards == null ? null : "{\"shards\":" + shards + "}", 201);
        for (int from = 0; from < data.size(); from += BULK_BATCH) {
            int to = Math.min(data.size(), from + BULK_BATCH);
            String body = IntStream.range(from, to)
                    .mapToObj(i -> "{\"doc\":" + data.document(i) + "}")
                    .collect(Collectors.joining(",", "[", "]"));
            JsonNode answer = MAPPER.readTree(api.expect("POST", collectionPath + "/_bulk", body, 200));
            if (!answer.path("errors").isBoolean() || answer.get("errors").asBoolean()) {
                throw new IOException("POST " + collectionPath + "/_bulk (items " + data.id(from) + ".."
                        + data.id(to - 1) + ") reported errors: " + abbreviate(answer.toString()));
            }
        }
        String categoriesPath = api.path(DATABASE, CATEGORIES);
        api.expect("PUT", categoriesPath, "{\"shards\":1}", 201);
        String categories = IntStream.range(0, ItemData.CATEGORIES)
                .mapToObj(c -> "{\"doc\":{\"_id\":\"" + ItemData.categoryId(c) + "\","
                        + ItemData.categoryBody(c).substring(1) + "}")
                .collect(Collectors.joining(",", "[", "]"));
        JsonNode loaded = MAPPER.readTree(api.expect("POST", categoriesPath + "/_bulk", categories, 200));
        if (loaded.path("errors").asBoolean(true)) {
            throw new IOException(
                    "POST " + categoriesPath + "/_bulk reported errors: " + abbreviate(loaded.toString()));
        }
        double s = (System.nanoTime() - t0) / 1e9;
        // The shard count as the server reports it ("?" if it does not say).
        String count = MAPPER.readTree(api.expect("GET", collectionPath, null, 200))
                .path("shards")
                .asText("?");
        settings.put(
                "lumadb.collection",
                DATABASE + "/" + COLLECTION + ", " + count + " shards, loaded with _bulk (1,000 per request) in "
                        + QueryBenchmark.seconds(s));
        log("LumaDB: %,d items loaded in %.1f s", data.size(), s);
    }

    /** Builds the indexes in the background, as LumaDB does, and waits until each is ready. */
    @Override
    public void index(ItemData data, Map<String, Double> buildSeconds, Map<String, String> settings)
            throws IOException, InterruptedException {
        List<String> indexes = new ArrayList<>();
        for (Query q : Query.INDEXED) {
            String fields = "[\"" + field(q) + "\"]";
            buildSeconds.put("lumadb." + index(q), QueryBenchmark.secs(createIndex(index(q), fields)));
            indexes.add(index(q) + " {\"fields\":" + fields + "}");
        }
        settings.put("lumadb.indexes", String.join(", ", indexes));
        log("LumaDB: indexes ready (%s)", buildSeconds);
        for (Query q : Query.INDEXED) {
            settings.put(
                    "lumadb." + q.id(), "POST _query " + body(data.next(q, new SplittableRandom(1)), false, false));
        }
        settings.put("lumadb.join", sql(Query.JOIN));
        settings.put(
                "lumadb.categories",
                DATABASE + "/" + CATEGORIES + ", 1 shard, " + ItemData.CATEGORIES + " documents {name, region}");
        settings.put("lumadb.scan", "the same with \"hint\":\"scan\"");
    }

    /**
     * Creates index {@code name} on {@code fieldsJson} (a JSON array, as the API takes it) and
     * waits until it is ready; returns how long that took.
     *
     * @throws IOException if the index fails to build or is not ready within the index timeout
     */
    private Duration createIndex(String name, String fieldsJson) throws IOException, InterruptedException {
        String path = collectionPath + "/_indexes/" + name;
        long t0 = System.nanoTime();
        api.expect("PUT", path, "{\"fields\":" + fieldsJson + "}", 200, 201);
        String what = "LumaDB index " + name + " on " + fieldsJson + " of " + DATABASE + "/" + COLLECTION;
        while (true) {
            String last = api.expect("GET", path, null, 200);
            String state = MAPPER.readTree(last).path("state").asText();
            if (state.equals("ready")) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
            if (!state.equals("building")) { // "failed", or a state this benchmark does not know
                throw new IOException(what + " failed to build (state '" + state + "'): " + abbreviate(last));
            }
            if (System.nanoTime() - t0 > indexTimeout.toNanos()) {
                throw new IOException(what + " was not ready after " + indexTimeout.toSeconds()
                        + " s (--index-timeout); last status: " + abbreviate(last));
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void drop() throws IOException {
        api.expect("DELETE", dbPath, null, 200, 204, 404);
    }

    @Override
    public List<JsonNode> documents(QueryParams p, Variant v) throws IOException {
        if (v == Variant.LUMADB_PGWIRE) {
            try (WireClient wire = new WireClient()) {
                List<JsonNode> out = new ArrayList<>();
                try (java.sql.ResultSet rs = wire.bind(p).executeQuery()) {
                    while (rs.next()) {
                        out.add(MAPPER.readTree(rs.getString(1)));
                    }
                }
                return out;
            } catch (java.sql.SQLException e) {
                throw new IOException("SQL over the PostgreSQL protocol failed for " + p + ": " + e.getMessage(), e);
            }
        }
        if (v == Variant.LUMADB_SQL) {
            JsonNode answer = MAPPER.readTree(api.expect("POST", sqlPath, sqlBody(p, ""), 200));
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode row : answer.path("rows")) {
                out.add(MAPPER.readTree(row.get(0).asText()));
            }
            return out;
        }
        String request = body(p, v == Variant.LUMADB_SCAN, false);
        JsonNode answer = MAPPER.readTree(api.expect("POST", queryPath, request, 200));
        if (!answer.path("documents").isArray()) {
            throw new IOException("POST " + queryPath + " " + request + " answered without a \"documents\" array: "
                    + abbreviate(answer.toString()));
        }
        List<JsonNode> out = new ArrayList<>();
        answer.get("documents").forEach(out::add);
        return out;
    }

    @Override
    public List<String> rows(QueryParams p, Variant v) throws IOException {
        List<String> out = new ArrayList<>();
        if (v == Variant.LUMADB_PGWIRE) {
            try (WireClient wire = new WireClient();
                    java.sql.ResultSet rs = wire.bind(p).executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + "|" + rs.getLong(2) + "|" + rs.getLong(3));
                }
            } catch (java.sql.SQLException e) {
                throw new IOException("SQL over the PostgreSQL protocol failed for " + p + ": " + e.getMessage(), e);
            }
            return out;
        }
        JsonNode answer = MAPPER.readTree(api.expect("POST", sqlPath, sqlBody(p, ""), 200));
        for (JsonNode row : answer.path("rows")) {
            out.add(row.get(0).asText() + "|" + row.get(1).asLong() + "|"
                    + row.get(2).asLong());
        }
        return out;
    }

    /**
     * Checks LumaDB's explain of {@code p} answered as {@code v}: ok when every shard's plan ("ids",
     * "index" or "scan") is "scan" for the scan variant, else "index" on the query's index. The
     * check reports the shards' plans, grouped with the index used and how the order was obtained
     * ("index by_price on 4 shards (order: index)"), and the keys and documents examined and
     * documents returned, summed over the shards.
     */
    @Override
    public QueryReport.PlanCheck plan(QueryParams p, Variant v, List<String> failures) throws IOException {
        if (v == Variant.LUMADB_SQL || v == Variant.LUMADB_PGWIRE) {
            // The same statement through the same engine and plan cache, whichever door it came in by.
            return sqlPlan(p, v, failures);
        }
        boolean scan = v == Variant.LUMADB_SCAN;
        String plan = scan ? "scan" : "index";
        String index = scan ? null : index(p.query());
        String request = body(p, scan, true);
        JsonNode explain =
                MAPPER.readTree(api.expect("POST", queryPath, request, 200)).path("explain");
        if (!explain.path("shards").isArray() || explain.path("shards").isEmpty()) {
            throw new IOException("POST " + queryPath + " " + request + " answered without an \"explain\" object"
                    + " with a \"shards\" array: " + abbreviate(explain.toString()));
        }
        Map<String, Integer> groups = new LinkedHashMap<>();
        boolean ok = true;
        long keys = 0;
        long docs = 0;
        long returned = 0;
        for (JsonNode shard : explain.get("shards")) {
            String what = shard.path("plan").asText("?");
            String used = shard.path("index").asText(null);
            ok &= what.equals(plan) && (index == null || index.equals(used));
            what += what.equals("index") && used != null ? " " + used : "";
            groups.merge(what + "\n" + shard.path("order").asText("?"), 1, Integer::sum);
            keys += shard.path("keysExamined").asLong();
            docs += shard.path("documentsExamined").asLong();
            returned += shard.path("returned").asLong();
        }
        List<String> summary = new ArrayList<>();
        groups.forEach((what, n) ->
                summary.add(what.replace("\n", " on " + n + (n == 1 ? " shard" : " shards") + " (order: ") + ")"));
        if (!ok) {
            failures.add(p.query().id() + ", " + v.id() + ": LumaDB's explain does not say \"" + plan + "\""
                    + (index == null ? "" : " on " + index) + " for every shard: " + abbreviate(explain.toString()));
        }
        return new QueryReport.PlanCheck(p.query().id(), v.id(), String.join(", ", summary), keys, docs, returned, ok);
    }

    /**
     * SQL's plan of {@code p} from {@code EXPLAIN ANALYZE}: ok when its scan of the collection ran on
     * the query's index on every shard; keys and documents examined and returned as the shards
     * counted them.
     */
    private QueryReport.PlanCheck sqlPlan(QueryParams p, Variant v, List<String> failures) throws IOException {
        String request = sqlBody(p, "EXPLAIN ANALYZE ");
        JsonNode answer = MAPPER.readTree(api.expect("POST", sqlPath, request, 200));
        String scan = null;
        for (JsonNode row : answer.path("rows")) {
            String line = row.get(0).asText();
            if (line.startsWith("Scan of " + COLLECTION + ":")) {
                scan = line;
            }
        }
        Matcher m = scan == null ? null : SCAN_LINE.matcher(scan);
        if (m == null || !m.find()) {
            throw new IOException("POST " + sqlPath + " " + request + " answered without a scan line: "
                    + abbreviate(answer.toString()));
        }
        String plans = m.group(1);
        boolean ok = plans.equals("index " + index(p.query()));
        if (!ok) {
            failures.add(p.query().id() + ", " + v.id() + ": SQL's scan did not run on " + index(p.query()) + " alone: "
                    + scan);
        }
        return new QueryReport.PlanCheck(
                p.query().id(),
                v.id(),
                "pushed into JQL: " + plans,
                Long.parseLong(m.group(2)),
                Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)),
                ok);
    }

    private static final Pattern SCAN_LINE =
            Pattern.compile(": (.*); keysExamined=(\\d+) documentsExamined=(\\d+) documentsReturned=(\\d+)");

    /** The SQL of {@code q}, the same query as {@link #body} in JQL (the join has none). */
    static String sql(Query q) {
        return switch (q) {
            case POINT -> "SELECT doc FROM " + COLLECTION + " WHERE sku = ?";
            case RANGE ->
                "SELECT doc FROM " + COLLECTION + " WHERE price >= ? AND price < ? ORDER BY price, _id LIMIT "
                        + ItemData.RANGE_LIMIT;
            case JOIN ->
                "SELECT c.region, COUNT(*) AS n, SUM(i.stock) AS stock FROM " + COLLECTION + " i JOIN " + CATEGORIES
                        + " c ON i.category = c._id WHERE i.price >= ? AND i.price < ? GROUP BY c.region"
                        + " ORDER BY c.region";
        };
    }

    /** The {@code _sql} body of {@code p}, its statement prefixed by {@code prefix}. */
    static String sqlBody(QueryParams p, String prefix) {
        String params = p.query() == Query.POINT ? "[\"" + p.sku() + "\"]" : "[" + p.lo() + "," + p.hi() + "]";
        return "{\"sql\":\"" + prefix + sql(p.query()) + "\",\"params\":" + params + "}";
    }

    /**
     * A client thread's connection; the scan variant adds {@code "hint":"scan"} to every query,
     * and the wire variant speaks the PostgreSQL protocol.
     */
    @Override
    public Client client(Variant v) throws IOException {
        return switch (v) {
            case LUMADB_SQL -> new SqlClient();
            case LUMADB_PGWIRE -> {
                try {
                    yield new WireClient();
                } catch (java.sql.SQLException e) {
                    throw new IOException("cannot connect to " + wireUrl + ": " + e.getMessage(), e);
                }
            }
            default -> new HttpClient(v == Variant.LUMADB_SCAN);
        };
    }

    /**
     * A client thread's connection over the PostgreSQL protocol, both statements prepared once
     * (the driver names them on the server after their fifth use, and from then on sends only
     * Bind and Execute).
     */
    private final class WireClient implements Client {
        private final java.sql.Connection connection;
        private final java.sql.PreparedStatement point;
        private final java.sql.PreparedStatement range;
        private final java.sql.PreparedStatement join;

        WireClient() throws java.sql.SQLException {
            connection = java.sql.DriverManager.getConnection(wireUrl);
            point = connection.prepareStatement(sql(Query.POINT));
            range = connection.prepareStatement(sql(Query.RANGE));
            join = connection.prepareStatement(sql(Query.JOIN));
        }

        java.sql.PreparedStatement bind(QueryParams p) throws java.sql.SQLException {
            if (p.query() == Query.POINT) {
                point.setString(1, p.sku());
                return point;
            }
            java.sql.PreparedStatement ps = p.query() == Query.JOIN ? join : range;
            ps.setDouble(1, p.lo());
            ps.setDouble(2, p.hi());
            return ps;
        }

        @Override
        public int run(QueryParams p) throws IOException {
            int count = 0;
            try (java.sql.ResultSet rs = bind(p).executeQuery()) {
                while (rs.next()) {
                    // Read the whole document, as the HTTP clients read every byte of their answer.
                    if (rs.getString(1) == null) {
                        throw new IOException("a row without its document for " + p);
                    }
                    count++;
                }
            } catch (java.sql.SQLException e) {
                throw new IOException("SQL over the PostgreSQL protocol failed for " + p + ": " + e.getMessage(), e);
            }
            return count;
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (java.sql.SQLException ignored) {
                // closing is best effort
            }
        }
    }

    /** A client thread's connection sending each query as SQL with its parameters. */
    private final class SqlClient implements Client {
        private final HttpConnection connection = api.newConnection();
        private final RequestBytes request = new RequestBytes(512);

        @Override
        public int run(QueryParams p) throws IOException {
            String body = sqlBody(p, "");
            request.clear()
                    .appendHead("POST", api.host(), sqlPath, "application/json", body.length())
                    .append(body);
            int status = connection.exchange(request.array(), 0, request.length());
            if (status != 200) {
                throw new IOException("POST " + sqlPath + " " + p + " answered " + status + ": "
                        + abbreviate(connection.bodyString()));
            }
            return countArray(connection.body(), connection.bodyLength(), "rows");
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    private final class HttpClient implements Client {
        private final HttpConnection connection = api.newConnection();
        private final RequestBytes request = new RequestBytes(512);
        private final boolean scan;

        HttpClient(boolean scan) {
            this.scan = scan;
        }

        @Override
        public int run(QueryParams p) throws IOException {
            String body = body(p, scan, false);
            request.clear()
                    .appendHead("POST", api.host(), queryPath, "application/json", body.length())
                    .append(body);
            int status = connection.exchange(request.array(), 0, request.length());
            if (status != 200) {
                throw new IOException("POST " + queryPath + " " + p + (scan ? " (scan)" : "") + " answered " + status
                        + ": " + abbreviate(connection.bodyString()));
            }
            return countDocuments(connection.body(), connection.bodyLength());
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    /** Counts the elements of the answer's {@code "documents"} array, reading every byte of it. */
    static int countDocuments(byte[] body, int length) throws IOException {
        return countArray(body, length, "documents");
    }

    /** Counts the elements of the answer's array {@code field}, reading every byte of it. */
    static int countArray(byte[] body, int length, String field) throws IOException {
        try (JsonParser parser = MAPPER.getFactory().createParser(body, 0, length)) {
            int count = -1;
            if (parser.nextToken() == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (name.equals(field) && value == JsonToken.START_ARRAY) {
                        count = 0;
                        JsonToken element;
                        while ((element = parser.nextToken()) != JsonToken.END_ARRAY && element != null) {
                            parser.skipChildren();
                            count++;
                        }
                    } else {
                        parser.skipChildren();
                    }
                }
            }
            if (count < 0) {
                throw new IOException("the answer is not a JSON object with a \"" + field + "\" array: "
                        + abbreviate(new String(body, 0, length, StandardCharsets.UTF_8)));
            }
            return count;
        }
    }

    /** The request body of {@code p}; {@code scan} adds {@code "hint":"scan"}, {@code explain} asks for the plan. */
    static String body(QueryParams p, boolean scan, boolean explain) {
        return (p.query() == Query.POINT
                        ? "{\"filter\":{\"sku\":\"" + p.sku() + "\"}"
                        : "{\"filter\":{\"price\":{\"$gte\":" + p.lo() + ",\"$lt\":" + p.hi()
                                + "}},\"sort\":[\"price\"],\"limit\":" + ItemData.RANGE_LIMIT)
                + (scan ? ",\"hint\":\"scan\"" : "")
                + (explain ? ",\"explain\":true" : "")
                + "}";
    }

    @Override
    public void close() {
        api.close();
    }
}

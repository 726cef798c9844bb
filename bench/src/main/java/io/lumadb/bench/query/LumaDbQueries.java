package io.lumadb.bench.query;

import static io.lumadb.bench.ycsb.LumaDbHttp.abbreviate;

import com.fasterxml.jackson.core.JsonFactory;
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

/**
 * LumaDB's side of the query benchmark over its HTTP API: creates the database, collection and
 * secondary indexes, bulk-loads the items, checks plans and answers, and hands out one
 * keep-alive {@link HttpConnection} per client thread for the measurement (through {@link
 * LumaDbHttp}, as the YCSB binding, so no client library's cost is measured).
 */
final class LumaDbQueries implements AutoCloseable {

    static final String DATABASE = "querybench";
    static final String COLLECTION = "items";
    static final String SKU_INDEX = "by_sku";
    static final String PRICE_INDEX = "by_price";

    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int BULK_BATCH = 1000;

    private final LumaDbHttp api;
    private final String dbPath;
    private final String collectionPath;
    private final String queryPath;

    LumaDbQueries(String url, Duration timeout) {
        this.api = new LumaDbHttp(url, (int) timeout.toMillis());
        this.dbPath = api.path(DATABASE);
        this.collectionPath = api.path(DATABASE, COLLECTION);
        this.queryPath = collectionPath + "/_query";
    }

    // ---- setup

    /** Drops the benchmark's database if a previous run left it, then creates it and the collection. */
    void reset(Integer shards) throws IOException {
        api.expect("DELETE", dbPath, null, 200, 204, 404);
        api.expect("PUT", dbPath, null, 200, 201);
        api.expect("PUT", collectionPath, shards == null ? null : "{\"shards\":" + shards + "}", 201);
    }

    /** The collection's shard count, as the server reports it ("?" if it does not say). */
    String shards() throws IOException {
        JsonNode c = MAPPER.readTree(api.expect("GET", collectionPath, null, 200));
        return c.hasNonNull("shards") ? c.get("shards").asText() : "?";
    }

    /** Loads every item with {@code _bulk}, {@value #BULK_BATCH} per request. */
    void load(ItemData data) throws IOException {
        StringBuilder body = new StringBuilder(BULK_BATCH * (ItemData.TARGET_BYTES + 16));
        for (int from = 0; from < data.size(); from += BULK_BATCH) {
            int to = Math.min(data.size(), from + BULK_BATCH);
            body.setLength(0);
            body.append('[');
            for (int i = from; i < to; i++) {
                body.append(i > from ? "," : "")
                        .append("{\"doc\":")
                        .append(data.document(i))
                        .append('}');
            }
            body.append(']');
            JsonNode answer = MAPPER.readTree(api.expect("POST", collectionPath + "/_bulk", body.toString(), 200));
            if (!answer.path("errors").isBoolean() || answer.get("errors").asBoolean()) {
                throw new IOException("POST " + collectionPath + "/_bulk (items " + data.id(from) + ".."
                        + data.id(to - 1) + ") reported errors: " + abbreviate(answer.toString()));
            }
        }
    }

    /**
     * Creates index {@code name} on {@code fieldsJson} (a JSON array, as the API takes it) and
     * waits until it is ready; returns how long that took.
     *
     * @throws IOException if the index fails to build or is not ready within {@code timeout}
     */
    Duration createIndex(String name, String fieldsJson, Duration timeout) throws IOException, InterruptedException {
        String path = collectionPath + "/_indexes/" + name;
        long t0 = System.nanoTime();
        api.expect("PUT", path, "{\"fields\":" + fieldsJson + "}", 200, 201);
        long deadline = t0 + timeout.toNanos();
        String last;
        while (true) {
            last = api.expect("GET", path, null, 200);
            String state = MAPPER.readTree(last).path("state").asText();
            if (state.equals("ready")) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
            if (!state.equals("building")) { // "failed", or a state this benchmark does not know
                throw new IOException("LumaDB index " + name + " on " + fieldsJson + " of " + DATABASE + "/"
                        + COLLECTION + " failed to build (state '" + state + "'): " + abbreviate(last));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("LumaDB index " + name + " on " + fieldsJson + " of " + DATABASE + "/"
                        + COLLECTION + " was not ready after " + timeout.toSeconds() + " s (--index-timeout); last "
                        + "status: " + abbreviate(last));
            }
            Thread.sleep(100);
        }
    }

    /** Deletes the benchmark's database. */
    void drop() throws IOException {
        api.expect("DELETE", dbPath, null, 200, 204, 404);
    }

    // ---- checks before measuring

    /** The documents of the answer to {@code p}, as the API returns them. */
    List<JsonNode> documents(QueryParams p, boolean scan) throws IOException {
        JsonNode answer = MAPPER.readTree(api.expect("POST", queryPath, body(p, scan, false), 200));
        JsonNode docs = answer.get("documents");
        if (docs == null || !docs.isArray()) {
            throw new IOException("POST " + queryPath + " " + body(p, scan, false) + " answered without a "
                    + "\"documents\" array: " + abbreviate(answer.toString()));
        }
        List<JsonNode> out = new ArrayList<>();
        docs.forEach(out::add);
        return out;
    }

    /**
     * Checks LumaDB's explain of {@code p} answered as {@code variant}: ok when every shard's plan
     * ("ids", "index" or "scan") is {@code plan} and, if {@code index} is not null, used that index;
     * else a line goes to {@code failures}. The check reports the shards' plans, grouped with the
     * index used and how the order was obtained ("index by_price on 4 shards (order: index)"), and
     * the keys and documents examined and documents returned, summed over the shards.
     */
    QueryReport.PlanCheck explain(QueryParams p, Variant variant, String plan, String index, List<String> failures)
            throws IOException {
        String request = body(p, variant == Variant.LUMADB_SCAN, true);
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
            failures.add(p.query().id() + ", " + variant.id() + ": LumaDB's explain does not say \"" + plan + "\""
                    + (index == null ? "" : " on " + index) + " for every shard: " + abbreviate(explain.toString()));
        }
        return new QueryReport.PlanCheck(
                p.query().id(), variant.id(), String.join(", ", summary), keys, docs, returned, ok);
    }

    // ---- measurement

    /** A client thread's connection; {@code scan} adds {@code "hint":"scan"} to every query. */
    QueryClient client(boolean scan) {
        return new Client(scan);
    }

    private final class Client implements QueryClient {
        private final HttpConnection connection = api.newConnection();
        private final RequestBytes request = new RequestBytes(512);
        private final RequestBytes body = new RequestBytes(256);
        private final boolean scan;

        Client(boolean scan) {
            this.scan = scan;
        }

        @Override
        public int run(QueryParams p) throws IOException {
            body.clear();
            appendBody(body, p, scan, false);
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
        try (JsonParser parser = JSON.createParser(body, 0, length)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("the answer is not a JSON object: "
                        + abbreviate(new String(body, 0, length, StandardCharsets.UTF_8)));
            }
            int count = -1;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("documents") && value == JsonToken.START_ARRAY) {
                    count = 0;
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        parser.skipChildren();
                        count++;
                    }
                } else {
                    parser.skipChildren();
                }
            }
            if (count < 0) {
                throw new IOException("the answer has no \"documents\" array: "
                        + abbreviate(new String(body, 0, length, StandardCharsets.UTF_8)));
            }
            return count;
        }
    }

    /** The request body of {@code p}, as text (for setup and error messages). */
    static String body(QueryParams p, boolean scan, boolean explain) {
        RequestBytes b = new RequestBytes(256);
        appendBody(b, p, scan, explain);
        return new String(b.array(), 0, b.length(), StandardCharsets.US_ASCII);
    }

    static void appendBody(RequestBytes b, QueryParams p, boolean scan, boolean explain) {
        if (p.query() == Query.POINT) {
            b.append("{\"filter\":{\"sku\":\"").append(p.sku()).append("\"}");
        } else {
            b.append("{\"filter\":{\"price\":{\"$gte\":")
                    .append(Double.toString(p.lo()))
                    .append(",\"$lt\":")
                    .append(Double.toString(p.hi()))
                    .append("}},\"sort\":[\"price\"],\"limit\":")
                    .append(ItemData.RANGE_LIMIT);
        }
        if (scan) {
            b.append(",\"hint\":\"scan\"");
        }
        if (explain) {
            b.append(",\"explain\":true");
        }
        b.appendByte('}');
    }

    @Override
    public void close() {
        api.close();
    }
}

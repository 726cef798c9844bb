package io.lumadb.bench.query;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LumaDB's side of the query benchmark over its HTTP API: creates the database, collection and
 * secondary indexes, bulk-loads the items, checks plans and answers, and hands out one
 * keep-alive {@link HttpConnection} per client thread for the measurement (the same hand-made
 * HTTP/1.1 client as the YCSB binding and the API benchmark, so no client library's cost is
 * measured).
 */
final class LumaDbQueries implements AutoCloseable {

    static final String DATABASE = "querybench";
    static final String COLLECTION = "items";
    static final String SKU_INDEX = "by_sku";
    static final String PRICE_INDEX = "by_price";

    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";
    private static final int BULK_BATCH = 1000;

    private final InetSocketAddress address;
    private final String host;
    private final String dbPath;
    private final String collectionPath;
    private final String queryPath;
    private final int timeoutMillis;
    private final HttpConnection setup;

    LumaDbQueries(String url, Duration timeout) {
        URI uri = URI.create(url);
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("--url must be an http:// URL, got '" + url + "'");
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        this.address = new InetSocketAddress(uri.getHost(), port);
        this.host = uri.getHost() + ":" + port;
        this.dbPath = "/api/v1/" + DATABASE;
        this.collectionPath = dbPath + "/" + COLLECTION;
        this.queryPath = collectionPath + "/_query";
        this.timeoutMillis = (int) timeout.toMillis();
        this.setup = new HttpConnection(address, timeoutMillis);
    }

    // ---- setup

    /** Drops the benchmark's database if a previous run left it, then creates it and the collection. */
    void reset(Integer shards) throws IOException {
        expect("DELETE", dbPath, null, 200, 204, 404);
        expect("PUT", dbPath, null, 200, 201);
        expect("PUT", collectionPath, shards == null ? null : "{\"shards\":" + shards + "}", 201);
    }

    /** The collection's shard count, as the server reports it ("?" if it does not say). */
    String shards() throws IOException {
        JsonNode c = MAPPER.readTree(expect("GET", collectionPath, null, 200));
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
            JsonNode answer = MAPPER.readTree(expect("POST", collectionPath + "/_bulk", body.toString(), 200));
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
        expect("PUT", path, "{\"fields\":" + fieldsJson + "}", 200, 201);
        long deadline = t0 + timeout.toNanos();
        String last;
        while (true) {
            last = expect("GET", path, null, 200);
            String state = MAPPER.readTree(last).path("state").asText();
            switch (state) {
                case "ready" -> {
                    return Duration.ofNanos(System.nanoTime() - t0);
                }
                case "failed" ->
                    throw new IOException("LumaDB index " + name + " on " + fieldsJson + " of " + DATABASE + "/"
                            + COLLECTION + " failed to build: " + abbreviate(last));
                case "building" -> {
                    // still going
                }
                default ->
                    throw new IOException(
                            "GET " + path + " answered an unknown state '" + state + "': " + abbreviate(last));
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
        expect("DELETE", dbPath, null, 200, 204, 404);
    }

    // ---- checks before measuring

    /** The documents of the answer to {@code p}, as the API returns them. */
    List<JsonNode> documents(QueryParams p, boolean scan) throws IOException {
        JsonNode answer = MAPPER.readTree(expect("POST", queryPath, body(p, scan, false), 200));
        JsonNode docs = answer.get("documents");
        if (docs == null || !docs.isArray()) {
            throw new IOException("POST " + queryPath + " " + body(p, scan, false) + " answered without a "
                    + "\"documents\" array: " + abbreviate(answer.toString()));
        }
        List<JsonNode> out = new ArrayList<>();
        docs.forEach(out::add);
        return out;
    }

    /** The plan LumaDB reports for {@code p} with {@code "explain":true}. */
    Plan explain(QueryParams p, boolean scan) throws IOException {
        String request = body(p, scan, true);
        JsonNode answer = MAPPER.readTree(expect("POST", queryPath, request, 200));
        JsonNode explain = answer.get("explain");
        if (explain == null || explain.isNull()) {
            throw new IOException("POST " + queryPath + " " + request + " answered without an \"explain\" object: "
                    + abbreviate(answer.toString()));
        }
        return Plan.of(explain);
    }

    /**
     * What an {@code explain} says: per shard, the plan ("ids", "index" or "scan"), the index used
     * and how the order was obtained ("index", "memory", "id"); and the keys and documents
     * examined and documents returned, summed over the shards.
     */
    record Plan(
            List<String> shardPlans,
            List<String> indexes,
            List<String> orders,
            long keysExamined,
            long documentsExamined,
            long returned,
            String json) {

        /** Reads {@code {"shards":[{"plan":..,"index":..,"order":..,"keysExamined":..,...}],...}}. */
        static Plan of(JsonNode explain) throws IOException {
            JsonNode shards = explain.get("shards");
            if (shards == null || !shards.isArray() || shards.isEmpty()) {
                throw new IOException("LumaDB's explain has no \"shards\" array: " + abbreviate(explain.toString()));
            }
            List<String> plans = new ArrayList<>();
            List<String> indexes = new ArrayList<>();
            List<String> orders = new ArrayList<>();
            long keys = 0;
            long docs = 0;
            long returned = 0;
            for (JsonNode shard : shards) {
                plans.add(shard.path("plan").asText("?"));
                if (shard.hasNonNull("index")) {
                    indexes.add(shard.get("index").asText());
                }
                orders.add(shard.path("order").asText("?"));
                keys += shard.path("keysExamined").asLong();
                docs += shard.path("documentsExamined").asLong();
                returned += shard.path("returned").asLong();
            }
            return new Plan(plans, indexes, orders, keys, docs, returned, explain.toString());
        }

        /** True when every shard's plan is {@code plan} and, if {@code index} is not null, used that index. */
        boolean all(String plan, String index) {
            return shardPlans.stream().allMatch(plan::equals)
                    && (index == null
                            || (indexes.size() == shardPlans.size()
                                    && indexes.stream().allMatch(index::equals)));
        }

        /** "index by_price on 4 shards, order: index": what every shard did, grouped. */
        String summary() {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (int i = 0; i < shardPlans.size(); i++) {
                String what = shardPlans.get(i);
                if (what.equals("index") && i < indexes.size()) {
                    what += " " + indexes.get(i);
                }
                what += " (order: " + orders.get(i) + ")";
                counts.merge(what, 1, Integer::sum);
            }
            List<String> parts = new ArrayList<>();
            counts.forEach(
                    (what, n) -> parts.add(what.replace(" (", " on " + n + (n == 1 ? " shard (" : " shards ("))));
            return String.join(", ", parts);
        }
    }

    // ---- measurement

    /** A client thread's connection; {@code scan} adds {@code "hint":"scan"} to every query. */
    QueryClient client(boolean scan) {
        return new Client(scan);
    }

    private final class Client implements QueryClient {
        private final HttpConnection connection = new HttpConnection(address, timeoutMillis);
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
                    .appendHead("POST", host, queryPath, JSON_TYPE, body.length())
                    .append(body);
            int status = connection.exchange(request.array(), 0, request.length());
            if (status != 200) {
                throw new IOException("POST " + queryPath + " " + p + (scan ? " (scan)" : "") + " answered " + status
                        + ": " + text(connection.body(), connection.bodyLength()));
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
                throw new IOException("the answer is not a JSON object: " + text(body, length));
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
                throw new IOException("the answer has no \"documents\" array: " + text(body, length));
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

    // ---- HTTP for setup

    private String expect(String method, String path, String json, int... statuses) throws IOException {
        byte[] request = json == null
                ? RequestBytes.request(method, host, path)
                : RequestBytes.request(method, host, path, JSON_TYPE, json.getBytes(StandardCharsets.UTF_8));
        long connects = setup.connects();
        int status;
        try {
            status = setup.exchange(request);
        } catch (IOException e) {
            if (setup.connects() != connects) {
                throw e; // a fresh connection failed: the server is the problem, not an idle close
            }
            // The server closed the kept-alive connection while it sat idle (during the
            // measurement, minutes): EOF or a reset. Every setup request is idempotent; send it again.
            status = setup.exchange(request);
        }
        for (int s : statuses) {
            if (status == s) {
                return setup.bodyString();
            }
        }
        throw new IOException(method + " " + path + (json == null ? "" : " " + abbreviate(json)) + " answered " + status
                + ": " + abbreviate(setup.bodyString()));
    }

    /** The start of a response body, for error messages. */
    static String text(byte[] body, int length) {
        return abbreviate(new String(body, 0, length, StandardCharsets.UTF_8));
    }

    static String abbreviate(String s) {
        return s.length() <= 600 ? s : s.substring(0, 600) + "... (" + s.length() + " characters)";
    }

    @Override
    public void close() {
        setup.close();
    }
}

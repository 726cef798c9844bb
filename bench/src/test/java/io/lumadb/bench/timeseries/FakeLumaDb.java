package io.lumadb.bench.timeseries;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The contract of LumaDB's time-series endpoints, served in memory for the load
 * generator's tests: {@code POST /api/v2/write?bucket=bench/cpu&precision=ns} (line protocol of
 * the generator's kind: no escapes) and {@code POST /api/v1/bench/cpu/_tsquery} (a count, or the
 * mean and max of one field per hostname and window). {@code writeStatus} other than 204 answers
 * every write with it, as a node without the endpoints would.
 */
final class FakeLumaDb implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Row(String host, long time, double usageUser) {}

    private final HttpServer server;
    private final List<Row> rows = new CopyOnWriteArrayList<>();
    private final List<String> writeQueries = new CopyOnWriteArrayList<>();
    private final int writeStatus;

    FakeLumaDb(int writeStatus) throws IOException {
        this.writeStatus = writeStatus;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v2/write", this::write);
        server.createContext("/api/v1/bench/cpu/_tsquery", this::query);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<String> writeQueries() {
        return writeQueries;
    }

    private void write(HttpExchange x) throws IOException {
        writeQueries.add(x.getRequestURI().getRawQuery());
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (writeStatus != 204) {
            answer(x, writeStatus, "{\"type\":\"urn:lumadb:problem:not-found\",\"status\":" + writeStatus + "}");
            return;
        }
        for (String line : body.split("\n")) {
            String[] parts = line.split(" ");
            String host = parts[0].split(",")[1].substring("hostname=".length());
            String usageUser = parts[1].split(",")[0].substring("usage_user=".length());
            rows.add(new Row(host, Long.parseLong(parts[2]), Double.parseDouble(usageUser)));
        }
        x.sendResponseHeaders(204, -1);
        x.close();
    }

    private void query(HttpExchange x) throws IOException {
        JsonNode q = JSON.readTree(x.getRequestBody());
        long from = q.get("from").asLong();
        long to = q.get("to").asLong();
        String field = q.get("fields").get(0).asText();
        ObjectNode out = JSON.createObjectNode();
        ArrayNode groups = out.putArray("groups");
        if (q.has("window")) {
            long window = q.get("window").asText().equals("1h") ? 3_600_000_000_000L : 60_000_000_000L;
            Map<String, Map<Long, List<Double>>> byHost = new TreeMap<>();
            for (Row r : rows) {
                if (r.time() >= from && r.time() < to) {
                    byHost.computeIfAbsent(r.host(), h -> new TreeMap<>())
                            .computeIfAbsent(r.time() / window * window, t -> new ArrayList<>())
                            .add(r.usageUser());
                }
            }
            byHost.forEach((host, windows) -> {
                ObjectNode group = groups.addObject();
                group.putObject("tags").put("hostname", host);
                ArrayNode list = group.putArray("rows");
                windows.forEach((start, values) -> {
                    ObjectNode row = list.addObject();
                    row.put("time", Instant.ofEpochSecond(0, start).toString());
                    ObjectNode v = row.putObject(field);
                    v.put("mean", values.stream().mapToDouble(d -> d).average().orElseThrow());
                    v.put("max", values.stream().mapToDouble(d -> d).max().orElseThrow());
                });
            });
        } else {
            ObjectNode group = groups.addObject();
            group.putObject("tags");
            ObjectNode row = group.putArray("rows").addObject();
            row.put("time", Instant.ofEpochSecond(0, from).toString());
            row.putObject(field)
                    .put(
                            "count",
                            rows.stream()
                                    .filter(r -> r.time() >= from && r.time() < to)
                                    .count());
        }
        out.put("truncated", false);
        answer(x, 200, out.toString());
    }

    private static void answer(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
        x.close();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}

package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs a JQL query or a SQL statement and prints its rows as they come, page by page. */
final class Results {
    private static final int SQL_BATCH = 500;

    private Results() {}

    /**
     * Runs a JQL query and prints its documents, following {@code next} until the last page or
     * {@code max} documents. A query with {@code count}, {@code aggregate} or {@code distinct}
     * answers one JSON value, printed as it is (its rows as rows, where it has an array of them).
     * Answers the number of rows printed.
     */
    static long jql(NodeApi api, Target t, ObjectNode query, Rows.Format format, long max, OutputStream out) {
        String path = t.path("_query");
        boolean documents = !(query.has("count") || query.has("aggregate") || query.has("distinct"));
        if (!documents) {
            JsonNode answer = api.post(path, query);
            if (format == Rows.Format.json || format == Rows.Format.ndjson) {
                try {
                    out.write(NodeApi.JSON.writeValueAsBytes(answer));
                    out.write('\n');
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return 1;
            }
            List<ObjectNode> rows = new ArrayList<>();
            for (JsonNode field : answer) {
                if (field.isArray()) {
                    for (JsonNode row : field) {
                        rows.add(row.isObject() ? (ObjectNode) row : value(row));
                    }
                    break;
                }
            }
            if (rows.isEmpty()) {
                rows.add((ObjectNode) answer);
            }
            try (Rows printer = Rows.open(format, out, null)) {
                printer.write(rows);
            }
            return rows.size();
        }
        try (Rows printer = Rows.open(format, out, null)) {
            ObjectNode q = query.deepCopy();
            long printed = 0;
            while (true) {
                if (max > 0) {
                    long left = max - printed;
                    long limit = q.has("limit") ? Math.min(q.get("limit").asLong(), left) : Math.min(1000, left);
                    q.put("limit", limit);
                }
                JsonNode page = api.post(path, q);
                List<ObjectNode> docs = new ArrayList<>();
                page.path("documents").forEach(d -> docs.add((ObjectNode) d));
                printer.write(docs);
                printed += docs.size();
                JsonNode next = page.get("next");
                if (next == null || next.isNull() || docs.isEmpty() || (max > 0 && printed >= max)) {
                    break;
                }
                q.set("after", next);
            }
            return printed;
        }
    }

    private static ObjectNode value(JsonNode v) {
        ObjectNode o = NodeApi.object();
        o.set("value", v);
        return o;
    }

    /**
     * Runs a SQL statement over {@code db} and prints its rows as they stream (NDJSON), or for a
     * write its command and row count. Answers the rows printed.
     */
    static long sql(
            NodeApi api,
            String db,
            String sql,
            ArrayNode params,
            Rows.Format format,
            OutputStream out,
            java.io.PrintStream err) {
        ObjectNode body = NodeApi.object();
        body.put("sql", sql);
        if (params != null && !params.isEmpty()) {
            body.set("params", params);
        }
        HttpResponse<InputStream> response = api.stream(
                "POST",
                NodeApi.path(db, "_sql"),
                NodeApi.bytes(body),
                "application/json",
                "Accept",
                "application/x-ndjson");
        try (InputStream in = response.body();
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String first = reader.readLine();
            JsonNode head = first == null ? NodeApi.object() : NodeApi.JSON.readTree(first);
            if (head.has("rows")) {
                return whole(head, format, out, err);
            }
            List<String> columns = columnNames(head);
            long printed = 0;
            Rows printer = null;
            List<ObjectNode> batch = new ArrayList<>();
            try {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode n = NodeApi.JSON.readTree(line);
                    if (n.isArray()) {
                        batch.add(row(columns, n));
                        if (batch.size() >= SQL_BATCH) {
                            printer = printer == null ? open(columns, format, out) : printer;
                            printer.write(batch);
                            printed += batch.size();
                            batch.clear();
                        }
                    } else if (n.has("error")) {
                        JsonNode e = n.get("error");
                        throw new CliException(
                                ExitCodes.FAILED,
                                e.path("title").asText("error") + ": "
                                        + e.path("detail").asText("")
                                        + (e.has("sqlState")
                                                ? " [SQLSTATE "
                                                        + e.get("sqlState").asText() + "]"
                                                : ""));
                    } else if (n.has("command")) {
                        err.println(n.get("command").asText() + " "
                                + n.path("rowCount").asLong());
                        return 0;
                    }
                }
                if (columns.isEmpty()) {
                    return 0;
                }
                printer = printer == null ? open(columns, format, out) : printer;
                printer.write(batch);
                printed += batch.size();
                return printed;
            } finally {
                if (printer != null) {
                    printer.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long whole(JsonNode answer, Rows.Format format, OutputStream out, java.io.PrintStream err) {
        if (answer.has("command")) {
            err.println(answer.get("command").asText() + " "
                    + answer.path("rowCount").asLong());
            return 0;
        }
        List<String> columns = columnNames(answer);
        List<ObjectNode> rows = new ArrayList<>();
        answer.path("rows").forEach(r -> rows.add(row(columns, r)));
        try (Rows printer = open(columns, format, out)) {
            printer.write(rows);
        }
        return rows.size();
    }

    /** The result's column names; a name that comes again (a join's two {@code id}s) gets {@code _2}, {@code _3}. */
    private static List<String> columnNames(JsonNode answer) {
        List<String> columns = new ArrayList<>();
        for (JsonNode c : answer.path("columns")) {
            String name = c.path("name").asText();
            String unique = name;
            for (int n = 2; columns.contains(unique); n++) {
                unique = name + "_" + n;
            }
            columns.add(unique);
        }
        return columns;
    }

    private static Rows open(List<String> columns, Rows.Format format, OutputStream out) {
        return Rows.open(format, out, columns);
    }

    private static ObjectNode row(List<String> columns, JsonNode values) {
        ObjectNode o = NodeApi.object();
        for (int i = 0; i < columns.size(); i++) {
            o.set(columns.get(i), values.get(i));
        }
        return o;
    }
}

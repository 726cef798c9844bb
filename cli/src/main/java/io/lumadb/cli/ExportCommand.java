package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.client.ChangeEnvelope;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lumadb export}: a collection's documents as NDJSON, a JSON array or CSV, as one
 * consistent snapshot.
 *
 * <p>How the snapshot is made, with the API every node has: note the change stream's position
 * P0, read every document page by page in {@code _id} order into a spool file, then read the
 * change stream from P0 until it is caught up, at position P1. A document no change touched
 * between P0 and P1 had the same content all along, so its page holds its content at P1; every
 * other one is taken from its last change before P1 (or left out, if that deleted it). The
 * output merges the two in {@code _id} order: exactly the collection at P1, which the command
 * prints so that {@code lumadb tail --from P1} goes on from there.
 */
@Command(
        name = "export",
        description = {
            "Write a collection's documents to a file (or stdout) as ndjson, json (an array) or csv, as one consistent"
                    + " snapshot of the collection, in _id order, with progress.",
            "The snapshot's change-stream position is printed at the end: lumadb tail DB/COLLECTION --from TOKEN"
                    + " continues exactly after it.",
            "With --filter the documents are read page by page with the query: documents written during the export"
                    + " may appear in their old or new state.",
        })
final class ExportCommand extends Base implements Callable<Integer> {
    private static final int PAGE = 1000;

    /** UTF-8 byte order of ids, the order of {@code _docs}: the order of code points. */
    static final Comparator<String> ID_ORDER =
            (a, b) -> Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());

    @Parameters(index = "0", paramLabel = "DB/COLLECTION")
    String target;

    @Parameters(
            index = "1",
            arity = "0..1",
            paramLabel = "FILE",
            description = "where to write (default, or -: stdout)")
    String file;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            description = "ndjson, json or csv (default: by extension; stdout ndjson)")
    DocumentSource.Format format;

    @Option(
            names = "--columns",
            paramLabel = "NAME,...",
            description = "CSV: these columns in this order (default: every field)")
    String columns;

    @Option(names = "--filter", paramLabel = "JSON", description = "only the documents this JQL filter matches")
    String filter;

    @Option(
            names = "--progress",
            defaultValue = "auto",
            description = "auto, bar, plain or none (default ${DEFAULT-VALUE})")
    Progress.Mode progressMode;

    private long read;
    private long bytes;

    @Override
    public Integer call() throws Exception {
        Target t = Target.collection(target);
        boolean toStdout = file == null || file.equals("-");
        DocumentSource.Format f = format != null ? format : ImportCommand.formatOf(file);
        NodeApi api = api();
        JsonNode info = api.get(t.path());
        long total = info.path("documentCount").asLong(0);
        Path spoolDir = toStdout ? Path.of(System.getProperty("java.io.tmpdir")) : parentOf(Path.of(file));
        Path spool = Files.createTempFile(spoolDir, ".lumadb-export-", ".ndjson");
        Path partial = toStdout ? null : Files.createTempFile(parentOf(Path.of(file)), ".lumadb-export-", ".part");
        Progress progress = new Progress(err(), progressMode, "docs", 0);
        long start = System.nanoTime();
        try {
            String position;
            Map<String, JsonNode> changed;
            if (filter == null) {
                String p0 = position(api, t, "now");
                try (OutputStream s = new BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
                    readAll(api, t, s, progress);
                }
                changed = new TreeMap<>(ID_ORDER);
                position = changesSince(api, t, p0, changed);
            } else {
                try (OutputStream s = new BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
                    readFiltered(api, t, s, progress);
                }
                changed = Map.of();
                position = null;
            }
            List<String> csvColumns = f == DocumentSource.Format.csv
                    ? (columns != null ? List.of(columns.split(",")) : columns(spool, changed))
                    : null;
            long written;
            OutputStream target = toStdout ? out() : new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16);
            if (!toStdout && file.toLowerCase(Locale.ROOT).endsWith(".gz")) {
                target = new GZIPOutputStream(target, 1 << 16);
            }
            try (Rows rows = Rows.open(rowsFormat(f), target, csvColumns)) {
                written = merge(spool, changed, rows);
            } finally {
                if (!toStdout) {
                    target.close();
                }
            }
            if (!toStdout) {
                Files.move(partial, Path.of(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            progress.finish(read, bytes);
            double seconds = (System.nanoTime() - start) / 1e9;
            err().printf(
                            Locale.ROOT,
                            "exported %,d documents of %s in %.1f s (%,.0f docs/s)%n",
                            written,
                            t,
                            seconds,
                            written / Math.max(seconds, 1e-3));
            if (position != null) {
                err().println("snapshot position: " + position);
            }
            if (total > 0 && filter == null && written == 0) {
                err().println("lumadb: warning: the collection counted " + total + " documents but none was read");
            }
            return ExitCodes.OK;
        } finally {
            Files.deleteIfExists(spool);
            if (partial != null) {
                Files.deleteIfExists(partial);
            }
        }
    }

    private static Path parentOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new CliException(ExitCodes.USAGE, "no such directory: " + parent);
        }
        return parent;
    }

    private static Rows.Format rowsFormat(DocumentSource.Format f) {
        return switch (f) {
            case ndjson -> Rows.Format.ndjson;
            case json -> Rows.Format.json;
            case csv -> Rows.Format.csv;
        };
    }

    /** Every document, in {@code _id} order, one JSON line each. */
    private void readAll(NodeApi api, Target t, OutputStream spool, Progress progress) throws IOException {
        String after = null;
        do {
            String path = t.path("_docs") + "?limit=" + PAGE + (after == null ? "" : "&after=" + NodeApi.encode(after));
            JsonNode answer = spoolPage(api.send("GET", path, null, null), "docs", spool);
            JsonNode next = answer.get("next");
            after = next == null || next.isNull() ? null : next.asText();
            progress.update(read, bytes);
        } while (after != null);
    }

    private void readFiltered(NodeApi api, Target t, OutputStream spool, Progress progress) throws IOException {
        ObjectNode query = NodeApi.object();
        query.set("filter", jsonBody(filter, null, "--filter"));
        query.putArray("sort").add("_id");
        query.put("limit", PAGE);
        while (true) {
            JsonNode answer = spoolPage(
                    api.send("POST", t.path("_query"), NodeApi.bytes(query), "application/json"), "documents", spool);
            progress.update(read, bytes);
            JsonNode next = answer.get("next");
            if (next == null || next.isNull()) {
                return;
            }
            query.set("after", next);
        }
    }

    /** Appends the documents of a page's {@code field} to the spool, one JSON line each; answers the page. */
    private JsonNode spoolPage(HttpResponse<byte[]> page, String field, OutputStream spool) throws IOException {
        bytes += page.body().length;
        JsonNode answer = NodeApi.json(page);
        for (JsonNode doc : answer.path(field)) {
            spool.write(NodeApi.JSON.writeValueAsBytes(doc));
            spool.write('\n');
            read++;
        }
        return answer;
    }

    /** The change stream's position now (or of {@code from}) without reading any change. */
    static String position(NodeApi api, Target t, String from) {
        HttpResponse<byte[]> page = api.send(
                "GET",
                t.path("_changes") + "?from=" + NodeApi.encode(from) + "&limit=1&wait=0",
                null,
                null,
                "Accept",
                "application/x-ndjson");
        return page.headers()
                .firstValue("LumaDB-Next-Token")
                .orElseThrow(
                        () -> new CliException(ExitCodes.FAILED, "the node's change page has no LumaDB-Next-Token"));
    }

    /**
     * Reads the change stream from {@code from} until it is caught up, keeping each changed
     * document's last state (null for deleted); answers the position it reached.
     */
    static String changesSince(NodeApi api, Target t, String from, Map<String, JsonNode> changed) throws IOException {
        String position = from;
        while (true) {
            HttpResponse<InputStream> page = api.stream(
                    "GET",
                    t.path("_changes") + "?from=" + NodeApi.encode(position) + "&limit=1000&wait=0",
                    null,
                    null,
                    "Accept",
                    "application/x-ndjson");
            int n = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(page.body(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.isBlank()) {
                        continue;
                    }
                    ChangeEnvelope c = ChangeEnvelope.parse(NodeApi.JSON.readTree(line));
                    n++;
                    if (c.op() == ChangeEnvelope.Op.DELETE || c.after() == null) {
                        changed.put(c.id(), null);
                    } else {
                        ObjectNode doc = ((ObjectNode) c.after()).deepCopy();
                        changed.put(c.id(), withIdAndVersion(doc, c.id(), c.version()));
                    }
                }
            }
            String next = page.headers().firstValue("LumaDB-Next-Token").orElse(position);
            if (n == 0 || next.equals(position)) {
                return next;
            }
            position = next;
        }
    }

    private static ObjectNode withIdAndVersion(ObjectNode doc, String id, long version) {
        ObjectNode o = NodeApi.object();
        o.put("_id", id);
        doc.remove("_id");
        JsonNode v = doc.remove("_version");
        o.put("_version", v != null ? v.asLong() : version);
        o.setAll(doc);
        return o;
    }

    /** The columns of every exported document: {@code _id}, then fields in order of appearance. */
    private static List<String> columns(Path spool, Map<String, JsonNode> changed) throws IOException {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        names.add("_id");
        try (BufferedReader r = Files.newBufferedReader(spool)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                for (Iterator<String> it = NodeApi.JSON.readTree(line).fieldNames(); it.hasNext(); ) {
                    names.add(it.next());
                }
            }
        }
        for (JsonNode doc : changed.values()) {
            if (doc != null) {
                doc.fieldNames().forEachRemaining(names::add);
            }
        }
        return new ArrayList<>(names);
    }

    /** The spool's documents not changed meanwhile and the changed ones' last states, in {@code _id} order. */
    private static long merge(Path spool, Map<String, JsonNode> changed, Rows rows) throws IOException {
        Iterator<Map.Entry<String, JsonNode>> updates = changed.entrySet().iterator();
        Map.Entry<String, JsonNode> update = updates.hasNext() ? updates.next() : null;
        List<ObjectNode> batch = new ArrayList<>(PAGE);
        try (BufferedReader r = Files.newBufferedReader(spool)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                ObjectNode doc = (ObjectNode) NodeApi.JSON.readTree(line);
                String id = doc.path("_id").asText();
                while (update != null && ID_ORDER.compare(update.getKey(), id) < 0) {
                    add(batch, update.getValue(), rows);
                    update = updates.hasNext() ? updates.next() : null;
                }
                if (update != null && update.getKey().equals(id)) {
                    add(batch, update.getValue(), rows);
                    update = updates.hasNext() ? updates.next() : null;
                } else {
                    add(batch, doc, rows);
                }
            }
        }
        while (update != null) {
            add(batch, update.getValue(), rows);
            update = updates.hasNext() ? updates.next() : null;
        }
        rows.write(batch);
        return rows.count();
    }

    private static void add(List<ObjectNode> batch, JsonNode doc, Rows rows) {
        if (doc == null) {
            return;
        }
        batch.add((ObjectNode) doc);
        if (batch.size() >= PAGE) {
            rows.write(batch);
            batch.clear();
        }
    }
}

package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lumadb import}: documents from NDJSON, a JSON array or CSV into a collection, streamed
 * in bulk requests, with progress. Each bulk request's documents are committed per shard in one
 * journal write, acknowledged only once durable.
 */
@Command(
        name = "import",
        description = {
            "Load documents from a file (or stdin) into a collection, in bulk batches, with progress.",
            "",
            "Formats: ndjson (one JSON object per line), json (an array of objects), csv (a header row, cells typed by"
                    + " inference or --columns). The format comes from the file's extension (.ndjson .jsonl .json .csv,"
                    + " each optionally .gz) unless --format says it; stdin is ndjson unless told.",
            "CSV: an empty cell leaves the field out (so an empty string does not survive CSV); a cell written as JSON"
                    + " text ([...] or {...}) is read back as JSON, as lumadb export writes arrays and objects.",
            "",
            "Bad lines (not JSON, not an object, a CSV row with the wrong cell count or a cell that does not fit its"
                    + " declared type, a document the node refuses) are printed with their line number. Without"
                    + " --skip-bad the import stops at the first one, exit status 6: every document before it is"
                    + " written and, for lines read from the file, none after it. A document the node refuses (a"
                    + " schema violation, an existing id with --mode insert) is known only once its batch is answered,"
                    + " so the later documents of that batch and of one batch in flight may already be written.",
        })
final class ImportCommand extends Base implements Callable<Integer> {

    enum Mode {
        upsert,
        insert
    }

    private static final Pattern ITEM_POINTER = Pattern.compile("^/(\\d+)(/.*)?$");
    private static final int MAX_BATCH_BYTES = 8 << 20;
    private static final byte[] PUT_PREFIX = "{\"op\":\"put\",\"doc\":".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CREATE_PREFIX = "{\"op\":\"create\",\"doc\":".getBytes(StandardCharsets.UTF_8);

    @Parameters(index = "0", paramLabel = "DB/COLLECTION", description = "where the documents go")
    String target;

    @Parameters(
            index = "1",
            arity = "0..1",
            paramLabel = "FILE",
            description = "the file to read (default, or -: stdin)")
    String file;

    @Option(names = "--format", paramLabel = "FORMAT", description = "ndjson, json or csv (default: by extension)")
    DocumentSource.Format format;

    @Option(
            names = "--columns",
            paramLabel = "NAME:TYPE,...",
            description =
                    "CSV: the types of columns (string, integer, number, boolean, json, auto, skip); others are inferred")
    String columns;

    @Option(names = "--strict-columns", description = "CSV: the header must have exactly the --columns")
    boolean strictColumns;

    @Option(names = "--id-field", paramLabel = "FIELD", description = "use this field's value as the document id")
    String idField;

    @Option(
            names = "--mode",
            defaultValue = "upsert",
            description =
                    "upsert (replace a document with the same id) or insert (an existing id is a bad line); default ${DEFAULT-VALUE}")
    Mode mode;

    @Option(names = "--skip-bad", description = "report bad lines and go on instead of stopping at the first")
    boolean skipBad;

    @Option(
            names = "--batch-size",
            defaultValue = "1000",
            description = "documents per bulk request (default ${DEFAULT-VALUE})")
    int batchSize;

    @Option(
            names = "--parallel",
            defaultValue = "2",
            description = "bulk requests in flight (default ${DEFAULT-VALUE})")
    int parallel;

    @Option(
            names = "--no-create",
            description = "fail if the database or collection does not exist instead of creating it")
    boolean noCreate;

    @Option(
            names = "--progress",
            defaultValue = "auto",
            description = "auto, bar, plain or none (default ${DEFAULT-VALUE})")
    Progress.Mode progressMode;

    private final ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 20);
    private final List<Long> batchLines = new ArrayList<>();
    private final List<byte[]> batchItems = new ArrayList<>();
    private final ArrayDeque<Sent> inFlight = new ArrayDeque<>();
    private long imported;
    private long skipped;
    private String stopReason;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1 || batchSize > 10_000 || parallel < 1 || parallel > 16) {
            throw new CliException(ExitCodes.USAGE, "--batch-size is 1 to 10000 and --parallel 1 to 16");
        }
        Target t = Target.collection(target);
        PrintStream err = err();
        DocumentSource.Format f = format != null ? format : formatOf(file);
        if (columns != null && f != DocumentSource.Format.csv) {
            throw new CliException(ExitCodes.USAGE, "--columns is for CSV imports");
        }
        DocumentSource.CsvColumns csv = columns == null
                ? DocumentSource.CsvColumns.inferred()
                : DocumentSource.CsvColumns.parse(columns, strictColumns);
        long total = file == null || file.equals("-") ? 0 : size(Path.of(file));
        if (file != null && file.toLowerCase(Locale.ROOT).endsWith(".gz")) {
            total = 0; // the progress counts uncompressed bytes
        }
        NodeApi api = api();
        prepare(api, t);
        String bulk = t.path("_bulk");
        Progress progress = new Progress(err, progressMode, "docs", total);
        long start = System.nanoTime();
        ExecutorService senders = Executors.newFixedThreadPool(parallel, r -> {
            Thread th = new Thread(r, "lumadb-import");
            th.setDaemon(true);
            return th;
        });
        try (DocumentSource source = DocumentSource.open(f, open(file), csv)) {
            for (DocumentSource.Item item = source.next(); item != null && stopReason == null; item = source.next()) {
                switch (item) {
                    case DocumentSource.Bad bad -> {
                        progress.interrupt();
                        err.println("line " + bad.line() + ": " + bad.reason());
                        if (bad.fatal() || !skipBad) {
                            stopReason = "stopped at line " + bad.line()
                                    + (bad.fatal() ? " (the file cannot be read past it)" : "");
                        } else {
                            skipped++;
                        }
                    }
                    case DocumentSource.Doc doc -> add(doc, err, api, bulk, senders);
                }
                progress.update(imported, source.bytesRead());
            }
            if (batchLines.size() > 0) {
                submit(api, bulk, senders);
            }
            while (!inFlight.isEmpty()) {
                complete(inFlight.poll(), err, api, bulk);
            }
            progress.finish(imported, source.bytesRead());
        } finally {
            senders.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        err.printf(
                Locale.ROOT,
                "imported %,d documents into %s in %.1f s (%,.0f docs/s)%s%n",
                imported,
                t,
                seconds,
                imported / Math.max(seconds, 1e-3),
                skipped > 0 ? ", skipped " + skipped + " bad lines" : "");
        if (stopReason != null) {
            err.println("lumadb: import " + stopReason + "; use --skip-bad to go past bad lines");
            return ExitCodes.BAD_INPUT;
        }
        return ExitCodes.OK;
    }

    private void prepare(NodeApi api, Target t) {
        if (noCreate) {
            api.get(t.path());
            return;
        }
        api.put(NodeApi.path(t.db()), NodeApi.object());
        try {
            api.get(t.path());
        } catch (NodeApi.ProblemException e) {
            if (e.status() != 404) {
                throw e;
            }
            api.put(t.path(), NodeApi.object());
        }
    }

    private void add(DocumentSource.Doc item, PrintStream err, NodeApi api, String bulk, ExecutorService senders)
            throws IOException {
        byte[] bytes = item.raw() != null && idField == null ? passThrough(item, err) : rebuilt(item, err);
        if (bytes == null) {
            return;
        }
        if (body.size() + bytes.length + 1 > MAX_BATCH_BYTES && !batchLines.isEmpty()) {
            submit(api, bulk, senders);
        }
        batchLines.add(item.line());
        batchItems.add(bytes);
        body.write(bytes);
        body.write('\n');
        if (batchLines.size() >= batchSize) {
            submit(api, bulk, senders);
        }
    }

    /**
     * The bulk item of a document read raw (an NDJSON line), its bytes wrapped as they are: the
     * node takes the id from the document's {@code _id} and drops a {@code _version}, as it does
     * for any write, so only a non-string {@code _id} needs a look here. Null for a bad line.
     */
    private byte[] passThrough(DocumentSource.Doc item, PrintStream err) {
        if (item.id() != null && !item.id().isTextual()) {
            badLine(item.line(), "_id must be a string, found " + item.id(), err);
            return null;
        }
        byte[] prefix = mode == Mode.insert ? CREATE_PREFIX : PUT_PREFIX;
        byte[] raw = item.raw();
        byte[] bytes = new byte[prefix.length + raw.length + 1];
        System.arraycopy(prefix, 0, bytes, 0, prefix.length);
        System.arraycopy(raw, 0, bytes, prefix.length, raw.length);
        bytes[bytes.length - 1] = '}';
        return bytes;
    }

    /** The bulk item of a document built as a tree (CSV, JSON arrays, {@code --id-field}); null for a bad line. */
    private byte[] rebuilt(DocumentSource.Doc item, PrintStream err) throws IOException {
        ObjectNode doc = item.doc();
        doc.remove("_version");
        if (idField != null) {
            JsonNode id = doc.get(idField);
            if (id == null || id.isNull() || id.isContainerNode()) {
                badLine(item.line(), "no id: field " + idField + " is missing or not a string or number", err);
                return null;
            }
            doc.put("_id", id.asText());
        }
        JsonNode id = doc.get("_id");
        if (id != null && !id.isTextual()) {
            badLine(item.line(), "_id must be a string, found " + id, err);
            return null;
        }
        ObjectNode line = NodeApi.object();
        line.put("op", mode == Mode.insert ? "create" : "put");
        line.set("doc", doc);
        return NodeApi.JSON.writeValueAsBytes(line);
    }

    private void badLine(long line, String reason, PrintStream err) {
        err.println("line " + line + ": " + reason);
        if (skipBad) {
            skipped++;
        } else {
            stopReason = "stopped at line " + line;
        }
    }

    private void submit(NodeApi api, String bulk, ExecutorService senders) {
        Sent sent = new Sent(List.copyOf(batchLines), List.copyOf(batchItems));
        byte[] bytes = body.toByteArray();
        sent.future = senders.submit(() -> send(api, bulk, bytes));
        inFlight.add(sent);
        body.reset();
        batchLines.clear();
        batchItems.clear();
        while (inFlight.size() >= parallel) {
            complete(inFlight.poll(), err(), api, bulk);
        }
    }

    private static JsonNode send(NodeApi api, String bulk, byte[] bytes) {
        return NodeApi.json(api.send("POST", bulk, bytes, "application/x-ndjson"));
    }

    /** Waits for a batch's answer and accounts for every item of it, in order. */
    private void complete(Sent sent, PrintStream err, NodeApi api, String bulk) {
        List<Long> lines = sent.lines;
        List<byte[]> items = sent.items;
        JsonNode answer;
        try {
            answer = sent.future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILED, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NodeApi.ProblemException p && (p.status() == 400 || p.status() == 413)) {
                // One item the node refused before writing any: nothing of this batch was written.
                Matcher m = ITEM_POINTER.matcher(
                        p.problem() == null ? "" : p.problem().path("field").asText(""));
                if (!m.matches() || Integer.parseInt(m.group(1)) >= items.size()) {
                    throw p;
                }
                int bad = Integer.parseInt(m.group(1));
                err.println("line " + lines.get(bad) + ": " + p.getMessage());
                List<Long> restLines = new ArrayList<>(lines);
                List<byte[]> restItems = new ArrayList<>(items);
                if (skipBad) {
                    skipped++;
                    restLines.remove(bad);
                    restItems.remove(bad);
                } else {
                    stopReason = "stopped at line " + lines.get(bad);
                    restLines = restLines.subList(0, bad);
                    restItems = restItems.subList(0, bad);
                }
                if (!restItems.isEmpty()) {
                    Sent again = new Sent(restLines, restItems);
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    restItems.forEach(i -> {
                        b.writeBytes(i);
                        b.write('\n');
                    });
                    again.future =
                            java.util.concurrent.CompletableFuture.completedFuture(send(api, bulk, b.toByteArray()));
                    complete(again, err, api, bulk);
                }
                return;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new CliException(ExitCodes.FAILED, String.valueOf(e.getCause()));
        }
        JsonNode results = answer.path("items");
        for (int i = 0; i < results.size(); i++) {
            JsonNode r = results.get(i);
            if (r.path("status").asInt() < 300) {
                imported++;
                continue;
            }
            JsonNode error = r.path("error");
            String field = error.path("field").asText("");
            err.println("line " + lines.get(i) + ": " + error.path("title").asText("refused") + ": "
                    + error.path("detail").asText("") + (field.isEmpty() ? "" : " (at " + field + ")"));
            if (skipBad) {
                skipped++;
            } else if (stopReason == null) {
                stopReason = "stopped at line " + lines.get(i) + " (the node refused it)";
            }
        }
    }

    static DocumentSource.Format formatOf(String file) {
        if (file == null || file.equals("-")) {
            return DocumentSource.Format.ndjson;
        }
        String name = file.toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        if (name.endsWith(".ndjson") || name.endsWith(".jsonl")) {
            return DocumentSource.Format.ndjson;
        }
        if (name.endsWith(".json")) {
            return DocumentSource.Format.json;
        }
        if (name.endsWith(".csv")) {
            return DocumentSource.Format.csv;
        }
        throw new CliException(ExitCodes.USAGE, "cannot tell the format of " + file + " from its name: give --format");
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.USAGE, "no such file: " + p);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + p + ": " + e.getMessage());
        }
    }

    private static InputStream open(String file) throws IOException {
        if (file == null || file.equals("-")) {
            return System.in;
        }
        InputStream in = Files.newInputStream(Path.of(file));
        return file.toLowerCase(Locale.ROOT).endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /** A bulk request sent: the file lines of its items, the items, and its answer to come. */
    private static final class Sent {
        final List<Long> lines;
        final List<byte[]> items;
        Future<JsonNode> future;

        Sent(List<Long> lines, List<byte[]> items) {
            this.lines = lines;
            this.items = items;
        }
    }
}

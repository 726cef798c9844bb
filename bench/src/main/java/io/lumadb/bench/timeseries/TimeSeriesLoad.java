package io.lumadb.bench.timeseries;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.bench.Cli;
import io.lumadb.bench.Stats;
import io.lumadb.bench.streams.ProcessProbe;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The timeseries section's load generator, run as a process of its own on the client CPU against
 * one system: sends a line-protocol file over HTTP in batches of whole lines from a few
 * connections, then counts until every row is queryable, then times the window aggregate. It
 * writes what it measured, and the aggregate's answer, as JSON; the section compares the answers.
 *
 * <p>The ingest clock starts before the first batch is sent and stops when a count over the
 * whole time range first returns every row: acknowledged is not enough, the rows must be
 * queryable. Counts are polled every 10 ms once the last batch was acknowledged.
 */
@Command(
        name = "TimeSeriesLoad",
        mixinStandardHelpOptions = true,
        description = "Line-protocol ingest until queryable, then a timed window aggregate, against QuestDB or LumaDB.")
public final class TimeSeriesLoad implements Callable<Integer> {

    static final String QUESTDB = "questdb";
    static final String LUMADB = "lumadb";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

    @Option(names = "--system", required = true, description = "questdb or lumadb")
    private String system;

    @Option(names = "--url", required = true, description = "the system's base URL, such as http://127.0.0.1:9000")
    private String url;

    @Option(names = "--data", required = true, description = "the line-protocol file")
    private Path data;

    @Option(names = "--rows", required = true, description = "rows in the file")
    private long rows;

    @Option(names = "--from", required = true, description = "start of the data, ns since the epoch")
    private long from;

    @Option(names = "--to", required = true, description = "end of the data (exclusive), ns since the epoch")
    private long to;

    @Option(names = "--window", defaultValue = "1h", description = "the aggregate's window: 1m or 1h (default 1h)")
    private String window;

    @Option(names = "--lines-per-batch", defaultValue = "5000", description = "lines per request (default 5000)")
    private int linesPerBatch;

    @Option(names = "--connections", defaultValue = "4", description = "concurrent requests (default 4)")
    private int connections;

    @Option(names = "--warmup-runs", defaultValue = "1", description = "unmeasured aggregate runs (default 1)")
    private int warmupRuns;

    @Option(names = "--runs", defaultValue = "5", description = "measured aggregate runs (default 5)")
    private int runs;

    @Option(names = "--queryable-timeout", defaultValue = "5m", description = "how long to wait for the full count")
    private Duration queryableTimeout;

    @Option(names = "--lumadb-bucket", defaultValue = "bench/cpu", description = "LumaDB's database/collection")
    private String bucket;

    @Option(
            names = "--await-downsampled",
            description = "after the full count, poll the aggregate until rolled-up windows answer it (LumaDB with"
                    + " downsampling rules), and time that")
    private boolean awaitDownsampled;

    @Option(
            names = "--server-pid",
            defaultValue = "-1",
            description = "the server's process id, to read its CPU time over the ingest from /proc")
    private long serverPid;

    @Option(names = "--json", required = true, description = "where the result goes")
    private Path json;

    /**
     * What one run against one system measured.
     *
     * @param status "ok", "failed" (see {@code failures}) or "unavailable" (see {@code unavailable})
     * @param requestBytes line-protocol bytes sent
     * @param acknowledgedSeconds first request sent to last one answered
     * @param queryableSeconds first request sent to the first count that returned every row
     * @param countPolls counts sent after the last acknowledgement until one returned every row
     * @param serverCpuSeconds the server's CPU time (all threads) from the first request sent until
     *     every row was queryable, NaN where /proc cannot tell
     * @param clientCpuSeconds this load generator's CPU time over the same span
     * @param aggregateMs each measured run of the window aggregate, send to whole answer read
     * @param windows the aggregate's answer (of the last run), sorted by host and window
     * @param rolledUpSeconds with {@code --await-downsampled}: first request sent to the first
     *     aggregate answered from rolled-up windows; null otherwise
     * @param answeredFrom what answered the last measured aggregate run: the rule its answer named
     *     in {@code downsampled}, or null (the points)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
            String system,
            String status,
            List<String> failures,
            String unavailable,
            long rows,
            int batches,
            int linesPerBatch,
            int connections,
            long requestBytes,
            double acknowledgedSeconds,
            double queryableSeconds,
            int countPolls,
            double serverCpuSeconds,
            double clientCpuSeconds,
            List<Double> aggregateMs,
            int aggregateWarmupRuns,
            List<Window> windows,
            List<String> requests,
            Double rolledUpSeconds,
            String answeredFrom) {

        public Result {
            failures = failures == null ? List.of() : List.copyOf(failures);
            aggregateMs = aggregateMs == null ? List.of() : List.copyOf(aggregateMs);
            windows = windows == null ? List.of() : List.copyOf(windows);
            requests = requests == null ? List.of() : List.copyOf(requests);
        }

        /** Rows per second until every row was queryable, or NaN. */
        public double rowsPerSecond() {
            return status.equals("ok") ? rows / queryableSeconds : Double.NaN;
        }

        /** The median of the measured aggregate runs, or NaN. */
        public double aggregateMedianMs() {
            return aggregateMs.isEmpty() ? Double.NaN : Stats.median(aggregateMs);
        }
    }

    public static void main(String[] args) {
        Cli.exit(new TimeSeriesLoad(), args);
    }

    @Override
    public Integer call() throws Exception {
        Cli.check("--system", List.of(system), List.of(QUESTDB, LUMADB));
        Cli.check("--window", List.of(window), List.of("1m", "1h"));
        if (linesPerBatch < 1 || connections < 1 || runs < 1) {
            throw new IllegalArgumentException("--lines-per-batch, --connections and --runs must be at least 1");
        }
        Result result = run();
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), result);
        System.out.printf(
                "%s: %s, %,d rows queryable after %.2f s (%,.0f rows/s; acknowledged after %.2f s), aggregate median"
                        + " %.1f ms%n",
                system,
                result.status(),
                result.rows(),
                result.queryableSeconds(),
                result.rowsPerSecond(),
                result.acknowledgedSeconds(),
                result.aggregateMedianMs());
        result.failures().forEach(f -> System.out.println("  FAILED: " + f));
        if (result.unavailable() != null) {
            System.out.println("  unavailable: " + result.unavailable());
        }
        return result.status().equals("failed") ? 1 : 0;
    }

    private Result run() throws IOException, InterruptedException {
        long[] offsets = batchOffsets(data, linesPerBatch);
        int batches = offsets.length - 1;
        Endpoint endpoint = system.equals(QUESTDB) ? new QuestDb() : new LumaDb();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<String> unavailable = new AtomicReference<>();
        try (HttpClient http = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10))
                        .build();
                FileChannel file = FileChannel.open(data)) {
            AtomicInteger next = new AtomicInteger();
            double serverCpu = serverCpu();
            double clientCpu = clientCpu();
            long start = System.nanoTime();
            ExecutorService senders = Executors.newFixedThreadPool(connections);
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                running.add(senders.submit(() -> {
                    for (int i = next.getAndIncrement(); i < batches; i = next.getAndIncrement()) {
                        if (!failures.isEmpty() || unavailable.get() != null) {
                            return;
                        }
                        byte[] body = read(file, offsets[i], offsets[i + 1]);
                        HttpResponse<String> r = send(http, endpoint.write(body));
                        if (r.statusCode() == 404 || r.statusCode() == 405) {
                            unavailable.compareAndSet(
                                    null,
                                    endpoint.writeRequest() + " answered " + r.statusCode() + ": "
                                            + abbreviate(r.body()));
                        } else if (r.statusCode() != 204) {
                            failures.add("batch " + i + " (lines " + (long) i * linesPerBatch + "-): "
                                    + endpoint.writeRequest() + " answered " + r.statusCode() + ": "
                                    + abbreviate(r.body()));
                        }
                    }
                }));
            }
            senders.shutdown();
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add("sending failed: " + e.getCause());
                }
            }
            long acknowledged = System.nanoTime();
            if (unavailable.get() != null) {
                return new Result(
                        system,
                        "unavailable",
                        failures,
                        unavailable.get(),
                        rows,
                        batches,
                        linesPerBatch,
                        connections,
                        Files.size(data),
                        Double.NaN,
                        Double.NaN,
                        0,
                        Double.NaN,
                        Double.NaN,
                        null,
                        0,
                        null,
                        endpoint.requests(),
                        null,
                        null);
            }
            if (!failures.isEmpty()) {
                return failed(endpoint, failures, batches, seconds(start, acknowledged), Double.NaN, 0, null, null);
            }
            int polls = 0;
            long deadline = acknowledged + queryableTimeout.toNanos();
            long counted = -1;
            while (true) {
                counted = endpoint.count(http);
                polls++;
                if (counted >= rows || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(10);
            }
            long queryable = System.nanoTime();
            serverCpu = serverCpu() - serverCpu;
            clientCpu = clientCpu() - clientCpu;
            if (counted != rows) {
                failures.add("the count over the whole range is " + counted + " after " + polls + " polls ("
                        + seconds(acknowledged, queryable) + " s after the last acknowledgement), not " + rows);
                return failed(endpoint, failures, batches, seconds(start, acknowledged), Double.NaN, polls, null, null);
            }
            Double rolledUp = null;
            if (awaitDownsampled) {
                long until = System.nanoTime() + queryableTimeout.toNanos();
                while (!JSON.readTree(endpoint.aggregate(http)).has("downsampled")) {
                    if (System.nanoTime() > until) {
                        failures.add("no aggregate was answered from rolled-up windows within " + queryableTimeout);
                        return failed(
                                endpoint,
                                failures,
                                batches,
                                seconds(start, acknowledged),
                                Double.NaN,
                                polls,
                                null,
                                null);
                    }
                    Thread.sleep(10);
                }
                rolledUp = seconds(start, System.nanoTime());
            }
            List<Double> ms = new ArrayList<>();
            List<Window> answer = null;
            String answeredFrom = null;
            for (int run = 0; run < warmupRuns + runs; run++) {
                long t = System.nanoTime();
                String body = endpoint.aggregate(http);
                double elapsed = (System.nanoTime() - t) / 1e6;
                JsonNode parsed = JSON.readTree(body);
                answeredFrom =
                        parsed.has("downsampled") ? parsed.get("downsampled").asText() : null;
                List<Window> windows = endpoint.windows(parsed);
                if (answer != null) {
                    // Sums in another order (QuestDB aggregates in parallel) differ in the last bits.
                    List<String> changed =
                            Window.compare("run " + (run + 1), windows, "run " + run, answer, Window.TOLERANCE, 3);
                    if (!changed.isEmpty()) {
                        failures.add("the window aggregate's answer changed between two runs: " + changed);
                    }
                }
                answer = windows;
                if (run >= warmupRuns) {
                    ms.add(elapsed);
                }
            }
            return new Result(
                    system,
                    failures.isEmpty() ? "ok" : "failed",
                    failures,
                    null,
                    rows,
                    batches,
                    linesPerBatch,
                    connections,
                    Files.size(data),
                    seconds(start, acknowledged),
                    seconds(start, queryable),
                    polls,
                    serverCpu,
                    clientCpu,
                    ms,
                    warmupRuns,
                    answer,
                    endpoint.requests(),
                    rolledUp,
                    answeredFrom);
        } catch (IOException | RuntimeException e) {
            failures.add(e.toString());
            return failed(endpoint, failures, 0, Double.NaN, Double.NaN, 0, null, null);
        }
    }

    private Result failed(
            Endpoint endpoint,
            List<String> failures,
            int batches,
            double acknowledged,
            double queryable,
            int polls,
            List<Double> ms,
            List<Window> windows)
            throws IOException {
        return new Result(
                system,
                "failed",
                failures,
                null,
                rows,
                batches,
                linesPerBatch,
                connections,
                Files.size(data),
                acknowledged,
                queryable,
                polls,
                Double.NaN,
                Double.NaN,
                ms,
                warmupRuns,
                windows,
                endpoint.requests(),
                null,
                null);
    }

    /**
     * The byte offsets at which every {@code lines}-th line of {@code file} starts, and its size
     * last: batch i is the bytes from offset i to offset i+1. Read before the clock starts.
     */
    static long[] batchOffsets(Path file, int lines) throws IOException {
        List<Long> offsets = new ArrayList<>();
        offsets.add(0L);
        long position = 0;
        long inBatch = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n' && ++inBatch == lines) {
                        offsets.add(position + i + 1);
                        inBatch = 0;
                    }
                }
                position += n;
            }
        }
        if (offsets.get(offsets.size() - 1) != position) {
            offsets.add(position);
        }
        return offsets.stream().mapToLong(Long::longValue).toArray();
    }

    private double serverCpu() {
        return serverPid > 0 ? ProcessProbe.cpuSeconds(serverPid) : Double.NaN;
    }

    private static double clientCpu() {
        return ProcessHandle.current()
                .info()
                .totalCpuDuration()
                .map(d -> d.toNanos() / 1e9)
                .orElse(Double.NaN);
    }

    private static byte[] read(FileChannel file, long from, long to) {
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(to - from));
        try {
            while (buffer.hasRemaining()) {
                if (file.read(buffer, from + buffer.position()) < 0) {
                    throw new IOException("the data file ended early at " + (from + buffer.position()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.array();
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }

    private static double seconds(long from, long to) {
        return (to - from) / 1e9;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** One system's requests and answers. */
    private interface Endpoint {
        HttpRequest write(byte[] body);

        String writeRequest();

        /** Rows in the whole time range now. */
        long count(HttpClient http) throws IOException;

        /** The window aggregate's answer, as sent. */
        String aggregate(HttpClient http) throws IOException;

        List<Window> windows(JsonNode answer);

        /** The requests, as the report shows them. */
        List<String> requests();
    }

    /** QuestDB: ILP over HTTP ({@code POST /write}), SQL over {@code GET /exec}. */
    private final class QuestDb implements Endpoint {
        private final String count = "SELECT count() FROM cpu";

        private String aggregateSql() {
            return "SELECT timestamp, hostname, avg(usage_user), max(usage_user) FROM cpu WHERE timestamp >= '"
                    + Instant.ofEpochSecond(0, from) + "' AND timestamp < '" + Instant.ofEpochSecond(0, to)
                    + "' SAMPLE BY " + window;
        }

        @Override
        public HttpRequest write(byte[] body) {
            return HttpRequest.newBuilder(URI.create(url + "/write?precision=ns"))
                    .timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "text/plain; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
        }

        @Override
        public String writeRequest() {
            return "POST /write?precision=ns";
        }

        @Override
        public long count(HttpClient http) throws IOException {
            return Answers.questDbCount(JSON.readTree(exec(http, count)));
        }

        @Override
        public String aggregate(HttpClient http) {
            return exec(http, aggregateSql());
        }

        private String exec(HttpClient http, String sql) {
            HttpResponse<String> r = send(
                    http,
                    HttpRequest.newBuilder(URI.create(url + "/exec?query=" + encode(sql)))
                            .timeout(REQUEST_TIMEOUT)
                            .build());
            // Errors come as JSON with an "error" field (400 among them); the readers report them.
            return r.body();
        }

        @Override
        public List<Window> windows(JsonNode answer) {
            return Answers.questDbWindows(answer);
        }

        @Override
        public List<String> requests() {
            return List.of(writeRequest() + " (line protocol)", "GET /exec " + count, "GET /exec " + aggregateSql());
        }
    }

    /** LumaDB: {@code POST /api/v2/write} (line protocol) and {@code POST .../_tsquery} (JSON). */
    private final class LumaDb implements Endpoint {
        private String writePath() {
            return "/api/v2/write?bucket=" + encode(bucket) + "&precision=ns";
        }

        private String queryPath() {
            return "/api/v1/" + bucket + "/_tsquery";
        }

        private ObjectNode query(List<String> aggregates) {
            ObjectNode q = JSON.createObjectNode();
            q.put("measurement", "cpu");
            q.put("from", from);
            q.put("to", to);
            q.putArray("fields").add("usage_user");
            aggregates.forEach(q.withArray("aggregates")::add);
            return q;
        }

        private ObjectNode countQuery() {
            return query(List.of("count"));
        }

        private ObjectNode aggregateQuery() {
            ObjectNode q = query(List.of("mean", "max"));
            q.putArray("groupBy").add("hostname");
            q.put("window", window);
            return q;
        }

        @Override
        public HttpRequest write(byte[] body) {
            return HttpRequest.newBuilder(URI.create(url + writePath()))
                    .timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "text/plain; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
        }

        @Override
        public String writeRequest() {
            return "POST " + writePath();
        }

        @Override
        public long count(HttpClient http) throws IOException {
            HttpResponse<String> r = post(http, countQuery());
            if (r.statusCode() != 200) {
                throw new IOException(
                        "POST " + queryPath() + " (count) answered " + r.statusCode() + ": " + abbreviate(r.body()));
            }
            return Answers.lumaDbCount(JSON.readTree(r.body()), "usage_user");
        }

        @Override
        public String aggregate(HttpClient http) throws IOException {
            HttpResponse<String> r = post(http, aggregateQuery());
            if (r.statusCode() != 200) {
                throw new IOException("POST " + queryPath() + " (window aggregate) answered " + r.statusCode() + ": "
                        + abbreviate(r.body()));
            }
            return r.body();
        }

        private HttpResponse<String> post(HttpClient http, ObjectNode query) {
            return send(
                    http,
                    HttpRequest.newBuilder(URI.create(url + queryPath()))
                            .timeout(REQUEST_TIMEOUT)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(query.toString()))
                            .build());
        }

        @Override
        public List<Window> windows(JsonNode answer) {
            return Answers.lumaDbWindows(answer, "usage_user");
        }

        @Override
        public List<String> requests() {
            return List.of(
                    writeRequest() + " (line protocol)",
                    "POST " + queryPath() + " " + countQuery(),
                    "POST " + queryPath() + " " + aggregateQuery());
        }
    }
}

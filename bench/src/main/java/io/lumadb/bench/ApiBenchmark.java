package io.lumadb.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.lumadb.bench.suite.ServerCpu;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The LumaDB HTTP API benchmark: one run measures, against a running node,
 *
 * <ol type="a">
 *   <li>{@code GET /health}, closed loop (the trivial reference: the HTTP stack's ceiling);
 *   <li>point {@code GET} of random documents among N preloaded 1 KB ones, closed loop;
 *   <li>single-document {@code PUT} of 1 KB documents, half new random ids, half overwrites;
 *   <li>{@code _bulk} inserts of 200-byte and of 1 KB documents, in documents per second;
 *   <li>point {@code GET} in an open loop at half the rate measured in (b), for the latency a
 *       moderately loaded node gives (from intended send times, see {@link HttpLoad}).
 * </ol>
 *
 * <p>It prints a markdown report (scenario table, ratios, targets met or missed, machine and
 * exact command) to stdout, and writes it and a JSON version to the files given. Every request
 * is checked (2xx, and {@code "errors":false} for bulk); any failure marks the run as invalid in
 * both reports and makes the exit status 1. Progress goes to stderr. {@code bin/bench} runs it
 * against a fresh, CPU-pinned node; {@code --help} lists the options.
 */
@Command(
        name = "ApiBenchmark",
        mixinStandardHelpOptions = true,
        description = "The LumaDB HTTP API benchmark against a running node.",
        footer = "Exit status: 0 clean, 1 failed requests or setup, 3 missed targets (with --fail-on-missed-target).")
public final class ApiBenchmark implements Callable<Integer> {

    // Targets from the performance requirements.
    private static final double TARGET_GET_OVER_HEALTH = 0.5;
    private static final double TARGET_OPEN_GET_P99_MS = 1.0;
    private static final double TARGET_BULK_SMALL_DOCS_PER_S = 100_000;

    private static final int DOC_BYTES = 1024;
    private static final int SMALL_DOC_BYTES = 200;

    @Option(names = "--url", required = true, description = "the node, e.g. http://127.0.0.1:8080")
    private URI url;

    @Option(names = "--quick", description = "1s warm-up + 3s measured per scenario (default 5s + 10s)")
    private boolean quick;

    @Option(names = "--warmup", description = "warm-up per scenario (500ms, 5s, ...)")
    private Duration warmup;

    @Option(names = "--duration", description = "measured window per scenario")
    private Duration duration;

    @Option(names = "--connections", description = "connections for health and point GET, closed loop (default 8)")
    private int connections = 8;

    @Option(
            names = "--open-connections",
            description = "connections for the open-loop point GET (default 4 x --connections)")
    private Integer openConnections;

    @Option(
            names = "--put-connections",
            description = "connections for single PUT (default 16: writes wait for a group fsync)")
    private int putConnections = 16;

    @Option(names = "--bulk-connections", description = "connections for _bulk (default 4)")
    private int bulkConnections = 4;

    @Option(names = "--bulk-batch", description = "documents per _bulk request (default 1000, at most 10000)")
    private int bulkBatch = 1000;

    @Option(names = "--preload", description = "1 KB documents loaded before the point GETs (default 10000)")
    private int preload = 10_000;

    @Option(names = "--shards", description = "shards of the benchmark collections (default: the server's)")
    private Integer shards;

    @Option(names = "--db", description = "database to use (default bench)")
    private String db = "bench";

    @Option(names = "--timeout", description = "per-request timeout (default 30s)")
    private Duration timeout = Duration.ofSeconds(30);

    @Option(names = "--json", description = "also write the results as JSON")
    private Path json;

    @Option(names = "--markdown", description = "also write the markdown report")
    private Path markdown;

    @Option(names = "--command", description = "the command line to record (default: this JVM's)")
    private String command;

    @Option(names = "--meta", description = "extra facts for the report (repeatable), e.g. pinning=...")
    private Map<String, String> meta = new LinkedHashMap<>();

    @Option(names = "--fail-on-missed-target", description = "exit 3 when a target is missed (errors always exit 1)")
    private boolean failOnMissedTarget;

    @Option(
            names = "--server-pid",
            description = "the node's process id on this machine: each scenario then reports the node's CPU time per"
                    + " request in its measured window, read from /proc")
    private Long serverPid;

    private String host;
    private InetSocketAddress address;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final Map<String, Object> info = new LinkedHashMap<>();

    /** JSON has no NaN: a figure that could not be measured is written as null. */
    private static final ObjectWriter JSON = JsonMapper.builder()
            .addModule(new SimpleModule().addSerializer(Double.class, new StdSerializer<>(Double.class) {
                @Override
                public void serialize(Double d, JsonGenerator g, SerializerProvider p) throws IOException {
                    if (Double.isFinite(d)) {
                        g.writeNumber(d);
                    } else {
                        g.writeNull();
                    }
                }
            }))
            .build()
            .writerWithDefaultPrettyPrinter();

    /** One line of the report: a scenario's result, or why it could not run. */
    record Row(
            String id,
            String name,
            HttpLoad.Result result,
            int docsPerRequest,
            double clientCpuCores,
            double serverCpuMicrosPerRequest,
            String failure) {

        double docsPerSecond() {
            return result == null ? Double.NaN : result.throughput() * docsPerRequest;
        }

        long errors() {
            return result == null ? 0 : result.errors() + result.warmupErrors();
        }

        boolean bad() {
            return failure != null || result.failed();
        }

        Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("id", id);
            j.put("name", name);
            if (result == null) {
                j.put("failure", failure);
                return j;
            }
            HttpLoad.Options o = result.options();
            j.put("mode", o.openLoop() ? "open" : "closed");
            j.put("connections", o.connections());
            j.put("targetRate", o.openLoop() ? o.rate() : null);
            j.put("requests", result.requests());
            j.put("measuredSeconds", result.measuredNanos() / 1e9);
            j.put("throughputPerSecond", result.throughput());
            j.put("docsPerRequest", docsPerRequest);
            j.put("docsPerSecond", docsPerSecond());
            j.put("latencyMs", percentiles(result::latencyMillis));
            if (o.openLoop()) {
                j.put("sendLagMs", percentiles(result::sendLagMillis));
                j.put("queuedForConnection", result.queued());
            }
            j.put("errors", result.errors());
            j.put("warmupErrors", result.warmupErrors());
            j.put("errorKinds", result.errorKinds());
            j.put("errorSamples", result.errorSamples());
            j.put("socketsOpened", result.connects());
            j.put("clientCpuCores", clientCpuCores);
            j.put(
                    "serverCpuMicrosPerRequest",
                    Double.isNaN(serverCpuMicrosPerRequest) ? null : serverCpuMicrosPerRequest);
            return j;
        }
    }

    /** A target of the performance requirements, as reported (in this order) in the JSON. */
    record Target(String target, Double value, String measured, String required, boolean met) {}

    /** Command-line entry point; see {@code --help}. Exit status: 0 clean, 1 errors, 3 missed targets (opt-in). */
    public static void main(String[] args) {
        Cli.exit(new ApiBenchmark(), args);
    }

    // ---- the run

    @Override
    public Integer call() throws Exception {
        url = URI.create(url.toString().replaceAll("/+$", ""));
        if (Math.min(Math.min(connections, putConnections), Math.min(Math.min(bulkConnections, bulkBatch), preload))
                < 1) {
            throw new IllegalArgumentException("connections, batch and preload counts must be at least 1");
        }
        if (bulkBatch > 10_000) {
            throw new IllegalArgumentException("--bulk-batch is at most 10000 (the server's limit)");
        }
        warmup = Cli.orDefault(warmup, quick, Duration.ofSeconds(1), Duration.ofSeconds(5));
        duration = Cli.orDefault(duration, quick, Duration.ofSeconds(3), Duration.ofSeconds(10));
        openConnections = openConnections != null ? openConnections : 4 * connections;
        command = command != null
                ? command
                : ProcessHandle.current().info().commandLine().orElse("java io.lumadb.bench.ApiBenchmark");
        host = HttpLoad.hostHeader(url);
        address = HttpLoad.address(url);
        Instant started = Instant.now();
        info.put("loadAverageAtStart", Machine.loadAverage());
        log(
                "LumaDB API benchmark against %s: %s warm-up + %s measured per scenario",
                url, human(warmup), human(duration));
        try {
            setUp();
            scenarios();
        } catch (IOException | RuntimeException e) {
            problems.add("setup failed: " + e.getMessage());
            log("setup failed: %s", e.getMessage());
        }
        info.put("wallSeconds", Duration.between(started, Instant.now()).toMillis() / 1000.0);
        info.put("loadAverageAtEnd", Machine.loadAverage());
        String report = markdown(started);
        System.out.print(report);
        System.out.flush();
        write(markdown, report);
        write(json, JSON.writeValueAsString(json(started)));
        if (!valid()) {
            System.err.println();
            System.err.println(
                    "**** BENCHMARK FAILED: requests failed or a scenario could not run; the numbers above are NOT valid. ****");
            return 1;
        }
        return failOnMissedTarget && targets().stream().anyMatch(t -> !t.met()) ? 3 : 0;
    }

    private boolean valid() {
        return problems.isEmpty() && rows.stream().noneMatch(Row::bad);
    }

    private void scenarios() throws InterruptedException {
        String docs = "/api/v1/" + db + "/docs";
        HttpLoad.Request health = HttpLoad.Request.of(RequestBytes.request("GET", host, "/health"));
        scenario("a", "GET /health", connections, 0, i -> () -> health);
        Row get = preload(docs)
                ? scenario("b", "point GET (1 KB docs, " + preload + " preloaded)", connections, 0, pointGets(docs))
                : skip("b", "point GET", "skipped: the preload failed");
        // (e) runs right after (b), not last: its rate comes from (b), and on the same data, before
        // the write scenarios leave compaction work behind, its latency describes reads alone. It uses
        // more connections than (b): without pipelining, a request due while its connection is busy
        // must queue in the client, and with (b)'s count each connection would be busy half the time,
        // so the client's queueing, not the server, would dominate the p99.
        if (valid(get) && get.result().throughput() > 0) {
            double rate = get.result().throughput() / 2;
            String name = String.format(Locale.ROOT, "point GET, open loop at 1/2 of (b) = %.0f req/s", rate);
            scenario("e", name, openConnections, rate, pointGets(docs));
        } else {
            skip("e", "point GET, open loop at 1/2 max rate", "skipped: (b) has no valid maximum rate");
        }
        scenario("c", "single PUT (1 KB docs, 1/2 new ids, 1/2 overwrites)", putConnections, 0, singlePuts(docs));
        long nonce = System.currentTimeMillis() % 1_000_000_000L;
        bulkInserts("d1", SMALL_DOC_BYTES + " B docs", "bulk_small", SMALL_DOC_BYTES, "s" + nonce);
        bulkInserts("d2", "1 KB docs", "bulk_1k", DOC_BYTES, "k" + nonce);
    }

    /** A scenario of one document per request, each answer checked for a 2xx status. */
    private Row scenario(
            String id, String name, int connections, double rate, IntFunction<HttpLoad.RequestSource> sources)
            throws InterruptedException {
        return scenario(id, name, 1, connections, rate, sources, HttpLoad.ANY_2XX);
    }

    private Row skip(String id, String name, String why) {
        Row row = new Row(id, name, null, 1, Double.NaN, Double.NaN, why);
        rows.add(row);
        return row;
    }

    private Row scenario(
            String id,
            String name,
            int docsPerRequest,
            int connections,
            double rate,
            IntFunction<HttpLoad.RequestSource> sources,
            HttpLoad.ResponseCheck check)
            throws InterruptedException {
        HttpLoad.Options options =
                new HttpLoad.Options(id + " " + name, address, connections, warmup, duration, rate, timeout);
        log(
                "(%s) %s: %s, %d connections ...",
                id,
                name,
                rate > 0 ? String.format(Locale.ROOT, "open loop %.0f req/s", rate) : "closed loop",
                connections);
        long cpu0 = processCpuNanos();
        long wall0 = System.nanoTime();
        try {
            double[] server = {Double.NaN, Double.NaN};
            HttpLoad.Window window = serverPid == null
                    ? null
                    : new HttpLoad.Window() {
                        @Override
                        public void opened() {
                            server[0] = ServerCpu.read("lumadb", serverPid);
                        }

                        @Override
                        public void closed() {
                            server[1] = ServerCpu.read("lumadb", serverPid);
                        }
                    };
            HttpLoad.Result r = HttpLoad.run(options, sources, check, window);
            double cpu = (processCpuNanos() - cpu0) / (double) (System.nanoTime() - wall0);
            // The window closes at the end of the configured duration; an open loop's responses
            // may come later, so the requests counted are those the window's length allows for.
            double windowRequests = r.throughput() * options.duration().toNanos() / 1e9;
            double serverMicros = (server[1] - server[0]) * 1e6 / windowRequests;
            Row row = new Row(id, name, r, docsPerRequest, cpu, serverMicros, null);
            rows.add(row);
            log("    %s", r.summary().replace("\n", "\n    "));
            if (docsPerRequest > 1) {
                log("    = %.0f docs/s", row.docsPerSecond());
            }
            return row;
        } catch (RuntimeException e) {
            log("    FAILED: %s", e.getMessage());
            return skip(id, name, "could not run: " + e.getMessage());
        }
    }

    /** Bulk answers 200 even when items failed; the body's {@code "errors":false} is the real verdict. */
    private static final byte[] NO_ERRORS = "\"errors\":false}".getBytes(StandardCharsets.US_ASCII);

    private static final HttpLoad.ResponseCheck BULK_OK = (status, body, length) -> {
        if (status < 200 || status >= 300) {
            return "HTTP " + status;
        }
        int from = length - NO_ERRORS.length;
        // The server may end the body with whitespace; look near the end only.
        for (int at = Math.max(0, from - 8); at <= from; at++) {
            if (Arrays.equals(body, at, at + NO_ERRORS.length, NO_ERRORS, 0, NO_ERRORS.length)) {
                return null;
            }
        }
        return "HTTP " + status + " but the bulk response does not end with \"errors\":false (items failed)";
    };

    // ---- setup

    private void setUp() throws IOException, InterruptedException {
        try (HttpConnection c = new HttpConnection(address, (int) timeout.toMillis())) {
            // The node may still be starting: wait up to a minute for /health.
            for (long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); ; Thread.sleep(200)) {
                try {
                    c.require("GET", host, "/health", null);
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException(
                                "no 2xx answer from " + url + "/health within 60 s: " + e.getMessage(), e);
                    }
                }
            }
            c.require("PUT", host, "/api/v1/" + db, null);
            String options = shards == null ? null : "{\"shards\":" + shards + "}";
            for (String coll : List.of("docs", "bulk_small", "bulk_1k")) {
                c.require("PUT", host, "/api/v1/" + db + "/" + coll, options);
            }
        }
    }

    /** Loads ids doc-0 .. doc-(N-1) with _bulk; false (and a recorded problem) if that fails. */
    private boolean preload(String docs) {
        int n = preload;
        int batch = Math.min(1000, n);
        log("preloading %d docs of %d bytes into %s ...", n, DOC_BYTES, docs);
        long t0 = System.nanoTime();
        DocumentGenerator gen = new DocumentGenerator(DOC_BYTES, 42);
        RequestBytes body = new RequestBytes(batch * (DOC_BYTES + 32) + 16);
        RequestBytes request = new RequestBytes(batch * (DOC_BYTES + 32) + 512);
        try (HttpConnection c = new HttpConnection(address, (int) timeout.toMillis())) {
            for (int from = 0; from < n; from += batch) {
                int to = Math.min(n, from + batch);
                bulkBody(body, gen, "doc-", from, to);
                request.clear()
                        .appendHead("POST", host, docs + "/_bulk", "application/json", body.length())
                        .append(body);
                int status = c.exchange(request.array(), 0, request.length());
                String problem = BULK_OK.problem(status, c.body(), c.bodyLength());
                if (problem != null) {
                    throw new IOException("preload POST " + docs + "/_bulk (items doc-" + from + "..doc-" + (to - 1)
                            + "): " + problem + ": " + HttpConnection.printable(c.body(), 0, c.bodyLength(), 400));
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            info.put("preloadDocs", n);
            info.put("preloadSeconds", seconds);
            log("    preloaded in %.2f s (%.0f docs/s, one connection, not a measurement)", seconds, n / seconds);
            // The point GETs must hit documents: check one before measuring thousands.
            int status = c.exchange(RequestBytes.request("GET", host, docs + "/doc-" + (n - 1)));
            if (status != 200) {
                throw new IOException("GET " + docs + "/doc-" + (n - 1) + " after the preload answered " + status + ": "
                        + c.bodyString());
            }
            info.put("preloadedDocumentBytesAsServed", c.bodyLength());
            return true;
        } catch (IOException | RuntimeException e) {
            problems.add(e.getMessage());
            log("    preload FAILED: %s", e.getMessage());
            return false;
        }
    }

    // ---- request sources (one per client thread; see HttpLoad.RequestSource)

    private IntFunction<HttpLoad.RequestSource> pointGets(String docs) {
        byte[] head = ("GET " + docs + "/doc-").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = (" HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: lumadb-bench\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        int n = preload;
        return thread -> {
            SplittableRandom random =
                    new SplittableRandom(ThreadLocalRandom.current().nextLong());
            RequestBytes r = new RequestBytes(256);
            return () -> {
                r.clear().append(head, 0, head.length).append(random.nextInt(n)).append(tail, 0, tail.length);
                return new HttpLoad.Request(r.array(), 0, r.length());
            };
        };
    }

    private IntFunction<HttpLoad.RequestSource> singlePuts(String docs) {
        int n = preload;
        return thread -> {
            SplittableRandom random =
                    new SplittableRandom(ThreadLocalRandom.current().nextLong());
            DocumentGenerator gen = new DocumentGenerator(DOC_BYTES, random.nextLong());
            RequestBytes body = new RequestBytes(DOC_BYTES + 64);
            RequestBytes r = new RequestBytes(DOC_BYTES + 512);
            long[] seq = {0};
            return () -> {
                long s = seq[0]++;
                // Half overwrite a preloaded document, half write a new random id: random keys are the
                // hard case for a sorted store, unlike sequences.
                String id =
                        (s & 1) == 0 ? "doc-" + random.nextInt(n) : "new-" + Long.toHexString(random.nextLong() >>> 1);
                gen.write(body.clear(), null, 0, false, s);
                r.clear()
                        .appendHead("PUT", host, docs + "/" + id, "application/json", body.length())
                        .append(body);
                return new HttpLoad.Request(r.array(), 0, r.length());
            };
        };
    }

    /** Closed-loop {@code _bulk} inserts of new documents into {@code collection}, {@code --bulk-batch} per request. */
    private void bulkInserts(String id, String docs, String collection, int docBytes, String idPrefix)
            throws InterruptedException {
        String path = "/api/v1/" + db + "/" + collection + "/_bulk";
        int batch = bulkBatch;
        IntFunction<HttpLoad.RequestSource> sources = thread -> {
            DocumentGenerator gen =
                    new DocumentGenerator(docBytes, ThreadLocalRandom.current().nextLong());
            RequestBytes body = new RequestBytes(batch * (docBytes + 64) + 16);
            RequestBytes r = new RequestBytes(batch * (docBytes + 64) + 512);
            String prefix = idPrefix + "-" + thread + "-";
            long[] next = {0};
            return () -> {
                bulkBody(body, gen, prefix, next[0], next[0] += batch);
                r.clear()
                        .appendHead("POST", host, path, "application/json", body.length())
                        .append(body);
                return new HttpLoad.Request(r.array(), 0, r.length());
            };
        };
        scenario(id, "_bulk insert, " + docs + ", " + batch + "/request", batch, bulkConnections, 0, sources, BULK_OK);
    }

    /** A {@code _bulk} body putting the documents {@code idPrefix + id} for ids {@code [from, to)}. */
    private static void bulkBody(RequestBytes body, DocumentGenerator gen, String idPrefix, long from, long to) {
        body.clear().appendByte('[');
        for (long id = from; id < to; id++) {
            body.append(id > from ? ",{\"op\":\"put\",\"doc\":" : "{\"op\":\"put\",\"doc\":");
            gen.write(body, idPrefix, id, true, id);
            body.appendByte('}');
        }
        body.appendByte(']');
    }

    // ---- targets

    private Row row(String id) {
        return rows.stream().filter(r -> r.id().equals(id)).findFirst().orElse(null);
    }

    private static boolean valid(Row r) {
        return r != null && r.result() != null && !r.bad();
    }

    /** Point GET throughput over GET /health throughput; NaN unless both ran cleanly. */
    private double getOverHealth() {
        Row health = row("a");
        Row get = row("b");
        return valid(health) && valid(get)
                ? get.result().throughput() / health.result().throughput()
                : Double.NaN;
    }

    private List<Target> targets() {
        double ratio = getOverHealth();
        double p99 = valid(row("e")) ? row("e").result().latencyMillis(99) : Double.NaN;
        double docs = valid(row("d1")) ? row("d1").docsPerSecond() : Double.NaN;
        return List.of(
                target(
                        "point GET throughput ≥ 0.5 × GET /health",
                        ratio,
                        "%.2f ×",
                        "≥ 0.50 ×",
                        ratio >= TARGET_GET_OVER_HEALTH),
                target(
                        "point GET p99 at 1/2 max rate (open loop)",
                        p99,
                        "%.3f ms",
                        "< 1 ms",
                        p99 < TARGET_OPEN_GET_P99_MS),
                target(
                        "_bulk insert of 200 B docs",
                        docs,
                        "%,.0f docs/s",
                        "≥ 100,000 docs/s",
                        docs >= TARGET_BULK_SMALL_DOCS_PER_S));
    }

    private static Target target(String name, double value, String format, String required, boolean met) {
        String measured = Double.isNaN(value) ? "n/a (errors)" : String.format(Locale.ROOT, format, value);
        return new Target(name, value, measured, required, met);
    }

    // ---- reports

    private String markdown(Instant started) {
        StringBuilder m = new StringBuilder("# LumaDB HTTP API benchmark\n\n");
        if (!valid()) {
            m.append(
                    "> **ERRORS: requests failed or a scenario could not run. These numbers are NOT a valid measurement.**\n\n");
        }
        m.append(String.format(
                Locale.ROOT,
                "%s, %s warm-up + %s measured per scenario%s. Latencies in ms.%n%n",
                started.truncatedTo(ChronoUnit.SECONDS),
                human(warmup),
                human(duration),
                quick ? " (--quick)" : ""));
        m.append(
                "| # | scenario | load | req/s | docs/s | p50 | p90 | p99 | p99.9 | max | errors | client CPU | server CPU µs/req |\n");
        m.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (Row r : rows) {
            HttpLoad.Result x = r.result();
            if (x == null) {
                m.append(String.format(
                        "| %s | %s | — | — | — | — | — | — | — | — | **%s** | — | — |%n",
                        r.id(), r.name(), r.failure()));
                continue;
            }
            HttpLoad.Options o = x.options();
            m.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s, %d conn | %,.0f | %s | %s | %s | %s | %s | %s | %s | %.2f | %s |%n",
                    r.id(),
                    r.name(),
                    o.openLoop() ? String.format(Locale.ROOT, "open %,.0f/s", o.rate()) : "closed",
                    o.connections(),
                    x.throughput(),
                    r.docsPerRequest() > 1 ? String.format(Locale.ROOT, "%,.0f", r.docsPerSecond()) : "—",
                    ms(x.latencyMillis(50)),
                    ms(x.latencyMillis(90)),
                    ms(x.latencyMillis(99)),
                    ms(x.latencyMillis(99.9)),
                    ms(x.latencyMillis(100)),
                    r.errors() == 0 ? "0" : "**" + r.errors() + "**",
                    r.clientCpuCores(),
                    Double.isNaN(r.serverCpuMicrosPerRequest())
                            ? "—"
                            : String.format(Locale.ROOT, "%.0f", r.serverCpuMicrosPerRequest())));
        }
        m.append(
                "\nOpen-loop latency (e) is measured from each request's intended send time (no coordinated omission)");
        Row open = row("e");
        if (open != null && open.result() != null) {
            HttpLoad.Result x = open.result();
            m.append(String.format(
                    Locale.ROOT,
                    "; requests due on an idle connection left late by p50 %s / p99 %s / max %s ms"
                            + " (the client's own error), and %.1f%% were due while their connection still waited for a response",
                    ms(x.sendLagMillis(50)),
                    ms(x.sendLagMillis(99)),
                    ms(x.sendLagMillis(100)),
                    100.0 * x.queued() / Math.max(1, x.requests())));
        }
        m.append(
                ". \"client CPU\" is the load generator's CPU use in cores: near its CPU count, the client, not the server, is the"
                        + " limit. \"server CPU µs/req\" is the node's CPU time (all threads, from /proc) in the measured"
                        + " window per request answered in it (with --server-pid).\n\n");
        if (!Double.isNaN(getOverHealth())) {
            m.append(String.format(Locale.ROOT, "Ratio point GET / health: **%.2f**%n%n", getOverHealth()));
        }
        m.append("| target | measured | required | result |\n|---|--:|--:|---|\n");
        for (Target t : targets()) {
            m.append(String.format(
                    "| %s | %s | %s | %s |%n", t.target(), t.measured(), t.required(), t.met() ? "met" : "**MISSED**"));
        }
        if (!valid()) {
            m.append("\n## Errors\n\n");
            problems.forEach(p -> m.append("- ").append(p).append('\n'));
            for (Row r : rows) {
                HttpLoad.Result x = r.result();
                if (r.failure() != null) {
                    m.append(String.format("- (%s) %s%n", r.id(), r.failure()));
                } else if (x.requests() == 0 && r.errors() == 0) {
                    m.append(String.format("- (%s) no successful response completed in the measured window%n", r.id()));
                } else if (r.errors() > 0) {
                    m.append(String.format(
                            "- (%s) %d failed in the measured window, %d in warm-up: %s%n",
                            r.id(), x.errors(), x.warmupErrors(), x.errorKinds()));
                    x.errorSamples().forEach(s -> m.append("  - `")
                            .append(s.replace("`", "'"))
                            .append("`\n"));
                }
            }
        }
        for (Row r : rows) {
            if (r.result() != null
                    && r.result().connects() > r.result().options().connections()) {
                m.append(String.format(
                        "%nNote: (%s) opened %d sockets for %d connections: the server closed connections.%n",
                        r.id(), r.result().connects(), r.result().options().connections()));
            }
        }
        m.append("\n## Machine and command\n\n");
        Machine.describe()
                .forEach((k, v) ->
                        m.append("- ").append(k).append(": ").append(v).append('\n'));
        meta.forEach((k, v) -> m.append("- ").append(k).append(": ").append(v).append('\n'));
        m.append(String.format(
                Locale.ROOT,
                "- load average (1/5/15 min) at start: %s, at end: %s%n",
                info.get("loadAverageAtStart"),
                info.get("loadAverageAtEnd")));
        m.append(String.format(
                Locale.ROOT,
                "- settings: connections %d (health, GET), %d (open-loop GET), %d (PUT), %d (bulk), bulk batch %d, preload %d, shards %s%n",
                connections,
                openConnections,
                putConnections,
                bulkConnections,
                bulkBatch,
                preload,
                shards == null ? "server default" : shards));
        return m.append("- command: `").append(command).append("`\n").toString();
    }

    private Map<String, Object> json(Instant started) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("benchmark", "lumadb-http-api");
        root.put("date", started.toString());
        root.put("valid", valid());
        root.put("url", url.toString());
        root.put("command", command);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("quick", quick);
        s.put("warmupSeconds", warmup.toNanos() / 1e9);
        s.put("durationSeconds", duration.toNanos() / 1e9);
        s.put("connections", connections);
        s.put("openConnections", openConnections);
        s.put("putConnections", putConnections);
        s.put("bulkConnections", bulkConnections);
        s.put("bulkBatch", bulkBatch);
        s.put("preload", preload);
        s.put("shards", shards);
        s.put("documentBytes", DOC_BYTES);
        s.put("smallDocumentBytes", SMALL_DOC_BYTES);
        root.put("settings", s);
        root.put("machine", Machine.describe());
        root.put("meta", meta);
        root.put("info", info);
        root.put("scenarios", rows.stream().map(Row::json).toList());
        root.put("ratios", Map.of("pointGetOverHealth", getOverHealth()));
        root.put("targets", targets());
        root.put("problems", problems);
        return root;
    }

    private static Map<String, Object> percentiles(DoubleUnaryOperator p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", p.applyAsDouble(50));
        m.put("p90", p.applyAsDouble(90));
        m.put("p99", p.applyAsDouble(99));
        m.put("p99.9", p.applyAsDouble(99.9));
        m.put("max", p.applyAsDouble(100));
        return m;
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime()
                : 0;
    }

    // ---- helpers

    private static String ms(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, v < 10 ? "%.3f" : v < 100 ? "%.2f" : "%.1f", v);
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /** Writes {@code content} to {@code file}, if one was given. */
    private static void write(Path file, String content) throws IOException {
        if (file != null) {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, content, StandardCharsets.UTF_8);
        }
    }

    private static void log(String format, Object... args) {
        System.err.println(String.format(Locale.ROOT, format, args));
    }
}

package io.lumadb.bench.tiering;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.Cli;
import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import io.lumadb.bench.Stats;
import io.lumadb.bench.streams.ProcessProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Point reads of cold documents against warm ones, and the migration between, on one running
 * node over HTTP. It loads a collection ({@code POST _bulk}, 1,000 documents a request), reads
 * random documents over one keep-alive connection from one thread (an unmeasured pass first,
 * then the measured one, send to whole answer read), moves the whole collection to the cold tier
 * ({@code PUT _tiering {"move":"cold"}}, timed: it answers when done), reads the same documents
 * in the same order again, and, given the node's fragment directories, deletes one data fragment
 * of every segment and reads them once more (those reads that need the lost fragment rebuild the
 * segment from 6 of the 9).
 *
 * <p>The node must run with a hot cache of 0 bytes ({@code lumadb.tiering.hot-cache-bytes=0}), so
 * that every cold read goes to the fragments: the node's own counter of cold reads ({@code
 * lumadb_tiering_cold_reads} at {@code /metrics}) is read before and after each cold pass to
 * show it. Every answer is checked: a status other than 200, or a cold answer whose bytes differ
 * from the warm answer for the same document (crc32c), fails the run. Run by the suite's tiering
 * section pinned like a load generator; writes its {@link Result} as JSON.
 */
@Command(
        name = "ColdReadBenchmark",
        mixinStandardHelpOptions = true,
        description = "Cold point reads against warm ones and the migration rate, on a running node over HTTP.")
public final class ColdReadBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern COLD_READS =
            Pattern.compile("^lumadb_tiering_cold_reads\\{[^}]*outcome=\"(\\w+)\"[^}]*}\\s+(\\S+)", Pattern.MULTILINE);
    private static final Pattern FRAGMENT = Pattern.compile("^(.+)\\.(\\d)\\.frag$");
    private static final int DATA_FRAGMENTS = 6;

    @Option(names = "--url", required = true, description = "the node, e.g. http://127.0.0.1:8080")
    String url;

    @Option(names = "--json", required = true, description = "where the result goes")
    Path json;

    @Option(names = "--documents", description = "documents loaded (default 50000)")
    int documents = 50_000;

    @Option(names = "--document-bytes", description = "approximate size of a document's JSON (default 1000)")
    int documentBytes = 1_000;

    @Option(names = "--shards", description = "shards of the collection (default 4)")
    int shards = 4;

    @Option(names = "--reads", description = "measured reads per pass (default 20000)")
    int reads = 20_000;

    @Option(names = "--warm-up", description = "unmeasured reads before each measured pass (default 20000)")
    int warmUp = 20_000;

    @Option(names = "--seed", description = "seed of the documents and of the reads (default 20251203)")
    long seed = 20_251_203L;

    @Option(names = "--db", description = "the database (default coldbench)")
    String db = "coldbench";

    @Option(names = "--node-pid", description = "the node's process id, to read its CPU time (default: not read)")
    long nodePid = -1;

    @Option(
            names = "--fragments",
            description = "the directory holding the node's 9 fragment directories (<data-dir>/cold); when given,"
                    + " one data fragment of every segment is deleted and the reads measured once more")
    Path fragments;

    @Option(
            names = "--metrics-lag",
            description = "how long the node's /metrics may lag behind its counters (default 8s: the node samples"
                    + " its tiering counters every 5 s and Kamon ticks every 2 s)")
    Duration metricsLag = Duration.ofSeconds(8);

    /**
     * One pass of measured point reads.
     *
     * @param lostFragmentsPerSegment fragments of every segment deleted before the pass
     * @param errors answers other than 200, or I/O errors
     * @param mismatches cold answers whose bytes differ from the warm answer for the same document
     * @param nodeCpuMicrosPerRead the node's CPU time (all threads) per measured read, NaN if not read
     * @param nodeColdReads cold reads the node counted over the warm-up and the measured pass (-1:
     *     not read)
     * @param nodeRebuilds of those, reads the node answered by rebuilding from other fragments
     */
    public record Reads(
            String tier,
            int reads,
            int lostFragmentsPerSegment,
            double p50Ms,
            double p90Ms,
            double p99Ms,
            double p999Ms,
            double maxMs,
            double meanMs,
            long errors,
            long mismatches,
            double nodeCpuMicrosPerRead,
            long nodeColdReads,
            long nodeRebuilds) {}

    /**
     * The move of the whole collection to the cold tier, as the client saw it.
     *
     * @param seconds the {@code PUT _tiering} request, sent to answer read (it answers when every
     *     segment is written, recorded and pointed to)
     * @param megabytesPerSecond segment data written per second (10^6 bytes), parity not counted
     * @param nodeCpuSeconds the node's CPU time (all threads) during the request, NaN if not read
     * @param answer the node's answer
     */
    public record Move(
            long documents,
            long segments,
            long segmentBytes,
            long storedBytes,
            double seconds,
            double documentsPerSecond,
            double megabytesPerSecond,
            double nodeCpuSeconds,
            JsonNode answer) {}

    /**
     * What one run measured.
     *
     * @param meanDocumentBytes the mean size of a document's JSON as loaded
     * @param loadPerSecond documents per second of the bulk load (one client, 1,000 a request)
     * @param coder the node's erasure coder ({@code GET _tiering})
     * @param degraded the reads after deleting one data fragment of every segment, or null
     * @param failures what went wrong; empty for a clean run
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
            int documents,
            int meanDocumentBytes,
            int shards,
            double loadSeconds,
            double loadPerSecond,
            String coder,
            Reads warm,
            Move move,
            Reads cold,
            Reads degraded,
            List<String> failures,
            List<String> notes) {

        public Result {
            failures = List.copyOf(failures);
            notes = List.copyOf(notes);
        }
    }

    /** A node using less of a CPU than this is idle. */
    private static final double IDLE_CPU = 0.05;
    /** How long to wait for the node to be idle before a measured pass. */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(60);

    private final List<String> idleWaits = new ArrayList<>();
    private HttpConnection conn;
    private String host;
    private String coll;

    public static void main(String[] args) {
        Cli.exit(new ColdReadBenchmark(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (documents < 1 || reads < 1 || warmUp < 0 || shards < 1 || documentBytes < 100) {
            throw new IllegalArgumentException(
                    "--documents, --reads and --shards must be >= 1, --warm-up >= 0, --document-bytes >= 100");
        }
        URI uri = URI.create(url);
        host = uri.getHost() + ":" + uri.getPort();
        coll = "/api/v1/" + db + "/c";
        List<String> failures = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try (HttpConnection c = new HttpConnection(new InetSocketAddress(uri.getHost(), uri.getPort()), 60_000)) {
            conn = c;
            return measure(failures, notes);
        }
    }

    private int measure(List<String> failures, List<String> notes) throws IOException, InterruptedException {
        conn.require("PUT", host, "/api/v1/" + db, null);
        conn.require("PUT", host, coll, "{\"shards\":" + shards + "}");

        System.out.printf(
                "loading %,d documents of about %,d bytes into %d shards%n", documents, documentBytes, shards);
        long t = System.nanoTime();
        long loadedBytes = load();
        double loadSeconds = (System.nanoTime() - t) / 1e9;
        System.out.printf("  %.1f s, %,.0f documents/s%n", loadSeconds, documents / loadSeconds);
        JsonNode before = JSON.readTree(conn.require("GET", host, coll + "/_tiering", null));
        if (before.at("/tiers/warm/documents").asLong() != documents) {
            failures.add("after loading, GET _tiering counts " + before.at("/tiers/warm/documents")
                    + " warm documents, not " + documents);
        }

        Random random = new Random(seed ^ 0x5DEECE66DL);
        int[] warmUpIds = random.ints(warmUp, 0, documents).toArray();
        int[] measuredIds = random.ints(reads, 0, documents).toArray();
        byte[][] warmUpRequests = requests(warmUpIds);
        byte[][] measuredRequests = requests(measuredIds);
        long[] crcs = new long[reads];

        System.out.printf("warm: %,d reads unmeasured, %,d measured, one connection, one thread%n", warmUp, reads);
        pass(warmUpRequests, null, null);
        Reads warm = measured("warm", 0, measuredRequests, crcs, false, null, null);
        print(warm);

        System.out.println("moving the collection to the cold tier");
        Move move = move();
        System.out.printf(
                "  %,d documents in %.1f s: %,.0f documents/s, %.1f MB/s of segments (%d segments, %.1f MB)%n",
                move.documents(),
                move.seconds(),
                move.documentsPerSecond(),
                move.megabytesPerSecond(),
                move.segments(),
                move.segmentBytes() / 1e6);
        if (move.documents() != documents) {
            failures.add("the move answered " + move.documents() + " documents moved, not " + documents + ": "
                    + move.answer());
        }
        if (move.answer().at("/tiers/warm/documents").asLong(-1) != 0
                || move.answer().at("/tiers/cold/documents").asLong(-1) != documents) {
            failures.add("after the move the tiers are not all cold: "
                    + move.answer().get("tiers"));
        }
        String coder = move.answer().path("coder").asText("unknown");

        System.out.printf("cold (all fragments local): %,d reads unmeasured, %,d measured%n", warmUp, reads);
        Reads cold = coldPass("cold", 0, warmUpRequests, measuredRequests, crcs);
        print(cold);
        checkCold(cold, failures, notes);

        Reads degraded = null;
        if (fragments != null) {
            int deleted = deleteOneDataFragmentPerSegment(move.segments(), failures);
            System.out.printf(
                    "degraded: deleted %d data fragments (one of every segment); %,d reads unmeasured, %,d measured%n",
                    deleted, warmUp, reads);
            if (deleted > 0) {
                degraded = coldPass("degraded", 1, warmUpRequests, measuredRequests, crcs);
                print(degraded);
                checkCold(degraded, failures, notes);
                if (degraded.nodeRebuilds() == 0) {
                    failures.add("after deleting a data fragment of every segment, no read rebuilt one");
                }
            }
        }
        if (!idleWaits.isEmpty()) {
            notes.add("Before each measured pass the node was let become idle (under " + Math.round(IDLE_CPU * 100)
                    + "% of a CPU over a second, at most " + IDLE_WAIT.toSeconds() + " s): "
                    + String.join(", ", idleWaits)
                    + ".");
        }
        Result result = new Result(
                documents,
                (int) (loadedBytes / documents),
                shards,
                loadSeconds,
                documents / loadSeconds,
                coder,
                warm,
                move,
                cold,
                degraded,
                failures,
                notes);
        JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), result);
        failures.forEach(f -> System.out.println("FAILED: " + f));
        return failures.isEmpty() ? 0 : 1;
    }

    // ---- the data

    static String id(int n) {
        return "d" + n;
    }

    /** Document {@code n}'s JSON: the same for the same seed and number, about {@code bytes} long. */
    static String document(long seed, int n, int bytes) {
        Random r = new Random(seed * 31 + n);
        StringBuilder b = new StringBuilder(bytes + 64);
        b.append("{\"n\":")
                .append(n)
                .append(",\"group\":")
                .append(n % 100)
                .append(",\"name\":\"item ")
                .append(Integer.toString(n, 36))
                .append("\",\"price\":")
                .append(r.nextInt(100_000) / 100.0)
                .append(",\"text\":\"");
        while (b.length() < bytes - 2) {
            b.append((char) ('a' + r.nextInt(26)));
            if (r.nextInt(8) == 0) {
                b.append(' ');
            }
        }
        return b.append("\"}").toString();
    }

    private long load() throws IOException {
        int batch = 1_000;
        long bytes = 0;
        for (int from = 0; from < documents; from += batch) {
            StringBuilder b = new StringBuilder(batch * (documentBytes + 32)).append('[');
            for (int n = from; n < Math.min(documents, from + batch); n++) {
                String doc = document(seed, n, documentBytes);
                bytes += doc.length();
                b.append(n > from ? "," : "")
                        .append("{\"id\":\"")
                        .append(id(n))
                        .append("\",\"doc\":")
                        .append(doc)
                        .append('}');
            }
            JsonNode answer = JSON.readTree(
                    conn.require("POST", host, coll + "/_bulk", b.append(']').toString()));
            if (answer.path("errors").asBoolean(false)) {
                throw new IOException(
                        "the bulk write from document " + from + " reported errors: " + abbreviate(answer.toString()));
            }
        }
        return bytes;
    }

    private byte[][] requests(int[] ids) {
        byte[][] out = new byte[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            out[i] = RequestBytes.request("GET", host, coll + "/" + id(ids[i]));
        }
        return out;
    }

    // ---- reads

    /**
     * Sends every request in turn; records each one's latency into {@code nanos} unless null, and
     * the crc32c of each answer into {@code crcs} (or, when {@code compare}, counts answers that
     * differ from it). Returns the errors and mismatches.
     */
    private long[] pass(byte[][] requests, long[] nanos, long[] crcs, boolean compare) {
        long errors = 0;
        long mismatches = 0;
        CRC32C crc = new CRC32C();
        for (int i = 0; i < requests.length; i++) {
            long start = System.nanoTime();
            int status;
            try {
                status = conn.exchange(requests[i]);
            } catch (IOException e) {
                status = -1;
            }
            long elapsed = System.nanoTime() - start;
            if (nanos != null) {
                nanos[i] = elapsed;
            }
            if (status != 200) {
                if (errors++ < 3) {
                    System.out.println("  read " + i + " answered " + status
                            + (status > 0 ? ": " + abbreviate(conn.bodyString()) : ""));
                }
                continue;
            }
            if (crcs != null) {
                crc.reset();
                crc.update(conn.body(), 0, conn.bodyLength());
                if (!compare) {
                    crcs[i] = crc.getValue();
                } else if (crcs[i] != crc.getValue()) {
                    if (mismatches++ < 3) {
                        System.out.println(
                                "  read " + i + " answered other bytes than warm: " + abbreviate(conn.bodyString()));
                    }
                }
            }
        }
        return new long[] {errors, mismatches};
    }

    private void pass(byte[][] requests, long[] nanos, long[] crcs) {
        pass(requests, nanos, crcs, false);
    }

    private Reads measured(
            String tier,
            int lost,
            byte[][] requests,
            long[] crcs,
            boolean compare,
            Map<String, Long> countersBefore,
            Map<String, Long> countersAfter)
            throws IOException, InterruptedException {
        long[] nanos = new long[requests.length];
        awaitIdle(tier);
        double cpu0 = nodeCpu();
        long[] bad = pass(requests, nanos, crcs, compare);
        double cpu1 = nodeCpu();
        Map<String, Long> after = countersAfter;
        if (countersBefore != null && after == null) {
            after = counters();
        }
        int n = nanos.length;
        long sum = 0;
        for (long v : nanos) {
            sum += v;
        }
        Stats.sort(nanos, n);
        return new Reads(
                tier,
                n,
                lost,
                ms(Stats.percentile(nanos, n, 50)),
                ms(Stats.percentile(nanos, n, 90)),
                ms(Stats.percentile(nanos, n, 99)),
                ms(Stats.percentile(nanos, n, 99.9)),
                ms(nanos[n - 1]),
                sum / 1e6 / n,
                bad[0],
                bad[1],
                (cpu1 - cpu0) * 1e6 / n,
                delta(countersBefore, after, "read"),
                delta(countersBefore, after, "degraded"));
    }

    /** An unmeasured pass and a measured one over cold documents, the node's counters read around both. */
    private Reads coldPass(String tier, int lost, byte[][] warmUpRequests, byte[][] measuredRequests, long[] crcs)
            throws IOException, InterruptedException {
        Map<String, Long> before = counters();
        pass(warmUpRequests, null, null);
        return measured(tier, lost, measuredRequests, crcs, true, before, null);
    }

    private void checkCold(Reads r, List<String> failures, List<String> notes) {
        if (r.errors() > 0) {
            failures.add(r.tier() + ": " + r.errors() + " of " + r.reads() + " reads failed");
        }
        if (r.mismatches() > 0) {
            failures.add(r.tier() + ": " + r.mismatches() + " of " + r.reads()
                    + " cold answers differ from the warm answer for the same document");
        }
        long expected = (long) warmUp + reads;
        if (r.nodeColdReads() >= 0 && r.nodeColdReads() < expected) {
            failures.add(r.tier() + ": the node counted " + r.nodeColdReads() + " cold reads for " + expected
                    + " reads of cold documents: some did not go to the fragments (is the hot cache 0?)");
        } else if (r.nodeColdReads() < 0) {
            notes.add(r.tier() + ": the node's cold-read counter could not be read from /metrics");
        }
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static void print(Reads r) {
        System.out.printf(
                Locale.ROOT,
                "  %s: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms; node CPU %.0f µs/read;"
                        + " node cold reads %d (rebuilt %d); errors %d, mismatches %d%n",
                r.tier(),
                r.p50Ms(),
                r.p90Ms(),
                r.p99Ms(),
                r.p999Ms(),
                r.maxMs(),
                r.nodeCpuMicrosPerRead(),
                r.nodeColdReads(),
                r.nodeRebuilds(),
                r.errors(),
                r.mismatches());
    }

    // ---- the move

    private Move move() throws IOException {
        URI uri = URI.create(url);
        // The move answers when done: a read timeout far beyond what it should take.
        try (HttpConnection slow =
                new HttpConnection(new InetSocketAddress(uri.getHost(), uri.getPort()), 30 * 60_000)) {
            slow.connect();
            double cpu0 = nodeCpu();
            long t = System.nanoTime();
            String body = slow.require("PUT", host, coll + "/_tiering", "{\"move\":\"cold\"}");
            double seconds = (System.nanoTime() - t) / 1e9;
            double cpu1 = nodeCpu();
            JsonNode answer = JSON.readTree(body);
            long moved = answer.at("/moved/documents").asLong();
            long segmentBytes = answer.at("/moved/segmentBytes").asLong();
            return new Move(
                    moved,
                    answer.at("/moved/segments").asLong(),
                    segmentBytes,
                    answer.at("/tiers/cold/storedBytes").asLong(),
                    seconds,
                    moved / seconds,
                    segmentBytes / 1e6 / seconds,
                    cpu1 - cpu0,
                    answer);
        }
    }

    // ---- losing fragments

    /**
     * Deletes one data fragment of every segment under {@link #fragments} (see {@link
     * #oneDataFragmentPerSegment}). Returns how many it deleted.
     */
    private int deleteOneDataFragmentPerSegment(long segments, List<String> failures) throws IOException {
        List<Path> files;
        try (Stream<Path> all = Files.walk(fragments)) {
            files = all.filter(Files::isRegularFile).toList();
        }
        Map<String, Path> chosen = oneDataFragmentPerSegment(files);
        if (chosen.size() != segments) {
            failures.add("found the fragments of " + chosen.size() + " segments under " + fragments + ", the move"
                    + " reported " + segments);
        }
        int deleted = 0;
        for (Map.Entry<String, Path> segment : chosen.entrySet()) {
            if (segment.getValue() == null) {
                failures.add("segment " + segment.getKey() + " lacks the data fragment to delete under " + fragments);
                continue;
            }
            Files.delete(segment.getValue());
            deleted++;
        }
        return deleted;
    }

    /**
     * Of the fragment files among {@code files} ({@code <segment>.<index>.frag}), one data fragment
     * of each segment: of the segments in name order, the k-th one's fragment {@code k mod 6}, so
     * that every data position is lost somewhere. By segment; null where that fragment is missing.
     */
    static Map<String, Path> oneDataFragmentPerSegment(List<Path> files) {
        Map<String, Map<Integer, Path>> bySegment = new TreeMap<>();
        for (Path p : files) {
            Matcher m = FRAGMENT.matcher(p.getFileName().toString());
            if (m.matches()) {
                bySegment.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(Integer.parseInt(m.group(2)), p);
            }
        }
        Map<String, Path> out = new LinkedHashMap<>();
        int k = 0;
        for (Map.Entry<String, Map<Integer, Path>> segment : bySegment.entrySet()) {
            out.put(segment.getKey(), segment.getValue().get(k++ % DATA_FRAGMENTS));
        }
        return out;
    }

    // ---- the node

    /**
     * Waits until the node is idle (under {@link #IDLE_CPU} of a CPU over a second: compactions
     * after a load or a move, and the JIT compiler's work after a warm-up, are done), at most
     * {@link #IDLE_WAIT}, so that a measured pass does not share the node's CPU with background work
     * that one tier's pass would see and the other's not. Notes how long it waited.
     */
    private void awaitIdle(String tier) throws InterruptedException {
        if (nodePid <= 0) {
            return;
        }
        long start = System.nanoTime();
        long deadline = start + IDLE_WAIT.toNanos();
        double busy;
        do {
            double cpu0 = nodeCpu();
            long t0 = System.nanoTime();
            Thread.sleep(1_000);
            busy = (nodeCpu() - cpu0) / ((System.nanoTime() - t0) / 1e9);
        } while (!(busy < IDLE_CPU) && System.nanoTime() < deadline);
        idleWaits.add(String.format(
                Locale.ROOT,
                "%s: %.0f s%s",
                tier,
                (System.nanoTime() - start) / 1e9,
                busy < IDLE_CPU ? "" : String.format(Locale.ROOT, " (still %.0f%% busy)", busy * 100)));
    }

    private double nodeCpu() {
        return nodePid > 0 ? ProcessProbe.cpuSeconds(nodePid) : Double.NaN;
    }

    /** The node's cold-read counters by outcome, once /metrics has caught up with them; empty if unknown. */
    private Map<String, Long> counters() throws IOException, InterruptedException {
        Thread.sleep(metricsLag.toMillis());
        int status = conn.exchange(RequestBytes.request("GET", host, "/metrics"));
        return status == 200 ? coldReadCounters(conn.bodyString()) : Map.of();
    }

    /** The {@code lumadb_tiering_cold_reads} gauges of a Prometheus text, by their {@code outcome}. */
    static Map<String, Long> coldReadCounters(String prometheus) {
        Map<String, Long> out = new LinkedHashMap<>();
        Matcher m = COLD_READS.matcher(prometheus);
        while (m.find()) {
            out.put(m.group(1), (long) Double.parseDouble(m.group(2)));
        }
        return out;
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String outcome) {
        if (before == null || after == null || !before.containsKey(outcome) || !after.containsKey(outcome)) {
            return -1;
        }
        return after.get(outcome) - before.get(outcome);
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}

package io.lumadb.bench.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.HdrHistogram.Histogram;

/**
 * The change-stream fan-out benchmark: one writer and many SSE subscribers, on LumaDB's
 * {@code _changes} stream and on a trivial broadcast server ({@link BroadcastServer}) as the
 * reference, in one run, each measured the same way:
 *
 * <ol>
 *   <li><b>Throughput</b>: the writer goes as fast as the fan-out delivers (at most {@code
 *       --in-flight} writes not yet received by every subscriber); deliveries per second over a
 *       window after a warm-up.
 *   <li><b>Latency</b>: the writer sends {@code --rate} writes per second in an open loop; the
 *       latency of every delivery from the write's due send time to the subscriber's read.
 *   <li><b>Idle subscriptions</b>: the server's heap after a full GC, before and after opening
 *       {@code --idle} subscriptions that received {@code subscribed}.
 * </ol>
 *
 * <p>Writer and subscribers live in this JVM, so the send time in each document ({@link
 * System#nanoTime}) and the read time compare. For LumaDB the latency includes the write's
 * durable commit (group commit and fsync) as well as the fan-out. Every measurement checks that
 * every subscriber received every acknowledged write exactly once and in the server's order;
 * any loss, duplicate, reordering, overflow or failed write fails the run (exit status 1), and
 * the report says what happened. Runs as its own process (the suite pins it to the load
 * generator's CPU) and writes a {@link StreamReport} as JSON.
 */
public final class StreamBenchmark {

    static final String USAGE = """
            usage: StreamBenchmark --json FILE [--lumadb-url URL --lumadb-pid PID] [--reference-url URL --reference-pid PID]
                                   [--quick] [--subscribers N] [--idle N] [--idle-collections N] [--rate WRITES_PER_S]
                                   [--in-flight N] [--rounds N] [--warmup S] [--window S] [--latency-window S]
                                   [--parts throughput,latency,idle] [--meta KEY=VALUE]...
              default  1,000 subscribers; 3 rounds (medians, systems alternating) of throughput (3 s warm-up + 10 s),
                       then 3 rounds of latency (2 s warm-up + 15 s); then 10,000 idle subscriptions per system
              --quick  200 subscribers, 1 round (1.5 s + 3 s throughput, 1 s + 4 s latency), 1,000 idle subscriptions
              --rate   writes/s of the latency part (default 10: 10,000 deliveries/s to 1,000 subscribers, a tenth of
                       what the reference fans out on a 2-CPU machine; one write at a time, no batching)
              --meta   a line for the report's settings (the suite states how it started the servers)
              --in-flight  writes not yet delivered to every subscriber that the throughput writer allows (default 64)
              --idle-collections  LumaDB collections (default shard count) the idle subscriptions spread over (4)""";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int MAX_WRITES = 4_000_000;
    private static final int DOCUMENT_BYTES = 120;
    private static final String DATABASE = "streambench";
    private static final int MAX_CONNECTING = 64;

    /** Settings of a run. */
    record Options(
            Path json,
            String lumadbUrl,
            long lumadbPid,
            String referenceUrl,
            long referencePid,
            boolean quick,
            int subscribers,
            int idle,
            int idleCollections,
            double rate,
            int inFlight,
            int rounds,
            Duration warmup,
            Duration window,
            Duration latencyWarmup,
            Duration latencyWindow,
            List<String> parts,
            Map<String, String> meta) {

        static Options parse(String[] args) {
            boolean quick = Arrays.asList(args).contains("--quick");
            Path json = null;
            String lumadbUrl = null;
            long lumadbPid = -1;
            String referenceUrl = null;
            long referencePid = -1;
            int subscribers = quick ? 200 : 1000;
            // Quick: LumaDB opens some 50-100 subscriptions a second on one busy CPU, so 1,000 keeps the
            // section near a minute; the heap per subscription is the same at 1,000 and 2,000.
            int idle = quick ? 1000 : 10_000;
            int idleCollections = 4;
            double rate = 10;
            int inFlight = 64;
            int rounds = quick ? 1 : 3;
            double warmup = quick ? 1.5 : 3;
            double window = quick ? 3 : 10;
            double latencyWarmup = quick ? 1 : 2;
            double latencyWindow = quick ? 4 : 15;
            List<String> parts = List.of("throughput", "latency", "idle");
            Map<String, String> meta = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> {}
                    case "--json" -> json = Path.of(args[++i]);
                    case "--lumadb-url" -> lumadbUrl = args[++i];
                    case "--lumadb-pid" -> lumadbPid = Long.parseLong(args[++i]);
                    case "--reference-url" -> referenceUrl = args[++i];
                    case "--reference-pid" -> referencePid = Long.parseLong(args[++i]);
                    case "--subscribers" -> subscribers = Integer.parseInt(args[++i]);
                    case "--idle" -> idle = Integer.parseInt(args[++i]);
                    case "--idle-collections" -> idleCollections = Integer.parseInt(args[++i]);
                    case "--rate" -> rate = Double.parseDouble(args[++i]);
                    case "--meta" -> {
                        String kv = args[++i];
                        int eq = kv.indexOf('=');
                        if (eq <= 0) {
                            throw new IllegalArgumentException("--meta takes key=value, got " + kv);
                        }
                        meta.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    case "--in-flight" -> inFlight = Integer.parseInt(args[++i]);
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                    case "--window" -> window = Double.parseDouble(args[++i]);
                    case "--latency-window" -> latencyWindow = Double.parseDouble(args[++i]);
                    case "--parts" -> parts = List.of(args[++i].split(","));
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "\n" + USAGE);
                }
            }
            if (json == null) {
                throw new IllegalArgumentException("--json is required\n" + USAGE);
            }
            if (lumadbUrl == null && referenceUrl == null) {
                throw new IllegalArgumentException("give --lumadb-url, --reference-url or both\n" + USAGE);
            }
            if (subscribers < 1 || idle < 0 || idleCollections < 1 || rate <= 0 || inFlight < 1 || rounds < 1) {
                throw new IllegalArgumentException("--subscribers, --idle-collections, --in-flight and --rounds must be"
                        + " at least 1, --rate positive, --idle not negative");
            }
            for (String p : parts) {
                if (!List.of("throughput", "latency", "idle").contains(p)) {
                    throw new IllegalArgumentException(
                            "unknown part '" + p + "'; the parts are throughput,latency,idle");
                }
            }
            return new Options(
                    json,
                    lumadbUrl,
                    lumadbPid,
                    referenceUrl,
                    referencePid,
                    quick,
                    subscribers,
                    idle,
                    idleCollections,
                    rate,
                    inFlight,
                    rounds,
                    seconds(warmup),
                    seconds(window),
                    seconds(latencyWarmup),
                    seconds(latencyWindow),
                    parts,
                    meta);
        }

        private static Duration seconds(double s) {
            return Duration.ofMillis((long) (s * 1000));
        }
    }

    /** One system under test: where to subscribe and how to write. */
    private interface Server {
        String name();

        InetSocketAddress address();

        long pid();

        /** Prepares a fresh stream for one measurement and returns its subscribe path. */
        String prepare(String stream) throws IOException;

        /** The request of write {@code n} to the stream last prepared. */
        byte[] write(long n, long sentNanos);

        /** Prepares {@code count} streams for idle subscriptions; returns their paths. */
        List<String> prepareIdle(int count) throws IOException;

        String idleLayout(int count);
    }

    private final Options options;
    private final List<String> failures = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final List<StreamReport.Throughput> throughput = new ArrayList<>();
    private final List<StreamReport.Latency> latency = new ArrayList<>();
    private final List<StreamReport.Idle> idle = new ArrayList<>();
    private double rate;

    private StreamBenchmark(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(USAGE);
            return;
        }
        Options options = Options.parse(args);
        StreamReport report = new StreamBenchmark(options).run();
        MAPPER.enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(options.json().toFile(), report);
        if (!report.ok()) {
            log("FAILED:%n  %s", String.join("\n  ", report.failures()));
            System.exit(1);
        }
    }

    StreamReport run() {
        int idleCount = idleWithinFileLimit();
        settings.put("subscribers", options.subscribers() + " SSE connections, one NIO selector thread");
        settings.put(
                "writer",
                "one writer; documents of about " + DOCUMENT_BYTES + " bytes carrying their number and send time;"
                        + " LumaDB: PUT of a new document into a 1-shard collection (answered after fsync);"
                        + " reference: POST /publish");
        settings.put(
                "throughput",
                String.format(
                        Locale.ROOT,
                        "writer waits only for the fan-out: at most %d writes not yet received by every subscriber"
                                + " (%d connections); %.0f s warm-up, %.0f s measured",
                        options.inFlight(),
                        options.inFlight(),
                        options.warmup().toMillis() / 1000.0,
                        options.window().toMillis() / 1000.0));
        settings.put("latency", "(not run)");
        settings.put(
                "idle",
                String.format(
                        Locale.ROOT,
                        "%,d subscriptions (from=now), heap after jcmd GC.run before and after",
                        idleCount));
        settings.putAll(options.meta());
        settings.put("load average at start", loadAverage());
        settings.put("load average at end", "");
        settings.put("rounds", options.rounds() + (options.rounds() > 1 ? " (medians; systems alternate)" : ""));
        settings.put(
                "checks",
                "every subscriber must receive every acknowledged write exactly once, in the server's"
                        + " order (source.seq, source.index); losses, duplicates, reordering, overflows and failed writes"
                        + " fail the run");
        List<Server> systems = new ArrayList<>();
        try {
            if (options.referenceUrl() != null) {
                systems.add(new Reference(address(options.referenceUrl()), options.referencePid()));
            }
            if (options.lumadbUrl() != null) {
                systems.add(new LumaDb(address(options.lumadbUrl()), options.lumadbPid()));
            }
            if (options.parts().contains("throughput")) {
                for (int round = 1; round <= options.rounds(); round++) {
                    for (Server s : order(systems, round)) {
                        throughput(s, round);
                    }
                }
            }
            if (options.parts().contains("latency")) {
                rate = latencyRate();
                for (int round = 1; round <= options.rounds(); round++) {
                    for (Server s : order(systems, round)) {
                        latency(s, round);
                    }
                }
            }
            if (options.parts().contains("idle") && idleCount > 0) {
                for (Server s : systems) {
                    idle(s, idleCount);
                }
            }
        } catch (Exception e) {
            failures.add("the benchmark stopped: " + e);
            e.printStackTrace();
        }
        settings.put("load average at end", loadAverage());
        return new StreamReport(
                failures.isEmpty() ? "ok" : "failed", failures, settings, throughput, latency, idle, notes);
    }

    /** Alternates which system goes first, so that neither always meets a warmer (or busier) machine. */
    private static List<Server> order(List<Server> systems, int round) {
        List<Server> order = new ArrayList<>(systems);
        if (round % 2 == 0) {
            java.util.Collections.reverse(order);
        }
        return order;
    }

    /** The latency part's write rate, stated in the settings. */
    private double latencyRate() {
        double r = options.rate();
        settings.put(
                "latency",
                String.format(
                        Locale.ROOT,
                        "open loop at %s writes/s (%,.0f deliveries/s), 8 writer connections; latency from the"
                                + " write's due send time to the subscriber's read (for LumaDB this includes the"
                                + " durable commit); %.0f s warm-up, %.0f s measured",
                        rateText(r),
                        r * options.subscribers(),
                        options.latencyWarmup().toMillis() / 1000.0,
                        options.latencyWindow().toMillis() / 1000.0));
        return r;
    }

    public static String rateText(double r) {
        return r == Math.rint(r) ? Long.toString((long) r) : String.format(Locale.ROOT, "%.1f", r);
    }

    private int idleWithinFileLimit() {
        long limit = ProcessProbe.openFilesLimit();
        int wanted = options.idle();
        if (limit > 0 && wanted + 512 > limit) {
            int fits = (int) Math.max(0, limit - 512);
            notes.add(String.format(
                    Locale.ROOT,
                    "open-files limit (ulimit -n) is %d: %,d idle subscriptions instead of %,d; raise it"
                            + " (bin/bench raises the soft limit to the hard one)",
                    limit,
                    fits,
                    wanted));
            return fits;
        }
        return wanted;
    }

    // ---- measurements

    private void throughput(Server s, int round) throws Exception {
        log(
                "%s round %d: throughput, %d subscribers, %d writes in flight",
                s.name(), round, options.subscribers(), options.inFlight());
        String path = s.prepare("t" + round);
        try (SubscriberPool pool = new SubscriberPool(s.address(), MAX_CONNECTING, MAX_WRITES)) {
            if (!subscribe(pool, s, path, "throughput round " + round)) {
                return;
            }
            Semaphore permits = new Semaphore(options.inFlight());
            pool.onAllDelivered(n -> permits.release());
            Writer writer = new Writer(s.address(), s::write, options.inFlight(), MAX_WRITES);
            writer.closedLoop(permits, Duration.ofSeconds(10));
            Thread.sleep(options.warmup().toMillis());
            Window w = new Window(s, pool, writer);
            Thread.sleep(options.window().toMillis());
            Window.End end = w.end();
            writer.stop();
            StreamReport.Check check = finish(s, pool, writer, "throughput round " + round);
            StreamReport.Throughput t = new StreamReport.Throughput(
                    s.name(),
                    round,
                    options.subscribers(),
                    options.inFlight(),
                    end.seconds,
                    end.writes,
                    end.deliveries,
                    end.writes / end.seconds,
                    end.deliveries / end.seconds,
                    ms(end.latency.getValueAtPercentile(50)),
                    ms(end.latency.getValueAtPercentile(99)),
                    ms(end.latency.getMaxValue()),
                    end.serverCpu,
                    end.clientCpu,
                    end.deliveries == 0 ? Double.NaN : (double) end.bytes / end.deliveries,
                    check);
            throughput.add(t);
            log(
                    "  %,.0f deliveries/s (%,.0f writes/s), p50 %.1f ms, p99 %.1f ms; server %.2f CPU, client %.2f CPU,"
                            + " %.0f bytes/delivery%s",
                    t.deliveriesPerSec(),
                    t.writesPerSec(),
                    t.p50Ms(),
                    t.p99Ms(),
                    t.serverCpu(),
                    t.clientCpu(),
                    t.bytesPerDelivery(),
                    check.clean() ? "" : "; " + String.join("; ", check.problems()));
        }
    }

    private void latency(Server s, int round) throws Exception {
        log(
                "%s round %d: latency at %s writes/s, %d subscribers",
                s.name(), round, rateText(rate), options.subscribers());
        String path = s.prepare("l" + round);
        try (SubscriberPool pool = new SubscriberPool(s.address(), MAX_CONNECTING, MAX_WRITES)) {
            if (!subscribe(pool, s, path, "latency round " + round)) {
                return;
            }
            Writer writer = new Writer(s.address(), s::write, 8, MAX_WRITES);
            writer.openLoop(rate);
            Thread.sleep(options.latencyWarmup().toMillis());
            Window w = new Window(s, pool, writer);
            writer.ackLatencyInterval();
            Thread.sleep(options.latencyWindow().toMillis());
            Window.End end = w.end();
            Histogram ack = writer.ackLatencyInterval();
            writer.stop();
            StreamReport.Check check = finish(s, pool, writer, "latency round " + round);
            Histogram h = end.latency;
            StreamReport.Latency l = new StreamReport.Latency(
                    s.name(),
                    round,
                    options.subscribers(),
                    rate,
                    end.seconds,
                    end.writes,
                    end.deliveries,
                    ms(h.getValueAtPercentile(50)),
                    ms(h.getValueAtPercentile(90)),
                    ms(h.getValueAtPercentile(99)),
                    ms(h.getValueAtPercentile(99.9)),
                    ms(h.getMaxValue()),
                    ms(ack.getValueAtPercentile(50)),
                    ms(ack.getValueAtPercentile(99)),
                    ms(writer.lag().getMaxValue()),
                    end.serverCpu,
                    end.clientCpu,
                    check);
            latency.add(l);
            log(
                    "  p50 %.2f ms, p99 %.2f ms, max %.1f ms over %,d deliveries; write ack p50 %.2f ms p99 %.2f ms;"
                            + " server %.2f CPU%s",
                    l.p50Ms(),
                    l.p99Ms(),
                    l.maxMs(),
                    l.deliveries(),
                    l.ackP50Ms(),
                    l.ackP99Ms(),
                    l.serverCpu(),
                    check.clean() ? "" : "; " + String.join("; ", check.problems()));
        }
    }

    private void idle(Server s, int count) throws Exception {
        log("%s: %,d idle subscriptions", s.name(), count);
        if (s.pid() <= 0) {
            notes.add(s.name() + ": no process id given, so no heap reading of idle subscriptions");
            return;
        }
        List<String> paths = s.prepareIdle(options.idleCollections());
        Thread.sleep(1000); // let the connections of earlier measurements be torn down
        ProcessProbe.Heap before = ProcessProbe.heap(s.pid());
        long started = System.nanoTime();
        try (SubscriberPool pool = new SubscriberPool(s.address(), MAX_CONNECTING, 1)) {
            pool.open(count, i -> paths.get(i % paths.size()));
            boolean all = pool.awaitSubscribed(Duration.ofSeconds(Math.max(120, count / 20)));
            double openSeconds = (System.nanoTime() - started) / 1e9;
            Thread.sleep(1000); // let the subscriptions settle (attach to their shards' feeds)
            int subscribed = pool.subscribed();
            ProcessProbe.Heap after = ProcessProbe.heap(s.pid());
            SubscriberPool.Check check = pool.check(new java.util.BitSet());
            String problem = null;
            if (!all || subscribed < count) {
                problem = (count - subscribed) + " of " + count + " idle subscriptions did not subscribe ("
                        + String.join("; ", check.samples()) + ")";
                failures.add(s.name() + " idle subscriptions: " + problem);
            } else if (!check.clean()) {
                problem = String.join("; ", check.problems());
                failures.add(s.name() + " idle subscriptions: " + problem);
            }
            double heapDelta = after.usedMb() - before.usedMb();
            double liveDelta = (after.liveBytes() - before.liveBytes()) / 1024.0 / 1024.0;
            StreamReport.Idle r = new StreamReport.Idle(
                    s.name(),
                    count,
                    subscribed,
                    s.idleLayout(options.idleCollections()),
                    openSeconds,
                    before.usedMb(),
                    after.usedMb(),
                    heapDelta,
                    before.liveBytes() / 1024.0 / 1024.0,
                    after.liveBytes() / 1024.0 / 1024.0,
                    liveDelta,
                    subscribed == 0 ? Double.NaN : heapDelta * 1024 / subscribed,
                    subscribed == 0 ? Double.NaN : liveDelta * 1024 / subscribed,
                    ProcessProbe.growth(before, after, 10),
                    problem);
            idle.add(r);
            log(
                    "  opened in %.1f s; heap +%.0f MB (%.1f KB each), live objects +%.1f MB (%.1f KB each)",
                    openSeconds, heapDelta, r.kbPerSubscription(), liveDelta, r.liveKbPerSubscription());
        }
    }

    private boolean subscribe(SubscriberPool pool, Server s, String path, String what) throws InterruptedException {
        long started = System.nanoTime();
        pool.open(options.subscribers(), i -> path);
        if (!pool.awaitSubscribed(Duration.ofSeconds(120))) {
            SubscriberPool.Check c = pool.check(new java.util.BitSet());
            failures.add(s.name() + " " + what + ": only " + pool.subscribed() + " of " + options.subscribers()
                    + " subscribers subscribed (" + String.join("; ", c.samples()) + ")");
            return false;
        }
        log("  %d subscribed in %.1f s", pool.subscribed(), (System.nanoTime() - started) / 1e9);
        return true;
    }

    /** Waits for the last writes to arrive, then checks every subscriber against the acknowledged writes. */
    private StreamReport.Check finish(Server s, SubscriberPool pool, Writer writer, String what)
            throws InterruptedException {
        java.util.BitSet acked = writer.acknowledged();
        pool.awaitReceived(acked.cardinality(), Duration.ofSeconds(30));
        StreamReport.Check check = new StreamReport.Check(
                pool.check(acked), acked.cardinality(), writer.errors(), writer.errorSamples(), writer.stalled());
        if (!check.clean()) {
            failures.add(s.name() + " " + what + ": " + String.join("; ", check.problems()) + " — "
                    + String.join(" | ", check.subscribers().samples()));
        }
        return check;
    }

    /** A measured window: deliveries, writes, bytes, latencies and CPU between its start and {@link #end}. */
    private static final class Window {
        final Server system;
        final SubscriberPool pool;
        final Writer writer;
        final long start = System.nanoTime();
        final long deliveries;
        final long writes;
        final long bytes;
        final double serverCpu;
        final double clientCpu;

        record End(
                double seconds,
                long deliveries,
                long writes,
                long bytes,
                Histogram latency,
                double serverCpu,
                double clientCpu) {}

        Window(Server system, SubscriberPool pool, Writer writer) {
            this.system = system;
            this.pool = pool;
            this.writer = writer;
            pool.latencyInterval(); // drops the warm-up's latencies
            deliveries = pool.deliveries();
            writes = writer.started();
            bytes = pool.bytes();
            serverCpu = ProcessProbe.cpuSeconds(system.pid());
            clientCpu = clientCpuSeconds();
        }

        End end() {
            Histogram latency = pool.latencyInterval();
            double seconds = (System.nanoTime() - start) / 1e9;
            return new End(
                    seconds,
                    pool.deliveries() - deliveries,
                    writer.started() - writes,
                    pool.bytes() - bytes,
                    latency,
                    (ProcessProbe.cpuSeconds(system.pid()) - serverCpu) / seconds,
                    (clientCpuSeconds() - clientCpu) / seconds);
        }

        private static double clientCpuSeconds() {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                return os.getProcessCpuTime() / 1e9;
            }
            return Double.NaN;
        }
    }

    /** The 1, 5 and 15 minute load averages: how busy the machine was besides this benchmark. */
    private static String loadAverage() {
        try {
            String[] f =
                    java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ");
            long cpus = java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("processor"))
                    .count();
            return f[0] + " " + f[1] + " " + f[2] + " (1, 5, 15 min; the machine has " + cpus + " CPUs)";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    // ---- the systems

    /** A server process at an address: what both servers share. */
    private abstract static class Endpoint implements Server {
        final InetSocketAddress address;
        final long pid;
        final String host;

        Endpoint(InetSocketAddress address, long pid) {
            this.address = address;
            this.pid = pid;
            this.host = address.getHostString() + ":" + address.getPort();
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public long pid() {
            return pid;
        }
    }

    private static final class Reference extends Endpoint {
        Reference(InetSocketAddress address, long pid) {
            super(address, pid);
        }

        @Override
        public String name() {
            return StreamReport.REFERENCE;
        }

        @Override
        public String prepare(String stream) {
            return "/events";
        }

        @Override
        public byte[] write(long n, long sentNanos) {
            return RequestBytes.request(
                    "POST", host, "/publish", "application/json", ChangeFrames.document(n, sentNanos, DOCUMENT_BYTES));
        }

        @Override
        public List<String> prepareIdle(int count) {
            return List.of("/events");
        }

        @Override
        public String idleLayout(int count) {
            return "one broadcast stream";
        }
    }

    private static final class LumaDb extends Endpoint {
        private volatile String collection;

        LumaDb(InetSocketAddress address, long pid) throws IOException {
            super(address, pid);
            put("/api/v1/" + DATABASE, null);
        }

        @Override
        public String name() {
            return StreamReport.LUMADB;
        }

        /** A fresh 1-shard collection: one ordered journal, the order subscribers are checked against. */
        @Override
        public String prepare(String stream) throws IOException {
            String name = "fanout-" + stream;
            put("/api/v1/" + DATABASE + "/" + name, "{\"shards\":1}");
            collection = name;
            return "/api/v1/" + DATABASE + "/" + name + "/_changes?from=now";
        }

        @Override
        public byte[] write(long n, long sentNanos) {
            return RequestBytes.request(
                    "PUT",
                    host,
                    "/api/v1/" + DATABASE + "/" + collection + "/w" + n,
                    "application/json",
                    ChangeFrames.document(n, sentNanos, DOCUMENT_BYTES));
        }

        @Override
        public List<String> prepareIdle(int count) throws IOException {
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String name = "idle-" + i;
                put("/api/v1/" + DATABASE + "/" + name, null);
                paths.add("/api/v1/" + DATABASE + "/" + name + "/_changes?from=now");
            }
            return paths;
        }

        @Override
        public String idleLayout(int count) {
            return count + " collections with the default shard count, subscriptions spread evenly";
        }

        private void put(String path, String json) throws IOException {
            try (HttpConnection c = new HttpConnection(address, 30_000)) {
                byte[] request = json == null
                        ? RequestBytes.request("PUT", host, path)
                        : RequestBytes.request(
                                "PUT", host, path, "application/json", json.getBytes(StandardCharsets.UTF_8));
                int status = c.exchange(request);
                if (status / 100 != 2) {
                    throw new IOException("PUT " + path + " answered " + status + ": " + c.bodyString());
                }
            }
        }
    }

    private static InetSocketAddress address(String url) {
        URI u = URI.create(url);
        return new InetSocketAddress(u.getHost(), u.getPort());
    }

    private static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, format + "%n", args);
        System.out.flush();
    }
}

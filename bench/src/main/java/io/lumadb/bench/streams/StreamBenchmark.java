package io.lumadb.bench.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lumadb.bench.Cli;
import io.lumadb.bench.Machine;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
@Command(
        name = "StreamBenchmark",
        mixinStandardHelpOptions = true,
        description = "Change-stream fan-out: one writer, many SSE subscribers, LumaDB against a trivial broadcast"
                + " server.",
        footer = "Default: 1,000 subscribers; 3 rounds (medians, systems alternating) of throughput (3 s warm-up +"
                + " 10 s), then 3 rounds of latency (2 s warm-up + 15 s); then 10,000 idle subscriptions per system.")
public final class StreamBenchmark implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int MAX_WRITES = 4_000_000;
    private static final int MAX_CONNECTING = 64;

    @Option(names = "--json", required = true, description = "where the report goes")
    private Path json;

    @Option(names = "--lumadb-url", description = "the LumaDB node")
    private String lumadbUrl;

    @Option(names = "--lumadb-pid", description = "the node's process id (for its CPU and heap)")
    private long lumadbPid = -1;

    @Option(names = "--reference-url", description = "the reference broadcast server")
    private String referenceUrl;

    @Option(names = "--reference-pid", description = "the reference's process id")
    private long referencePid = -1;

    @Option(
            names = "--quick",
            description = "200 subscribers, 1 round (1.5 s + 3 s throughput, 1 s + 4 s latency),"
                    + " 1,000 idle subscriptions")
    private boolean quick;

    @Option(names = "--subscribers", description = "SSE subscribers (default 1,000; quick 200)")
    private Integer subscribers;

    // Quick: LumaDB opens some 50-100 subscriptions a second on one busy CPU, so 1,000 keeps the
    // section near a minute; the heap per subscription is the same at 1,000 and 2,000.
    @Option(names = "--idle", description = "idle subscriptions per system (default 10,000; quick 1,000)")
    private Integer idleSubscriptions;

    @Option(
            names = "--idle-collections",
            description = "LumaDB collections (default shard count) the idle subscriptions spread over (4)")
    private int idleCollections = 4;

    @Option(
            names = "--rate",
            description = "writes/s of the latency part (default 10: 10,000 deliveries/s to 1,000 subscribers, a"
                    + " tenth of what the reference fans out on a 2-CPU machine; one write at a time, no batching)")
    private double writeRate = 10;

    @Option(
            names = "--in-flight",
            description = "writes not yet delivered to every subscriber that the throughput writer allows (default 64)")
    private int inFlight = 64;

    @Option(names = "--rounds", description = "rounds, reported as medians, systems alternating (default 3; quick 1)")
    private Integer rounds;

    @Option(names = "--warmup", description = "throughput warm-up (default 3 s; quick 1.5 s)")
    private Duration warmup;

    @Option(names = "--window", description = "throughput window (default 10 s; quick 3 s)")
    private Duration window;

    private Duration latencyWarmup;

    @Option(names = "--latency-window", description = "latency window (default 15 s; quick 4 s)")
    private Duration latencyWindow;

    @Option(
            names = "--parts",
            split = ",",
            description = "throughput,latency,idle,idle-ws (default all; idle-ws: LumaDB's WebSocket only)")
    private List<String> parts = List.of("throughput", "latency", "idle", "idle-ws");

    @Option(
            names = "--ws-per-connection",
            description = "idle-ws: subscriptions per WebSocket connection (default 100; at most the node's"
                    + " lumadb.http.websocket.max-subscriptions, 256)")
    private int wsPerConnection = 100;

    @Option(
            names = "--meta",
            description = "a line for the report's settings (the suite states how it started the servers)")
    private Map<String, String> meta = new LinkedHashMap<>();

    private final List<String> failures = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final List<StreamReport.Throughput> throughput = new ArrayList<>();
    private final List<StreamReport.Latency> latency = new ArrayList<>();
    private final List<StreamReport.Idle> idle = new ArrayList<>();

    public static void main(String[] args) {
        Cli.exit(new StreamBenchmark(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (lumadbUrl == null && referenceUrl == null) {
            throw new IllegalArgumentException("give --lumadb-url, --reference-url or both");
        }
        Cli.check("--parts", parts, List.of("throughput", "latency", "idle", "idle-ws"));
        subscribers = Cli.orDefault(subscribers, quick, 200, 1000);
        idleSubscriptions = Cli.orDefault(idleSubscriptions, quick, 1000, 10_000);
        rounds = Cli.orDefault(rounds, quick, 1, 3);
        warmup = Cli.orDefault(warmup, quick, Duration.ofMillis(1500), Duration.ofMillis(3000));
        window = Cli.orDefault(window, quick, Duration.ofSeconds(3), Duration.ofSeconds(10));
        latencyWarmup = Duration.ofSeconds(quick ? 1 : 2);
        latencyWindow = Cli.orDefault(latencyWindow, quick, Duration.ofSeconds(4), Duration.ofSeconds(15));
        if (subscribers < 1
                || idleSubscriptions < 0
                || idleCollections < 1
                || writeRate <= 0
                || inFlight < 1
                || rounds < 1
                || wsPerConnection < 1) {
            throw new IllegalArgumentException("--subscribers, --idle-collections, --in-flight, --rounds and"
                    + " --ws-per-connection must be"
                    + " at least 1, --rate positive, --idle not negative");
        }
        StreamReport report = run();
        MAPPER.enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
        if (!report.ok()) {
            log("FAILED:%n  %s", String.join("\n  ", report.failures()));
            return 1;
        }
        return 0;
    }

    StreamReport run() {
        int idleCount = idleWithinFileLimit();
        settings.put("subscribers", subscribers + " SSE connections, one Netty event-loop thread");
        settings.put(
                "writer",
                "one writer; documents of about " + StreamServer.DOCUMENT_BYTES
                        + " bytes carrying their number and send time;"
                        + " LumaDB: PUT of a new document into a 1-shard collection (answered after fsync);"
                        + " reference: POST /publish");
        settings.put(
                "throughput",
                String.format(
                        Locale.ROOT,
                        "writer waits only for the fan-out: at most %d writes not yet received by every subscriber"
                                + " (%d connections); %.0f s warm-up, %.0f s measured",
                        inFlight,
                        inFlight,
                        warmup.toMillis() / 1000.0,
                        window.toMillis() / 1000.0));
        settings.put("latency", "(not run)");
        settings.put(
                "idle",
                String.format(
                        Locale.ROOT,
                        "%,d subscriptions (from=now), heap after jcmd GC.run before and after; LumaDB also"
                                + " %,d over WebSocket connections of %d subscriptions each",
                        idleCount,
                        idleSubscriptions,
                        wsPerConnection));
        settings.putAll(meta);
        settings.put("load average at start", loadAverage());
        settings.put("load average at end", "");
        settings.put("rounds", rounds + (rounds > 1 ? " (medians; systems alternate)" : ""));
        settings.put(
                "checks",
                "every subscriber must receive every acknowledged write exactly once, in the server's"
                        + " order (source.seq, source.index); losses, duplicates, reordering, overflows and failed writes"
                        + " fail the run");
        List<StreamServer> systems = new ArrayList<>();
        try {
            if (referenceUrl != null) {
                systems.add(new StreamServer.Reference(address(referenceUrl), referencePid));
            }
            if (lumadbUrl != null) {
                systems.add(new StreamServer.LumaDb(address(lumadbUrl), lumadbPid));
            }
            if (parts.contains("latency")) {
                settings.put(
                        "latency",
                        String.format(
                                Locale.ROOT,
                                "open loop at %s writes/s (%,.0f deliveries/s), 8 writer connections; latency from"
                                        + " the write's due send time to the subscriber's read (for LumaDB this"
                                        + " includes the durable commit); %.0f s warm-up, %.0f s measured",
                                rateText(writeRate),
                                writeRate * subscribers,
                                latencyWarmup.toMillis() / 1000.0,
                                latencyWindow.toMillis() / 1000.0));
            }
            for (String part :
                    Stream.of("throughput", "latency").filter(parts::contains).toList()) {
                for (int round = 1; round <= rounds; round++) {
                    // Alternates which system goes first, so that neither always meets a warmer (or busier) machine.
                    List<StreamServer> order = new ArrayList<>(systems);
                    if (round % 2 == 0) {
                        Collections.reverse(order);
                    }
                    for (StreamServer s : order) {
                        measure(s, part, round);
                    }
                }
            }
            // WebSocket first: its few connections are gone at once, where thousands of SSE
            // connections take a while to be torn down after their measurement.
            if (parts.contains("idle-ws") && idleSubscriptions > 0) {
                for (StreamServer s : systems) {
                    if (s instanceof StreamServer.LumaDb luma) {
                        idleWebSocket(luma, idleSubscriptions);
                    }
                }
            }
            if (parts.contains("idle") && idleCount > 0) {
                for (StreamServer s : systems) {
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

    public static String rateText(double r) {
        return r == Math.rint(r) ? Long.toString((long) r) : String.format(Locale.ROOT, "%.1f", r);
    }

    private int idleWithinFileLimit() {
        long limit = ProcessProbe.openFilesLimit();
        int wanted = idleSubscriptions;
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

    /**
     * One round of the throughput part (the writer waits for the fan-out) or the latency part (the
     * writer keeps {@code --rate} in an open loop): subscribe, write through a warm-up, measure a
     * window, then check every subscriber against the acknowledged writes.
     */
    private void measure(StreamServer s, String part, int round) throws Exception {
        boolean open = part.equals("latency");
        if (open) {
            log("%s round %d: latency at %s writes/s, %d subscribers", s.name, round, rateText(writeRate), subscribers);
        } else {
            log("%s round %d: throughput, %d subscribers, %d writes in flight", s.name, round, subscribers, inFlight);
        }
        String what = part + " round " + round;
        String path = s.prepare(part.charAt(0) + Integer.toString(round));
        try (SubscriberPool pool = new SubscriberPool(s.address, MAX_CONNECTING, MAX_WRITES)) {
            if (!subscribe(pool, s, path, what)) {
                return;
            }
            Writer writer = new Writer(s.address, s::write, open ? 8 : inFlight, MAX_WRITES);
            if (open) {
                writer.openLoop(writeRate);
            } else {
                Semaphore permits = new Semaphore(inFlight);
                pool.onAllDelivered(n -> permits.release());
                writer.closedLoop(permits, Duration.ofSeconds(10));
            }
            Thread.sleep((open ? latencyWarmup : warmup).toMillis());
            pool.latencyInterval(); // drops the warm-up's latencies
            writer.ackLatencyInterval();
            Reading start = new Reading(s, pool, writer);
            Thread.sleep((open ? latencyWindow : window).toMillis());
            Histogram h = pool.latencyInterval();
            Reading end = new Reading(s, pool, writer);
            Histogram ack = writer.ackLatencyInterval();
            writer.stop();
            StreamReport.Check check = finish(s, pool, writer, what);
            double seconds = (end.nanos - start.nanos) / 1e9;
            long writes = end.writes - start.writes;
            long deliveries = end.deliveries - start.deliveries;
            double serverCpu = (end.serverCpu - start.serverCpu) / seconds;
            double clientCpu = (end.clientCpu - start.clientCpu) / seconds;
            String problems = check.clean() ? "" : "; " + String.join("; ", check.problems());
            if (open) {
                StreamReport.Latency l = new StreamReport.Latency(
                        s.name,
                        round,
                        subscribers,
                        writeRate,
                        seconds,
                        writes,
                        deliveries,
                        ms(h.getValueAtPercentile(50)),
                        ms(h.getValueAtPercentile(90)),
                        ms(h.getValueAtPercentile(99)),
                        ms(h.getValueAtPercentile(99.9)),
                        ms(h.getMaxValue()),
                        ms(ack.getValueAtPercentile(50)),
                        ms(ack.getValueAtPercentile(99)),
                        ms(writer.lag().getMaxValue()),
                        serverCpu,
                        clientCpu,
                        check);
                latency.add(l);
                log(
                        "  p50 %.2f ms, p99 %.2f ms, max %.1f ms over %,d deliveries; write ack p50 %.2f ms p99 %.2f"
                                + " ms; server %.2f CPU%s",
                        l.p50Ms(),
                        l.p99Ms(),
                        l.maxMs(),
                        l.deliveries(),
                        l.ackP50Ms(),
                        l.ackP99Ms(),
                        l.serverCpu(),
                        problems);
            } else {
                StreamReport.Throughput t = new StreamReport.Throughput(
                        s.name,
                        round,
                        subscribers,
                        inFlight,
                        seconds,
                        writes,
                        deliveries,
                        writes / seconds,
                        deliveries / seconds,
                        ms(h.getValueAtPercentile(50)),
                        ms(h.getValueAtPercentile(99)),
                        ms(h.getMaxValue()),
                        serverCpu,
                        clientCpu,
                        deliveries == 0 ? Double.NaN : (double) (end.bytes - start.bytes) / deliveries,
                        check);
                throughput.add(t);
                log(
                        "  %,.0f deliveries/s (%,.0f writes/s), p50 %.1f ms, p99 %.1f ms; server %.2f CPU, client"
                                + " %.2f CPU, %.0f bytes/delivery%s",
                        t.deliveriesPerSec(),
                        t.writesPerSec(),
                        t.p50Ms(),
                        t.p99Ms(),
                        t.serverCpu(),
                        t.clientCpu(),
                        t.bytesPerDelivery(),
                        problems);
            }
        }
    }

    /** The counters a measured window is the difference of, read at its start and at its end. */
    private record Reading(long nanos, long deliveries, long writes, long bytes, double serverCpu, double clientCpu) {
        Reading(StreamServer s, SubscriberPool pool, Writer writer) {
            this(
                    System.nanoTime(),
                    pool.deliveries(),
                    writer.started(),
                    pool.bytes(),
                    ProcessProbe.cpuSeconds(s.pid),
                    ProcessProbe.cpuSeconds(ProcessHandle.current().pid()));
        }
    }

    private void idle(StreamServer s, int count) throws Exception {
        log("%s: %,d idle subscriptions", s.name, count);
        if (s.pid <= 0) {
            notes.add(s.name + ": no process id given, so no heap reading of idle subscriptions");
            return;
        }
        List<String> paths = s.prepareIdle(idleCollections);
        if (s instanceof StreamServer.LumaDb luma) {
            luma.awaitNoSubscriptions(Duration.ofSeconds(60));
        }
        try (SubscriberPool pool = new SubscriberPool(s.address, MAX_CONNECTING, 1)) {
            measureIdle(
                    s.name,
                    s.idleLayout(idleCollections),
                    s.pid,
                    count,
                    () -> {
                        pool.open(count, i -> paths.get(i % paths.size()));
                        return pool.awaitSubscribed(Duration.ofSeconds(Math.max(120, count / 20)));
                    },
                    all -> {
                        int subscribed = pool.subscribed();
                        SubscriberPool.Check check = pool.check(new BitSet());
                        String problem = null;
                        if (!all || subscribed < count) {
                            problem = (count - subscribed) + " of " + count + " idle subscriptions did not subscribe ("
                                    + String.join("; ", check.samples()) + ")";
                        } else if (!check.clean()) {
                            problem = String.join("; ", check.problems());
                        }
                        return new Opened(subscribed, problem);
                    });
        }
    }

    /** LumaDB only (the reference has no WebSocket): idle subscriptions, {@link #wsPerConnection} per connection. */
    private void idleWebSocket(StreamServer.LumaDb s, int count) throws Exception {
        log("%s: %,d idle subscriptions over WebSocket, %d per connection", s.name, count, wsPerConnection);
        if (s.pid <= 0) {
            notes.add(s.name + ": no process id given, so no heap reading of idle WebSocket subscriptions");
            return;
        }
        List<String> collections = s.prepareIdleCollections(idleCollections);
        s.awaitNoSubscriptions(Duration.ofSeconds(60));
        String layout = String.format(
                Locale.ROOT,
                "%d WebSocket connections, %d subscriptions each, over %d collections with the default shard count",
                (count + wsPerConnection - 1) / wsPerConnection,
                wsPerConnection,
                idleCollections);
        try (WebSocketIdle sockets = new WebSocketIdle()) {
            measureIdle(
                    StreamReport.LUMADB_WEBSOCKET,
                    layout,
                    s.pid,
                    count,
                    () -> {
                        sockets.open(
                                s.webSocketUri(),
                                s.database(),
                                count,
                                wsPerConnection,
                                i -> collections.get(i % collections.size()));
                        return sockets.awaitSubscribed(count, Duration.ofSeconds(Math.max(120, count / 20)));
                    },
                    all -> {
                        String problem = null;
                        if (!all || !sockets.problems().isEmpty()) {
                            problem = (count - sockets.subscribed()) + " of " + count
                                    + " idle WebSocket subscriptions did not subscribe ("
                                    + String.join("; ", sockets.problems()) + ")";
                        }
                        return new Opened(sockets.subscribed(), problem);
                    });
        }
    }

    /** What opening the idle subscriptions gave: how many subscribed, and what went wrong (or null). */
    private record Opened(int subscribed, String problem) {}

    /**
     * The heap before {@code open} opens {@code count} idle subscriptions (true once all subscribed) and after
     * they settled; {@code settled} then says, given whether all subscribed, how many did and
     * what went wrong.
     */
    private void measureIdle(
            String system,
            String layout,
            long pid,
            int count,
            java.util.concurrent.Callable<Boolean> open,
            java.util.function.Function<Boolean, Opened> settled)
            throws Exception {
        Thread.sleep(1000); // let the connections of earlier measurements be torn down
        ProcessProbe.Heap before = ProcessProbe.heap(pid);
        long started = System.nanoTime();
        boolean all = open.call();
        double openSeconds = (System.nanoTime() - started) / 1e9;
        Thread.sleep(1000); // let the subscriptions settle (attach to their shards' feeds)
        Opened opened = settled.apply(all);
        ProcessProbe.Heap after = ProcessProbe.heap(pid);
        int subscribed = opened.subscribed();
        if (opened.problem() != null) {
            failures.add(system + " idle subscriptions: " + opened.problem());
        }
        double heapDelta = after.usedMb() - before.usedMb();
        double liveDelta = (after.liveBytes() - before.liveBytes()) / 1024.0 / 1024.0;
        StreamReport.Idle r = new StreamReport.Idle(
                system,
                count,
                subscribed,
                layout,
                openSeconds,
                before.usedMb(),
                after.usedMb(),
                heapDelta,
                before.liveBytes() / 1024.0 / 1024.0,
                after.liveBytes() / 1024.0 / 1024.0,
                liveDelta,
                subscribed == 0 ? Double.NaN : heapDelta * 1024 / subscribed,
                subscribed == 0 ? Double.NaN : liveDelta * 1024 / subscribed,
                ProcessProbe.growth(before, after, 20),
                opened.problem());
        idle.add(r);
        log(
                "  opened in %.1f s; heap +%.0f MB (%.1f KB each), live objects +%.1f MB (%.1f KB each)",
                openSeconds, heapDelta, r.kbPerSubscription(), liveDelta, r.liveKbPerSubscription());
    }

    private boolean subscribe(SubscriberPool pool, StreamServer s, String path, String what)
            throws InterruptedException {
        long started = System.nanoTime();
        pool.open(subscribers, i -> path);
        if (!pool.awaitSubscribed(Duration.ofSeconds(120))) {
            SubscriberPool.Check c = pool.check(new BitSet());
            failures.add(s.name + " " + what + ": only " + pool.subscribed() + " of " + subscribers
                    + " subscribers subscribed (" + String.join("; ", c.samples()) + ")");
            return false;
        }
        log("  %d subscribed in %.1f s", pool.subscribed(), (System.nanoTime() - started) / 1e9);
        return true;
    }

    /** Waits for the last writes to arrive, then checks every subscriber against the acknowledged writes. */
    private StreamReport.Check finish(StreamServer s, SubscriberPool pool, Writer writer, String what)
            throws InterruptedException {
        BitSet acked = writer.acknowledged();
        pool.awaitReceived(acked.cardinality(), Duration.ofSeconds(30));
        StreamReport.Check check = new StreamReport.Check(
                pool.check(acked), acked.cardinality(), writer.errors(), writer.errorSamples(), writer.stalled());
        if (!check.clean()) {
            failures.add(s.name + " " + what + ": " + String.join("; ", check.problems()) + " — "
                    + String.join(" | ", check.subscribers().samples()));
        }
        return check;
    }

    private static String loadAverage() {
        return Machine.loadAverage() + " (1, 5, 15 min; the machine has " + Machine.onlineCpus() + " CPUs)";
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
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

package io.lumadb.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.stream.LongStream;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * An HTTP/1.1 load generator: N client threads, each with its own keep-alive {@link
 * HttpConnection}, in one of two modes.
 *
 * <ul>
 *   <li><b>Closed loop</b> ({@code rate <= 0}): each connection sends its next request as soon as
 *       the previous response arrived. Measures the maximum throughput at that concurrency; the
 *       latency of a sample is send-to-response.
 *   <li><b>Open loop</b> ({@code rate > 0}): requests are due at fixed intervals ({@code rate}
 *       per second in total, spread evenly over the connections and staggered between them),
 *       whether or not earlier ones were answered. The latency of a sample is measured from its
 *       <em>intended</em> send time, so time a request spent waiting behind a slow predecessor
 *       counts against the server instead of silently vanishing (no coordinated omission).
 * </ul>
 *
 * <p>Both run a warm-up (nothing recorded but errors) and then a measured window. Guarantees:
 * every successful response in the window is recorded (no sampling, see {@link Stats});
 * every failure &mdash; a non-2xx status, a response the {@link ResponseCheck} refuses, an I/O
 * error or timeout, or (open loop) a request the client could not send in time &mdash; is
 * counted in {@link Result#errors()} with a sample of the exact request, and failures are
 * never counted as throughput. A result with errors must not be reported as a clean
 * measurement; {@link #main} exits non-zero for it.
 *
 * <p>Usable as a library ({@link #run}) and from the command line ({@link #main}).
 */
public final class HttpLoad {

    private HttpLoad() {}

    /** One encoded request: {@code length} bytes of {@code bytes} from {@code offset}. */
    public record Request(byte[] bytes, int offset, int length) {
        /** A request that is the whole of {@code bytes}. */
        public static Request of(byte[] bytes) {
            return new Request(bytes, 0, bytes.length);
        }
    }

    /**
     * Produces the requests of one client thread. Each thread gets its own source (see {@link
     * #run}), so a source may keep per-thread state (random generator, reusable buffers) without
     * locking; a returned request may be overwritten by the following {@link #next()} call.
     */
    @FunctionalInterface
    public interface RequestSource {
        Request next();
    }

    /** Judges a response: returns null when it is a success, or a short description of the failure. */
    @FunctionalInterface
    public interface ResponseCheck {
        String problem(int status, byte[] body, int bodyLength);
    }

    /** Any 2xx status is a success. */
    public static final ResponseCheck ANY_2XX =
            (status, body, length) -> status >= 200 && status < 300 ? null : "HTTP " + status;

    /**
     * What to run.
     *
     * @param name label for reports
     * @param target server address
     * @param connections client threads, one connection each
     * @param warmup time run before measuring (errors still count)
     * @param duration measured window
     * @param rate total requests per second for an open loop; 0 (or less) for a closed loop
     * @param timeout connect and read timeout of every request
     */
    public record Options(
            String name,
            InetSocketAddress target,
            int connections,
            Duration warmup,
            Duration duration,
            double rate,
            Duration timeout) {
        public Options {
            if (connections < 1) {
                throw new IllegalArgumentException("connections must be at least 1, got " + connections);
            }
            if (duration.isNegative() || duration.isZero() || warmup.isNegative()) {
                throw new IllegalArgumentException("duration must be positive and warm-up not negative");
            }
        }

        public boolean openLoop() {
            return rate > 0;
        }
    }

    /**
     * The outcome of a run.
     *
     * @param latencies every recorded latency of a successful response in the measured window, in
     *     nanoseconds, sorted ascending
     * @param sendLags open loop only (else empty): for each measured request whose connection was
     *     idle at its intended time, how late the client sent it, sorted; this is the client's own
     *     scheduling error, and large values mean the client, not the server, fell behind
     * @param queued open loop only: measured requests whose connection was still busy with the
     *     previous response at their intended time; their wait counts in their latency
     * @param measuredNanos length of the measured window (open loop: until the last measured
     *     response, at least the configured duration)
     * @param errors failures whose request was in the measured window
     * @param warmupErrors failures during the warm-up
     * @param errorKinds failure description to count, over both phases
     * @param errorSamples the first few failures, each with the exact request and what came back
     * @param connects sockets opened; more than {@code connections} means connections were lost
     */
    public record Result(
            Options options,
            long[] latencies,
            long[] sendLags,
            long queued,
            long measuredNanos,
            long errors,
            long warmupErrors,
            Map<String, Long> errorKinds,
            List<String> errorSamples,
            long connects) {

        /** Successful responses in the measured window. */
        public long requests() {
            return latencies.length;
        }

        /** Successful responses per second in the measured window. */
        public double throughput() {
            return latencies.length / (measuredNanos / 1e9);
        }

        /** Latency percentile {@code p} in milliseconds; NaN without samples. */
        public double latencyMillis(double p) {
            return latencies.length == 0 ? Double.NaN : Stats.percentile(latencies, latencies.length, p) / 1e6;
        }

        /** Send-lag percentile {@code p} in milliseconds (open loop); NaN without samples. */
        public double sendLagMillis(double p) {
            return sendLags.length == 0 ? Double.NaN : Stats.percentile(sendLags, sendLags.length, p) / 1e6;
        }

        /**
         * True when anything failed, in the warm-up or the measured window, or when no response at
         * all completed in the window (nothing was measured, which must not pass as a result).
         */
        public boolean failed() {
            return errors + warmupErrors > 0 || latencies.length == 0;
        }

        /** A one-paragraph human summary. */
        public String summary() {
            StringBuilder s = new StringBuilder();
            s.append(String.format(
                    Locale.ROOT,
                    "%s: %s, %d connections: %d ok in %.2f s = %.1f req/s; latency ms p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f",
                    options.name(),
                    options.openLoop()
                            ? String.format(Locale.ROOT, "open loop at %.1f req/s", options.rate())
                            : "closed loop",
                    options.connections(),
                    requests(),
                    measuredNanos / 1e9,
                    throughput(),
                    latencyMillis(50),
                    latencyMillis(90),
                    latencyMillis(99),
                    latencyMillis(99.9),
                    latencyMillis(100)));
            if (options.openLoop()) {
                s.append(String.format(
                        Locale.ROOT,
                        "; client send lag ms p50 %.3f p99 %.3f max %.3f; %d requests (%.1f%%) "
                                + "waited for their busy connection",
                        sendLagMillis(50),
                        sendLagMillis(99),
                        sendLagMillis(100),
                        queued,
                        100.0 * queued / Math.max(1, requests())));
            }
            if (latencies.length == 0) {
                s.append(String.format(
                        "%n  NO successful response completed in the measured window: nothing was measured"));
            }
            if (errors + warmupErrors > 0) {
                s.append(String.format(
                        Locale.ROOT, "%n  ERRORS: %d measured, %d in warm-up: %s", errors, warmupErrors, errorKinds));
                for (String sample : errorSamples) {
                    s.append(System.lineSeparator()).append("  e.g. ").append(sample);
                }
            }
            if (connects > options.connections()) {
                s.append(String.format(
                        Locale.ROOT,
                        "%n  note: %d sockets opened for %d connections (connections were lost)",
                        connects,
                        options.connections()));
            }
            return s.toString();
        }
    }

    private static final int MAX_ERROR_SAMPLES = 5;
    // Parking is accurate to ~50-100 us (timer slack); the last stretch before an intended send
    // time is spent yielding instead, so open-loop requests leave on time without a thread
    // monopolising the client's CPU (yield lets the other client threads run).
    private static final long SPIN_NANOS = 100_000;

    /**
     * Runs {@code options}; {@code sources} gives thread {@code i} (0-based) its request source,
     * {@code check} judges every response. Blocks until the run is over.
     */
    public static Result run(Options options, IntFunction<RequestSource> sources, ResponseCheck check)
            throws InterruptedException {
        return run(options, sources, check, null);
    }

    /**
     * Told when the measured window opens and closes (on the thread that called {@link #run}), so
     * that a caller can read what the server spent in exactly that window.
     */
    public interface Window {
        void opened();

        void closed();
    }

    /** As {@link #run(Options, IntFunction, ResponseCheck)}; {@code window} (may be null) is told of the measured window. */
    public static Result run(Options options, IntFunction<RequestSource> sources, ResponseCheck check, Window window)
            throws InterruptedException {
        return new Run(options, check).run(sources, window);
    }

    /** One run: its clock (written before {@code go} opens), its client threads and their error samples. */
    private static final class Run {
        final Options options;
        final ResponseCheck check;
        final CountDownLatch ready;
        final CountDownLatch go = new CountDownLatch(1);
        final List<String> samples = new ArrayList<>();
        long t0;
        long measureStart;
        long measureEnd;

        Run(Options options, ResponseCheck check) {
            this.options = options;
            this.check = check;
            this.ready = new CountDownLatch(options.connections());
        }

        private static void sleepUntil(long nanoTime) throws InterruptedException {
            long left;
            while ((left = nanoTime - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.sleep(left);
            }
        }

        Result run(IntFunction<RequestSource> sources, Window window) throws InterruptedException {
            List<Worker> workers = new ArrayList<>();
            for (int i = 0; i < options.connections(); i++) {
                Worker w = new Worker(i, sources.apply(i));
                workers.add(w);
                w.thread.start();
            }
            // Every thread connects before the clock starts, so connection setup is not measured and
            // all threads begin together.
            ready.await();
            long durationNanos = options.duration().toNanos();
            t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
            measureStart = t0 + options.warmup().toNanos();
            measureEnd = measureStart + durationNanos;
            go.countDown();
            if (window != null) {
                sleepUntil(measureStart);
                window.opened();
                sleepUntil(measureEnd);
                window.closed();
            }
            long joinMillis = TimeUnit.NANOSECONDS.toMillis(measureEnd - t0 + durationNanos)
                    + 3 * options.timeout().toMillis()
                    + 30_000;
            long deadline = System.currentTimeMillis() + joinMillis;
            for (Worker w : workers) {
                w.thread.join(Math.max(1, deadline - System.currentTimeMillis()));
                if (w.thread.isAlive()) {
                    throw new IllegalStateException("client thread " + w.thread.getName() + " did not finish within "
                            + joinMillis + " ms; the server seems to hang");
                }
            }
            Map<String, Long> kinds = new TreeMap<>();
            workers.forEach(w -> w.kinds.forEach((k, v) -> kinds.merge(k, v, Long::sum)));
            long lastEnd =
                    workers.stream().mapToLong(w -> w.lastMeasuredEnd).max().orElse(0);
            return new Result(
                    options,
                    workers.stream()
                            .flatMapToLong(w -> w.latencies.build())
                            .sorted()
                            .toArray(),
                    workers.stream().flatMapToLong(w -> w.lags.build()).sorted().toArray(),
                    workers.stream().mapToLong(w -> w.queued).sum(),
                    options.openLoop() ? Math.max(lastEnd, measureEnd) - measureStart : durationNanos,
                    workers.stream().mapToLong(w -> w.errors).sum(),
                    workers.stream().mapToLong(w -> w.warmupErrors).sum(),
                    Collections.unmodifiableMap(kinds),
                    List.copyOf(samples),
                    workers.stream().mapToLong(w -> w.connection.connects()).sum());
        }

        private void sample(String s) {
            synchronized (samples) {
                if (samples.size() < MAX_ERROR_SAMPLES) {
                    samples.add(s);
                }
            }
        }

        /**
         * One client thread and its connection. Recording a latency is a store into a {@link
         * LongStream.Builder} (no locks, no buckets), so it cannot disturb what it measures; the logs
         * are merged once the run is over.
         */
        final class Worker implements Runnable {
            final int index;
            final RequestSource source;
            final Thread thread;
            final HttpConnection connection = new HttpConnection(options.target(), (int)
                    Math.min(Integer.MAX_VALUE, options.timeout().toMillis()));
            final LongStream.Builder latencies = LongStream.builder();
            final LongStream.Builder lags = LongStream.builder();
            final Map<String, Long> kinds = new LinkedHashMap<>();
            long errors;
            long warmupErrors;
            long queued;
            long lastMeasuredEnd;
            boolean ioFailure; // whether the last failure was an I/O error (no response to show)

            Worker(int index, RequestSource source) {
                this.index = index;
                this.source = source;
                this.thread = new Thread(this, "load-" + options.name() + "-" + index);
                thread.setDaemon(true);
            }

            @Override
            public void run() {
                try {
                    try {
                        connection.connect();
                    } catch (IOException e) {
                        // Counted when the first request fails; the run must still start for everyone.
                    }
                    ready.countDown();
                    go.await();
                    if (options.openLoop()) {
                        openLoop();
                    } else {
                        closedLoop();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    connection.close();
                }
            }

            private void closedLoop() {
                waitUntil(t0);
                while (true) {
                    Request r = source.next();
                    long sent = System.nanoTime();
                    String problem = exchange(r);
                    long done = System.nanoTime();
                    // A response belongs to the window it completed in, so the window's throughput is
                    // exactly the responses the server delivered within it.
                    if (problem == null) {
                        if (done >= measureStart && done < measureEnd) {
                            latencies.add(done - sent);
                        }
                    } else {
                        // A failure straddling the end of the window still belongs to the measurement.
                        error(problem, r, done >= measureStart, done);
                    }
                    if (done >= measureEnd) {
                        return;
                    }
                }
            }

            private void openLoop() {
                // Requests stop being sent this long after the window: a server that cannot keep up
                // builds an ever longer queue, and draining it must not take forever.
                long giveUp = measureEnd + Math.max(options.duration().toNanos(), TimeUnit.SECONDS.toNanos(10));
                double interval = 1e9 * options.connections() / options.rate();
                // Thread i starts i/N of an interval later, so together the threads send at even spacing.
                double first = t0 + interval * index / options.connections();
                long previousDone = Long.MIN_VALUE;
                for (long k = 0; ; k++) {
                    long intended = (long) (first + k * interval);
                    if (intended >= measureEnd) {
                        return;
                    }
                    boolean measured = intended >= measureStart;
                    if (System.nanoTime() > giveUp) {
                        long unsent = (long) Math.ceil((measureEnd - intended) / interval);
                        if (measured) {
                            errors += unsent;
                        } else {
                            warmupErrors += unsent;
                        }
                        kinds.merge("not sent: the client fell too far behind schedule", unsent, Long::sum);
                        sample("open loop gave up with " + unsent + " requests unsent on connection " + index
                                + ": responses were slower than the requested rate for too long");
                        return;
                    }
                    waitUntil(intended);
                    Request r = source.next();
                    long sent = System.nanoTime();
                    String problem = exchange(r);
                    long done = System.nanoTime();
                    // Without pipelining, a request due while its connection still waits for the previous
                    // response has to queue; that wait is the server's doing (it is in the latency), so only
                    // requests due on an idle connection tell how punctual the client itself was.
                    boolean waitedForConnection = previousDone > intended;
                    previousDone = done;
                    if (measured) {
                        lastMeasuredEnd = done;
                    }
                    if (problem != null) {
                        error(problem, r, measured, done);
                    } else if (measured) {
                        latencies.add(done - intended);
                        if (waitedForConnection) {
                            queued++;
                        } else {
                            lags.add(sent - intended);
                        }
                    }
                }
            }

            /** Sends {@code r}; null on success, else the failure. */
            private String exchange(Request r) {
                try {
                    int status = connection.exchange(r.bytes(), r.offset(), r.length());
                    ioFailure = false;
                    return check.problem(status, connection.body(), connection.bodyLength());
                } catch (IOException | RuntimeException e) {
                    ioFailure = true;
                    return e.getClass().getSimpleName() + ": " + e.getMessage();
                }
            }

            private void error(String problem, Request r, boolean measured, long when) {
                if (measured) {
                    errors++;
                } else {
                    warmupErrors++;
                }
                kinds.merge(ioFailure || problem.length() <= 120 ? problem : problem.substring(0, 120), 1L, Long::sum);
                sample(String.format(
                        Locale.ROOT,
                        "[%s, %.3f s after start, connection %d] %s -> %s",
                        measured ? "measured" : "warm-up",
                        (when - t0) / 1e9,
                        index,
                        describe(r),
                        ioFailure ? problem : problem + " " + responseBody()));
                if (ioFailure) {
                    // The connection is closed; pause briefly so a dead server does not turn this thread
                    // into a busy loop of failing connects.
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
            }

            private String responseBody() {
                int n = Math.min(connection.bodyLength(), 400);
                String b = new String(connection.body(), 0, n, StandardCharsets.UTF_8);
                return n < connection.bodyLength() ? b + "... (" + connection.bodyLength() + " bytes)" : b;
            }
        }
    }

    /** The request line, headers and the start of the body of {@code r}, for error reports. */
    static String describe(Request r) {
        return HttpConnection.printable(r.bytes(), r.offset(), r.length(), 400);
    }

    /** Returns once {@link System#nanoTime()} reaches {@code deadline}. */
    static void waitUntil(long deadline) {
        for (long remaining; (remaining = deadline - System.nanoTime()) > 0; ) {
            if (remaining > SPIN_NANOS) {
                LockSupport.parkNanos(remaining - SPIN_NANOS);
            } else {
                Thread.yield();
            }
        }
    }

    // ---- command line

    /** The address of an {@code http://host:port} URL. */
    public static InetSocketAddress address(URI url) {
        if (!"http".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
            throw new IllegalArgumentException("need an http://host:port URL, got " + url);
        }
        return new InetSocketAddress(url.getHost(), url.getPort() < 0 ? 80 : url.getPort());
    }

    /** The Host header value for {@code url}. */
    public static String hostHeader(URI url) {
        return url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
    }

    /** Command-line entry point; see {@code --help}. */
    public static void main(String[] args) {
        Cli.exit(new Command(), args);
    }

    @CommandLine.Command(
            name = "HttpLoad",
            mixinStandardHelpOptions = true,
            description = "Load one URL and print throughput and latency percentiles.",
            footer = "Durations: 500ms, 10s, 2m. Exits 1 when any request failed (non-2xx, I/O error, timeout).")
    private static final class Command implements Callable<Integer> {
        @Option(names = "--url", required = true, description = "http://host:port/path")
        URI url;

        @Option(names = "--method", description = "request method (default GET)")
        String method = "GET";

        @Option(names = "--body", description = "request body")
        String body;

        @Option(names = "--body-file", description = "request body from a file")
        Path bodyFile;

        @Option(names = "--content-type", description = "body media type (default application/json)")
        String contentType = "application/json";

        @Option(names = "--connections", description = "client threads, one keep-alive connection each (default 4)")
        int connections = 4;

        @Option(names = "--warmup", description = "warm-up before measuring (default 5s)")
        Duration warmup = Duration.ofSeconds(5);

        @Option(names = "--duration", description = "measured window (default 10s)")
        Duration duration = Duration.ofSeconds(10);

        @Option(names = "--rate", description = "open loop at R requests/s in total (default: closed loop)")
        double rate;

        @Option(names = "--timeout", description = "connect/read timeout per request (default 30s)")
        Duration timeout = Duration.ofSeconds(30);

        @Override
        public Integer call() throws Exception {
            String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
            if (url.getRawQuery() != null) {
                path += "?" + url.getRawQuery();
            }
            String m = method.toUpperCase(Locale.ROOT);
            byte[] content = bodyFile != null
                    ? Files.readAllBytes(bodyFile)
                    : body != null ? body.getBytes(StandardCharsets.UTF_8) : null;
            Request r = Request.of(
                    content == null
                            ? RequestBytes.request(m, hostHeader(url), path)
                            : RequestBytes.request(m, hostHeader(url), path, contentType, content));
            Options o = new Options(m + " " + path, address(url), connections, warmup, duration, rate, timeout);
            Result result = run(o, i -> () -> r, ANY_2XX);
            System.out.println(result.summary());
            if (result.failed()) {
                System.err.println("FAILED: " + (result.errors() + result.warmupErrors()) + " requests failed"
                        + (result.requests() == 0 ? " and none succeeded in the measured window" : "") + "; see above");
                return 1;
            }
            return 0;
        }
    }
}

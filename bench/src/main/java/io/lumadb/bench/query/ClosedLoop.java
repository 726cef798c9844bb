package io.lumadb.bench.query;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * A closed loop of query clients: {@code threads} threads, each with its own connection (a
 * {@link QuerySystem.Client}), each sending its next query as soon as the previous answer arrived, for a
 * warm-up and then a measured window.
 *
 * <p>Every answer is checked against the number of documents the data set says it must hold; a
 * failed or wrong answer is an error (counted, warm-up included, with a few samples kept) and
 * never counts as throughput. A query counts in the window when its answer arrives within it,
 * and its latency (send to full answer read) goes to an HdrHistogram (microseconds, 3
 * significant digits). The parameters come from one seeded generator per thread, so every system
 * sees the same sequence of queries. The window is stretched, up to twice its length, until it
 * holds at least {@code minSamples} answers, so that a slow full scan still gets percentiles
 * worth the name.
 */
final class ClosedLoop {

    private static final int MAX_ERROR_SAMPLES = 5;
    private static final long MAX_LATENCY_MICROS = Duration.ofMinutes(10).toNanos() / 1000;

    private ClosedLoop() {}

    /** How long and how wide to run. */
    record Settings(int threads, Duration warmup, Duration duration, int minSamples) {}

    /** One run's outcome. */
    record Outcome(long answered, double seconds, Histogram latencyMicros, long errors, List<String> errorSamples) {
        double throughput() {
            return answered / seconds;
        }

        double percentileMillis(double p) {
            return answered == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
        }
    }

    static Outcome run(Settings settings, ItemData data, Query query, long seed, Callable<QuerySystem.Client> clients)
            throws InterruptedException {
        int n = settings.threads();
        List<Histogram> histograms = new ArrayList<>();
        List<String> samples = Collections.synchronizedList(new ArrayList<>());
        LongAdder errors = new LongAdder();
        LongAdder answered = new LongAdder();
        // Answers count when they arrive in [start, end]; both are "never" until the main thread sets them.
        AtomicLong start = new AtomicLong(Long.MAX_VALUE);
        AtomicLong end = new AtomicLong(Long.MAX_VALUE);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            QuerySystem.Client client;
            try {
                client = clients.call(); // before the clock starts: connecting is not measured
            } catch (Exception e) {
                error(errors, samples, "could not connect: " + e);
                continue;
            }
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + t);
            Histogram h = new Histogram(MAX_LATENCY_MICROS, 3);
            histograms.add(h);
            threads.add(
                    Thread.ofPlatform().name("query-" + query.id() + "-" + t).start(() -> {
                        try (client) {
                            go.await();
                            while (System.nanoTime() <= end.get()) {
                                QueryParams p = data.next(query, random);
                                long t0 = System.nanoTime();
                                try {
                                    int count = client.run(p);
                                    long t1 = System.nanoTime();
                                    int expected = data.expectedCount(p);
                                    if (count != expected) {
                                        error(errors, samples, p + ": " + count + " documents, expected " + expected);
                                    } else if (t1 >= start.get() && t1 <= end.get()) {
                                        h.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(1, (t1 - t0) / 1000)));
                                        answered.increment();
                                    }
                                } catch (Exception e) {
                                    error(errors, samples, p + ": " + e);
                                }
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }));
        }
        go.countDown();
        Thread.sleep(settings.warmup().toMillis());
        long t0 = System.nanoTime();
        start.set(t0);
        long due = t0 + settings.duration().toNanos();
        long latest = t0 + 2 * settings.duration().toNanos();
        while (true) {
            long now = System.nanoTime();
            if (now >= latest || (now >= due && answered.sum() >= settings.minSamples())) {
                break;
            }
            Thread.sleep(20);
        }
        long t1 = System.nanoTime();
        end.set(t1);
        for (Thread t : threads) {
            t.join();
        }
        Histogram all = new Histogram(MAX_LATENCY_MICROS, 3);
        histograms.forEach(all::add);
        return new Outcome(all.getTotalCount(), (t1 - t0) / 1e9, all, errors.sum(), List.copyOf(samples));
    }

    private static void error(LongAdder errors, List<String> samples, String message) {
        errors.increment();
        synchronized (samples) {
            if (samples.size() < MAX_ERROR_SAMPLES) {
                samples.add(message.length() > 400 ? message.substring(0, 400) + "..." : message);
            }
        }
    }
}

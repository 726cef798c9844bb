package io.lumadb.bench.streams;

import io.lumadb.bench.HttpConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The one writer of a fan-out measurement: documents numbered 0, 1, 2, ... each carrying its send
 * time, sent over a few keep-alive connections (one request in flight per connection, so the
 * number of connections bounds the writes in flight). Two disciplines:
 *
 * <ul>
 *   <li>{@link #closedLoop}: a write starts only when fewer than {@code permits} writes are on
 *       their way to the subscribers; the subscriber pool gives a permit back once a write has
 *       reached every subscriber. The writer goes as fast as the fan-out delivers, and no
 *       subscriber can fall further behind than the permits, so none overflows.
 *   <li>{@link #openLoop}: write {@code n} is due at {@code start + n / rate}, whatever happened to
 *       earlier writes, and carries its due time, so that a stalled server shows as latency
 *       instead of slowing the writer down (no coordinated omission).
 * </ul>
 *
 * <p>Every acknowledged (2xx) write is recorded, so subscribers can be checked against exactly
 * the writes that happened; failed writes are counted with samples.
 */
public final class Writer {

    /** Encodes the whole HTTP request of write {@code n} sent at {@code sentNanos}. */
    @FunctionalInterface
    public interface Target {
        byte[] request(long n, long sentNanos);
    }

    private final InetSocketAddress address;
    private final Target target;
    private final int connections;
    private final long maxWrites;
    private final AtomicLong next = new AtomicLong();
    private final BitSet acknowledged = new BitSet();
    private final Recorder ackLatency = new Recorder(TimeUnit.SECONDS.toNanos(120), 3);
    private final Histogram lag = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
    private final List<String> errorSamples = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;
    private volatile String stalled;
    private long errors;

    /** A writer to {@code address} over {@code connections} connections, for at most {@code maxWrites} writes. */
    public Writer(InetSocketAddress address, Target target, int connections, long maxWrites) {
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be >= 1, was " + connections);
        }
        this.address = address;
        this.target = target;
        this.connections = connections;
        this.maxWrites = maxWrites;
    }

    /**
     * Starts writing as fast as {@code permits} allow: each write takes one first; whoever sees
     * the write delivered gives it back. A write that waits longer than {@code stallAfter} for a
     * permit stops the writer and is reported by {@link #stalled()}.
     */
    public void closedLoop(Semaphore permits, Duration stallAfter) {
        start(c -> {
            while (!stopping) {
                try {
                    if (!permits.tryAcquire(stallAfter.toMillis(), TimeUnit.MILLISECONDS)) {
                        stalled = "no write was delivered to every subscriber within " + stallAfter.toSeconds()
                                + " s; the writer stopped";
                        stopping = true;
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (stopping) {
                    permits.release();
                    return;
                }
                long n = next.getAndIncrement();
                if (n >= maxWrites) {
                    stopping = true;
                    return;
                }
                if (!send(c, n, System.nanoTime())) {
                    permits.release(); // a failed write will not be delivered
                }
            }
        });
    }

    /** Starts writing {@code rate} writes per second from now, each due at its own time. */
    public void openLoop(double rate) {
        long start = System.nanoTime();
        double period = 1e9 / rate;
        start(c -> {
            while (!stopping) {
                long n = next.getAndIncrement();
                if (n >= maxWrites) {
                    return;
                }
                long due = start + (long) (n * period);
                long wait;
                while ((wait = due - System.nanoTime()) > 0 && !stopping) {
                    LockSupport.parkNanos(wait);
                }
                if (stopping) {
                    return;
                }
                synchronized (lag) {
                    lag.recordValue(Math.min(Math.max(0, System.nanoTime() - due), lag.getHighestTrackableValue()));
                }
                send(c, n, due);
            }
        });
    }

    private void start(Consumer<HttpConnection> body) {
        for (int i = 0; i < connections; i++) {
            threads.add(Thread.ofPlatform().name("writer-" + i).daemon().start(() -> {
                try (HttpConnection c = new HttpConnection(address, 60_000)) {
                    body.accept(c);
                } catch (RuntimeException e) {
                    error("writer thread failed: " + e);
                }
            }));
        }
    }

    /** Sends write {@code n}; true if it was acknowledged. */
    private boolean send(HttpConnection c, long n, long sentNanos) {
        byte[] request = target.request(n, sentNanos);
        try {
            int status = c.exchange(request);
            ackLatency.recordValue(Math.min(System.nanoTime() - sentNanos, TimeUnit.SECONDS.toNanos(120)));
            if (status / 100 == 2) {
                synchronized (acknowledged) {
                    acknowledged.set((int) n);
                }
                return true;
            }
            error("write " + n + ": status " + status + ": " + c.bodyString());
        } catch (IOException e) {
            error("write " + n + ": " + e);
        }
        return false;
    }

    private synchronized void error(String text) {
        errors++;
        if (errorSamples.size() < 5) {
            errorSamples.add(text);
        }
    }

    /** Stops starting writes and waits for those in flight to be answered. */
    public void stop() throws InterruptedException {
        stopping = true;
        for (Thread t : threads) {
            t.interrupt(); // only a thread waiting for a permit or its due time is interrupted out of it
            t.join(120_000);
        }
    }

    /** Writes started so far (acknowledged, failed or in flight). */
    public long started() {
        return Math.min(next.get(), maxWrites);
    }

    /** The writes the server acknowledged (a copy). */
    public BitSet acknowledged() {
        synchronized (acknowledged) {
            return (BitSet) acknowledged.clone();
        }
    }

    public synchronized long errors() {
        return errors;
    }

    public synchronized List<String> errorSamples() {
        return List.copyOf(errorSamples);
    }

    /** Why the writer stopped by itself, or null. */
    public String stalled() {
        return stalled;
    }

    /** Send-to-acknowledgement latencies since the last call (nanoseconds). */
    public Histogram ackLatencyInterval() {
        return ackLatency.getIntervalHistogram();
    }

    /** How late the open loop sent its writes (nanoseconds after they were due). */
    public Histogram lag() {
        synchronized (lag) {
            return lag.copy();
        }
    }
}

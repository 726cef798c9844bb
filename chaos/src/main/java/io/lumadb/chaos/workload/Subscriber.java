package io.lumadb.chaos.workload;

import io.lumadb.testkit.SseClient;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A subscriber of one node's SSE stream that keeps following it through every fault, as a real
 * client would: it reconnects to the same node with {@code Last-Event-ID} set to the last
 * position it applied, and {@link #watchdog} cuts a connection that has been silent for longer
 * than {@code idle} (a paused node keeps its sockets open). What it records is its subclass's.
 */
abstract class Subscriber implements Runnable {

    private final String name;
    private final String url;
    private final Duration idle;
    private final AtomicInteger reconnects = new AtomicInteger();
    private volatile boolean stopped;
    private volatile SseStream current;
    private volatile String token;

    Subscriber(String name, String url, Duration idle) {
        this.name = name;
        this.url = url;
        this.idle = idle;
    }

    /** The position of the last event applied, resumed from after a disconnect; null before the first. */
    public String token() {
        return token;
    }

    /** Records that the events up to {@code position} are applied (null or empty: unchanged). */
    void moveTo(String position) {
        if (position != null && !position.isEmpty()) {
            token = position;
        }
    }

    /** Applies one event. */
    abstract void apply(SseClient.Event e) throws IOException;

    public String name() {
        return name;
    }

    public int reconnects() {
        return reconnects.get();
    }

    /** Cuts the connection if it has been silent for longer than {@code idle}; the subscriber then reconnects. */
    public void watchdog() {
        SseStream s = current;
        if (s != null && s.idleNanos() > idle.toNanos()) {
            s.close();
        }
    }

    public void stop() {
        stopped = true;
        SseStream s = current;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void run() {
        while (!stopped) {
            try (SseStream s = SseStream.open(url, token)) {
                current = s;
                SseClient.Event e;
                while (!stopped && (e = s.next()) != null) {
                    apply(e);
                    if (e.type().equals("overflow")
                            || e.type().equals("error")
                            || e.type().equals("dropped")) {
                        // The server ends such a stream; resume from the last position applied.
                        s.close();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // a node down or cut off: reconnect below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                current = null;
            }
            if (!stopped) {
                reconnects.incrementAndGet();
                sleep(500);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.lumadb.bench.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.bench.RequestBytes;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The benchmark's own parts against each other on loopback: the reference server, the
 * subscriber pool and the writer, both writing disciplines, and the checks, which must catch a
 * server that loses, duplicates and reorders changes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FanOutIT {

    private static Writer.Target publish(InetSocketAddress a) {
        String host = a.getHostString() + ":" + a.getPort();
        return (n, t) ->
                RequestBytes.request("POST", host, "/publish", "application/json", ChangeFrames.document(n, t, 120));
    }

    @Test
    void closedLoopDeliversEveryWriteToEverySubscriberOnceAndInOrder() throws Exception {
        int subscribers = 50;
        int writes = 400;
        try (BroadcastServer server = new BroadcastServer(0, 1000)) {
            InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
            try (SubscriberPool pool = new SubscriberPool(a, 16, 10_000)) {
                pool.open(subscribers, i -> "/events");
                assertTrue(pool.awaitSubscribed(Duration.ofSeconds(20)), "all subscribed");
                Semaphore permits = new Semaphore(8);
                pool.onAllDelivered(n -> permits.release());
                Writer writer = new Writer(a, publish(a), 8, writes);
                writer.closedLoop(permits, Duration.ofSeconds(10));
                while (writer.started() < writes && writer.stalled() == null) {
                    Thread.sleep(10);
                }
                writer.stop();
                BitSet acked = writer.acknowledged();
                assertEquals(writes, acked.cardinality(), () -> "acknowledged; errors: " + writer.errorSamples());
                assertTrue(pool.awaitReceived(writes, Duration.ofSeconds(20)));
                SubscriberPool.Check check = pool.check(acked);
                assertTrue(check.clean(), () -> check.problems() + " " + check.samples());
                assertEquals((long) subscribers * writes, check.received());
                assertEquals((long) subscribers * writes, pool.deliveries());
                Histogram latency = pool.latencyInterval();
                assertEquals((long) subscribers * writes, latency.getTotalCount());
                assertTrue(latency.getMinValue() > 0);
            }
        }
    }

    @Test
    void openLoopKeepsItsRateAndRecordsEveryDelivery() throws Exception {
        try (BroadcastServer server = new BroadcastServer(0, 1000)) {
            InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
            try (SubscriberPool pool = new SubscriberPool(a, 16, 10_000)) {
                pool.open(10, i -> "/events");
                assertTrue(pool.awaitSubscribed(Duration.ofSeconds(20)));
                Writer writer = new Writer(a, publish(a), 4, 10_000);
                long start = System.nanoTime();
                writer.openLoop(200);
                Thread.sleep(1000);
                writer.stop();
                double seconds = (System.nanoTime() - start) / 1e9;
                BitSet acked = writer.acknowledged();
                assertTrue(
                        Math.abs(acked.cardinality() - 200 * seconds) < 40,
                        acked.cardinality() + " writes in " + seconds + " s at 200/s");
                assertTrue(pool.awaitReceived(acked.cardinality(), Duration.ofSeconds(20)));
                SubscriberPool.Check check = pool.check(acked);
                assertTrue(check.clean(), () -> check.problems() + " " + check.samples());
                assertEquals(10L * acked.cardinality(), pool.latencyInterval().getTotalCount());
            }
        }
    }

    @Test
    void theChecksCatchLossDuplicatesReorderingAndOverflow() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> serveScript(listener));
            server.start();
            InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
            try (SubscriberPool pool = new SubscriberPool(a, 1, 100)) {
                pool.open(1, i -> "/events");
                assertTrue(pool.awaitSubscribed(Duration.ofSeconds(10)));
                server.join(10_000);
                BitSet acked = new BitSet();
                acked.set(0, 5); // writes 0-4; the script never sends 4
                pool.awaitReceived(5, Duration.ofMillis(500));
                SubscriberPool.Check check = pool.check(acked);
                assertFalse(check.clean());
                assertEquals(4, check.received(), check.toString());
                assertEquals(1, check.duplicates(), check.toString());
                assertEquals(1, check.outOfOrder(), check.toString());
                assertEquals(1, check.missing(), check.toString());
                assertEquals(1, check.subscribersWithLoss(), check.toString());
                assertEquals(1, check.overflowed(), check.toString());
                assertEquals(0, check.endedByServer(), "an overflow ends the stream; counted once");
                assertEquals(1, check.malformed(), check.toString());
            }
        }
    }

    /** Answers one subscription with a stream that breaks every promise the checks look after. */
    private static void serveScript(ServerSocket listener) {
        try (Socket s = listener.accept()) {
            InputStream in = s.getInputStream();
            int matched = 0;
            while (matched < 4) { // the request head ends with CRLF CRLF
                int c = in.read();
                matched = (c == '\r' || c == '\n') ? matched + 1 : 0;
            }
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(chunk("event: subscribed\ndata: {}\n\n"));
            out.write(chunk(change(0, 1)));
            out.write(chunk(change(1, 2)));
            out.write(chunk(change(1, 2))); // a duplicate
            out.write(chunk(change(3, 4)));
            out.write(chunk(change(2, 3))); // out of order
            out.write(chunk("event: change\ndata: {\"after\":{}}\n\n")); // malformed
            out.write(chunk("event: overflow\ndata: {}\n\n"));
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String change(long n, long seq) {
        return "id: " + seq + "\nevent: change\ndata: {\"after\":"
                + new String(ChangeFrames.document(n, System.nanoTime(), 60), StandardCharsets.US_ASCII)
                + ",\"source\":{\"seq\":" + seq + ",\"index\":0}}\n\n";
    }

    private static byte[] chunk(String frame) {
        byte[] data = frame.getBytes(StandardCharsets.UTF_8);
        return (Integer.toHexString(data.length) + "\r\n" + frame + "\r\n").getBytes(StandardCharsets.UTF_8);
    }
}

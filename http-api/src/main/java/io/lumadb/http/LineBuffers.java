package io.lumadb.http;

import io.lumadb.timeseries.LineProtocol;
import io.lumadb.timeseries.Precision;
import java.util.concurrent.ArrayBlockingQueue;
import org.apache.pekko.util.ByteString;

/**
 * Line-protocol bodies parsed from a few reused arrays instead of an array of their own each.
 *
 * <p>A body arrives as several network chunks; parsing needs it in one array. A new array for
 * every body of megabytes cost the ingest more than the copy into it: the JVM clears a large array
 * before it is filled, on memory it often has to commit first. The buffers here are taken for one
 * parse and given back; at most {@code count} of at most {@code maxBytes} each are kept, so a
 * larger body, or one parsed while every buffer is out, gets an array of its own. A body that is
 * one array already is parsed where it is.
 */
final class LineBuffers {

    private final int maxBytes;
    private final ArrayBlockingQueue<byte[]> free;

    LineBuffers(int count, int maxBytes) {
        this.maxBytes = maxBytes;
        this.free = new ArrayBlockingQueue<>(count);
    }

    /** Parses {@code body} into {@code sink}, as {@link LineProtocol#parse(byte[], Precision, long, LineProtocol.Sink)} does. */
    void parse(ByteString body, Precision precision, long nowNanos, LineProtocol.Sink sink) {
        int length = body.size();
        if (body.isCompact()) {
            // One array already (a gunzipped body, or one that came in a single read): parsed in place.
            LineProtocol.parse(body.toArrayUnsafe(), precision, nowNanos, sink);
            return;
        }
        if (length > maxBytes) {
            LineProtocol.parse(body.toArray(), precision, nowNanos, sink);
            return;
        }
        byte[] buffer = free.poll();
        if (buffer == null || buffer.length < length) {
            // Grown to the largest body seen, within maxBytes, so that it is rarely replaced.
            buffer = new byte[Math.min(maxBytes, Math.max(length, buffer == null ? 0 : buffer.length * 2))];
        }
        try {
            body.copyToArray(buffer, 0, length);
            LineProtocol.parse(buffer, length, precision, nowNanos, sink);
        } finally {
            free.offer(buffer);
        }
    }

    /** How many buffers are kept now (for tests). */
    int kept() {
        return free.size();
    }
}

package io.lumadb.bench.streams;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/** One system under test of {@link StreamBenchmark}: where to subscribe and how to write. */
abstract class StreamServer {
    /** The size of a written document, about: it carries its number and send time. */
    static final int DOCUMENT_BYTES = 120;

    final InetSocketAddress address;
    final long pid;
    final String host;

    StreamServer(InetSocketAddress address, long pid) {
        this.address = address;
        this.pid = pid;
        this.host = address.getHostString() + ":" + address.getPort();
    }

    abstract String name();

    InetSocketAddress address() {
        return address;
    }

    long pid() {
        return pid;
    }

    /** Prepares a fresh stream for one measurement and returns its subscribe path. */
    abstract String prepare(String stream) throws IOException;

    /** The request of write {@code n} to the stream last prepared. */
    abstract byte[] write(long n, long sentNanos);

    /** Prepares {@code count} streams for idle subscriptions; returns their paths. */
    abstract List<String> prepareIdle(int count) throws IOException;

    abstract String idleLayout(int count);
}

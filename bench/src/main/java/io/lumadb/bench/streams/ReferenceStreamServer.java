package io.lumadb.bench.streams;

import io.lumadb.bench.RequestBytes;
import java.net.InetSocketAddress;
import java.util.List;

/** The reference of {@link StreamBenchmark}: a {@link BroadcastServer}, one broadcast stream. */
final class ReferenceStreamServer extends StreamServer {
    ReferenceStreamServer(InetSocketAddress address, long pid) {
        super(address, pid);
    }

    @Override
    String name() {
        return StreamReport.REFERENCE;
    }

    @Override
    String prepare(String stream) {
        return "/events";
    }

    @Override
    byte[] write(long n, long sentNanos) {
        return RequestBytes.request(
                "POST", host, "/publish", "application/json", ChangeFrames.document(n, sentNanos, DOCUMENT_BYTES));
    }

    @Override
    List<String> prepareIdle(int count) {
        return List.of("/events");
    }

    @Override
    String idleLayout(int count) {
        return "one broadcast stream";
    }
}

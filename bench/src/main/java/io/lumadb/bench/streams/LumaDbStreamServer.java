package io.lumadb.bench.streams;

import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** LumaDB in {@link StreamBenchmark}: a write is a PUT of a new document, a stream a collection's {@code _changes}. */
final class LumaDbStreamServer extends StreamServer {
    private static final String DATABASE = "streambench";

    private volatile String collection;

    LumaDbStreamServer(InetSocketAddress address, long pid) throws IOException {
        super(address, pid);
        put("/api/v1/" + DATABASE, null);
    }

    @Override
    String name() {
        return StreamReport.LUMADB;
    }

    /** A fresh 1-shard collection: one ordered journal, the order subscribers are checked against. */
    @Override
    String prepare(String stream) throws IOException {
        String name = "fanout-" + stream;
        put("/api/v1/" + DATABASE + "/" + name, "{\"shards\":1}");
        collection = name;
        return "/api/v1/" + DATABASE + "/" + name + "/_changes?from=now";
    }

    @Override
    byte[] write(long n, long sentNanos) {
        return RequestBytes.request(
                "PUT",
                host,
                "/api/v1/" + DATABASE + "/" + collection + "/w" + n,
                "application/json",
                ChangeFrames.document(n, sentNanos, DOCUMENT_BYTES));
    }

    @Override
    List<String> prepareIdle(int count) throws IOException {
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = "idle-" + i;
            put("/api/v1/" + DATABASE + "/" + name, null);
            paths.add("/api/v1/" + DATABASE + "/" + name + "/_changes?from=now");
        }
        return paths;
    }

    @Override
    String idleLayout(int count) {
        return count + " collections with the default shard count, subscriptions spread evenly";
    }

    private void put(String path, String json) throws IOException {
        try (HttpConnection c = new HttpConnection(address, 30_000)) {
            c.require("PUT", host, path, json);
        }
    }
}

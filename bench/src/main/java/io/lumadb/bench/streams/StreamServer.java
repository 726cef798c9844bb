package io.lumadb.bench.streams;

import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** One system under test of {@link StreamBenchmark}: where to subscribe and how to write. */
abstract class StreamServer {
    /** The size of a written document, about: it carries its number and send time. */
    static final int DOCUMENT_BYTES = 120;

    final String name;
    final InetSocketAddress address;
    final long pid;
    final String host;

    StreamServer(String name, InetSocketAddress address, long pid) {
        this.name = name;
        this.address = address;
        this.pid = pid;
        this.host = address.getHostString() + ":" + address.getPort();
    }

    /** Prepares a fresh stream for one measurement and returns its subscribe path. */
    abstract String prepare(String stream) throws IOException;

    /** The request of write {@code n} to the stream last prepared. */
    abstract byte[] write(long n, long sentNanos);

    /** Prepares {@code count} streams for idle subscriptions; returns their paths. */
    abstract List<String> prepareIdle(int count) throws IOException;

    abstract String idleLayout(int count);

    /** LumaDB: a write is a PUT of a new document, a stream a collection's {@code _changes}. */
    static final class LumaDb extends StreamServer {
        private static final String DATABASE = "/api/v1/streambench";

        private volatile String collection;

        LumaDb(InetSocketAddress address, long pid) throws IOException {
            super(StreamReport.LUMADB, address, pid);
            put(DATABASE, null);
        }

        /** A fresh 1-shard collection: one ordered journal, the order subscribers are checked against. */
        @Override
        String prepare(String stream) throws IOException {
            collection = DATABASE + "/fanout-" + stream;
            put(collection, "{\"shards\":1}");
            return collection + "/_changes?from=now";
        }

        @Override
        byte[] write(long n, long sentNanos) {
            return RequestBytes.request(
                    "PUT",
                    host,
                    collection + "/w" + n,
                    "application/json",
                    ChangeFrames.document(n, sentNanos, DOCUMENT_BYTES));
        }

        @Override
        List<String> prepareIdle(int count) throws IOException {
            List<String> paths = new ArrayList<>();
            for (String collection : prepareIdleCollections(count)) {
                paths.add(DATABASE + "/" + collection + "/_changes?from=now");
            }
            return paths;
        }

        /** Creates (or keeps) {@code count} collections for idle subscriptions; returns their names. */
        List<String> prepareIdleCollections(int count) throws IOException {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                put(DATABASE + "/idle-" + i, null);
                names.add("idle-" + i);
            }
            return names;
        }

        /**
         * Waits (up to {@code timeout}) until the node reports no open change-stream subscription
         * ({@code lumadb_cdc_subscriptions} in {@code /metrics}): closed connections are torn down
         * asynchronously, and a heap reading taken before would count their remains.
         */
        void awaitNoSubscriptions(java.time.Duration timeout) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String metrics;
                try (HttpConnection c = new HttpConnection(address, 30_000)) {
                    metrics = c.require("GET", host, "/metrics", null);
                }
                double open = -1;
                for (String line : metrics.split("\n")) {
                    if (line.startsWith("lumadb_cdc_subscriptions")) {
                        open = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    }
                }
                if (open == 0 || System.nanoTime() > deadline) {
                    return;
                }
                Thread.sleep(200);
            }
        }

        String database() {
            return DATABASE.substring(DATABASE.lastIndexOf('/') + 1);
        }

        java.net.URI webSocketUri() {
            return java.net.URI.create("ws://" + host + "/api/v1/_ws");
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

    /** The reference: a {@link BroadcastServer}, one broadcast stream. */
    static final class Reference extends StreamServer {
        Reference(InetSocketAddress address, long pid) {
            super(StreamReport.REFERENCE, address, pid);
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
}

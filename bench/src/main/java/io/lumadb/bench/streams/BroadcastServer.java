package io.lumadb.bench.streams;

import io.lumadb.bench.Cli;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The reference of the change-stream fan-out benchmark: the most trivial SSE broadcast server,
 * plain NIO on one thread and nothing else. {@code POST /publish} with a small JSON document
 * wraps it in an envelope shaped like LumaDB's change envelope (same fields, about the same
 * size), frames it once as an SSE {@code change} event in one HTTP chunk, writes that chunk to
 * every subscriber of {@code GET /events}, and answers {@code 200}. A subscriber first gets
 * {@code event: subscribed}. No durability, no filtering, no resume: it shows what one CPU
 * can fan out, so that LumaDB's change stream is read as a ratio against it.
 *
 * <p>Slow subscribers: like LumaDB's {@code lumadb.cdc.buffer-size}, a subscriber with more than
 * {@code bufferFrames} frames waiting gets {@code event: overflow} and its stream ends.
 *
 * <p>Run: {@code java -cp lumadb-bench.jar io.lumadb.bench.streams.BroadcastServer --port 0}; it
 * prints {@code BroadcastServer listening on http://127.0.0.1:PORT}, serves {@code GET /ready},
 * and stops on SIGTERM.
 */
public final class BroadcastServer implements AutoCloseable {

    private static final int MAX_REQUEST = 1 << 20;
    private static final byte[] SSE_HEAD = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    + "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ServerSocketChannel server;
    private final Selector selector;
    private final int bufferFrames;
    private final Thread thread;
    private final List<Conn> subscribers = new ArrayList<>();
    private volatile boolean running = true;
    private long seq;

    private static final class Conn {
        final SocketChannel channel;
        SelectionKey key;
        ByteBuffer in = ByteBuffer.allocate(4096);
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        int subscriberIndex = -1;
        boolean closing;

        Conn(SocketChannel channel) {
            this.channel = channel;
        }
    }

    /** Binds 127.0.0.1:{@code port} (0: any free port) and starts serving on its own thread. */
    public BroadcastServer(int port, int bufferFrames) throws IOException {
        this.bufferFrames = bufferFrames;
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", port), 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        this.thread = new Thread(this::loop, "broadcast-server");
        thread.start();
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    public static void main(String[] args) {
        Cli.exit(new Command(), args);
    }

    @CommandLine.Command(
            name = "BroadcastServer",
            mixinStandardHelpOptions = true,
            description = "The trivial SSE broadcast server the change-stream benchmark compares with.")
    private static final class Command implements Callable<Integer> {
        @Option(names = "--port", description = "port on 127.0.0.1 (default 0: any free port)")
        int port;

        @Option(names = "--buffer-frames", description = "frames buffered per slow subscriber (default 1000)")
        int bufferFrames = 1000;

        @Override
        public Integer call() throws Exception {
            BroadcastServer s = new BroadcastServer(port, bufferFrames);
            Runtime.getRuntime().addShutdownHook(new Thread(s::close));
            System.out.println("BroadcastServer listening on http://127.0.0.1:" + s.port());
            s.thread.join();
            return 0;
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        try {
            while (running) {
                selector.select();
                var keys = selector.selectedKeys();
                for (SelectionKey key : keys) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                        continue;
                    }
                    Conn c = (Conn) key.attachment();
                    try {
                        if (key.isWritable()) {
                            flush(c);
                        }
                        if (key.isValid() && key.isReadable()) {
                            read(c);
                        }
                    } catch (IOException e) {
                        close(c);
                    }
                }
                keys.clear();
            }
        } catch (IOException e) {
            System.err.println("BroadcastServer failed: " + e);
        } finally {
            try {
                selector.close();
                server.close();
            } catch (IOException ignored) {
                // stopping anyway
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Conn c = new Conn(ch);
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
        }
    }

    private void read(Conn c) throws IOException {
        while (true) {
            if (!c.in.hasRemaining()) {
                if (c.in.capacity() >= MAX_REQUEST) {
                    respond(c, 413, "{\"error\":\"request too large\"}");
                    c.closing = true;
                    return;
                }
                c.in = ByteBuffer.allocate(c.in.capacity() * 2).put(c.in.flip());
            }
            int n = c.channel.read(c.in);
            if (n < 0) {
                close(c);
                return;
            }
            if (n == 0) {
                break;
            }
        }
        if (c.subscriberIndex < 0) {
            requests(c);
        } else {
            c.in.clear(); // a subscriber has nothing more to say
        }
    }

    /** Handles every complete request in {@code c.in}. */
    private void requests(Conn c) throws IOException {
        byte[] b = c.in.array();
        int start = 0;
        int limit = c.in.position();
        while (c.subscriberIndex < 0 && !c.closing) {
            int headEnd = headEnd(b, start, limit);
            if (headEnd < 0) {
                break;
            }
            String head = new String(b, start, headEnd - start, StandardCharsets.ISO_8859_1);
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            int length = 0;
            for (String line : lines) {
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            int bodyStart = headEnd + 4;
            if (limit - bodyStart < length) {
                break;
            }
            String method = requestLine[0];
            String path = requestLine.length > 1 ? requestLine[1] : "";
            if (method.equals("POST") && path.equals("/publish")) {
                long k = broadcast(b, bodyStart, length);
                respond(c, 200, "{\"seq\":" + k + "}");
            } else if (method.equals("GET") && path.startsWith("/events")) {
                subscribe(c);
            } else if (method.equals("GET") && path.equals("/ready")) {
                respond(c, 200, "{\"ready\":true,\"subscribers\":" + subscribers.size() + "}");
            } else {
                respond(c, 404, "{\"error\":\"no route " + method + " " + path.replace("\"", "") + "\"}");
            }
            start = bodyStart + length;
        }
        c.in.position(start).limit(limit);
        c.in.compact();
    }

    private static int headEnd(byte[] b, int from, int limit) {
        for (int i = from; i + 3 < limit; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void subscribe(Conn c) throws IOException {
        c.subscriberIndex = subscribers.size();
        subscribers.add(c);
        send(c, ByteBuffer.wrap(SSE_HEAD));
        send(c, chunk("event: subscribed\ndata: {\"token\":\"" + seq + "\"}\n\n"));
    }

    /** Frames the document once and writes it to every subscriber; returns its sequence number. */
    private long broadcast(byte[] b, int from, int length) throws IOException {
        long k = ++seq;
        long now = System.currentTimeMillis();
        String frame = "id: " + k + "\nevent: change\ndata: {\"op\":\"c\",\"before\":null,\"after\":"
                + new String(b, from, length, StandardCharsets.UTF_8)
                + ",\"source\":{\"connector\":\"reference\",\"db\":\"bench\",\"collection\":\"fanout\",\"shard\":0,"
                + "\"seq\":" + k + ",\"index\":0,\"id\":\"w\",\"version\":" + k + ",\"ts_ms\":" + now
                + "},\"ts_ms\":" + now + ",\"token\":\"" + k + "\"}\n\n";
        ByteBuffer chunk = chunk(frame);
        // Backwards: an overflowing subscriber is removed by swapping in the last one.
        for (int i = subscribers.size() - 1; i >= 0; i--) {
            Conn s = subscribers.get(i);
            if (s.out.size() >= bufferFrames) {
                overflow(s);
            } else {
                send(s, chunk.duplicate());
            }
        }
        return k;
    }

    private void overflow(Conn s) throws IOException {
        unsubscribe(s);
        s.out.add(chunk("event: overflow\ndata: {\"token\":\"" + seq
                + "\",\"message\":\"this subscriber fell too far behind\"}\n\n"));
        s.out.add(ByteBuffer.wrap(LAST_CHUNK));
        s.closing = true;
        flush(s);
    }

    private static ByteBuffer chunk(String text) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        byte[] size = (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(size, size.length + data.length + 2);
        System.arraycopy(data, 0, out, size.length, data.length);
        out[out.length - 2] = '\r';
        out[out.length - 1] = '\n';
        return ByteBuffer.wrap(out).asReadOnlyBuffer();
    }

    private void respond(Conn c, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Content Too Large";
        byte[] head = ("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        send(c, ByteBuffer.wrap(all));
    }

    private void send(Conn c, ByteBuffer buffer) throws IOException {
        if (c.out.isEmpty()) {
            try {
                c.channel.write(buffer);
            } catch (IOException e) {
                close(c);
                return;
            }
            if (!buffer.hasRemaining()) {
                return;
            }
            c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
        c.out.add(buffer);
    }

    private void flush(Conn c) throws IOException {
        while (!c.out.isEmpty()) {
            ByteBuffer[] batch = c.out.stream().limit(64).toArray(ByteBuffer[]::new);
            c.channel.write(batch);
            while (!c.out.isEmpty() && !c.out.peekFirst().hasRemaining()) {
                c.out.pollFirst();
            }
            if (!c.out.isEmpty() && c.out.peekFirst().hasRemaining()) {
                break; // the socket is full
            }
        }
        if (c.out.isEmpty()) {
            if (c.closing) {
                close(c);
            } else if (c.key.isValid()) {
                c.key.interestOps(SelectionKey.OP_READ);
            }
        } else if (c.key.isValid()) {
            c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    private void unsubscribe(Conn c) {
        int i = c.subscriberIndex;
        if (i < 0) {
            return;
        }
        Conn last = subscribers.remove(subscribers.size() - 1);
        if (last != c) {
            subscribers.set(i, last);
            last.subscriberIndex = i;
        }
        c.subscriberIndex = -1;
    }

    private void close(Conn c) {
        unsubscribe(c);
        c.key.cancel();
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}

package io.lumadb.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 keep-alive client connection over a plain blocking socket, for load generation.
 *
 * <p>It sends a request that the caller has already encoded (see {@link RequestBytes}) and reads
 * exactly one response, decoded by Netty's HTTP codec (any framing: {@code Content-Length},
 * chunked, or up to the connection's close). The socket is read and written by the calling
 * thread: Netty's decoder runs in an {@link EmbeddedChannel}, with no event loop or thread
 * hand-off, so an exchange costs what a blocking driver's does (the YCSB and query figures are
 * compared with PostgreSQL's blocking JDBC driver). A malformed or truncated response fails
 * with an {@link IOException} that says what was seen. No pipelining: one request in flight at
 * a time. HEAD requests are not supported (their responses announce a length without a body).
 *
 * <p>The last response's body stays readable through {@link #body()} and {@link #bodyLength()}
 * until the next exchange; the array is reused. The connection (re)opens lazily, and closes
 * after a response that does not keep it alive; {@link #connects()} counts the opens so a
 * benchmark can report connection churn. Not thread-safe: one connection per client thread.
 */
public final class HttpConnection implements Closeable {

    /** Largest status line plus headers accepted; LumaDB's are a few hundred bytes. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private static final int READ_BYTES = 16 * 1024;

    private final InetSocketAddress address;
    private final int timeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private EmbeddedChannel decoder;
    private boolean endOfStream;
    private long connects;

    private byte[] body = new byte[16 * 1024];
    private int bodyLength;

    /**
     * A connection to {@code address}, opened on first use.
     *
     * @param timeoutMillis connect timeout and read timeout: a server that does not answer within
     *     it fails the exchange with a {@link java.net.SocketTimeoutException} instead of stalling
     *     the benchmark
     */
    public HttpConnection(InetSocketAddress address, int timeoutMillis) {
        this.address = address;
        this.timeoutMillis = timeoutMillis;
    }

    /** Opens the socket now if it is not open, so that connecting is not part of a first exchange. */
    public void connect() throws IOException {
        if (socket != null) {
            return;
        }
        Socket s = new Socket();
        try {
            // Small requests must leave at once; Nagle would add up to 40 ms to a latency sample.
            s.setTcpNoDelay(true);
            s.setSoTimeout(timeoutMillis);
            s.connect(address, timeoutMillis);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        in = s.getInputStream();
        out = s.getOutputStream();
        decoder = new EmbeddedChannel(
                new HttpResponseDecoder(new HttpDecoderConfig().setMaxHeaderSize(MAX_HEADER_BYTES)),
                new HttpObjectAggregator(Integer.MAX_VALUE));
        endOfStream = false;
        connects++;
    }

    /** Sends {@code request} (a whole encoded request) and reads the response; returns its status. */
    public int exchange(byte[] request) throws IOException {
        return exchange(request, 0, request.length);
    }

    /**
     * Sends {@code length} bytes of {@code request} from {@code offset} (one whole encoded
     * request) and reads the response; returns its status. On any {@link IOException} the
     * connection is closed, so the next exchange starts on a fresh one.
     */
    public int exchange(byte[] request, int offset, int length) throws IOException {
        try {
            connect();
            // One write of the whole request: the socket stream is unbuffered, so this is one send
            // and the server never waits for a second packet of a small request.
            out.write(request, offset, length);
            return readResponse();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Reads the next final (non-1xx) response; returns its status. */
    private int readResponse() throws IOException {
        while (true) {
            FullHttpResponse response = decoder.readInbound();
            if (response == null) {
                read();
                continue;
            }
            try {
                if (response.decoderResult().isFailure()) {
                    throw new ProtocolException("malformed or truncated response: "
                            + response.decoderResult().cause().getMessage());
                }
                int status = response.status().code();
                // 1xx answers are interim (100 Continue); the real response follows on the same connection.
                if (status >= 200) {
                    ByteBuf content = response.content();
                    bodyLength = content.readableBytes();
                    if (body.length < bodyLength) {
                        body = new byte[Math.max(bodyLength, body.length * 2)];
                    }
                    content.readBytes(body, 0, bodyLength);
                    if (endOfStream || !HttpUtil.isKeepAlive(response)) {
                        close();
                    }
                    return status;
                }
            } finally {
                response.release();
            }
        }
    }

    /** Feeds the decoder what the socket has, waiting for at least one byte. */
    private void read() throws IOException {
        if (endOfStream) {
            throw new EOFException("connection closed by the server before a complete response");
        }
        ByteBuf bytes = decoder.alloc().heapBuffer(READ_BYTES);
        int n;
        try {
            n = bytes.writeBytes(in, READ_BYTES);
        } catch (IOException e) {
            bytes.release();
            throw e;
        }
        try {
            if (n < 0) {
                bytes.release();
                // The decoder completes a response framed by the close, and fails a truncated one.
                endOfStream = true;
                decoder.finish();
            } else {
                decoder.writeInbound(bytes);
            }
        } catch (RuntimeException e) {
            throw new ProtocolException("malformed or truncated response: " + e);
        }
    }

    /** The buffer holding the last response's body in {@code [0, bodyLength())}; reused. */
    public byte[] body() {
        return body;
    }

    /** Length of the last response's body. */
    public int bodyLength() {
        return bodyLength;
    }

    /** The last response's body decoded as UTF-8 (allocates; for setup and error reports). */
    public String bodyString() {
        return new String(body, 0, bodyLength, StandardCharsets.UTF_8);
    }

    /**
     * One setup request ({@code json} the body, or null for none): returns the body of a 2xx
     * answer and throws, naming the request and the answer, on any other.
     */
    public String require(String method, String host, String path, String json) throws IOException {
        byte[] request = json == null
                ? RequestBytes.request(method, host, path)
                : RequestBytes.request(method, host, path, "application/json", json.getBytes(StandardCharsets.UTF_8));
        int answer = exchange(request);
        if (answer < 200 || answer >= 300) {
            throw new IOException(method + " " + path + (json == null ? "" : " " + json) + " answered " + answer + ": "
                    + bodyString());
        }
        return bodyString();
    }

    /** How many times this connection opened a socket (1 for a connection kept alive throughout). */
    public long connects() {
        return connects;
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing is best effort; the socket is dropped either way.
            }
            decoder.finishAndReleaseAll();
            socket = null;
            in = null;
            out = null;
            decoder = null;
        }
    }

    /** Up to {@code max} bytes as text, control characters escaped, for error messages. */
    static String printable(byte[] b, int from, int length, int max) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < from + Math.min(length, max); i++) {
            int c = b[i] & 0xFF;
            switch (c) {
                case '\r' -> s.append("\\r");
                case '\n' -> s.append("\\n");
                case '\t' -> s.append("\\t");
                default -> s.append(c < 0x20 || c == 0x7F ? String.format("\\x%02x", c) : String.valueOf((char) c));
            }
        }
        return length > max ? s + "... (" + length + " bytes)" : s.toString();
    }
}

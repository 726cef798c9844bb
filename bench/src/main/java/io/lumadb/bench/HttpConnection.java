package io.lumadb.bench;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One HTTP/1.1 keep-alive client connection over a plain blocking socket, for load generation.
 *
 * <p>It sends a request that the caller has already encoded (see {@link RequestBytes}) and reads
 * exactly one response: the status line, the headers and a body framed by {@code
 * Content-Length}. It guarantees that a response it returns was framed correctly, and it throws
 * instead of guessing: a chunked or otherwise transfer-encoded response, a response with neither
 * {@code Content-Length} nor an empty-body status, a malformed status line or header, and a
 * connection closed mid-response all fail with an {@link IOException} that says what was seen.
 * No pipelining: one request in flight at a time. HEAD requests are not supported (their
 * responses announce a length without a body).
 *
 * <p>The last response's body stays readable through {@link #body()} and {@link #bodyLength()}
 * until the next exchange; the buffers are reused, so steady-state exchanges allocate nothing.
 * The connection (re)opens lazily, and closes after a response carrying {@code Connection:
 * close}; {@link #connects()} counts the opens so a benchmark can report connection churn. Not
 * thread-safe: one connection per client thread.
 */
public final class HttpConnection implements Closeable {

    private static final byte[] HTTP_1 = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION = "connection".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "close".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IDENTITY = "identity".getBytes(StandardCharsets.US_ASCII);

    /** Largest status line plus headers accepted; LumaDB's are a few hundred bytes. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private final InetSocketAddress address;
    private final int timeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private long connects;

    // Read buffer: bytes [pos, limit) are received but not yet consumed.
    private final byte[] buf = new byte[MAX_HEADER_BYTES];
    private int pos;
    private int limit;

    private byte[] body = new byte[16 * 1024];
    private int bodyLength;
    private int status;

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
        if (socket == null) {
            open();
        }
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
            if (socket == null) {
                open();
            }
            // One write of the whole request: the socket stream is unbuffered, so this is one send
            // and the server never waits for a second packet of a small request.
            out.write(request, offset, length);
            readResponse();
            return status;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Status of the last response. */
    public int status() {
        return status;
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

    private void open() throws IOException {
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
        pos = 0;
        limit = 0;
        connects++;
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing is best effort; the socket is dropped either way.
            }
            socket = null;
            in = null;
            out = null;
        }
        pos = 0;
        limit = 0;
    }

    // ---- response parsing

    private void readResponse() throws IOException {
        while (true) {
            int headerEnd = readHeaderBlock();
            boolean closeAfter = parseHead(headerEnd);
            // 1xx answers are interim (100 Continue); the real response follows on the same connection.
            if (status >= 100 && status < 200) {
                continue;
            }
            if (closeAfter) {
                close();
            }
            return;
        }
    }

    /**
     * Reads until the buffer holds a complete status line and header block starting at {@code
     * pos}; returns the index just past its closing empty line.
     */
    private int readHeaderBlock() throws IOException {
        int scanFrom = pos;
        while (true) {
            int end = indexOfEmptyLine(buf, scanFrom, limit);
            if (end >= 0) {
                return end;
            }
            scanFrom = Math.max(pos, limit - 3);
            if (pos > 0 && limit == buf.length) {
                // Move the partial header to the front to make room for the rest of it.
                System.arraycopy(buf, pos, buf, 0, limit - pos);
                scanFrom -= pos;
                limit -= pos;
                pos = 0;
            }
            if (limit == buf.length) {
                throw new ProtocolException("response header is larger than " + MAX_HEADER_BYTES + " bytes");
            }
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                throw new EOFException(
                        limit == pos
                                ? "connection closed by the server before any response byte"
                                : "connection closed by the server in the middle of a response header: "
                                        + printable(buf, pos, limit - pos, 200));
            }
            limit += n;
        }
    }

    /** Finds CRLF CRLF in {@code b[from, to)}; returns the index after it, or -1. */
    static int indexOfEmptyLine(byte[] b, int from, int to) {
        for (int i = from; i + 3 < to; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    /** Parses the head in {@code buf[pos, headerEnd)}, then reads the body; returns "close after". */
    private boolean parseHead(int headerEnd) throws IOException {
        int lineEnd = indexOfCrlf(buf, pos, headerEnd);
        // Status line: HTTP/1.x SP 3DIGIT SP reason (the reason may be empty, and so may the SP
        // before it in sloppy servers).
        if (lineEnd - pos < 12
                || !startsWith(buf, pos, HTTP_1)
                || buf[pos + 8] != ' '
                || !isDigit(buf[pos + 9])
                || !isDigit(buf[pos + 10])
                || !isDigit(buf[pos + 11])
                || (lineEnd - pos > 12 && buf[pos + 12] != ' ')) {
            throw new ProtocolException("malformed status line: " + printable(buf, pos, lineEnd - pos, 200));
        }
        boolean http10 = buf[pos + 7] == '0';
        status = (buf[pos + 9] - '0') * 100 + (buf[pos + 10] - '0') * 10 + (buf[pos + 11] - '0');
        long contentLength = -1;
        boolean closeAfter = http10;
        int line = lineEnd + 2;
        while (line < headerEnd - 2) {
            int end = indexOfCrlf(buf, line, headerEnd);
            int colon = indexOf(buf, line, end, (byte) ':');
            if (colon <= line) {
                throw new ProtocolException("malformed header line: " + printable(buf, line, end - line, 200));
            }
            int v = colon + 1;
            int ve = end;
            while (v < ve && (buf[v] == ' ' || buf[v] == '\t')) {
                v++;
            }
            while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) {
                ve--;
            }
            if (equalsIgnoreCase(buf, line, colon, CONTENT_LENGTH)) {
                long value = parseLength(buf, v, ve);
                if (contentLength >= 0 && value != contentLength) {
                    throw new ProtocolException(
                            "conflicting Content-Length headers: " + contentLength + " and " + value);
                }
                contentLength = value;
            } else if (equalsIgnoreCase(buf, line, colon, TRANSFER_ENCODING)) {
                if (!equalsIgnoreCase(buf, v, ve, IDENTITY)) {
                    throw new ProtocolException("the server sent a response with Transfer-Encoding: "
                            + printable(buf, v, ve - v, 100) + " (status " + status
                            + "); this load generator reads only "
                            + "Content-Length framed bodies, so it refuses to guess the response size");
                }
            } else if (equalsIgnoreCase(buf, line, colon, CONNECTION)) {
                if (containsIgnoreCase(buf, v, ve, CLOSE)) {
                    closeAfter = true;
                }
            }
            line = end + 2;
        }
        pos = headerEnd;
        if (status < 200 || status == 204 || status == 304) {
            // These never carry a body, whatever the headers say (RFC 9112, 6.3).
            bodyLength = 0;
        } else if (contentLength < 0) {
            throw new ProtocolException("response (status " + status + ") has neither Content-Length nor a "
                    + "body-less status; reading a body up to connection close is not supported");
        } else {
            readBody(contentLength);
        }
        return closeAfter;
    }

    private void readBody(long contentLength) throws IOException {
        if (contentLength > Integer.MAX_VALUE - 16) {
            throw new ProtocolException("response body too large: " + contentLength + " bytes");
        }
        int n = (int) contentLength;
        if (body.length < n) {
            body = Arrays.copyOf(body, Math.max(n, body.length * 2));
        }
        int buffered = Math.min(n, limit - pos);
        System.arraycopy(buf, pos, body, 0, buffered);
        pos += buffered;
        int have = buffered;
        while (have < n) {
            int r = in.read(body, have, n - have);
            if (r < 0) {
                throw new EOFException("connection closed by the server after " + have + " of " + n
                        + " body bytes (status " + status + ")");
            }
            have += r;
        }
        bodyLength = n;
        if (pos == limit) {
            // Everything consumed: rewind so the next header lands at the front of the buffer.
            pos = 0;
            limit = 0;
        }
    }

    private static long parseLength(byte[] b, int from, int to) throws ProtocolException {
        if (from == to || to - from > 18) {
            throw new ProtocolException("invalid Content-Length: " + printable(b, from, to - from, 40));
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            if (!isDigit(b[i])) {
                throw new ProtocolException("invalid Content-Length: " + printable(b, from, to - from, 40));
            }
            value = value * 10 + (b[i] - '0');
        }
        return value;
    }

    private static int indexOfCrlf(byte[] b, int from, int to) {
        for (int i = from; i + 1 < to; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return to;
    }

    private static int indexOf(byte[] b, int from, int to, byte c) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static boolean startsWith(byte[] b, int at, byte[] prefix) {
        return Arrays.equals(b, at, at + prefix.length, prefix, 0, prefix.length);
    }

    /** ASCII case-insensitive equality of {@code b[from, to)} and lower-case {@code lower}. */
    private static boolean equalsIgnoreCase(byte[] b, int from, int to, byte[] lower) {
        if (to - from != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            if (toLower(b[from + i]) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean containsIgnoreCase(byte[] b, int from, int to, byte[] lower) {
        for (int i = from; i + lower.length <= to; i++) {
            if (equalsIgnoreCase(b, i, i + lower.length, lower)) {
                return true;
            }
        }
        return false;
    }

    private static byte toLower(byte c) {
        return c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c;
    }

    /** Up to {@code max} bytes as text, control characters escaped, for error messages. */
    static String printable(byte[] b, int from, int length, int max) {
        StringBuilder s = new StringBuilder();
        int n = Math.min(length, max);
        for (int i = 0; i < n; i++) {
            int c = b[from + i] & 0xFF;
            switch (c) {
                case '\r' -> s.append("\\r");
                case '\n' -> s.append("\\n");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        s.append(String.format("\\x%02x", c));
                    } else {
                        s.append((char) c);
                    }
                }
            }
        }
        if (length > max) {
            s.append("... (").append(length).append(" bytes)");
        }
        return s.toString();
    }
}

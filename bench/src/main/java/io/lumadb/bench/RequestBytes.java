package io.lumadb.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes HTTP/1.1 requests into bytes ready for {@link HttpConnection#exchange(byte[], int,
 * int)}, and doubles as a growable, reusable byte buffer for building request bodies without
 * allocating per request.
 *
 * <p>Encoded requests always carry {@code Host}, and {@code Content-Type} plus an exact {@code
 * Content-Length} when they have a body (never chunked), so the server can frame them and keep
 * the connection alive. Paths are written as given: callers pass paths that need no escaping.
 */
public final class RequestBytes {

    private byte[] bytes;
    private int length;

    /** An empty buffer with room for {@code capacity} bytes (it grows as needed). */
    public RequestBytes(int capacity) {
        bytes = new byte[Math.max(16, capacity)];
    }

    /** A complete request without a body, such as a GET. */
    public static byte[] request(String method, String host, String path) {
        String head = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: lumadb-bench\r\n"
                + (method.equals("GET") || method.equals("HEAD") || method.equals("DELETE")
                        ? ""
                        : "Content-Length: 0\r\n")
                + "\r\n";
        return head.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A complete request without a body, with extra header lines ({@code extraHeaders} is empty
     * or lines each ending in CRLF, such as an {@code Authorization} line).
     */
    public static byte[] request(String method, String host, String path, String extraHeaders) {
        String head = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: lumadb-bench\r\n"
                + (method.equals("GET") || method.equals("HEAD") || method.equals("DELETE")
                        ? ""
                        : "Content-Length: 0\r\n")
                + extraHeaders
                + "\r\n";
        return head.getBytes(StandardCharsets.US_ASCII);
    }

    /** A complete request with {@code body} of type {@code contentType}. */
    public static byte[] request(String method, String host, String path, String contentType, byte[] body) {
        return request(method, host, path, contentType, body, "");
    }

    /** A complete request with {@code body} of type {@code contentType} and extra header lines (see {@link #request(String, String, String, String)}). */
    public static byte[] request(
            String method, String host, String path, String contentType, byte[] body, String extraHeaders) {
        RequestBytes r = new RequestBytes(body.length + 256 + extraHeaders.length());
        r.appendHead(method, host, path, contentType, body.length, extraHeaders);
        r.append(body, 0, body.length);
        return r.toByteArray();
    }

    /** Appends a request line and headers for a body of {@code contentLength} bytes to follow. */
    public RequestBytes appendHead(String method, String host, String path, String contentType, int contentLength) {
        return appendHead(method, host, path, contentType, contentLength, "");
    }

    /**
     * Like {@link #appendHead(String, String, String, String, int)}, with extra header lines
     * ({@code extraHeaders} is empty or lines each ending in CRLF).
     */
    public RequestBytes appendHead(
            String method, String host, String path, String contentType, int contentLength, String extraHeaders) {
        return append(method)
                .append(" ")
                .append(path)
                .append(" HTTP/1.1\r\nHost: ")
                .append(host)
                .append("\r\nUser-Agent: lumadb-bench\r\nContent-Type: ")
                .append(contentType)
                .append("\r\nContent-Length: ")
                .append(contentLength)
                .append("\r\n")
                .append(extraHeaders)
                .append("\r\n");
    }

    /** Appends {@code s}, which must be ASCII (request lines, headers, generated JSON). */
    public RequestBytes append(String s) {
        int n = s.length();
        ensure(n);
        // Char by char instead of getBytes(): exact for ASCII and no intermediate array per call.
        for (int i = 0; i < n; i++) {
            bytes[length + i] = (byte) s.charAt(i);
        }
        length += n;
        return this;
    }

    /** Appends the decimal digits of {@code v}. */
    public RequestBytes append(long v) {
        return append(Long.toString(v));
    }

    /** Appends one byte. */
    public RequestBytes appendByte(int b) {
        ensure(1);
        bytes[length++] = (byte) b;
        return this;
    }

    /** Appends {@code n} bytes of {@code src} from {@code from}. */
    public RequestBytes append(byte[] src, int from, int n) {
        ensure(n);
        System.arraycopy(src, from, bytes, length, n);
        length += n;
        return this;
    }

    /** Appends the whole content of {@code other}. */
    public RequestBytes append(RequestBytes other) {
        return append(other.bytes, 0, other.length);
    }

    /** Forgets the content, keeping the capacity. */
    public RequestBytes clear() {
        length = 0;
        return this;
    }

    /** Number of bytes written. */
    public int length() {
        return length;
    }

    /** The backing array; bytes {@code [0, length())} are the content. Valid until the next append. */
    public byte[] array() {
        return bytes;
    }

    /** A copy of the content. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, length);
    }

    private void ensure(int extra) {
        if (length + extra > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(length + extra, bytes.length * 2));
        }
    }
}

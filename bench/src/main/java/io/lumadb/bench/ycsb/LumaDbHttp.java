package io.lumadb.bench.ycsb;

import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * LumaDB's HTTP API at an {@code http://host:port[/prefix]} URL, as the YCSB binding and the query
 * benchmark reach it: with the same hand-made HTTP/1.1 client ({@link HttpConnection}), so that no
 * client library's cost is measured. It holds one keep-alive connection for setup requests (or a
 * YCSB client thread's operations) and opens more for the query benchmark's client threads.
 * Given an {@code Authorization} header value, it sends it with every setup request ({@link
 * #expect}) and offers it as a ready header line ({@link #authorizationLine()}) for hand-built
 * requests; without one, requests carry no such header.
 */
public final class LumaDbHttp implements AutoCloseable {

    private final String url;
    private final InetSocketAddress address;
    private final String host;
    private final String basePath;
    private final int timeoutMillis;
    private final HttpConnection connection;
    private final String authorizationLine;

    /** {@code timeoutMillis} is the connect and read timeout of every connection. */
    public LumaDbHttp(String url, int timeoutMillis) {
        this(url, timeoutMillis, null);
    }

    /**
     * Like {@link #LumaDbHttp(String, int)}, with {@code authorization} (the whole value of an
     * {@code Authorization} header, such as {@code Bearer luma_...}; null or blank for none).
     *
     * @throws IllegalArgumentException if {@code authorization} is not one line of printable ASCII
     */
    public LumaDbHttp(String url, int timeoutMillis, String authorization) {
        URI uri = URI.create(url);
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("LumaDB's URL must be an http:// URL, got '" + url + "'");
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        this.url = url;
        this.address = new InetSocketAddress(uri.getHost(), port);
        this.host = uri.getHost() + ":" + port;
        this.basePath = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        this.timeoutMillis = timeoutMillis;
        this.authorizationLine = authorizationLine(authorization);
        this.connection = newConnection();
    }

    /**
     * {@code Authorization: <value>} and CRLF, or the empty string for a null or blank value.
     *
     * @throws IllegalArgumentException if {@code value} is not one line of printable ASCII (a CR
     *     or LF would end the header and start another)
     */
    public static String authorizationLine(String value) {
        if (value == null || value.isBlank()) {
            return "";
        }
        String v = value.strip();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new IllegalArgumentException("an Authorization header value must be printable ASCII on one line;"
                        + " found character U+" + String.format("%04X", (int) c) + " at index " + i);
            }
        }
        return "Authorization: " + v + "\r\n";
    }

    /** The {@code Authorization} header line (ending in CRLF) this API sends, or the empty string for none. */
    public String authorizationLine() {
        return authorizationLine;
    }

    public String url() {
        return url;
    }

    /** The Host header. */
    public String host() {
        return host;
    }

    /** The API path of {@code names} (database, collection, ...), each percent-encoded. */
    public String path(String... names) {
        StringBuilder path = new StringBuilder(basePath).append("/api/v1");
        for (String name : names) {
            path.append('/').append(encode(name));
        }
        return path.toString();
    }

    /** The kept-alive connection. */
    public HttpConnection connection() {
        return connection;
    }

    /** Another connection to the server, opened on first use. */
    public HttpConnection newConnection() {
        return new HttpConnection(address, timeoutMillis);
    }

    /**
     * One request on the kept-alive connection ({@code json} the body, or null for none): returns
     * the answer's body if its status is one of {@code statuses}, else throws naming both. Setup
     * requests are idempotent, so one that fails on a connection the server closed while it sat
     * idle (EOF or a reset, e.g. after minutes of measurement) is sent again on a fresh one.
     */
    public String expect(String method, String path, String json, int... statuses) throws IOException {
        byte[] request = json == null
                ? RequestBytes.request(method, host, path, authorizationLine)
                : RequestBytes.request(
                        method,
                        host,
                        path,
                        "application/json",
                        json.getBytes(StandardCharsets.UTF_8),
                        authorizationLine);
        int status = exchange(connection, request, request.length, true);
        for (int s : statuses) {
            if (status == s) {
                return connection.bodyString();
            }
        }
        throw new IOException(method + " " + path + (json == null ? "" : " " + abbreviate(json)) + " answered " + status
                + ": " + abbreviate(connection.bodyString()));
    }

    /**
     * Sends the first {@code length} bytes of {@code request} on {@code c} and returns the status;
     * sends it once more if a kept-alive connection turned out closed: at EOF, or at any failure if
     * {@code anyFailure}. A fresh connection that fails is not retried: the server is the problem.
     */
    public static int exchange(HttpConnection c, byte[] request, int length, boolean anyFailure) throws IOException {
        long connects = c.connects();
        try {
            return c.exchange(request, 0, length);
        } catch (IOException e) {
            if (c.connects() != connects || !(anyFailure || e instanceof EOFException)) {
                throw e;
            }
            return c.exchange(request, 0, length);
        }
    }

    /** Percent-encodes all but RFC 3986's unreserved characters, as UTF-8 with upper-case hex digits. */
    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8)
                .replace("+", "%20")
                .replace("*", "%2A")
                .replace("%7E", "~");
    }

    /** {@code s}, cut to its first 600 characters, for error messages. */
    public static String abbreviate(String s) {
        return s.length() <= 600 ? s : s.substring(0, 600) + "... (" + s.length() + " characters)";
    }

    @Override
    public void close() {
        connection.close();
    }
}

package io.lumadb.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests no well-behaved client library would send: raw
 * request targets with dot segments, malformed framing, odd headers. Every request goes on a
 * connection of its own, which the server is asked to close after answering.
 */
public final class RawHttp {

    private final int port;

    public RawHttp(int port) {
        this.port = port;
    }

    /** An answer as it came off the wire; {@code status} is -1 when the connection closed first. */
    public record Answer(int status, Map<String, String> headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public JsonNode json() {
            try {
                return TestHttp.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + text(), e);
            }
        }

        public boolean isProblem() {
            String type = header("content-type");
            return type != null && type.startsWith("application/problem+json");
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + text();
        }
    }

    /**
     * Sends {@code method target} with the given extra header lines and body (a
     * Content-Length is added when there is a body and the headers name none).
     */
    public Answer send(String method, String target, String body, String... headerLines) {
        StringBuilder head =
                new StringBuilder().append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        boolean hasHost = false;
        boolean hasLength = false;
        for (String line : headerLines) {
            String lower = line.toLowerCase(Locale.ROOT);
            hasHost |= lower.startsWith("host:");
            hasLength |= lower.startsWith("content-length:") || lower.startsWith("transfer-encoding:");
            head.append(line).append("\r\n");
        }
        if (!hasHost) {
            head.append("Host: 127.0.0.1:").append(port).append("\r\n");
        }
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null && !hasLength) {
            head.append("Content-Length: ").append(bytes.length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        request.writeBytes(bytes);
        return exchange(request.toByteArray());
    }

    /** Writes {@code request} as it is and reads one answer (until the server closes). */
    public Answer exchange(byte[] request) {
        return exchange(request, 30_000);
    }

    /**
     * Writes {@code request} as it is and reads what the server sends until it closes the
     * connection or is silent for {@code timeoutMillis}.
     */
    public Answer exchange(byte[] request, int timeoutMillis) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(timeoutMillis);
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            } catch (java.net.SocketException closedEarly) {
                // the server answered and closed before it read everything: read its answer
            }
            return read(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One answer: the head, then a body framed by Content-Length or chunked encoding, or else
     * everything until the server closes. -1 when the connection closed (or stayed silent)
     * before a status line.
     */
    public static Answer read(InputStream in) throws IOException {
        String statusLine;
        try {
            statusLine = line(in);
        } catch (SocketTimeoutException | java.net.SocketException e) {
            statusLine = null;
        }
        if (statusLine == null || !statusLine.startsWith("HTTP/1.")) {
            return new Answer(-1, Map.of(), new byte[0]);
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(
                    h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    h.substring(colon + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            if (headers.containsKey("content-length")) {
                body.writeBytes(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                for (int size = chunkSize(line(in)); size > 0; size = chunkSize(line(in))) {
                    body.writeBytes(in.readNBytes(size));
                    line(in);
                }
            } else {
                in.transferTo(body);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // what arrived so far is the body
        }
        return new Answer(status, headers, body.toByteArray());
    }

    private static int chunkSize(String line) {
        return line == null ? 0 : Integer.parseInt(line.split(";")[0].trim(), 16);
    }

    /** A line without its CRLF (or LF); null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return out.size() == 0 ? null : out.toString(StandardCharsets.ISO_8859_1);
            }
            if (b != '\r') {
                out.write(b);
            }
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }
}

package io.lumadb.bench.streams;

import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Decodes the bytes a server sends on one SSE request: the HTTP/1.1 response head, then a body
 * that is chunked or runs until the connection closes, parsed by an {@link SseParser}. A response
 * other than {@code 200} with {@code Content-Type: text/event-stream} fails with a {@link
 * ProtocolException} that carries the status and the start of the body, so that a benchmark
 * reports what the server said instead of counting silence. Not thread-safe.
 */
public final class SseResponseDecoder {

    static final int MAX_HEAD = 16 * 1024;

    private final SseParser parser;
    private final ChunkedDecoder chunks;
    private byte[] head = new byte[512];
    private int headLength;
    private boolean inBody;
    private boolean chunked;
    private int status;
    private String rejected; // the head of a refused response: its body is collected for the message
    private final StringBuilder rejectedBody = new StringBuilder();

    public SseResponseDecoder(SseParser.Listener listener) {
        this.parser = new SseParser(listener);
        this.chunks = new ChunkedDecoder(parser::feed);
    }

    /** Decodes the next {@code length} bytes of the connection. */
    public void feed(byte[] b, int offset, int length) throws ProtocolException {
        int i = offset;
        int end = offset + length;
        if (!inBody) {
            i = readHead(b, i, end);
            if (!inBody) {
                return;
            }
        }
        if (rejected != null) {
            // Whatever of the body came with the head goes into the message; no waiting for more.
            rejectedBody.append(new String(b, i, Math.min(end - i, 512), StandardCharsets.UTF_8));
            throw refused();
        }
        if (i == end) {
            return;
        }
        if (!chunked) {
            parser.feed(b, i, end - i);
        } else if (!chunks.done()) {
            int used = chunks.feed(b, i, end - i);
            if (used < end - i) {
                throw new ProtocolException("bytes after the end of the event stream");
            }
        } else {
            throw new ProtocolException("bytes after the end of the event stream");
        }
    }

    /** The connection closed: an error unless the stream could end there. */
    public void closed() throws ProtocolException {
        if (rejected != null) {
            throw refused();
        }
        if (!inBody) {
            throw new ProtocolException("connection closed before a complete response head ("
                    + headLength + " bytes: "
                    + new String(head, 0, Math.min(headLength, 200), StandardCharsets.ISO_8859_1)
                    + ")");
        }
        if (chunked && !chunks.done()) {
            throw new ProtocolException("connection closed in the middle of the chunked event stream");
        }
    }

    /** Whether the server ended the stream (the last chunk arrived). */
    public boolean ended() {
        return chunked && chunks.done();
    }

    public boolean inBody() {
        return inBody;
    }

    public int status() {
        return status;
    }

    /** Events dispatched so far. */
    public long events() {
        return parser.events();
    }

    private ProtocolException refused() {
        return new ProtocolException(
                rejected + "; body: " + rejectedBody.toString().strip());
    }

    private int readHead(byte[] b, int i, int end) throws ProtocolException {
        while (i < end) {
            if (headLength == head.length) {
                if (head.length >= MAX_HEAD) {
                    throw new ProtocolException("response head longer than " + MAX_HEAD + " bytes");
                }
                head = Arrays.copyOf(head, head.length * 2);
            }
            head[headLength++] = b[i++];
            if (headLength >= 4
                    && head[headLength - 1] == '\n'
                    && head[headLength - 2] == '\r'
                    && head[headLength - 3] == '\n'
                    && head[headLength - 4] == '\r') {
                parseHead();
                inBody = true;
                return i;
            }
        }
        return i;
    }

    private void parseHead() throws ProtocolException {
        String text = new String(head, 0, headLength - 4, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new ProtocolException("not an HTTP/1.x status line: " + lines[0]);
        }
        try {
            status = Integer.parseInt(statusLine[1]);
        } catch (NumberFormatException e) {
            throw new ProtocolException("not an HTTP/1.x status line: " + lines[0]);
        }
        String contentType = "";
        for (int k = 1; k < lines.length; k++) {
            int colon = lines[k].indexOf(':');
            if (colon <= 0) {
                throw new ProtocolException("malformed header line: " + lines[k]);
            }
            String name = lines[k].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[k].substring(colon + 1).trim();
            if (name.equals("transfer-encoding")) {
                if (!value.equalsIgnoreCase("chunked")) {
                    throw new ProtocolException("unsupported Transfer-Encoding: " + value);
                }
                chunked = true;
            } else if (name.equals("content-type")) {
                contentType = value;
            }
        }
        if (status != 200 || !contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
            rejected = "the server answered " + lines[0] + " with Content-Type '" + contentType
                    + "' instead of 200 text/event-stream";
        }
    }
}

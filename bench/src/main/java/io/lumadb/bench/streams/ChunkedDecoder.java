package io.lumadb.bench.streams;

import java.net.ProtocolException;

/**
 * An incremental decoder of an HTTP/1.1 {@code Transfer-Encoding: chunked} body (RFC 9112
 * section 7.1): hex chunk sizes with optional extensions, CRLF after each chunk's data, a zero-size
 * last chunk and optional trailer lines. The chunks' data goes to a {@link Sink} as it arrives,
 * without copying; anything malformed fails with a {@link ProtocolException} saying what was seen.
 * Not thread-safe: one decoder per response.
 */
public final class ChunkedDecoder {

    /** Receives the decoded body, a piece at a time. */
    @FunctionalInterface
    public interface Sink {
        void body(byte[] bytes, int offset, int length);
    }

    private enum State {
        SIZE,
        EXTENSION,
        SIZE_LF,
        DATA,
        DATA_CR,
        DATA_LF,
        TRAILER,
        TRAILER_LF,
        DONE
    }

    private static final long MAX_CHUNK = 1L << 40;

    private final Sink sink;
    private State state = State.SIZE;
    private long size;
    private int sizeDigits;
    private long remaining;
    private int trailerLineLength;

    public ChunkedDecoder(Sink sink) {
        this.sink = sink;
    }

    /** Whether the last chunk (and its trailer) has been read: the body is complete. */
    public boolean done() {
        return state == State.DONE;
    }

    /**
     * Decodes {@code length} bytes from {@code offset}; returns how many it consumed, which is
     * less than {@code length} only once the body is complete (the rest belongs to whatever follows).
     */
    public int feed(byte[] b, int offset, int length) throws ProtocolException {
        int i = offset;
        int end = offset + length;
        while (i < end && state != State.DONE) {
            switch (state) {
                case SIZE -> {
                    byte c = b[i];
                    int digit = Character.digit(c, 16);
                    if (digit >= 0) {
                        size = size * 16 + digit;
                        if (++sizeDigits > 10 || size > MAX_CHUNK) {
                            throw new ProtocolException("chunk size too large");
                        }
                        i++;
                    } else if (sizeDigits == 0) {
                        throw new ProtocolException("expected a hex chunk size, got byte " + (c & 0xff));
                    } else if (c == ';' || c == ' ' || c == '\t') {
                        state = State.EXTENSION;
                        i++;
                    } else if (c == '\r') {
                        state = State.SIZE_LF;
                        i++;
                    } else {
                        throw new ProtocolException("unexpected byte " + (c & 0xff) + " after a chunk size");
                    }
                }
                case EXTENSION -> {
                    if (b[i] == '\r') {
                        state = State.SIZE_LF;
                    }
                    i++;
                }
                case SIZE_LF -> {
                    expect(b[i++], '\n', "after a chunk size");
                    remaining = size;
                    state = size == 0 ? State.TRAILER : State.DATA;
                    size = 0;
                    sizeDigits = 0;
                    trailerLineLength = 0;
                }
                case DATA -> {
                    int n = (int) Math.min(remaining, end - i);
                    sink.body(b, i, n);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.DATA_CR;
                    }
                }
                case DATA_CR -> {
                    expect(b[i++], '\r', "after chunk data");
                    state = State.DATA_LF;
                }
                case DATA_LF -> {
                    expect(b[i++], '\n', "after chunk data");
                    state = State.SIZE;
                }
                case TRAILER -> {
                    if (b[i] == '\r') {
                        state = State.TRAILER_LF;
                    } else {
                        trailerLineLength++;
                    }
                    i++;
                }
                case TRAILER_LF -> {
                    expect(b[i++], '\n', "in the trailer");
                    state = trailerLineLength == 0 ? State.DONE : State.TRAILER;
                    trailerLineLength = 0;
                }
                case DONE -> throw new AssertionError();
            }
        }
        return i - offset;
    }

    private static void expect(byte actual, char wanted, String where) throws ProtocolException {
        if (actual != wanted) {
            throw new ProtocolException(
                    "expected " + (wanted == '\r' ? "CR" : "LF") + " " + where + ", got byte " + (actual & 0xff));
        }
    }
}

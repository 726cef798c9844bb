package io.lumadb.sql.pgwire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * Cuts the bytes a client sends into the messages of the PostgreSQL protocol, version 3: first
 * untyped ones ({@code int32 length}, then a request code: a startup message, an SSL or GSS
 * encryption request, a cancel request), and after the startup message typed ones ({@code byte
 * type}, {@code int32 length}, body). A length outside the protocol's bounds is a protocol
 * violation, never an allocation.
 */
final class PgFrames {

    static final int SSL_REQUEST = 80877103;
    static final int GSSENC_REQUEST = 80877104;
    static final int CANCEL_REQUEST = 80877102;

    /** The most a startup message may hold, as in PostgreSQL. */
    static final int MAX_STARTUP_BYTES = 10_000;

    /** One message: its type ({@code 0} for the untyped ones before and at startup) and its body. */
    record Frame(char type, ByteBuffer body) {}

    /** Thrown for bytes that are not the protocol; the connection is closed after saying so. */
    static final class ProtocolViolation extends RuntimeException {
        ProtocolViolation(String message) {
            super(message, null, false, false);
        }
    }

    private final int maxMessageBytes;
    private ByteString pending = ByteString.emptyByteString();
    private boolean started;

    PgFrames(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /** The whole messages that {@code chunk} completes, in order. */
    List<Frame> feed(ByteString chunk) {
        pending = pending.concat(chunk);
        List<Frame> frames = new ArrayList<>(2);
        while (true) {
            int header = started ? 5 : 4;
            if (pending.size() < header) {
                break;
            }
            ByteBuffer head = pending.slice(0, header).asByteBuffer();
            char type = started ? (char) (head.get() & 0xFF) : 0;
            int length = head.getInt();
            int max = started ? maxMessageBytes : MAX_STARTUP_BYTES;
            if (length < 4 || length > max) {
                throw new ProtocolViolation(
                        started
                                ? "invalid message length " + length + " for message type '" + type + "' (at most "
                                        + max + " bytes; lumadb.sql.postgres.max-message-bytes)"
                                : "invalid length of startup packet: " + length);
            }
            int total = length + header - 4;
            if (pending.size() < total) {
                break;
            }
            ByteBuffer body = ByteBuffer.wrap(pending.slice(header, total).toArray());
            pending = pending.drop(total);
            if (!started) {
                if (body.remaining() < 4) {
                    throw new ProtocolViolation("invalid length of startup packet: " + length);
                }
                int code = body.getInt(0);
                // Encryption requests come before the startup message; cancel requests are alone.
                started = code != SSL_REQUEST && code != GSSENC_REQUEST;
            }
            frames.add(new Frame(type, body));
        }
        return frames;
    }
}

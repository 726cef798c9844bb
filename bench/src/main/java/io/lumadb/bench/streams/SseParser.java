package io.lumadb.bench.streams;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An incremental parser of a {@code text/event-stream} body (Netty decodes the HTTP framing
 * around it), as the WHATWG HTML standard defines it: lines end with LF, CRLF or CR (also when
 * the CR and the LF arrive in different reads), {@code :} starts a comment, a field's value loses
 * one leading space, {@code data} lines are joined with LF, a blank line dispatches the event
 * (none when no data was given), and a leading BOM is skipped. {@code id} and {@code retry} are
 * not kept: nothing here resumes a stream.
 *
 * <p>The event handed to the {@link Listener} is a view over reused buffers, valid only during
 * the call, so that steady-state parsing allocates nothing. Not thread-safe: one parser per stream.
 */
public final class SseParser {

    /** Receives each dispatched event. */
    @FunctionalInterface
    public interface Listener {
        void onEvent(SseParser event);
    }

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final byte[] DATA = ascii("data");
    private static final byte[] EVENT = ascii("event");
    private static final byte[] MESSAGE = ascii("message");

    private final Listener listener;
    private byte[] line = new byte[512]; // the current line, which may span reads
    private int lineLength;
    private boolean skipLf; // the last line ended with CR: an LF next is part of that line end
    private boolean firstLine = true;
    private byte[] data = new byte[512];
    private int dataLength;
    private boolean hasData;
    private byte[] type = new byte[32];
    private int typeLength;

    public SseParser(Listener listener) {
        this.listener = listener;
    }

    /** Parses the readable bytes of {@code in}, consuming them; dispatches every event they complete. */
    public void feed(ByteBuf in) {
        while (in.isReadable()) {
            if (skipLf && in.getByte(in.readerIndex()) == '\n') {
                in.skipBytes(1);
            }
            skipLf = false;
            int eol = in.forEachByte(ByteProcessor.FIND_CRLF);
            int n = (eol < 0 ? in.writerIndex() : eol) - in.readerIndex();
            line = grow(line, lineLength + n);
            in.readBytes(line, lineLength, n);
            lineLength += n;
            if (eol < 0) {
                return;
            }
            skipLf = in.readByte() == '\r';
            line();
            lineLength = 0;
        }
    }

    private void line() {
        int from = 0;
        if (firstLine) {
            firstLine = false;
            if (lineLength >= BOM.length && Arrays.equals(line, 0, BOM.length, BOM, 0, BOM.length)) {
                from = BOM.length;
            }
        }
        if (from == lineLength) {
            dispatch();
            return;
        }
        int colon = from;
        while (colon < lineLength && line[colon] != ':') {
            colon++;
        }
        int value = Math.min(colon + 1, lineLength);
        if (value < lineLength && line[value] == ' ') {
            value++;
        }
        int valueLength = lineLength - value;
        if (Arrays.equals(line, from, colon, DATA, 0, DATA.length)) {
            data = grow(data, dataLength + valueLength + 1);
            System.arraycopy(line, value, data, dataLength, valueLength);
            dataLength += valueLength;
            data[dataLength++] = '\n';
            hasData = true;
        } else if (Arrays.equals(line, from, colon, EVENT, 0, EVENT.length)) {
            type = grow(type, valueLength);
            System.arraycopy(line, value, type, 0, valueLength);
            typeLength = valueLength;
        }
        // comments (an empty field name) and other fields are ignored
    }

    private void dispatch() {
        if (hasData) {
            dataLength--; // the last LF
            listener.onEvent(this);
        }
        dataLength = 0;
        hasData = false;
        typeLength = 0;
    }

    private static byte[] grow(byte[] b, int needed) {
        return needed <= b.length ? b : Arrays.copyOf(b, Math.max(b.length * 2, needed));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    // ---- the current event (valid during Listener.onEvent)

    /** Whether the event's type is {@code name} (an event without {@code event:} is a {@code message}). */
    public boolean typeIs(byte[] name) {
        return typeLength == 0
                ? Arrays.equals(name, MESSAGE)
                : Arrays.equals(type, 0, typeLength, name, 0, name.length);
    }

    public String type() {
        return typeLength == 0 ? "message" : new String(type, 0, typeLength, StandardCharsets.UTF_8);
    }

    /** The event's data (its {@code data} lines joined with LF), in {@code dataBytes()[0, dataLength())}. */
    public byte[] dataBytes() {
        return data;
    }

    public int dataLength() {
        return dataLength;
    }

    public String data() {
        return new String(data, 0, dataLength, StandardCharsets.UTF_8);
    }
}

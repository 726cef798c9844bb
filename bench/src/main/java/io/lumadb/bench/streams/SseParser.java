package io.lumadb.bench.streams;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An incremental parser of a {@code text/event-stream} body, as the WHATWG HTML standard defines
 * it: lines end with LF, CRLF or CR (also when the CR and the LF arrive in different reads),
 * {@code :} starts a comment, a field's value loses one leading space, {@code data} lines are
 * joined with LF, a blank line dispatches the event (none when no data was given), the last
 * event id persists across events, and a leading BOM is skipped.
 *
 * <p>Bytes may be fed in pieces of any size, split anywhere. The event handed to the {@link
 * Listener} is a view over reused buffers, valid only during the call, so that steady-state
 * parsing allocates nothing. Not thread-safe: one parser per stream.
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
    private static final byte[] ID = ascii("id");

    private final Listener listener;

    // A line that began in an earlier feed.
    private byte[] partial = new byte[256];
    private int partialLength;
    private boolean skipLf;
    private int bomChecked; // bytes of the stream's start compared with the BOM so far, 3 when done

    private byte[] data = new byte[512];
    private int dataLength;
    private boolean hasData;
    private byte[] type = new byte[32];
    private int typeLength;
    private byte[] id = new byte[64];
    private int idLength;
    private long events;

    public SseParser(Listener listener) {
        this.listener = listener;
    }

    /** Parses {@code length} bytes of {@code bytes} from {@code offset}. */
    public void feed(byte[] bytes, int offset, int length) {
        int i = offset;
        int end = offset + length;
        if (bomChecked < BOM.length) {
            i = skipBom(bytes, i, end);
        }
        if (skipLf && i < end) {
            skipLf = false;
            if (bytes[i] == '\n') {
                i++;
            }
        }
        while (i < end) {
            int eol = i;
            while (eol < end && bytes[eol] != '\n' && bytes[eol] != '\r') {
                eol++;
            }
            if (eol == end) {
                appendPartial(bytes, i, end - i);
                return;
            }
            if (partialLength > 0) {
                appendPartial(bytes, i, eol - i);
                line(partial, 0, partialLength);
                partialLength = 0;
            } else {
                line(bytes, i, eol - i);
            }
            i = eol + 1;
            if (bytes[eol] == '\r') {
                if (i == end) {
                    skipLf = true;
                } else if (bytes[i] == '\n') {
                    i++;
                }
            }
        }
    }

    private int skipBom(byte[] bytes, int i, int end) {
        // A BOM split across feeds is held back in `partial` until it is known to be one.
        while (i < end && bomChecked < BOM.length) {
            if (bytes[i] != BOM[bomChecked]) {
                byte[] held = Arrays.copyOf(BOM, bomChecked);
                bomChecked = BOM.length;
                appendPartial(held, 0, held.length);
                return i;
            }
            bomChecked++;
            i++;
        }
        return i;
    }

    private void appendPartial(byte[] bytes, int from, int n) {
        if (partialLength + n > partial.length) {
            partial = Arrays.copyOf(partial, Math.max(partial.length * 2, partialLength + n));
        }
        System.arraycopy(bytes, from, partial, partialLength, n);
        partialLength += n;
    }

    private void line(byte[] b, int from, int n) {
        if (n == 0) {
            dispatch();
            return;
        }
        if (b[from] == ':') {
            return; // a comment
        }
        int colon = from;
        int end = from + n;
        while (colon < end && b[colon] != ':') {
            colon++;
        }
        int nameLength = colon - from;
        int value = colon < end ? colon + 1 : end;
        if (value < end && b[value] == ' ') {
            value++;
        }
        int valueLength = end - value;
        if (is(b, from, nameLength, DATA)) {
            if (dataLength + valueLength + 1 > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, dataLength + valueLength + 1));
            }
            System.arraycopy(b, value, data, dataLength, valueLength);
            dataLength += valueLength;
            data[dataLength++] = '\n';
            hasData = true;
        } else if (is(b, from, nameLength, EVENT)) {
            if (valueLength > type.length) {
                type = new byte[valueLength];
            }
            System.arraycopy(b, value, type, 0, valueLength);
            typeLength = valueLength;
        } else if (is(b, from, nameLength, ID)) {
            for (int k = value; k < end; k++) {
                if (b[k] == 0) {
                    return; // an id with NUL is ignored
                }
            }
            if (valueLength > id.length) {
                id = new byte[valueLength];
            }
            System.arraycopy(b, value, id, 0, valueLength);
            idLength = valueLength;
        }
        // retry and unknown fields are ignored
    }

    private void dispatch() {
        if (hasData) {
            dataLength--; // the last LF
            events++;
            listener.onEvent(this);
        }
        dataLength = 0;
        hasData = false;
        typeLength = 0;
    }

    private static boolean is(byte[] b, int from, int n, byte[] name) {
        return n == name.length && Arrays.equals(b, from, from + n, name, 0, n);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    // ---- the current event (valid during Listener.onEvent)

    /** Whether the event's type is {@code name} (an event without {@code event:} is a {@code message}). */
    public boolean typeIs(byte[] name) {
        if (typeLength == 0) {
            return Arrays.equals(name, MESSAGE);
        }
        return Arrays.equals(type, 0, typeLength, name, 0, name.length);
    }

    private static final byte[] MESSAGE = ascii("message");

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

    /** The last event id seen on the stream so far (empty if none). */
    public String lastEventId() {
        return new String(id, 0, idLength, StandardCharsets.UTF_8);
    }

    /** Events dispatched so far. */
    public long events() {
        return events;
    }
}

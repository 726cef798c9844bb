package io.lumadb.testkit;

import java.io.BufferedReader;
import java.io.IOException;

/**
 * Reads Server-Sent Events from a stream as the EventSource specification parses them ({@code
 * id}, {@code event}, multi-line {@code data}, comments), one event per call. {@code onLine}
 * hears every line as it arrives, heartbeats and comments included, for a reader that watches
 * for a silent connection.
 */
public final class SseReader {

    private final BufferedReader reader;
    private final Runnable onLine;
    private String lastId;

    /** {@code lastId}: the last event id seen before this stream (sent as {@code Last-Event-ID}), or null. */
    public SseReader(BufferedReader reader, String lastId, Runnable onLine) {
        this.reader = reader;
        this.lastId = lastId;
        this.onLine = onLine;
    }

    /** The next event, or null at the end of the stream. */
    public SseClient.Event next() throws IOException {
        String type = null;
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            onLine.run();
            if (line.isEmpty()) {
                if (data != null) {
                    return new SseClient.Event(lastId, type == null ? "message" : type, data.toString());
                }
                type = null;
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "id" -> lastId = value;
                case "event" -> type = value;
                case "data" ->
                    data = data == null
                            ? new StringBuilder(value)
                            : data.append('\n').append(value);
                default -> {}
            }
        }
        return null;
    }

    /** The last event id seen so far (as EventSource keeps it). */
    public String lastId() {
        return lastId;
    }
}

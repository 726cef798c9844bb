package io.lumadb.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An SSE subscription read in the background: every event the server sends is kept, in order,
 * for the test to look at while the stream goes on. Fails at once unless the server answers 200.
 */
public final class SseRecorder implements AutoCloseable {

    private final List<SseClient.Event> events = Collections.synchronizedList(new ArrayList<>());
    private final SseClient client;

    /** Subscribes to {@code url} (absolute) with {@code authorization} as the header (null: none). */
    public SseRecorder(String url, String authorization) throws IOException, InterruptedException {
        client = new SseClient(url, null, authorization);
        if (client.status() != 200) {
            client.close();
            throw new AssertionError("GET " + url + " answered " + client.status() + ", expected 200");
        }
        Thread reader = new Thread(
                () -> {
                    try {
                        SseClient.Event e;
                        while ((e = client.next()) != null) {
                            events.add(e);
                        }
                    } catch (IOException ended) {
                        // closed by the test or by the server
                    }
                },
                "sse-recorder");
        reader.setDaemon(true);
        reader.start();
    }

    /** The events received so far, in order. */
    public List<SseClient.Event> events() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    /** Whether an event of {@code type} has arrived. */
    public boolean has(String type) {
        return events().stream().anyMatch(e -> e.type().equals(type));
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}

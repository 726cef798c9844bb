package io.lumadb.node;

import io.lumadb.http.EdgeProblems;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.TLSProtocol.SendBytes;
import org.apache.pekko.stream.TLSProtocol.SessionBytes;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The timeouts of one HTTP connection that Pekko HTTP does not have, as two stages around its
 * server layer: {@link #httpSide} sees requests reach the handler and responses leave it, {@link
 * #byteSide} sees the bytes and owns the timers.
 *
 * <ul>
 *   <li>Header timeout: when bytes arrive while no request is outstanding, the request head must
 *       be complete (the request must reach the handler) within {@code headerTimeout}, or the
 *       connection is answered 408 problem+json and closed. A new connection that sends nothing
 *       at all within it is closed without an answer. Slow clients can so hold a connection for
 *       at most {@code headerTimeout}, not forever. Off after a WebSocket upgrade.
 *   <li>Idle timeout (Pekko's {@code idle-timeout}, replaced here because it lives below the
 *       layer this binding builds on): no bytes in either direction for that long closes the
 *       connection.
 * </ul>
 *
 * One instance per connection; it also counts the connection's outstanding requests.
 */
final class ConnectionGuard {

    private enum Event {
        REQUEST,
        RESPONSE_STRICT,
        RESPONSE_STREAMED,
        UPGRADED
    }

    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.ISO_8859_1);
    /** Heads longer than this are not checked (Pekko refuses them anyway). */
    private static final int MAX_HEAD = 128 * 1024;

    private final Duration headerTimeout;
    private final Duration idleTimeout;
    private final AtomicInteger inFlight;
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile AsyncCallback<Event> events;

    /**
     * @param headerTimeout how long a request head may take once its first byte arrived
     * @param idleTimeout how long the connection may pass no bytes at all (null: no limit)
     * @param inFlight the node's count of requests received and not yet answered, kept up to date
     */
    ConnectionGuard(Duration headerTimeout, Duration idleTimeout, AtomicInteger inFlight) {
        this.headerTimeout = headerTimeout;
        this.idleTimeout = idleTimeout;
        this.inFlight = inFlight;
    }

    /** Requests of this connection that reached the handler and have no response yet. */
    int outstanding() {
        return outstanding.get();
    }

    /** Above Pekko's server layer: responses down (top), requests up (bottom). */
    BidiFlow<HttpResponse, HttpResponse, HttpRequest, HttpRequest, NotUsed> httpSide() {
        return BidiFlow.fromFlows(
                Flow.<HttpResponse>create().map(this::responded),
                Flow.<HttpRequest>create().map(this::requested));
    }

    /** Below it, on the connection's bytes: outgoing (top), incoming (bottom). */
    BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> byteSide() {
        return BidiFlow.fromGraph(new Bytes<>(bytes -> bytes, bytes -> bytes));
    }

    /**
     * Between Pekko's server layer and a TLS stage, on the connection's decrypted bytes: what
     * {@link #byteSide} does on a plain connection. The timers start with the connection, so a
     * client that never completes its TLS handshake is closed after the header timeout too.
     */
    BidiFlow<SslTlsOutbound, SslTlsOutbound, SslTlsInbound, SslTlsInbound, NotUsed> sessionSide() {
        return BidiFlow.fromGraph(new Bytes<SslTlsOutbound, SslTlsInbound>(
                in -> in instanceof SessionBytes session ? session.bytes() : ByteString.emptyByteString(),
                SendBytes::new));
    }

    private HttpRequest requested(HttpRequest request) {
        outstanding.incrementAndGet();
        inFlight.incrementAndGet();
        signal(Event.REQUEST);
        return request;
    }

    private HttpResponse responded(HttpResponse response) {
        if (outstanding.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            inFlight.decrementAndGet();
        }
        signal(
                response.status().intValue() == 101
                        ? Event.UPGRADED
                        : response.entity().isStrict() ? Event.RESPONSE_STRICT : Event.RESPONSE_STREAMED);
        return response;
    }

    private void signal(Event event) {
        AsyncCallback<Event> callback = events;
        if (callback != null) {
            callback.invoke(event);
        }
    }

    /**
     * The byte-side stage, on plain bytes or on TLS session elements.
     *
     * @param <O> what goes out towards the network
     * @param <I> what comes in from it
     */
    private final class Bytes<O, I> extends GraphStage<BidiShape<O, O, I, I>> {
        private final Inlet<O> fromApp = Inlet.create("ConnectionGuard.fromApp");
        private final Outlet<O> toNet = Outlet.create("ConnectionGuard.toNet");
        private final Inlet<I> fromNet = Inlet.create("ConnectionGuard.fromNet");
        private final Outlet<I> toApp = Outlet.create("ConnectionGuard.toApp");
        private final BidiShape<O, O, I, I> shape = BidiShape.of(fromApp, toNet, fromNet, toApp);
        private final java.util.function.Function<I, ByteString> incomingBytes;
        private final java.util.function.Function<ByteString, O> outgoing;

        /**
         * @param incomingBytes the request bytes an incoming element carries
         * @param outgoing an outgoing element carrying these bytes (the guard's own answers)
         */
        Bytes(
                java.util.function.Function<I, ByteString> incomingBytes,
                java.util.function.Function<ByteString, O> outgoing) {
            this.incomingBytes = incomingBytes;
            this.outgoing = outgoing;
        }

        @Override
        public BidiShape<O, O, I, I> shape() {
            return shape;
        }

        @Override
        public GraphStageLogic createLogic(Attributes attributes) {
            return new TimerGraphStageLogic(shape) {
                private static final String HEAD = "head";
                private static final String IDLE = "idle";
                private boolean headStarted; // bytes of a request head arrived and the head is not complete
                private boolean upgraded;
                private boolean streamedResponse; // a response may still be streaming: no 408 may be written
                private int open; // requests outstanding, as seen by this stage
                private long lastActivity = System.nanoTime();
                private boolean headScanned; // this request's head was checked; again after its response
                private ByteString head = ByteString.emptyByteString();

                {
                    events = createAsyncCallback(this::onEvent);
                    setHandler(fromNet, new AbstractInHandler() {
                        @Override
                        public void onPush() {
                            I element = grab(fromNet);
                            ByteString bytes = incomingBytes.apply(element);
                            lastActivity = System.nanoTime();
                            if (!upgraded && open == 0 && !headStarted && !bytes.isEmpty()) {
                                headStarted = true;
                                scheduleOnce(HEAD, headerTimeout);
                            }
                            if (!upgraded && open == 0 && !headScanned) {
                                // Checked before Pekko's parser sees the bytes that complete the head.
                                String bad = scanHead(bytes);
                                if (bad != null) {
                                    refuse(EdgeProblems.rawInvalidContentLength(bad));
                                    return;
                                }
                            }
                            push(toApp, element);
                        }

                        // The client may close its side and still read the response: only this direction ends.
                        @Override
                        public void onUpstreamFinish() {
                            complete(toApp);
                        }
                    });
                    setHandler(toApp, new AbstractOutHandler() {
                        @Override
                        public void onPull() {
                            pull(fromNet);
                        }

                        @Override
                        public void onDownstreamFinish(Throwable cause) {
                            cancel(fromNet, cause);
                        }
                    });
                    setHandler(fromApp, new AbstractInHandler() {
                        @Override
                        public void onPush() {
                            lastActivity = System.nanoTime();
                            push(toNet, grab(fromApp));
                        }

                        @Override
                        public void onUpstreamFinish() {
                            complete(toNet);
                        }
                    });
                    setHandler(toNet, new AbstractOutHandler() {
                        @Override
                        public void onPull() {
                            pull(fromApp);
                        }

                        @Override
                        public void onDownstreamFinish(Throwable cause) {
                            cancel(fromApp, cause);
                        }
                    });
                }

                @Override
                public void preStart() {
                    // A connection that never starts a request is closed after the header timeout too.
                    scheduleOnce(HEAD, headerTimeout);
                    if (idleTimeout != null) {
                        Duration every = idleTimeout.dividedBy(8).compareTo(Duration.ofMillis(100)) < 0
                                ? Duration.ofMillis(100)
                                : idleTimeout.dividedBy(8);
                        scheduleWithFixedDelay(IDLE, every, every);
                    }
                }

                private void onEvent(Event event) {
                    switch (event) {
                        case REQUEST -> {
                            open++;
                            headStarted = false;
                            headScanned = true;
                            head = ByteString.emptyByteString();
                            cancelTimer(HEAD);
                        }
                        case RESPONSE_STRICT -> {
                            open = Math.max(0, open - 1);
                            headScanned = false;
                        }
                        case RESPONSE_STREAMED -> {
                            open = Math.max(0, open - 1);
                            streamedResponse = true;
                            headScanned = false;
                        }
                        case UPGRADED -> {
                            open = Math.max(0, open - 1);
                            upgraded = true;
                            cancelTimer(HEAD);
                        }
                    }
                }

                @Override
                public void onTimer(Object key) {
                    if (IDLE.equals(key)) {
                        if (System.nanoTime() - lastActivity >= idleTimeout.toNanos()) {
                            completeStage();
                        }
                        return;
                    }
                    if (upgraded || open > 0) {
                        return;
                    }
                    if (!headStarted || streamedResponse || isClosed(toNet)) {
                        completeStage();
                        return;
                    }
                    // The head is incomplete: the client gets a 408.
                    refuse(EdgeProblems.rawHeaderTimeout(headerTimeout));
                }

                /**
                 * Nothing more goes to Pekko's parser; the client gets {@code answer} and the connection
                 * closes (the read side stays open until it is written, or TCP would close at once).
                 */
                private void refuse(byte[] answer) {
                    cancelTimer(HEAD);
                    cancel(fromApp);
                    complete(toApp);
                    emit(toNet, outgoing.apply(ByteString.fromArray(answer)), () -> completeStage());
                }

                /**
                 * Adds {@code bytes} to the request head seen so far; once the head is complete (or
                 * too long to be one), checks its Content-Length headers. Pekko's parser reads
                 * "7 7" as 77 (it skips blanks between digits), so the body would be framed wrongly.
                 *
                 * @return the invalid Content-Length value, or null
                 */
                private String scanHead(ByteString bytes) {
                    int end = headEnd(head, bytes);
                    head = head.concat(bytes);
                    if (end < 0 && head.size() < MAX_HEAD) {
                        return null;
                    }
                    headScanned = true;
                    byte[] seen = head.toArray();
                    head = ByteString.emptyByteString();
                    return invalidContentLength(seen, end < 0 ? MAX_HEAD : end);
                }
            };
        }
    }

    /** Where a request head ends (its blank line: CRLF CRLF or LF LF), or -1 if it has not yet. */
    static int headEnd(byte[] b) {
        for (int i = 1; i < b.length; i++) {
            if (b[i] != '\n') {
                continue;
            }
            if (b[i - 1] == '\n') {
                return i - 1;
            }
            if (i >= 3 && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i - 3;
            }
        }
        return -1;
    }

    /**
     * Where the request head of {@code seen} followed by {@code bytes} ends, or -1, given that
     * {@code seen} alone holds no end: only the new bytes are searched, with the 3 before them that
     * could start the blank line, so a head that trickles in byte by byte costs linear time.
     */
    static int headEnd(ByteString seen, ByteString bytes) {
        int overlap = Math.min(3, seen.size());
        int found = headEnd(seen.drop(seen.size() - overlap).concat(bytes).toArray());
        return found < 0 ? -1 : seen.size() - overlap + found;
    }

    /**
     * The value of the first Content-Length header among the first {@code end} bytes of a request
     * head whose value is not all digits (blanks around it aside), or null. Scanned by hand, without
     * decoding the head into a string: this runs for every request.
     */
    static String invalidContentLength(byte[] b, int end) {
        int limit = Math.min(end, b.length);
        int line = 0;
        while (line < limit) {
            int next = line;
            while (next < limit && b[next] != '\n') {
                next++;
            }
            int lineEnd = next > line && b[next - 1] == '\r' ? next - 1 : next;
            if (lineEnd - line >= CONTENT_LENGTH.length && startsWithIgnoreCase(b, line, CONTENT_LENGTH)) {
                int from = line + CONTENT_LENGTH.length;
                int to = lineEnd;
                while (from < to && isBlank(b[from])) {
                    from++;
                }
                while (to > from && isBlank(b[to - 1])) {
                    to--;
                }
                boolean digits = to > from;
                for (int i = from; i < to && digits; i++) {
                    digits = b[i] >= '0' && b[i] <= '9';
                }
                if (!digits) {
                    return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
                }
            }
            line = next + 1;
        }
        return null;
    }

    private static boolean isBlank(byte c) {
        return c == ' ' || c == '\t';
    }

    private static boolean startsWithIgnoreCase(byte[] b, int at, byte[] lowerPrefix) {
        for (int i = 0; i < lowerPrefix.length; i++) {
            int c = b[at + i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lowerPrefix[i]) {
                return false;
            }
        }
        return true;
    }
}

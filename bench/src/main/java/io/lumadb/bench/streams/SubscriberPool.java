package io.lumadb.bench.streams;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Many SSE subscriptions to one server, held by one Netty event loop (one thread; Netty's HTTP/1.1
 * codec decodes the responses and their chunks), so that a single load-generator CPU can hold
 * thousands of them. Each subscriber parses every event ({@link SseParser}) and checks what it
 * receives: every write's number exactly once (a duplicate is counted), in the server's order
 * (each change's {@code (source.seq, source.index)} must be greater than the one before, else it
 * is counted out of order), and well-formed; overflows, streams the server ended, refused and
 * failed connections are counted too. Each change's delivery latency (send time in the document
 * to the read that brought the frame) goes into an HdrHistogram {@link Recorder}.
 *
 * <p>For a writer that waits on delivery, the pool calls {@link #onAllDelivered} once a write has
 * reached every live subscriber. Write numbers must be below the {@code maxWrites} given at
 * construction. Everything per connection happens on the pool's thread; the counters may be read
 * from any thread; {@link #check} and {@link #awaitReceived} run on the pool's thread and wait.
 */
public final class SubscriberPool implements AutoCloseable {

    private static final byte[] SUBSCRIBED = ascii("subscribed");
    private static final byte[] CHANGE = ascii("change");
    private static final byte[] HEARTBEAT = ascii("heartbeat");
    private static final byte[] OVERFLOW = ascii("overflow");
    private static final int MAX_SAMPLES = 5;

    /** What the subscribers received, checked. Losses are {@code missing}: acknowledged writes not received. */
    public record Check(
            int subscribers,
            int subscribed,
            int failed,
            int pending,
            int overflowed,
            int endedByServer,
            long received,
            long missing,
            int subscribersWithLoss,
            long duplicates,
            long outOfOrder,
            long malformed,
            long otherEvents,
            long heartbeats,
            List<String> samples) {
        public Check {
            samples = List.copyOf(samples);
        }

        /** Whether every subscriber subscribed and received every acknowledged write once, in order. */
        public boolean clean() {
            return problems().isEmpty();
        }

        /** The problems, one phrase each; empty when clean. */
        public List<String> problems() {
            List<String> p = new ArrayList<>();
            if (subscribed < subscribers) {
                p.add((subscribers - subscribed) + " of " + subscribers + " subscribers never subscribed");
            }
            add(p, failed, "connections failed");
            add(p, pending, "connections got no answer (neither subscribed nor refused)");
            add(p, overflowed, "subscribers OVERFLOWED (too slow for the server's buffer)");
            add(p, endedByServer, "streams ended by the server");
            if (missing > 0) {
                p.add("LOST " + missing + " deliveries (" + subscribersWithLoss + " subscribers missed writes)");
            }
            add(p, duplicates, "DUPLICATE deliveries");
            add(p, outOfOrder, "deliveries OUT OF ORDER");
            add(p, malformed, "malformed change frames");
            add(p, otherEvents, "unexpected events");
            return p;
        }

        private static void add(List<String> p, long count, String what) {
            if (count > 0) {
                p.add(count + " " + what);
            }
        }
    }

    private final String host;
    private final int maxConnecting;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("sse-subscribers", true), NioIoHandler.newFactory());
    private final Bootstrap bootstrap;
    private volatile LongConsumer onAllDelivered = n -> {};

    // Owned by the pool's thread.
    private final List<Sub> subs = new ArrayList<>();
    private final ArrayDeque<Sub> toOpen = new ArrayDeque<>();
    private final ChangeFrames.Fields fields = new ChangeFrames.Fields();
    private final int[] deliveredTo;
    private long lowestIncomplete;
    private long highestSeen = -1;
    private int connecting;
    private int alive;
    private long now;
    private final List<String> samples = new ArrayList<>();
    private long duplicates;
    private long outOfOrder;
    private long malformed;
    private long otherEvents;
    private long heartbeats;
    private long deliveries;
    private long bytes;

    // Written by the pool's thread, read anywhere.
    private volatile int subscribed;
    private volatile int failed;
    private volatile int overflowed;
    private volatile int endedByServer;
    private final Recorder latency = new Recorder(TimeUnit.SECONDS.toNanos(120), 3);

    /** Ahead of Netty's HTTP decoder: counts the bytes read and notes when (a change's latency ends at its read). */
    @ChannelHandler.Sharable
    private final class Reads extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            now = System.nanoTime();
            bytes += ((ByteBuf) msg).readableBytes();
            ctx.fireChannelRead(msg);
        }
    }

    private final Reads reads = new Reads();

    /** One subscription: its connection's handler after Netty's HTTP decoder, and what it received. */
    private final class Sub extends SimpleChannelInboundHandler<HttpObject> {
        final int number;
        final String path;
        final SseParser parser = new SseParser(event -> onEvent(this, event));
        final BitSet seen = new BitSet();
        Channel channel;
        String refused; // a response that is not an event stream: why, until its body arrives
        boolean answered;
        boolean subscribed;
        boolean overflowed;
        boolean done;
        long received;
        long lastSeq = -1;
        long lastIndex = -1;

        Sub(int number, String path) {
            this.number = number;
            this.path = path;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            request.headers()
                    .set(HttpHeaderNames.HOST, host)
                    .set(HttpHeaderNames.ACCEPT, "text/event-stream")
                    .set(HttpHeaderNames.USER_AGENT, "lumadb-bench");
            ctx.writeAndFlush(request, ctx.voidPromise());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) throws ProtocolException {
            if (done) {
                return;
            }
            if (msg.decoderResult().cause() instanceof Throwable cause) {
                throw new ProtocolException("malformed HTTP response: " + cause);
            }
            if (msg instanceof HttpResponse r) {
                answered = true;
                String type = r.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
                if (r.status().code() != 200 || !type.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
                    refused = "the server answered " + r.protocolVersion() + " " + r.status() + " with Content-Type '"
                            + type + "' instead of 200 text/event-stream";
                }
            }
            if (msg instanceof HttpContent c) {
                if (refused != null) {
                    ByteBuf body = c.content();
                    throw new ProtocolException(refused + "; body: "
                            + body.toString(body.readerIndex(), Math.min(body.readableBytes(), 512), UTF_8)
                                    .strip());
                }
                parser.feed(c.content());
                if (msg instanceof LastHttpContent) {
                    end(this, null);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end(
                    this,
                    answered ? new ProtocolException("the connection closed in the middle of the event stream") : null);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end(this, cause);
        }
    }

    /**
     * A pool for subscriptions to {@code address}, opening at most {@code maxConnecting} at a time
     * (a server's accept backlog is small), for writes numbered below {@code maxWrites}.
     */
    public SubscriberPool(InetSocketAddress address, int maxConnecting, int maxWrites) {
        this.host = address.getHostString() + ":" + address.getPort();
        this.maxConnecting = maxConnecting;
        this.deliveredTo = new int[maxWrites];
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .remoteAddress(address);
    }

    /** Called on the pool's thread with each write number that has reached every live subscriber. */
    public void onAllDelivered(LongConsumer callback) {
        this.onAllDelivered = callback;
    }

    /** Opens {@code count} more subscriptions, subscriber {@code i} asking for {@code pathOf(i)}. */
    public void open(int count, IntFunction<String> pathOf) {
        call(() -> {
            int base = subs.size();
            for (int i = 0; i < count; i++) {
                Sub s = new Sub(base + i, pathOf.apply(base + i));
                subs.add(s);
                toOpen.add(s);
            }
            openMore();
            return null;
        });
    }

    /**
     * Waits until every subscription opened so far has subscribed or failed; true if all
     * subscribed. False on a failure, or once no subscription has been answered for 15 s (a
     * server that stops accepting connections leaves them unanswered), or after {@code timeout}.
     */
    public boolean awaitSubscribed(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        int total = call(subs::size);
        int answered = -1;
        long lastProgress = start;
        while (System.nanoTime() < deadline) {
            int now = subscribed + failed;
            if (now >= total) {
                return failed == 0;
            }
            if (now != answered) {
                answered = now;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(15)) {
                return false;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Changes received by all subscribers together so far (each write counted once per subscriber). */
    public long deliveries() {
        return call(() -> deliveries);
    }

    /** Bytes read from all connections so far, HTTP framing included. */
    public long bytes() {
        return call(() -> bytes);
    }

    public int subscribed() {
        return subscribed;
    }

    /** The latencies recorded since the last call (nanoseconds), which starts a new interval. */
    public Histogram latencyInterval() {
        return latency.getIntervalHistogram();
    }

    /**
     * Waits until every live subscriber has received at least {@code writes} changes (or none is
     * left), or {@code timeout} passed; true if they all did.
     */
    public boolean awaitReceived(long writes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!call(() -> subs.stream().allMatch(s -> s.done || !s.subscribed || s.received >= writes))) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Checks every subscriber against {@code acknowledged}: the writes each one must have received. */
    public Check check(BitSet acknowledged) {
        return call(() -> {
            long missing = 0;
            int withLoss = 0;
            int pending = 0;
            long received = 0;
            int expected = acknowledged.cardinality();
            for (Sub s : subs) {
                received += s.received;
                if (!s.subscribed && !s.done && ++pending == 1) {
                    sample("subscriber " + s.number + " (" + s.path + ") got no answer"
                            + (s.answered
                                    ? " after its response head"
                                    : s.channel != null && s.channel.isActive()
                                            ? " to its request"
                                            : " (not connected)"));
                }
                BitSet lost = (BitSet) acknowledged.clone();
                lost.andNot(s.seen);
                int n = lost.cardinality();
                if (n > 0 && s.subscribed) {
                    missing += n;
                    if (++withLoss == 1) {
                        sample("subscriber " + s.number + " (" + s.path + ") missed " + n + " of " + expected
                                + " writes, the first being write " + lost.nextSetBit(0)
                                + (s.done ? "; its stream had ended" : ""));
                    }
                }
            }
            return new Check(
                    subs.size(),
                    subscribed,
                    failed,
                    pending,
                    overflowed,
                    endedByServer,
                    received,
                    missing,
                    withLoss,
                    duplicates,
                    outOfOrder,
                    malformed,
                    otherEvents,
                    heartbeats,
                    samples);
        });
    }

    /** Closes every connection and stops the pool's thread. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
    }

    // ---- the pool's thread

    private <T> T call(Callable<T> task) {
        Future<T> f = group.submit(task);
        if (!f.awaitUninterruptibly(60, TimeUnit.SECONDS) || !f.isSuccess()) {
            throw new IllegalStateException("the subscriber pool did not answer", f.cause());
        }
        return f.getNow();
    }

    private void openMore() {
        while (connecting < maxConnecting && !toOpen.isEmpty()) {
            Sub s = toOpen.poll();
            connecting++;
            bootstrap
                    .clone()
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            s.channel = ch;
                            ch.pipeline().addLast(reads, new HttpClientCodec(), s);
                        }
                    })
                    .connect()
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            end(s, f.cause());
                        }
                    });
        }
    }

    private void onEvent(Sub s, SseParser e) {
        if (e.typeIs(CHANGE)) {
            change(s, e);
        } else if (e.typeIs(HEARTBEAT)) {
            heartbeats++;
        } else if (e.typeIs(SUBSCRIBED)) {
            if (!s.subscribed) {
                s.subscribed = true;
                connecting--;
                alive++;
                subscribed++;
                openMore();
            }
        } else if (e.typeIs(OVERFLOW)) {
            s.overflowed = true;
            overflowed++;
            sample("subscriber " + s.number + " overflowed after " + s.received + " changes: " + e.data());
        } else {
            otherEvents++;
            sample("subscriber " + s.number + " got an unexpected event '" + e.type() + "': " + e.data());
        }
    }

    private void change(Sub s, SseParser e) {
        if (!fields.read(e.dataBytes(), e.dataLength()) || fields.n >= deliveredTo.length) {
            malformed++;
            sample("subscriber " + s.number + " got a malformed change: "
                    + e.data().substring(0, Math.min(300, e.dataLength())));
            return;
        }
        long n = fields.n;
        if (s.seen.get((int) n)) {
            duplicates++;
            if (duplicates == 1) {
                sample("subscriber " + s.number + " got write " + n + " twice");
            }
            return;
        }
        s.seen.set((int) n);
        if (fields.seq < s.lastSeq || (fields.seq == s.lastSeq && fields.index <= s.lastIndex)) {
            outOfOrder++;
            if (outOfOrder == 1) {
                sample("subscriber " + s.number + " got seq " + fields.seq + " index " + fields.index + " after seq "
                        + s.lastSeq + " index " + s.lastIndex);
            }
        }
        s.lastSeq = fields.seq;
        s.lastIndex = fields.index;
        s.received++;
        deliveries++;
        long latencyNanos = now - fields.sentNanos;
        latency.recordValue(Math.max(0, Math.min(latencyNanos, TimeUnit.SECONDS.toNanos(120))));
        delivered(n);
    }

    private void delivered(long n) {
        if (n > highestSeen) {
            highestSeen = n;
        }
        int count = ++deliveredTo[(int) n];
        if (count > 0 && count >= alive) {
            complete(n);
        }
    }

    private void complete(long n) {
        deliveredTo[(int) n] = Integer.MIN_VALUE / 2; // never completes twice
        onAllDelivered.accept(n);
        while (lowestIncomplete <= highestSeen && deliveredTo[(int) lowestIncomplete] < 0) {
            lowestIncomplete++;
        }
    }

    /** A subscriber is gone: writes it had not received may now have reached every one left. */
    private void end(Sub s, Throwable failure) {
        if (s.done) {
            return;
        }
        s.done = true;
        if (s.channel != null) {
            s.channel.close();
        }
        if (s.subscribed) {
            alive--;
            if (failure == null && s.overflowed) {
                // counted as an overflow: the server ends an overflowed stream
            } else if (failure == null) {
                endedByServer++;
                sample("subscriber " + s.number + " (" + s.path + "): the server ended the stream after " + s.received
                        + " changes");
            } else {
                failed++;
                sample("subscriber " + s.number + " (" + s.path + ") failed after " + s.received + " changes: "
                        + failure);
            }
            for (long n = lowestIncomplete; n <= highestSeen; n++) {
                int count = deliveredTo[(int) n];
                if (count > 0 && count >= alive) {
                    complete(n);
                }
            }
        } else {
            connecting--;
            failed++;
            sample("subscriber " + s.number + " (" + s.path + ") could not subscribe: "
                    + (failure == null ? "the server closed the connection" : failure.toString()));
            openMore();
        }
    }

    private void sample(String text) {
        if (samples.size() < MAX_SAMPLES) {
            samples.add(text);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

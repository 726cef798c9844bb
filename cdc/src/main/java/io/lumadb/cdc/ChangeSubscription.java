package io.lumadb.cdc;

import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.shard.ShardEvents;
import io.lumadb.streams.SequencedHub;
import io.lumadb.streams.SubscriberBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.persistence.query.EventEnvelope;

/**
 * One subscriber's walk along a collection's shard journals. Each shard starts in catch-up,
 * reading its journal in pages from the subscriber's position (backpressured: nothing is
 * buffered); once a read comes back empty the shard attaches to the node's live feed, which
 * pushes new events into the subscriber's bounded buffer. Buffered live events are delivered
 * before the next catch-up page, and per shard every event is delivered once, in sequence
 * order, without a gap: a gap can only mean that retention dropped events, and is reported.
 *
 * <p>Not thread-safe: {@link #next} is called by one caller (a stream or a pump), one call at a
 * time; {@link #dropped} may come from any thread, {@link #close} from any thread but not while
 * a call of {@link #next} runs (its stage may still be pending).
 */
final class ChangeSubscription {

    /**
     * Shard events taken from the buffer per step. One: what the stream holds beyond the bounded
     * buffer stays one shard event, so the buffer's bound is the subscriber's memory bound.
     */
    private static final int DRAIN = 1;

    private final CollectionInfo info;
    private final ChangeFeeds feeds;
    private final Function<ChangeEvent, StreamItem.Change> classify;
    private final int page;
    private final long pageBytes;
    private final Duration heartbeat;
    private final boolean pull;
    private boolean delivered;
    private final long[] seqs;
    private final int[] skips;
    private final boolean[] live;
    private final boolean[] behindOnce;
    private final io.lumadb.cdc.groups.ConsumerGroups.Member member;

    @SuppressWarnings("unchecked")
    private final SequencedHub<ShardBatch>[] hubs;

    private final SubscriberBuffer<ShardBatch> buffer;
    private int nextCatchUp;
    private boolean done;
    private volatile boolean dropped;

    @SuppressWarnings("unchecked")
    ChangeSubscription(
            CollectionInfo info,
            ResumeToken from,
            ChangeFeeds feeds,
            Function<ChangeEvent, StreamItem.Change> classify,
            SubscriberBuffer<ShardBatch> buffer,
            int page,
            long pageBytes,
            Duration heartbeat,
            boolean pull,
            io.lumadb.cdc.groups.ConsumerGroups.Member member) {
        this.pull = pull;
        this.member = member;
        this.info = info;
        this.feeds = feeds;
        this.classify = classify;
        this.buffer = buffer;
        this.page = page;
        this.pageBytes = pageBytes;
        this.heartbeat = heartbeat;
        int shards = info.shards();
        this.seqs = from.seqs();
        this.skips = from.skips();
        this.live = new boolean[shards];
        for (int n = 0; n < shards; n++) {
            live[n] = !member.owns(n); // another member's shard: never read, its position stays
        }
        this.behindOnce = new boolean[shards];
        this.hubs = new SequencedHub[shards];
    }

    /**
     * A shard's journal id, made when it is needed (catching up, attaching, leaving) rather than
     * kept: an idle subscription holds no strings of its own.
     */
    private String persistenceId(int shard) {
        return ShardEvents.persistenceId(info.shardEntityId(shard));
    }

    CollectionInfo collection() {
        return info;
    }

    /**
     * The collection was dropped: the subscription ends with {@link StreamItem.Dropped} at its
     * next step, without waiting for its heartbeat. Called from any thread.
     */
    void dropped() {
        dropped = true;
        buffer.wake();
    }

    ResumeToken position() {
        return new ResumeToken(info.incarnation(), seqs, skips);
    }

    /**
     * The subscription as a {@link ChangeCursor}; closing it closes the subscription and then runs
     * {@code onClose}, once.
     */
    ChangeCursor cursor(Runnable onClose) {
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        return new ChangeCursor() {
            @Override
            public CompletionStage<List<StreamItem>> next() {
                return ChangeSubscription.this.next();
            }

            @Override
            public void close() {
                if (closed.compareAndSet(false, true)) {
                    ChangeSubscription.this.close();
                    onClose.run();
                }
            }
        };
    }

    /** The next items; an empty list is fine; null ends the subscription. */
    CompletionStage<List<StreamItem>> next() {
        if (done) {
            return CompletableFuture.completedFuture(null);
        }
        if (dropped) {
            done = true;
            return CompletableFuture.completedFuture(
                    List.of(new StreamItem.Dropped(info.database(), info.name(), position())));
        }
        List<ShardBatch> buffered = buffer.drain(DRAIN);
        if (!buffered.isEmpty()) {
            List<StreamItem> out = new ArrayList<>();
            for (ShardBatch batch : buffered) {
                if (!deliver(batch, out)) {
                    break;
                }
            }
            return CompletableFuture.completedFuture(out);
        }
        if (buffer.overflowed()) {
            done = true;
            return CompletableFuture.completedFuture(List.of(new StreamItem.Overflow(position())));
        }
        for (int i = 0; i < seqs.length; i++) {
            int shard = (nextCatchUp + i) % seqs.length;
            if (!live[shard]) {
                nextCatchUp = (shard + 1) % seqs.length;
                return catchUp(shard);
            }
        }
        if (pull && delivered) {
            return CompletableFuture.completedFuture(List.of(new StreamItem.Heartbeat(position())));
        }
        // The buffer makes a new waiter once one is done, so the timeout may complete it itself.
        return buffer.whenReady()
                .toCompletableFuture()
                .completeOnTimeout(null, heartbeat.toMillis(), TimeUnit.MILLISECONDS)
                .thenApply(v -> buffer.depth() > 0 || buffer.overflowed() || dropped
                        ? List.of()
                        : List.of(new StreamItem.Heartbeat(position())));
    }

    private CompletionStage<List<StreamItem>> catchUp(int shard) {
        long from = seqs[shard] == ResumeToken.EARLIEST ? 1 : seqs[shard] + 1;
        return feeds.read(persistenceId(shard), from, from + page - 1, pageBytes)
                .thenApply(envelopes -> {
                    List<StreamItem> out = new ArrayList<>();
                    if (envelopes.isEmpty()) {
                        attach(shard, out);
                        return out;
                    }
                    behindOnce[shard] = false;
                    for (EventEnvelope envelope : envelopes) {
                        ShardBatch batch = ShardBatch.of(info.database(), info.name(), shard, envelope);
                        if (seqs[shard] == ResumeToken.EARLIEST) {
                            seqs[shard] = batch.seq() - 1; // from the oldest kept event
                        }
                        if (!deliver(batch, out)) {
                            break;
                        }
                    }
                    return out;
                });
    }

    private void attach(int shard, List<StreamItem> out) {
        if (seqs[shard] == ResumeToken.EARLIEST) {
            seqs[shard] = 0; // the shard has no event yet
        }
        if (hubs[shard] == null) {
            hubs[shard] = feeds.acquire(persistenceId(shard), info.database(), info.name(), shard, seqs[shard]);
        }
        if (hubs[shard].attach(buffer, seqs[shard]) == SequencedHub.Attach.ATTACHED) {
            live[shard] = true;
        } else if (behindOnce[shard]) {
            // The feed has published past us, yet the journal returned nothing after us twice.
            lost(shard, "events after " + seqs[shard] + " are no longer in the journal", out);
        } else {
            behindOnce[shard] = true; // the journal has the events now: read them
        }
    }

    /** Delivers one shard event from the current position; false if the subscription ended. */
    private boolean deliver(ShardBatch batch, List<StreamItem> out) {
        int shard = batch.shard();
        long seq = seqs[shard];
        if (batch.seq() <= seq) {
            return true; // already delivered (a live event overlapping the catch-up)
        }
        if (batch.seq() != seq + 1) {
            lost(shard, "the journal continues at event " + batch.seq() + " after event " + seq, out);
            return false;
        }
        List<ChangeEvent> changes = batch.changes();
        for (int i = skips[shard]; i < changes.size(); i++) {
            ChangeEvent event = changes.get(i);
            if (i == changes.size() - 1) {
                seqs[shard] = batch.seq();
                skips[shard] = 0;
            } else {
                skips[shard] = i + 1;
            }
            StreamItem.Change seen = classify.apply(event);
            if (seen != null) {
                out.add(new StreamItem.Change(seen.kind(), seen.event(), position()));
                delivered = true;
            }
        }
        if (changes.isEmpty()) {
            seqs[shard] = batch.seq();
            skips[shard] = 0;
        }
        return true;
    }

    private void lost(int shard, String detail, List<StreamItem> out) {
        done = true;
        out.add(new StreamItem.HistoryLost(shard, detail, position()));
    }

    /**
     * Shard events published on the live feeds of this subscription's live shards that it has not
     * delivered yet. Read from another thread for metrics: a racy but harmless snapshot.
     */
    long lag() {
        long lag = 0;
        for (int n = 0; n < hubs.length; n++) {
            SequencedHub<ShardBatch> hub = hubs[n];
            if (hub != null && live[n]) {
                lag += Math.max(0, hub.head() - seqs[n]);
            }
        }
        return lag;
    }

    /** Stops the live feeds' pushes and frees the buffer. */
    void close() {
        done = true;
        for (int n = 0; n < hubs.length; n++) {
            if (hubs[n] != null) {
                feeds.release(persistenceId(n), hubs[n], buffer);
                hubs[n] = null;
            }
        }
        buffer.cutOff();
    }
}

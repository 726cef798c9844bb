package io.lumadb.cdc;

import io.lumadb.streams.HubSubscriber;
import io.lumadb.streams.SequencedHub;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live tails of shard journals on this node: one journal query per shard that has
 * subscribers, whatever their number, feeding a {@link SequencedHub}. Subscribers that are
 * behind read the journal themselves ({@link #read}); a feed stops when its last subscriber
 * leaves. Reads go through Pekko Persistence Query, so the same code follows the embedded
 * RocksDB journal and, in a cluster, the shared one.
 */
final class ChangeFeeds {

    private static final Logger log = LoggerFactory.getLogger(ChangeFeeds.class);

    private final ActorSystem<?> system;
    private final CurrentEventsByPersistenceIdQuery current;
    private final EventsByPersistenceIdQuery live;
    private final int ringSize;
    private final Map<String, Feed> feeds = new HashMap<>();

    private final class Feed {
        final SequencedHub<ShardBatch> hub;
        UniqueKillSwitch killSwitch;
        int users;

        Feed(long after) {
            hub = new SequencedHub<>(after, ringSize, ShardBatch::seq);
        }
    }

    ChangeFeeds(ActorSystem<?> system, String readJournalId, int ringSize) {
        this.system = system;
        ReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(ReadJournal.class, readJournalId);
        if (!(journal instanceof CurrentEventsByPersistenceIdQuery c)
                || !(journal instanceof EventsByPersistenceIdQuery l)) {
            throw new IllegalStateException("read journal " + readJournalId + " cannot query events by persistence id");
        }
        this.current = c;
        this.live = l;
        this.ringSize = ringSize;
    }

    /**
     * Committed events {@code from..to} (inclusive) of one shard, in order; deleted ones are absent.
     * The read stops after the event that brings the documents read to {@code maxBytes}, so a
     * read holds at most that much plus one event (and always at least one event, if any).
     */
    CompletionStage<List<EventEnvelope>> read(String persistenceId, long from, long to, long maxBytes) {
        long[] bytes = {0};
        return current.currentEventsByPersistenceId(persistenceId, from, to)
                .takeWhile(envelope -> {
                    boolean room = bytes[0] < maxBytes;
                    bytes[0] += documentBytes(envelope);
                    return room;
                })
                .runWith(Sink.seq(), system);
    }

    private static long documentBytes(EventEnvelope envelope) {
        long bytes = 0;
        for (var change : io.lumadb.shards.shard.ShardEvents.changes(envelope.event())) {
            bytes += (change.document() == null ? 0 : change.document().length)
                    + (change.before() == null ? 0 : change.before().length);
        }
        return bytes;
    }

    /**
     * The hub of one shard, started after {@code after} if it is not running; every call must be
     * paired with {@link #release}.
     */
    synchronized SequencedHub<ShardBatch> acquire(
            String persistenceId, String database, String collection, int shard, long after) {
        Feed feed = feeds.get(persistenceId);
        if (feed == null) {
            Feed started = new Feed(after);
            Source<EventEnvelope, NotUsed> events =
                    live.eventsByPersistenceId(persistenceId, after + 1, Long.MAX_VALUE);
            var running = events.map(e -> ShardBatch.of(database, collection, shard, e))
                    .viaMat(KillSwitches.single(), Keep.right())
                    .toMat(Sink.foreach(started.hub::publish), Keep.both())
                    .run(system);
            started.killSwitch = running.first();
            CompletionStage<Done> done = running.second();
            done.whenComplete((d, failure) -> ended(persistenceId, started, failure));
            feeds.put(persistenceId, started);
            feed = started;
        }
        feed.users++;
        return feed.hub;
    }

    synchronized void release(
            String persistenceId, SequencedHub<ShardBatch> hub, HubSubscriber<ShardBatch> subscriber) {
        hub.detach(subscriber);
        Feed feed = feeds.get(persistenceId);
        if (feed != null && feed.hub == hub && --feed.users == 0) {
            feeds.remove(persistenceId);
            feed.killSwitch.shutdown();
        }
    }

    /** Live feeds running now (a metric). */
    synchronized int running() {
        return feeds.size();
    }

    /**
     * A feed ended by itself (journal failure): its subscribers cannot be served in order any
     * more, so they are cut off like overflowed ones and resume from their tokens.
     */
    private void ended(String persistenceId, Feed feed, Throwable failure) {
        synchronized (this) {
            if (feeds.get(persistenceId) == feed) {
                feeds.remove(persistenceId);
            }
        }
        if (failure != null) {
            log.warn("change feed of {} failed; its subscribers are told to resume", persistenceId, failure);
        }
        feed.hub.cutOffAll();
    }
}

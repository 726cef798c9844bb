package io.lumadb.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.lumadb.cdc.groups.ConsumerGroups;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.shard.ShardEvents;
import io.lumadb.shards.shard.TestShardEvents;
import io.lumadb.streams.SubscriberBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One subscriber's walk along shard journals, on Pekko's in-memory test journal and its read
 * journal: catch-up reads bounded in bytes, and the end of a subscription whose collection was
 * dropped.
 */
@Timeout(60)
class ChangeSubscriptionTest {

    private static final AtomicLong incarnations = new AtomicLong();

    @RegisterExtension
    static final TestJournal journal = new TestJournal();
    /** Each test its own collection, so its own shard journal. */
    private final CollectionInfo info = new CollectionInfo("db", "c", 1, incarnations.incrementAndGet(), 0);

    private String persistenceId() {
        return ShardEvents.persistenceId(info.shardEntityId(0));
    }

    /** {@code events} shard events of one write each: a document of {@code bytes} bytes, with its pre-image. */
    private void write(int events, int bytes) {
        byte[] doc = ("{\"s\":\"" + "x".repeat(bytes - 8) + "\"}").getBytes(StandardCharsets.UTF_8);
        List<Object> written = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            written.add(TestShardEvents.written(
                    List.of(new DocumentChange("d" + i, DocumentChange.Op.UPDATED, i + 1, doc, doc))));
        }
        journal.persist(persistenceId(), written);
    }

    private ChangeSubscription subscription(Duration heartbeat) {
        return new ChangeSubscription(
                info,
                ResumeToken.beginning(info.incarnation(), 1),
                journal.feeds(),
                event -> new StreamItem.Change("change", event, null),
                new SubscriberBuffer<>(16, new AtomicLong()),
                256,
                1024 * 1024,
                heartbeat,
                false,
                ConsumerGroups.Member.ALL);
    }

    @Test
    void aCatchUpReadStopsAtItsByteBoundButAlwaysReadsOneEvent() throws Exception {
        write(10, 300_000); // 600 kB per event with the pre-image
        List<?> read = journal.feeds()
                .read(persistenceId(), 1, 256, 1024 * 1024)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals(2, read.size(), "two events reach 1 MiB; the read stops after the one that does");
        List<?> one = journal.feeds()
                .read(persistenceId(), 1, 256, 1)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals(1, one.size(), "an event larger than the bound still comes");
    }

    @Test
    void aSubscriberCatchingUpInBoundedReadsGetsEveryChangeOnce() throws Exception {
        write(10, 300_000);
        ChangeSubscription s = subscription(Duration.ofMillis(200));
        List<StreamItem> items = Source.fromGraph(new CursorSource(() -> s.cursor(() -> {})))
                .takeWhile(item -> item instanceof StreamItem.Change)
                .runWith(Sink.seq(), journal.system())
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        assertEquals(10, items.size());
        for (int i = 0; i < 10; i++) {
            assertEquals(i + 1, ((StreamItem.Change) items.get(i)).event().seq());
        }
    }

    @Test
    void aDroppedCollectionEndsItsSubscriptionAtOnceWithDropped() throws Exception {
        write(2, 100);
        // A heartbeat far away: the subscription would wait this long for anything new.
        ChangeSubscription s = subscription(Duration.ofMinutes(5));
        var items = Source.fromGraph(new CursorSource(() -> s.cursor(() -> {})))
                .runWith(Sink.seq(), journal.system())
                .toCompletableFuture();
        // The two changes, then it waits on the live feed.
        Thread.sleep(500);
        s.dropped();
        List<StreamItem> all = items.get(10, TimeUnit.SECONDS);
        assertEquals(3, all.size(), all.toString());
        StreamItem.Dropped dropped = assertInstanceOf(StreamItem.Dropped.class, all.get(2));
        assertEquals("db", dropped.database());
        assertEquals("c", dropped.collection());
        assertEquals(2, dropped.position().seqs()[0], "where the subscription stood");
    }
}

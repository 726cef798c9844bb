package io.lumadb.persistence.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.query.javadsl.RocksReadJournal;
import io.lumadb.persistence.testkit.JournalWrites;
import io.lumadb.persistence.testkit.TestConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read journal over the RocksDB journal. Pages are 3 events small so that every query spans
 * several pages, and the refresh interval is 30 s so that a live query can only deliver a new event
 * quickly if the write itself wakes it.
 */
class RocksReadJournalTest {

    private static final Duration WAKE_UP = Duration.ofSeconds(3);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private ActorSystem system;
    private ActorRef journal;
    private RocksReadJournal queries;
    private String pid;

    @BeforeEach
    void start() {
        system = ActorSystem.create(
                "read-journal",
                TestConfig.forDir(
                        dir,
                        ConfigFactory.parseString(
                                "lumadb.persistence.query { page-size = 3, refresh-interval = 30s }")));
        journal = Persistence.get(system).journalFor("lumadb.persistence.journal", ConfigFactory.empty());
        queries = PersistenceQuery.get(system).getReadJournalFor(RocksReadJournal.class, RocksReadJournal.Identifier);
        pid = "pid-" + UUID.randomUUID();
    }

    @AfterEach
    void stop() {
        TestKit.shutdownActorSystem(system);
    }

    // ------------------------------------------------------------------ by persistence id

    @Test
    void currentEventsByPersistenceIdReturnsEveryStoredEventInOrderAndCompletes() throws Exception {
        write(pid, 1, "e1", "e2", "e3", "e4", "e5", "e6", "e7");
        List<EventEnvelope> events = run(queries.currentEventsByPersistenceId(pid, 0, Long.MAX_VALUE));
        assertEquals(
                List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L),
                events.stream().map(EventEnvelope::sequenceNr).toList());
        assertEquals(
                List.of("e1", "e2", "e3", "e4", "e5", "e6", "e7"),
                events.stream().map(EventEnvelope::event).toList());
        assertTrue(events.stream().allMatch(e -> e.persistenceId().equals(pid) && e.timestamp() > 0));
        assertStrictlyIncreasingOffsets(events);
    }

    @Test
    void currentEventsByPersistenceIdHonoursTheBounds() throws Exception {
        write(pid, 1, "e1", "e2", "e3", "e4", "e5", "e6", "e7");
        assertEquals(List.of(3L, 4L, 5L, 6L), sequenceNrs(run(queries.currentEventsByPersistenceId(pid, 3, 6))));
    }

    @Test
    void currentEventsByPersistenceIdOfAnUnknownIdIsEmpty() throws Exception {
        assertEquals(List.of(), run(queries.currentEventsByPersistenceId("unknown", 0, Long.MAX_VALUE)));
    }

    @Test
    void currentEventsByPersistenceIdStopsAtWhatWasCommittedWhenItStarted() {
        write(pid, 1, "e1", "e2", "e3", "e4");
        TestSubscriber.Probe<EventEnvelope> probe =
                queries.currentEventsByPersistenceId(pid, 0, Long.MAX_VALUE).runWith(TestSink.create(system), system);
        assertEquals(1L, probe.requestNext(TIMEOUT).sequenceNr());
        write(pid, 5, "e5", "e6");
        probe.request(10);
        assertEquals(List.of(2L, 3L, 4L), sequenceNrs(probe.receiveWithin(TIMEOUT, 3)));
        probe.expectComplete();
    }

    @Test
    void liveEventsByPersistenceIdDeliversStoredThenNewEventsAsTheyAreWritten() {
        write(pid, 1, "e1", "e2");
        TestSubscriber.Probe<EventEnvelope> probe =
                queries.eventsByPersistenceId(pid, 0, Long.MAX_VALUE).runWith(TestSink.create(system), system);
        probe.request(100);
        assertEquals(List.of(1L, 2L), sequenceNrs(probe.receiveWithin(TIMEOUT, 2)));
        probe.expectNoMessage(Duration.ofMillis(200));

        write(pid, 3, "e3");
        assertEquals(3L, probe.expectNext(WAKE_UP).sequenceNr());
        write(pid, 4, "e4", "e5", "e6", "e7");
        assertEquals(List.of(4L, 5L, 6L, 7L), sequenceNrs(probe.receiveWithin(WAKE_UP, 4)));
        probe.cancel();
    }

    @Test
    void liveEventsByPersistenceIdCompletesAtTheUpperBound() {
        write(pid, 1, "e1");
        TestSubscriber.Probe<EventEnvelope> probe =
                queries.eventsByPersistenceId(pid, 0, 2).runWith(TestSink.create(system), system);
        probe.request(10);
        assertEquals(1L, probe.expectNext(TIMEOUT).sequenceNr());
        write(pid, 2, "e2", "e3");
        assertEquals(2L, probe.expectNext(WAKE_UP).sequenceNr());
        probe.expectComplete();
    }

    @Test
    void liveEventsByPersistenceIdIsNotWokenByOtherPersistenceIds() {
        TestSubscriber.Probe<EventEnvelope> probe =
                queries.eventsByPersistenceId(pid, 0, Long.MAX_VALUE).runWith(TestSink.create(system), system);
        probe.request(10);
        write(pid + "-other", 1, "x");
        probe.expectNoMessage(Duration.ofMillis(300));
        write(pid, 1, "mine");
        assertEquals("mine", probe.expectNext(WAKE_UP).event());
        probe.cancel();
    }

    // ------------------------------------------------------------------ by tag

    @Test
    void currentEventsByTagReturnsTaggedEventsOfAllPersistenceIdsInWriteOrder() throws Exception {
        String tag = "tag-" + UUID.randomUUID();
        write(pid + "-a", 1, tagged("a1", tag), "untagged", tagged("a3", tag, "other"));
        write(pid + "-b", 1, tagged("b1", "other"), tagged("b2", tag));
        write(pid + "-a", 4, tagged("a4", tag));
        List<EventEnvelope> events = run(queries.currentEventsByTag(tag, NoOffset.getInstance()));
        assertEquals(
                List.of("a1", "a3", "b2", "a4"),
                events.stream().map(EventEnvelope::event).toList());
        assertStrictlyIncreasingOffsets(events);
        assertEquals(
                List.of("a1", "a3", "b2", "a4"), payloads(run(queries.currentEventsByTag(tag, Offset.sequence(0)))));
    }

    @Test
    void currentEventsByTagStartsStrictlyAfterTheGivenOffset() throws Exception {
        String tag = "tag-" + UUID.randomUUID();
        write(pid, 1, tagged("t1", tag), tagged("t2", tag), tagged("t3", tag), tagged("t4", tag), tagged("t5", tag));
        List<EventEnvelope> all = run(queries.currentEventsByTag(tag, NoOffset.getInstance()));
        Offset second = all.get(1).offset();
        assertEquals(List.of("t3", "t4", "t5"), payloads(run(queries.currentEventsByTag(tag, second))));
        Offset last = all.getLast().offset();
        assertEquals(List.of(), run(queries.currentEventsByTag(tag, last)));
    }

    @Test
    void currentEventsByTagSkipsDeletedEvents() throws Exception {
        String tag = "tag-" + UUID.randomUUID();
        write(pid, 1, tagged("t1", tag), tagged("t2", tag), tagged("t3", tag), tagged("t4", tag));
        TestKit probe = new TestKit(system);
        journal.tell(new JournalProtocol.DeleteMessagesTo(pid, 2, probe.getRef()), ActorRef.noSender());
        probe.expectMsg(TIMEOUT, new DeleteMessagesSuccess(2));
        assertEquals(List.of("t3", "t4"), payloads(run(queries.currentEventsByTag(tag, NoOffset.getInstance()))));
    }

    @Test
    void liveEventsByTagDeliversNewTaggedEventsAsTheyAreWritten() {
        String tag = "tag-" + UUID.randomUUID();
        write(pid, 1, tagged("t1", tag));
        TestSubscriber.Probe<EventEnvelope> probe =
                queries.eventsByTag(tag, NoOffset.getInstance()).runWith(TestSink.create(system), system);
        probe.request(100);
        Sequence first =
                assertInstanceOf(Sequence.class, probe.expectNext(TIMEOUT).offset());
        probe.expectNoMessage(Duration.ofMillis(200));

        write(pid, 2, "untagged", tagged("t3", "other-tag"));
        probe.expectNoMessage(Duration.ofMillis(300));
        write(pid + "-b", 1, tagged("b1", tag));
        EventEnvelope next = probe.expectNext(WAKE_UP);
        assertEquals("b1", next.event());
        assertTrue(((Sequence) next.offset()).value() > first.value());
        probe.cancel();
    }

    @Test
    void eventsByTagRejectsOffsetsItDoesNotUnderstand() {
        assertThrows(IllegalArgumentException.class, () -> queries.eventsByTag("t", Offset.timestamp(Instant.now())));
    }

    @Test
    void orderingKeepsGrowingAcrossARestart() throws Exception {
        String tag = "tag-" + UUID.randomUUID();
        write(pid, 1, tagged("before", tag));
        TestKit.shutdownActorSystem(system);
        start();
        write(pid + "-b", 1, tagged("after", tag));
        List<EventEnvelope> events = run(queries.currentEventsByTag(tag, NoOffset.getInstance()));
        assertEquals(List.of("before", "after"), payloads(events));
        assertStrictlyIncreasingOffsets(events);
    }

    // ------------------------------------------------------------------ persistence ids

    @Test
    void currentPersistenceIdsReturnsEveryIdOnce() throws Exception {
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 7; i++) {
            write(pid + "-" + i, 1, "x", "y");
            expected.add(pid + "-" + i);
        }
        List<String> ids = run(queries.currentPersistenceIds());
        assertEquals(expected.size(), ids.size());
        assertEquals(expected, new HashSet<>(ids));
    }

    @Test
    void livePersistenceIdsDeliversExistingThenNewIdsOnce() {
        for (int i = 0; i < 4; i++) {
            write(pid + "-" + i, 1, "x");
        }
        TestSubscriber.Probe<String> probe = queries.persistenceIds().runWith(TestSink.create(system), system);
        probe.request(100);
        assertEquals(
                Set.of(pid + "-0", pid + "-1", pid + "-2", pid + "-3"), new HashSet<>(probe.receiveWithin(TIMEOUT, 4)));
        probe.expectNoMessage(Duration.ofMillis(200));

        write(pid + "-0", 2, "again");
        write(pid + "-new", 1, "x");
        assertEquals(pid + "-new", probe.expectNext(WAKE_UP));
        write(pid + "-new", 2, "y");
        probe.expectNoMessage(Duration.ofMillis(300));
        probe.cancel();
    }

    // ------------------------------------------------------------------ scaladsl

    @Test
    void theScalaApiReadsTheSameJournal() throws Exception {
        write(pid, 1, "e1", "e2");
        io.lumadb.persistence.query.scaladsl.RocksReadJournal scala =
                PersistenceQuery.get(system).readJournalFor(RocksReadJournal.Identifier);
        List<EventEnvelope> events =
                run(scala.currentEventsByPersistenceId(pid, 0, Long.MAX_VALUE).asJava());
        assertEquals(List.of(1L, 2L), sequenceNrs(events));
    }

    // ------------------------------------------------------------------ helpers

    private void write(String persistenceId, long firstSequenceNr, Object... payloads) {
        JournalWrites.write(system, journal, persistenceId, firstSequenceNr, payloads);
    }

    private static Tagged tagged(Object payload, String... tags) {
        return new Tagged(payload, Set.of(tags));
    }

    private <T> List<T> run(Source<T, NotUsed> source) throws Exception {
        return source.runWith(Sink.seq(), system).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private static List<Long> sequenceNrs(List<EventEnvelope> events) {
        return events.stream().map(EventEnvelope::sequenceNr).toList();
    }

    private static List<Object> payloads(List<EventEnvelope> events) {
        return events.stream().map(EventEnvelope::event).toList();
    }

    private static void assertStrictlyIncreasingOffsets(List<EventEnvelope> events) {
        List<Long> offsets = new ArrayList<>();
        for (EventEnvelope e : events) {
            offsets.add(assertInstanceOf(Sequence.class, e.offset()).value());
        }
        for (int i = 1; i < offsets.size(); i++) {
            assertTrue(offsets.get(i) > offsets.get(i - 1), "offsets " + offsets);
        }
    }
}

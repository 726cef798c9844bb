package io.lumadb.persistence.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.testkit.javadsl.TestKit;
import scala.jdk.javaapi.CollectionConverters;

/** Builds and sends journal protocol writes, the way a persistent actor would. */
public final class JournalWrites {

    private JournalWrites() {}

    /** One event of {@code persistenceId}, sent by no one. */
    public static PersistentRepr repr(String persistenceId, long sequenceNr, Object payload, String writerUuid) {
        return PersistentRepr.apply(payload, sequenceNr, persistenceId, "", false, ActorRef.noSender(), writerUuid);
    }

    /** An AtomicWrite of the given events. */
    public static AtomicWrite atomic(PersistentRepr... events) {
        return new AtomicWrite(CollectionConverters.asScala(List.of(events)).toList());
    }

    /** A WriteMessages whose replies go to {@code replyTo}. */
    public static JournalProtocol.WriteMessages writeMessages(ActorRef replyTo, AtomicWrite... writes) {
        List<PersistentEnvelope> envelopes = new ArrayList<>(List.of(writes));
        return new JournalProtocol.WriteMessages(
                CollectionConverters.asScala(envelopes).toList(), replyTo, 1);
    }

    /**
     * Writes one event per payload for {@code persistenceId}, from {@code firstSequenceNr} on, each
     * in its own AtomicWrite of one WriteMessages, and waits until all are confirmed.
     */
    public static void write(
            ActorSystem system, ActorRef journal, String persistenceId, long firstSequenceNr, Object... payloads) {
        TestKit probe = new TestKit(system);
        AtomicWrite[] writes = new AtomicWrite[payloads.length];
        for (int i = 0; i < payloads.length; i++) {
            writes[i] = atomic(repr(persistenceId, firstSequenceNr + i, payloads[i], "test-writer"));
        }
        journal.tell(writeMessages(probe.getRef(), writes), ActorRef.noSender());
        probe.expectMsg(Duration.ofSeconds(10), JournalProtocol.WriteMessagesSuccessful$.MODULE$);
        for (int i = 0; i < payloads.length; i++) {
            JournalProtocol.WriteMessageSuccess success =
                    probe.expectMsgClass(Duration.ofSeconds(10), JournalProtocol.WriteMessageSuccess.class);
            assertEquals(firstSequenceNr + i, success.persistent().sequenceNr());
        }
        probe.getSystem().stop(probe.getRef());
    }
}

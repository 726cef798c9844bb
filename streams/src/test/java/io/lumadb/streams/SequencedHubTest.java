package io.lumadb.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SequencedHubTest {

    private final AtomicLong gauge = new AtomicLong();

    private SubscriberBuffer<Long> buffer(int capacity) {
        return new SubscriberBuffer<>(capacity, gauge);
    }

    private static SequencedHub<Long> hub(long after, int ring) {
        return new SequencedHub<>(after, ring, Long::longValue);
    }

    @Test
    void aSubscriberAttachedBehindTheHeadGetsTheRingTailThenEveryLaterElementOnce() {
        SequencedHub<Long> hub = hub(0, 3);
        for (long seq = 1; seq <= 5; seq++) {
            hub.publish(seq);
        }
        hub.publish(4L); // a duplicate is ignored
        SubscriberBuffer<Long> sub = buffer(10);
        assertEquals(SequencedHub.Attach.ATTACHED, hub.attach(sub, 3));
        hub.publish(6L);
        assertEquals(List.of(4L, 5L, 6L), sub.drain(100));
        assertEquals(0, gauge.get());
    }

    @Test
    void aSubscriberFurtherBehindThanTheRingIsToldToCatchUpElsewhere() {
        SequencedHub<Long> hub = hub(0, 2);
        for (long seq = 1; seq <= 5; seq++) {
            hub.publish(seq);
        }
        SubscriberBuffer<Long> sub = buffer(10);
        assertEquals(SequencedHub.Attach.BEHIND, hub.attach(sub, 2));
        assertEquals(0, hub.subscribers());
        assertEquals(SequencedHub.Attach.ATTACHED, hub.attach(sub, 3));
        assertEquals(List.of(4L, 5L), sub.drain(100));
    }

    @Test
    void aFullSubscriberOverflowsAndIsDroppedWhileOthersAndThePublisherGoOn() {
        SequencedHub<Long> hub = hub(0, 0);
        SubscriberBuffer<Long> slow = buffer(2);
        SubscriberBuffer<Long> fast = buffer(100);
        hub.attach(slow, 0);
        hub.attach(fast, 0);
        for (long seq = 1; seq <= 5; seq++) {
            hub.publish(seq);
        }
        assertTrue(slow.overflowed());
        assertFalse(slow.offer(6L));
        assertEquals(1, hub.subscribers());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), fast.drain(100));
    }

    @Test
    void aWaitingConsumerIsWokenByAnElementAndByACutOff() {
        SequencedHub<Long> hub = hub(0, 0);
        SubscriberBuffer<Long> sub = buffer(10);
        hub.attach(sub, 0);
        CompletionStage<Void> first = sub.whenReady();
        assertFalse(first.toCompletableFuture().isDone());
        hub.publish(1L);
        assertTrue(first.toCompletableFuture().isDone());
        sub.drain(10);
        CompletionStage<Void> second = sub.whenReady();
        hub.cutOffAll();
        assertTrue(second.toCompletableFuture().isDone());
        assertTrue(sub.overflowed());
        assertEquals(0, hub.subscribers());
    }
}

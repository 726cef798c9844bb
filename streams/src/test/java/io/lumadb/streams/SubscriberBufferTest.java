package io.lumadb.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SubscriberBufferTest {

    @Test
    void wakeReleasesAWaitingConsumerWithoutBufferingOrClosing() {
        AtomicLong depth = new AtomicLong();
        SubscriberBuffer<String> buffer = new SubscriberBuffer<>(4, depth);
        CompletableFuture<Void> waiting = buffer.whenReady().toCompletableFuture();
        assertFalse(waiting.isDone());
        buffer.wake();
        assertTrue(waiting.isDone(), "the consumer is woken");
        assertEquals(0, buffer.depth());
        assertFalse(buffer.overflowed(), "a wake is not an end: the buffer still takes elements");
        assertTrue(buffer.offer("a"));
        assertEquals(1, depth.get());
        buffer.wake(); // nobody waits: nothing happens
        assertEquals(1, buffer.drain(10).size());
    }
}

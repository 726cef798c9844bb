package io.lumadb.persistence.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class KeyedSignalsTest {

    private final KeyedSignals signals = new KeyedSignals();

    @Test
    void wakesEveryWaiterOfTheSignalledKeyOnly() {
        CompletableFuture<Void> a1 = signals.register("a");
        CompletableFuture<Void> a2 = signals.register("a");
        CompletableFuture<Void> b = signals.register("b");
        signals.signal("a");
        assertTrue(a1.isDone());
        assertTrue(a2.isDone());
        assertFalse(b.isDone());
        assertEquals(1, signals.size());
    }

    @Test
    void aSignalBeforeRegistrationDoesNotWakeTheLaterWaiter() {
        signals.signal("a");
        assertFalse(signals.register("a").isDone());
    }

    @Test
    void waitersThatGiveUpAreForgotten() throws Exception {
        CompletableFuture<Void> timedOut = signals.register("a").completeOnTimeout(null, 10, TimeUnit.MILLISECONDS);
        signals.register("b").cancel(false);
        timedOut.get(5, TimeUnit.SECONDS);
        assertEquals(0, signals.size());
    }
}

package io.lumadb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ChangePagesTest {

    @Test
    void backoffDoublesFromTheMinimumUpToTheBound() {
        ChangeStreamSettings s =
                ChangeStreamSettings.defaults().withBackoff(Duration.ofMillis(100), Duration.ofSeconds(2), 0.0);
        assertEquals(100, ChangePages.backoff(1, s).toMillis());
        assertEquals(200, ChangePages.backoff(2, s).toMillis());
        assertEquals(1600, ChangePages.backoff(5, s).toMillis());
        assertEquals(2000, ChangePages.backoff(6, s).toMillis());
        assertEquals(2000, ChangePages.backoff(1_000_000, s).toMillis());
    }

    @Test
    void jitterAddsAtMostTheRandomFactor() {
        ChangeStreamSettings s =
                ChangeStreamSettings.defaults().withBackoff(Duration.ofMillis(1000), Duration.ofSeconds(1), 0.5);
        for (int i = 0; i < 100; i++) {
            long d = ChangePages.backoff(3, s).toMillis();
            assertTrue(d >= 1000 && d <= 1500, "delay " + d);
        }
    }

    @Test
    void onlyAnswersTheServerMayGiveDifferentlyLaterAreRetried() {
        assertTrue(ChangePages.transientStatus(503));
        assertTrue(ChangePages.transientStatus(500));
        assertTrue(ChangePages.transientStatus(429));
        assertFalse(ChangePages.transientStatus(400));
        assertFalse(ChangePages.transientStatus(404));
        assertFalse(ChangePages.transientStatus(410));
    }

    @Test
    void settingsRefuseNonsenseWithTheParameterNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChangeStreamSettings.defaults()
                .withPageSize(0));
        assertTrue(e.getMessage().contains("pageSize"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ChangeStreamSettings.defaults()
                .withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0.2));
        assertThrows(IllegalArgumentException.class, () -> StartPosition.after(" "));
        IllegalArgumentException spin =
                assertThrows(IllegalArgumentException.class, () -> ChangeStreamSettings.defaults()
                        .withLongPollWait(Duration.ZERO));
        assertTrue(spin.getMessage().contains("longPollWait"), spin.getMessage());
    }
}

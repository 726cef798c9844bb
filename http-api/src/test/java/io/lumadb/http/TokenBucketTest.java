package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The token bucket's maths on a clock of the test's own: burst, refill, debt, Retry-After, eviction. */
class TokenBucketTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    @Test
    void aFullBucketGivesItsBurstAtOnceThenRefusesWithTheWaitForOneToken() {
        TokenBucket bucket = new TokenBucket(2, 5, 0); // 2 a second, 5 at once
        for (int i = 0; i < 5; i++) {
            assertEquals(0, bucket.take(0), "token " + i + " of the burst");
        }
        assertEquals(SECOND / 2, bucket.take(0), "the next token comes in half a second");
        assertEquals(SECOND / 4, bucket.take(SECOND / 4), "a quarter later, a quarter second is left");
        assertEquals(0, bucket.take(SECOND / 2), "after half a second there is one");
        assertEquals(SECOND / 2, bucket.take(SECOND / 2));
    }

    @Test
    void refillsAtItsRateButNeverAboveItsBurst() {
        TokenBucket bucket = new TokenBucket(10, 3, 0);
        for (int i = 0; i < 3; i++) {
            bucket.take(0);
        }
        assertEquals(1.0, bucket.tokens(100 * MS), 1e-9, "10 a second: one in 100 ms");
        assertEquals(3.0, bucket.tokens(3600 * SECOND), 1e-9, "an hour later: the burst, not 36000");
        assertTrue(bucket.full(3600 * SECOND));
        int taken = 0;
        while (bucket.take(3600 * SECOND) == 0) {
            taken++;
        }
        assertEquals(3, taken);
    }

    @Test
    void aClockThatStepsBackGivesNothingAndTakesNothing() {
        TokenBucket bucket = new TokenBucket(1, 1, 10 * SECOND);
        assertEquals(0, bucket.take(10 * SECOND));
        assertEquals(SECOND, bucket.take(9 * SECOND), "an earlier reading counts as no time passed");
        assertEquals(0, bucket.take(11 * SECOND));
    }

    @Test
    void chargingGoesIntoDebtThatRefillsLikeAnyShortfall() {
        TokenBucket bucket = new TokenBucket(1.0 / 6, 2, 0); // 10 a minute
        for (int i = 0; i < 5; i++) {
            bucket.charge(0);
        }
        assertEquals(-3.0, bucket.tokens(0), 1e-9);
        assertEquals(24 * SECOND, bucket.waitFor(0), 1 * MS, "4 tokens to one, at one per 6 s");
        assertEquals(0, bucket.waitFor(24 * SECOND + MS));
        assertFalse(bucket.full(24 * SECOND + MS));
    }

    @Test
    void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne() {
        assertEquals(1, TokenBucket.retryAfterSeconds(1));
        assertEquals(1, TokenBucket.retryAfterSeconds(SECOND));
        assertEquals(2, TokenBucket.retryAfterSeconds(SECOND + 1));
        assertEquals(6, TokenBucket.retryAfterSeconds(5 * SECOND + 500 * MS));
        assertEquals(1, TokenBucket.retryAfterSeconds(0), "never 0: a client would retry at once");
        assertEquals(3600, TokenBucket.retryAfterSeconds(3600 * SECOND));
    }

    @Test
    void refusesANonsensicalRateOrBurst() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(Double.NaN, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, 0, 0));
    }

    // ---- many keys in bounded memory

    @Test
    void keepsOneBucketPerKey() {
        TokenBuckets buckets = new TokenBuckets(1, 1, 10);
        assertSame(buckets.get("a", 0), buckets.get("a", 0));
        assertEquals(0, buckets.get("a", 0).take(0));
        assertEquals(SECOND, buckets.get("a", 0).take(0), "the same bucket: spent");
        assertEquals(0, buckets.get("b", 0).take(0), "another key has its own");
        assertNull(buckets.find("c"), "find creates nothing");
    }

    @Test
    void forgetsRefilledBucketsFirstAndStaysWithinItsBound() {
        TokenBuckets buckets = new TokenBuckets(1, 1, 100);
        long now = 0;
        buckets.get("spent", now).take(now);
        for (int i = 0; i < 99; i++) {
            buckets.get("idle" + i, now); // full: never used
        }
        assertEquals(100, buckets.size());
        buckets.get("new", now);
        assertEquals(2, buckets.size(), "the 99 full buckets went; the spent one stays");
        assertEquals(SECOND, buckets.get("spent", now).take(now), "and still remembers it is spent");
    }

    @Test
    void whenNothingIsIdleTheLeastRecentlyUsedGo() {
        TokenBuckets buckets = new TokenBuckets(1, 1, 100);
        for (int i = 0; i < 100; i++) {
            buckets.get("k" + i, i).take(i); // all spent: none refills within the test's time
        }
        buckets.get("k99", 150).take(150); // used last
        for (int i = 100; i < 10_000; i++) {
            buckets.get("k" + i, 200 + i).take(200 + i);
            assertTrue(buckets.size() <= 100, "size " + buckets.size() + " after key " + i);
        }
        assertNull(buckets.find("k0"), "the least recently used went");
        assertNull(buckets.find("k99"), "used again at 150, then older than every later key");
        assertTrue(buckets.get("k9999", 10_199).take(10_200) > 0, "the newest stays, spent");
    }
}

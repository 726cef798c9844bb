package io.lumadb.http;

/**
 * One token bucket: it holds at most {@code burst} tokens, gains {@code perSecond} tokens a
 * second, and a request takes one. Time is passed in (nanoseconds of one monotonic clock), so
 * the maths is tested without waiting. Thread-safe; the lock is held for a few arithmetic
 * operations only.
 *
 * <p>{@link #charge} may drive the bucket below zero: a debt that refills like any other
 * shortfall. The failed-login budget uses it, because the failures of attempts that were already
 * under way when the budget ran out must still be paid for.
 */
final class TokenBucket {

    private static final double NANOS_PER_SECOND = 1_000_000_000d;

    private final double burst;
    private final double perNano;
    private double tokens;
    private long refilledAt;
    private volatile long usedAt;

    /** A full bucket. */
    TokenBucket(double perSecond, int burst, long now) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("perSecond must be positive and finite, was " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be at least 1, was " + burst);
        }
        this.burst = burst;
        this.perNano = perSecond / NANOS_PER_SECOND;
        this.tokens = burst;
        this.refilledAt = now;
        this.usedAt = now;
    }

    /** Takes a token if there is one: 0 when taken, else how many nanoseconds until there is one. */
    synchronized long take(long now) {
        refill(now);
        usedAt = now;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return untilOne();
    }

    /** How many nanoseconds until a token is there (0: one is there now); takes nothing. */
    synchronized long waitFor(long now) {
        refill(now);
        usedAt = now;
        return tokens >= 1 ? 0 : untilOne();
    }

    /** Takes a token whether or not there is one, going into debt if need be. */
    synchronized void charge(long now) {
        refill(now);
        usedAt = now;
        tokens -= 1;
    }

    /** Whether the bucket has refilled completely: forgetting it then changes nothing. */
    synchronized boolean full(long now) {
        refill(now);
        return tokens >= burst;
    }

    /** When a request last used the bucket. */
    long usedAt() {
        return usedAt;
    }

    synchronized double tokens(long now) {
        refill(now);
        return tokens;
    }

    private void refill(long now) {
        // Threads read the clock before they take the lock, so time may appear to step back a little.
        if (now > refilledAt) {
            tokens = Math.min(burst, tokens + (now - refilledAt) * perNano);
            refilledAt = now;
        }
    }

    private long untilOne() {
        return (long) Math.ceil((1 - tokens) / perNano);
    }

    /** A wait as the whole seconds of {@code Retry-After}: rounded up, and at least 1. */
    static long retryAfterSeconds(long nanos) {
        long seconds = nanos / 1_000_000_000L + (nanos % 1_000_000_000L == 0 ? 0 : 1);
        return Math.max(1, seconds);
    }
}

package io.lumadb.shards.query;

import java.time.Duration;

/**
 * A point in time a query must finish by. Long-running evaluation (scans, regular expressions)
 * calls {@link #check()} often enough that a query stops soon after its deadline.
 */
public interface Deadline {

    /** Throws if the deadline has passed. */
    void check() throws QueryTimeoutException;

    /** A deadline that never passes. */
    static Deadline none() {
        return () -> {};
    }

    /** A deadline at {@code nanoTime}, a value on the {@link System#nanoTime()} scale. */
    static Deadline at(long nanoTime) {
        return () -> {
            if (System.nanoTime() - nanoTime >= 0) {
                throw new QueryTimeoutException("the query did not finish before its deadline");
            }
        };
    }

    /** A deadline {@code timeout} from now. */
    static Deadline in(Duration timeout) {
        return at(System.nanoTime() + timeout.toNanos());
    }
}

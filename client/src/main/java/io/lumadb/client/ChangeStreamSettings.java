package io.lumadb.client;

import java.time.Duration;
import java.util.Optional;

/**
 * How a change stream pulls its pages and how it rides out failures. Immutable; every {@code
 * with...} returns a copy. The defaults suit a service that consumes a collection continuously.
 *
 * <ul>
 *   <li>{@code pageSize} (500): the most changes one request returns (the server's {@code limit};
 *       at most {@code lumadb.cdc.max-pull-limit}, 10,000 by default).
 *   <li>{@code longPollWait} (20 s): how long a request waits on the server for the next change
 *       when there is none (the server's {@code wait}; at most {@code lumadb.cdc.max-pull-wait},
 *       60 s by default; at least 100 ms, so that a caught-up stream does not spin). Latency of a
 *       new change is one round trip, not this wait.
 *   <li>{@code includeBefore} (false): ask for the document before each update and delete
 *       ({@link ChangeEnvelope#before()}).
 *   <li>{@code filter} (none): a JQL filter, as JSON text, evaluated by the server; the position
 *       still moves past the changes it leaves out.
 *   <li>{@code minBackoff} (200 ms), {@code maxBackoff} (10 s), {@code randomFactor} (0.2): the
 *       delay before retrying after a failed request doubles from {@code minBackoff} up to {@code
 *       maxBackoff}, plus up to {@code randomFactor} of itself at random; a success resets it.
 *   <li>{@code maxRetries} (unlimited): consecutive failed requests after which the stream fails
 *       with {@link LumaDbUnavailableException}; -1 retries for ever.
 * </ul>
 */
public final class ChangeStreamSettings {

    private static final Duration MIN_LONG_POLL_WAIT = Duration.ofMillis(100);

    private static final ChangeStreamSettings DEFAULTS = new ChangeStreamSettings(
            500, Duration.ofSeconds(20), false, null, Duration.ofMillis(200), Duration.ofSeconds(10), 0.2, -1);

    private final int pageSize;
    private final Duration longPollWait;
    private final boolean includeBefore;
    private final String filter;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final double randomFactor;
    private final int maxRetries;

    private ChangeStreamSettings(
            int pageSize,
            Duration longPollWait,
            boolean includeBefore,
            String filter,
            Duration minBackoff,
            Duration maxBackoff,
            double randomFactor,
            int maxRetries) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be at least 1, got " + pageSize);
        }
        if (longPollWait == null
                || longPollWait.compareTo(MIN_LONG_POLL_WAIT) < 0
                || longPollWait.toMillis() > Integer.MAX_VALUE) {
            // A shorter wait turns a caught-up stream into a busy loop of empty requests.
            throw new IllegalArgumentException("longPollWait must be from " + MIN_LONG_POLL_WAIT.toMillis() + " to "
                    + Integer.MAX_VALUE + " ms, got " + longPollWait);
        }
        if (filter != null && filter.isBlank()) {
            throw new IllegalArgumentException("filter must be JSON text or null, got a blank string");
        }
        if (minBackoff == null || minBackoff.isNegative() || minBackoff.isZero()) {
            throw new IllegalArgumentException("minBackoff must be positive, got " + minBackoff);
        }
        if (maxBackoff == null || maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException(
                    "maxBackoff must be at least minBackoff (" + minBackoff + "), got " + maxBackoff);
        }
        if (!(randomFactor >= 0 && randomFactor <= 1)) {
            throw new IllegalArgumentException("randomFactor must be from 0 to 1, got " + randomFactor);
        }
        if (maxRetries < -1) {
            throw new IllegalArgumentException("maxRetries must be -1 (unlimited) or more, got " + maxRetries);
        }
        this.pageSize = pageSize;
        this.longPollWait = longPollWait;
        this.includeBefore = includeBefore;
        this.filter = filter;
        this.minBackoff = minBackoff;
        this.maxBackoff = maxBackoff;
        this.randomFactor = randomFactor;
        this.maxRetries = maxRetries;
    }

    /** The defaults listed above. */
    public static ChangeStreamSettings defaults() {
        return DEFAULTS;
    }

    public int pageSize() {
        return pageSize;
    }

    public Duration longPollWait() {
        return longPollWait;
    }

    public boolean includeBefore() {
        return includeBefore;
    }

    public Optional<String> filter() {
        return Optional.ofNullable(filter);
    }

    public Duration minBackoff() {
        return minBackoff;
    }

    public Duration maxBackoff() {
        return maxBackoff;
    }

    public double randomFactor() {
        return randomFactor;
    }

    /** Consecutive failed requests tolerated; -1 means unlimited. */
    public int maxRetries() {
        return maxRetries;
    }

    public ChangeStreamSettings withPageSize(int pageSize) {
        return new ChangeStreamSettings(
                pageSize, longPollWait, includeBefore, filter, minBackoff, maxBackoff, randomFactor, maxRetries);
    }

    public ChangeStreamSettings withLongPollWait(Duration longPollWait) {
        return new ChangeStreamSettings(
                pageSize, longPollWait, includeBefore, filter, minBackoff, maxBackoff, randomFactor, maxRetries);
    }

    public ChangeStreamSettings withIncludeBefore(boolean includeBefore) {
        return new ChangeStreamSettings(
                pageSize, longPollWait, includeBefore, filter, minBackoff, maxBackoff, randomFactor, maxRetries);
    }

    /** A JQL filter as JSON text, such as {@code {"total":{"$gte":100}}}; null for none. */
    public ChangeStreamSettings withFilter(String filter) {
        return new ChangeStreamSettings(
                pageSize, longPollWait, includeBefore, filter, minBackoff, maxBackoff, randomFactor, maxRetries);
    }

    public ChangeStreamSettings withBackoff(Duration minBackoff, Duration maxBackoff, double randomFactor) {
        return new ChangeStreamSettings(
                pageSize, longPollWait, includeBefore, filter, minBackoff, maxBackoff, randomFactor, maxRetries);
    }

    public ChangeStreamSettings withMaxRetries(int maxRetries) {
        return new ChangeStreamSettings(
                pageSize, longPollWait, includeBefore, filter, minBackoff, maxBackoff, randomFactor, maxRetries);
    }

    @Override
    public String toString() {
        return "ChangeStreamSettings[pageSize=" + pageSize + ", longPollWait=" + longPollWait + ", includeBefore="
                + includeBefore + ", filter=" + filter + ", backoff=" + minBackoff + ".." + maxBackoff + " (random "
                + randomFactor + "), maxRetries=" + maxRetries + "]";
    }
}

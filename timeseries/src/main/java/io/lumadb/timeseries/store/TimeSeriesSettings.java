package io.lumadb.timeseries.store;

import java.util.concurrent.TimeUnit;

/**
 * How a time-series store cuts series into blocks.
 *
 * @param blockDuration the time range of one block in nanoseconds; blocks start at multiples of it
 *     since the epoch. Part of the storage format: a store keeps the duration it was first written
 *     with and refuses to open with another.
 * @param lateness how far, in nanoseconds, the newest time written may pass a block's end before
 *     the block is sealed. Points that arrive later still land (the sealed block is rebuilt), only
 *     at a higher cost. May change between openings.
 */
public record TimeSeriesSettings(long blockDuration, long lateness) {

    /** One-hour blocks, sealed ten minutes after their end. */
    public static final TimeSeriesSettings DEFAULT =
            new TimeSeriesSettings(TimeUnit.HOURS.toNanos(1), TimeUnit.MINUTES.toNanos(10));

    public TimeSeriesSettings {
        if (blockDuration <= 0) {
            throw new IllegalArgumentException("blockDuration must be positive, got " + blockDuration + " ns");
        }
        if (lateness < 0) {
            throw new IllegalArgumentException("lateness must not be negative, got " + lateness + " ns");
        }
    }
}

package io.lumadb.timeseries.store;

import io.lumadb.timeseries.SeriesKey;

/**
 * A sealed block as stored, for inspection (retention, statistics).
 *
 * @param series the block's series
 * @param start the start of the block's time range (a multiple of the block duration)
 * @param count rows in the block
 * @param firstTime the time of its first row
 * @param lastTime the time of its last row
 * @param bytes its encoded size
 */
public record BlockInfo(SeriesKey series, long start, int count, long firstTime, long lastTime, int bytes) {}

package io.lumadb.bench;

import java.util.Arrays;

/**
 * Every latency one client thread recorded, in nanoseconds, in a growable array. Recording is an
 * array store (no locks, no buckets), so it cannot disturb what it measures; threads merge
 * their logs once the run is over.
 */
final class LatencyLog {

    private long[] values;
    private int size;

    LatencyLog(int capacity) {
        values = new long[Math.max(16, capacity)];
    }

    void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = nanos;
    }

    int size() {
        return size;
    }

    /** All values of {@code logs}, concatenated and sorted ascending. */
    static long[] mergeSorted(Iterable<LatencyLog> logs) {
        int total = 0;
        for (LatencyLog l : logs) {
            total += l.size;
        }
        long[] all = new long[total];
        int at = 0;
        for (LatencyLog l : logs) {
            System.arraycopy(l.values, 0, all, at, l.size);
            at += l.size;
        }
        Stats.sort(all, all.length);
        return all;
    }
}

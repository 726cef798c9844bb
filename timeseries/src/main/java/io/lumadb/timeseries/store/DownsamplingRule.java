package io.lumadb.timeseries.store;

import io.lumadb.timeseries.WindowAggregator;
import java.util.EnumSet;
import java.util.Set;

/**
 * A continuous downsampling rule of a time-series collection: every series is rolled up into
 * windows of {@code every} nanoseconds (aligned to multiples of it since the epoch) that keep, per
 * field, the state of the rule's aggregates, and are kept for {@code retention} nanoseconds after
 * their end (0: forever).
 *
 * @param every the window length, positive
 * @param retention how long a window is kept after its end, in nanoseconds (0: forever)
 * @param aggregates what the windows answer: count, sum, mean, min, max, first and last (never
 *     percentiles, which no fixed-size state answers exactly)
 */
public record DownsamplingRule(long every, long retention, Set<WindowAggregator.Kind> aggregates) {

    /** The aggregates a rollup can keep. */
    public static final Set<WindowAggregator.Kind> KEEPABLE = java.util.Collections.unmodifiableSet(EnumSet.of(
            WindowAggregator.Kind.COUNT,
            WindowAggregator.Kind.SUM,
            WindowAggregator.Kind.MEAN,
            WindowAggregator.Kind.MIN,
            WindowAggregator.Kind.MAX,
            WindowAggregator.Kind.FIRST,
            WindowAggregator.Kind.LAST));

    public DownsamplingRule {
        if (every <= 0) {
            throw new IllegalArgumentException("every must be positive, got " + every + " ns");
        }
        if (retention < 0) {
            throw new IllegalArgumentException("retention must not be negative, got " + retention + " ns");
        }
        if (aggregates.isEmpty() || !KEEPABLE.containsAll(aggregates)) {
            throw new IllegalArgumentException("a rule keeps some of " + KEEPABLE + ", got " + aggregates);
        }
        aggregates = Set.copyOf(aggregates);
    }

    /** Whether the windows keep first and last (with their times). */
    public boolean keepsFirstLast() {
        return aggregates.contains(WindowAggregator.Kind.FIRST) || aggregates.contains(WindowAggregator.Kind.LAST);
    }

    /** The aggregates as a bit mask of {@link WindowAggregator.Kind} ordinals (for compact formats). */
    public int mask() {
        int m = 0;
        for (WindowAggregator.Kind k : aggregates) {
            m |= 1 << k.ordinal();
        }
        return m;
    }

    /** The aggregates of a {@link #mask()}. */
    public static Set<WindowAggregator.Kind> ofMask(int mask) {
        Set<WindowAggregator.Kind> kinds = EnumSet.noneOf(WindowAggregator.Kind.class);
        for (WindowAggregator.Kind k : WindowAggregator.Kind.values()) {
            if ((mask & (1 << k.ordinal())) != 0) {
                kinds.add(k);
            }
        }
        return kinds;
    }
}

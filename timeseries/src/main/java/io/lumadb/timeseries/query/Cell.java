package io.lumadb.timeseries.query;

import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.SeriesKey;
import java.util.Arrays;

/**
 * The mergeable state of one group, window and field: what every aggregate is computed from, and
 * what two shards' states combine into exactly (but for the rounding of {@code sum}).
 *
 * <p>A NaN counts as absent. {@code count} counts values of every type; {@code n}, {@code sum},
 * {@code min}, {@code max} and the kept values cover the numeric ones, as doubles (integers exact
 * up to 2^53). {@code first} and {@code last} are the values of any type with the smallest and the
 * largest time, ties going to the series whose canonical key sorts first for {@code first} and last
 * for {@code last}.
 */
final class Cell {
    long count;
    long n;
    double sum;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    long firstTime;
    String firstSeries;
    FieldValue first;
    long lastTime;
    String lastSeries;
    FieldValue last;
    double[] values;
    int size;

    /** Adds one value (not NaN) of {@code series} at {@code time}. */
    void add(long time, String series, FieldValue v, boolean firstLast, boolean keepValues) {
        count++;
        if (v.type().numeric()) {
            double d = Values.number(v);
            addNumbers(1, d, d, d);
            if (keepValues) {
                keep(d);
            }
        }
        if (firstLast) {
            offerFirst(time, series, v);
            offerLast(time, series, v);
        }
    }

    /** Adds {@code k} numeric values with this sum, minimum and maximum, from a block header. */
    void addNumbers(long k, double s, double mn, double mx) {
        n += k;
        sum += s;
        min = Math.min(min, mn);
        max = Math.max(max, mx);
    }

    void offerFirst(long time, String series, FieldValue v) {
        if (first == null
                || time < firstTime
                || (time == firstTime && SeriesKey.compareCodePoints(series, firstSeries) < 0)) {
            firstTime = time;
            firstSeries = series;
            first = v;
        }
    }

    void offerLast(long time, String series, FieldValue v) {
        if (last == null
                || time > lastTime
                || (time == lastTime && SeriesKey.compareCodePoints(series, lastSeries) > 0)) {
            lastTime = time;
            lastSeries = series;
            last = v;
        }
    }

    void keep(double d) {
        if (values == null) {
            values = new double[8];
        } else if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = d;
    }

    /** Adds another cell's state to this one. */
    void merge(Cell o) {
        count += o.count;
        if (o.n > 0) {
            addNumbers(o.n, o.sum, o.min, o.max);
        }
        if (o.first != null) {
            offerFirst(o.firstTime, o.firstSeries, o.first);
        }
        if (o.last != null) {
            offerLast(o.lastTime, o.lastSeries, o.last);
        }
        for (int i = 0; i < o.size; i++) {
            keep(o.values[i]);
        }
    }

    /**
     * The exact percentile {@code p} of the kept values by nearest rank, as {@link
     * io.lumadb.timeseries.WindowAggregator} defines it; null without values.
     */
    Double percentile(double p) {
        if (size == 0) {
            return null;
        }
        double[] s = Arrays.copyOf(values, size);
        Arrays.sort(s);
        long rank = (long) Math.floor(size * p / 100.0 + 0.5);
        return s[(int) Math.max(0, Math.min(size - 1, rank - 1))];
    }
}

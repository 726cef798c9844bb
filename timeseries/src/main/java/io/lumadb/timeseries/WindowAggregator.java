package io.lumadb.timeseries;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Aggregates a numeric field over fixed time windows: mean, sum, min, max, count, first, last and
 * exact percentiles, with a fill policy for windows that hold no value.
 *
 * <p>Windows are {@code every} nanoseconds long and aligned to the Unix epoch with no offset: a
 * point at time t falls in the window starting at {@code floorDiv(t, every) * every}. A query over
 * {@code [from, to)} reads the points with {@code from ≤ t < to} and reports the windows from the
 * one holding {@code from} to the one holding {@code to - 1}. NaN values are skipped, as if
 * absent. Integers are aggregated as doubles (exact up to 2^53). Percentiles are exact, by nearest
 * rank over the window's sorted values: the value at 1-based rank {@code floor(n × p / 100 + 0.5)},
 * clamped to 1..n. {@code first} and {@code last} are the values with the smallest and largest
 * time (for equal times, the first and the last given).
 */
public final class WindowAggregator {

    /** The most windows one query may span. */
    public static final int MAX_WINDOWS = 1_000_000;

    private WindowAggregator() {}

    /** What to compute per window. */
    public enum Kind {
        MEAN,
        SUM,
        MIN,
        MAX,
        COUNT,
        FIRST,
        LAST,
        PERCENTILE
    }

    /**
     * An aggregate: a kind and, for {@link Kind#PERCENTILE}, the percentile in [0, 100].
     *
     * @param kind what to compute
     * @param percentile the percentile for PERCENTILE, 0 otherwise
     */
    public record Aggregate(Kind kind, double percentile) {
        public Aggregate {
            if (kind == Kind.PERCENTILE && !(percentile >= 0 && percentile <= 100)) {
                throw new IllegalArgumentException("percentile must be within 0..100, got " + percentile);
            }
        }

        public static Aggregate of(Kind kind) {
            if (kind == Kind.PERCENTILE) {
                throw new IllegalArgumentException("a percentile needs its p: use Aggregate.percentile(p)");
            }
            return new Aggregate(kind, 0);
        }

        public static Aggregate percentile(double p) {
            return new Aggregate(Kind.PERCENTILE, p);
        }

        /**
         * Parses {@code mean}, {@code sum}, {@code min}, {@code max}, {@code count}, {@code first},
         * {@code last}, {@code median} (p50) or {@code p<number>} such as {@code p95}, {@code p99.9}.
         */
        public static Aggregate parse(String s) {
            String k = s.trim().toLowerCase(Locale.ROOT);
            if (k.equals("median")) {
                return percentile(50);
            }
            if (k.startsWith("p") && k.length() > 1 && (Character.isDigit(k.charAt(1)) || k.charAt(1) == '.')) {
                try {
                    return percentile(Double.parseDouble(k.substring(1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("aggregate '" + s + "': a percentile is written p95 or p99.9");
                }
            }
            for (Kind kind : Kind.values()) {
                if (kind != Kind.PERCENTILE
                        && kind.name().toLowerCase(Locale.ROOT).equals(k)) {
                    return of(kind);
                }
            }
            throw new IllegalArgumentException("aggregate must be one of mean, sum, min, max, count, first, last,"
                    + " median or p<0..100>; got '" + s + "'");
        }
    }

    /** What an empty window reports. */
    public sealed interface Fill {
        /** Empty windows are left out. */
        record None() implements Fill {}

        /** Empty windows report no value (null). */
        record Null() implements Fill {}

        /** Empty windows repeat the value of the last window that had one (null before any). */
        record Previous() implements Fill {}

        /**
         * Empty windows take the value on the straight line between the nearest windows before and
         * after that have one (null when either side has none).
         */
        record Linear() implements Fill {}

        /** Empty windows report a constant. */
        record Constant(double value) implements Fill {}

        Fill NONE = new None();
        Fill NULL = new Null();
        Fill PREVIOUS = new Previous();
        Fill LINEAR = new Linear();

        /** Parses {@code none}, {@code null}, {@code previous}, {@code linear} or a number (a constant). */
        static Fill parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "none" -> NONE;
                case "null" -> NULL;
                case "previous" -> PREVIOUS;
                case "linear" -> LINEAR;
                default -> {
                    try {
                        yield new Constant(Double.parseDouble(s.trim()));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(
                                "fill must be none, null, previous, linear or a number; got '" + s + "'");
                    }
                }
            };
        }
    }

    /**
     * One window's result.
     *
     * @param start the window's start, nanoseconds since the epoch
     * @param value the aggregate, or null when the window is empty and the fill gives no value
     */
    public record Window(long start, Double value) {}

    /**
     * Parses a duration such as {@code 10s}, {@code 1m}, {@code 1h30m} or {@code 500ms} into
     * nanoseconds. Units: {@code ns}, {@code us} ({@code µs}), {@code ms}, {@code s}, {@code m},
     * {@code h}, {@code d}, {@code w}.
     *
     * @throws IllegalArgumentException naming the input when it is not a positive duration
     */
    public static long parseDuration(String s) {
        long total = 0;
        int i = 0;
        if (s.isEmpty()) {
            throw new IllegalArgumentException("duration must not be empty");
        }
        try {
            while (i < s.length()) {
                int start = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                if (i == start) {
                    throw new IllegalArgumentException("duration '" + s + "': expected a number at " + (i + 1));
                }
                long n = Long.parseLong(s.substring(start, i));
                int u = i;
                while (i < s.length() && !Character.isDigit(s.charAt(i))) {
                    i++;
                }
                long unit =
                        switch (s.substring(u, i)) {
                            case "ns" -> 1L;
                            case "us", "µs", "u", "µ" -> 1_000L;
                            case "ms" -> 1_000_000L;
                            case "s" -> 1_000_000_000L;
                            case "m" -> 60_000_000_000L;
                            case "h" -> 3_600_000_000_000L;
                            case "d" -> 86_400_000_000_000L;
                            case "w" -> 604_800_000_000_000L;
                            default ->
                                throw new IllegalArgumentException("duration '" + s + "': unknown unit '"
                                        + s.substring(u, i) + "' (ns, us, ms, s, m, h, d, w)");
                        };
                total = Math.addExact(total, Math.multiplyExact(n, unit));
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("duration '" + s + "' is too long");
        }
        if (total <= 0) {
            throw new IllegalArgumentException("duration '" + s + "' must be positive");
        }
        return total;
    }

    /**
     * Aggregates {@code values[i]} at {@code times[i]} (any order).
     *
     * @throws IllegalArgumentException when {@code from >= to}, {@code every <= 0}, the arrays
     *     differ in length, or the range spans more than {@value #MAX_WINDOWS} windows
     */
    public static List<Window> aggregate(
            long[] times, double[] values, long from, long to, long every, Aggregate agg, Fill fill) {
        if (times.length != values.length) {
            throw new IllegalArgumentException(
                    "times and values differ in length: " + times.length + " and " + values.length);
        }
        Accumulator acc = new Accumulator(from, to, every, agg);
        for (int i = 0; i < times.length; i++) {
            acc.add(times[i], values[i]);
        }
        return acc.finish(fill);
    }

    /**
     * Aggregates a numeric field of one series' blocks. A block that lies in one window and within
     * the range answers count, sum, min, max and mean of a float field from its header, without
     * decoding (unless a NaN in it would make the header disagree with skipping NaNs).
     *
     * @throws IllegalArgumentException when the field is not numeric, or as {@link #aggregate(long[],
     *     double[], long, long, long, Aggregate, Fill)}
     */
    public static List<Window> aggregate(
            List<TimeBlock> blocks, String field, long from, long to, long every, Aggregate agg, Fill fill) {
        List<Part> parts = new ArrayList<>(blocks.size());
        for (TimeBlock b : blocks) {
            parts.add(new Part.Sealed(b));
        }
        return aggregateParts(parts, field, from, to, every, agg, fill);
    }

    /** A block of one series to aggregate: a sealed one, or the merged rows of an open one. */
    public sealed interface Part {
        /** A sealed block: its header may answer. */
        record Sealed(TimeBlock block) implements Part {}

        /**
         * The rows of a block that is not sealed: they answer as the block they would make
         * would, its header included, without encoding it.
         */
        record Open(TimeBlock.Columns rows) implements Part {}
    }

    /**
     * Aggregates a numeric field of one series' blocks, sealed or open, in the order given, as
     * {@link #aggregate(List, String, long, long, long, Aggregate, Fill)} does.
     */
    public static List<Window> aggregateParts(
            List<Part> parts, String field, long from, long to, long every, Aggregate agg, Fill fill) {
        Accumulator acc = new Accumulator(from, to, every, agg);
        boolean headerAnswers =
                switch (agg.kind()) {
                    case COUNT, SUM, MIN, MAX, MEAN -> true;
                    default -> false;
                };
        for (Part part : parts) {
            if (part instanceof Part.Open open) {
                addOpen(acc, open.rows(), field, from, to, every, headerAnswers);
                continue;
            }
            TimeBlock b = ((Part.Sealed) part).block();
            FieldSummary s = b.field(field);
            if (s == null || b.lastTime() < from || b.firstTime() >= to) {
                continue;
            }
            if (!s.type().numeric()) {
                throw new IllegalArgumentException(
                        "field '" + field + "' is " + s.type() + "; window aggregates need a number");
            }
            if (headerAnswers
                    && s.type() == FieldType.FLOAT
                    && b.firstTime() >= from
                    && b.lastTime() < to
                    && Math.floorDiv(b.firstTime(), every) == Math.floorDiv(b.lastTime(), every)
                    && !Double.isNaN(((FieldValue.FloatValue) s.sum()).value())) {
                acc.addSummary(
                        b.firstTime(),
                        s.count(),
                        ((FieldValue.FloatValue) s.sum()).value(),
                        ((FieldValue.FloatValue) s.min()).value(),
                        ((FieldValue.FloatValue) s.max()).value());
                continue;
            }
            long[] t = b.timestamps();
            Column c = b.column(field);
            for (int i = 0; i < t.length; i++) {
                if (c.present(i)) {
                    acc.add(t[i], c.numberAt(i));
                }
            }
        }
        return acc.finish(fill);
    }

    /**
     * Adds the rows of an open block, exactly as the block they would make would add: from the
     * count, sum, min and max its header would hold when it lies in one window within the range.
     */
    private static void addOpen(
            Accumulator acc,
            TimeBlock.Columns rows,
            String field,
            long from,
            long to,
            long every,
            boolean headerAnswers) {
        Column c = rows.column(field);
        long[] t = rows.timestamps();
        if (c == null || t[t.length - 1] < from || t[0] >= to) {
            return;
        }
        if (!c.type().numeric()) {
            throw new IllegalArgumentException(
                    "field '" + field + "' is " + c.type() + "; window aggregates need a number");
        }
        long first = t[0];
        long last = t[t.length - 1];
        if (headerAnswers
                && c.type() == FieldType.FLOAT
                && first >= from
                && last < to
                && Math.floorDiv(first, every) == Math.floorDiv(last, every)) {
            // As the block's encoder sums them: in row order, min and max skipping NaN.
            long n = 0;
            double min = Double.NaN;
            double max = Double.NaN;
            double sum = 0;
            for (int i = 0; i < t.length; i++) {
                if (c.present(i)) {
                    double d = c.doubleAt(i);
                    n++;
                    sum += d;
                    if (!Double.isNaN(d)) {
                        min = Double.isNaN(min) ? d : Math.min(min, d);
                        max = Double.isNaN(max) ? d : Math.max(max, d);
                    }
                }
            }
            if (!Double.isNaN(sum)) {
                acc.addSummary(first, n, sum, min, max);
                return;
            }
        }
        for (int i = 0; i < t.length; i++) {
            if (c.present(i)) {
                acc.add(t[i], c.numberAt(i));
            }
        }
    }

    /** Per-window running state. */
    private static final class Accumulator {
        private final long from;
        private final long to;
        private final long every;
        private final long firstStart;
        private final int windows;
        private final Aggregate agg;
        private final long[] count;
        private final double[] sum;
        private final double[] min;
        private final double[] max;
        private final long[] firstTime;
        private final double[] first;
        private final long[] lastTime;
        private final double[] last;
        private final double[][] samples;
        private final int[] sampleCount;

        Accumulator(long from, long to, long every, Aggregate agg) {
            if (every <= 0) {
                throw new IllegalArgumentException("window must be positive, got " + every + " ns");
            }
            if (from >= to) {
                throw new IllegalArgumentException("time range is empty: from " + from + " is not before to " + to);
            }
            this.from = from;
            this.to = to;
            this.every = every;
            this.agg = agg;
            try {
                this.firstStart = Math.multiplyExact(Math.floorDiv(from, every), every);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("the window holding " + from + " starts before the earliest time");
            }
            long n = Math.floorDiv(to - 1, every) - Math.floorDiv(from, every) + 1;
            if (n > MAX_WINDOWS || n <= 0) {
                throw new IllegalArgumentException("the range spans " + n + " windows of " + every + " ns; at most "
                        + MAX_WINDOWS + " are allowed");
            }
            this.windows = (int) n;
            count = new long[windows];
            sum = new double[windows];
            min = new double[windows];
            max = new double[windows];
            firstTime = new long[windows];
            first = new double[windows];
            lastTime = new long[windows];
            last = new double[windows];
            Arrays.fill(firstTime, Long.MAX_VALUE);
            Arrays.fill(lastTime, Long.MIN_VALUE);
            boolean pct = agg.kind() == Kind.PERCENTILE;
            samples = pct ? new double[windows][] : null;
            sampleCount = pct ? new int[windows] : null;
        }

        private int window(long t) {
            return (int) (Math.floorDiv(t, every) - Math.floorDiv(from, every));
        }

        void add(long t, double v) {
            if (t < from || t >= to || Double.isNaN(v)) {
                return;
            }
            int w = window(t);
            if (count[w] == 0) {
                min[w] = v;
                max[w] = v;
            } else {
                min[w] = Math.min(min[w], v);
                max[w] = Math.max(max[w], v);
            }
            count[w]++;
            sum[w] += v;
            if (t < firstTime[w]) { // t < to <= Long.MAX_VALUE, so the first value always lands
                firstTime[w] = t;
                first[w] = v;
            }
            if (t >= lastTime[w]) {
                lastTime[w] = t;
                last[w] = v;
            }
            if (samples != null) {
                double[] s = samples[w];
                if (s == null) {
                    s = samples[w] = new double[8];
                } else if (sampleCount[w] == s.length) {
                    s = samples[w] = Arrays.copyOf(s, s.length * 2);
                }
                s[sampleCount[w]++] = v;
            }
        }

        void addSummary(long t, long n, double s, double mn, double mx) {
            int w = window(t);
            if (count[w] == 0) {
                min[w] = mn;
                max[w] = mx;
            } else {
                min[w] = Math.min(min[w], mn);
                max[w] = Math.max(max[w], mx);
            }
            count[w] += n;
            sum[w] += s;
        }

        private Double value(int w) {
            if (count[w] == 0) {
                return null;
            }
            return switch (agg.kind()) {
                case MEAN -> sum[w] / count[w];
                case SUM -> sum[w];
                case MIN -> min[w];
                case MAX -> max[w];
                case COUNT -> (double) count[w];
                case FIRST -> first[w];
                case LAST -> last[w];
                case PERCENTILE -> {
                    int n = sampleCount[w];
                    double[] s = Arrays.copyOf(samples[w], n);
                    Arrays.sort(s);
                    long rank = (long) Math.floor(n * agg.percentile() / 100.0 + 0.5);
                    yield s[(int) Math.max(0, Math.min(n - 1, rank - 1))];
                }
            };
        }

        List<Window> finish(Fill fill) {
            Double[] v = new Double[windows];
            for (int w = 0; w < windows; w++) {
                v[w] = value(w);
            }
            List<Window> out = new ArrayList<>(fill instanceof Fill.None ? 16 : windows);
            Double previous = null;
            int prevIdx = -1; // for linear fill: the last non-empty window before w
            int nextIdx = -1; // and the next one after it
            for (int w = 0; w < windows; w++) {
                long start = firstStart + (long) w * every;
                if (v[w] != null) {
                    out.add(new Window(start, v[w]));
                    previous = v[w];
                    prevIdx = w;
                    continue;
                }
                switch (fill) {
                    case Fill.None n -> {}
                    case Fill.Null n -> out.add(new Window(start, null));
                    case Fill.Previous p -> out.add(new Window(start, previous));
                    case Fill.Constant c -> out.add(new Window(start, c.value()));
                    case Fill.Linear l -> {
                        if (nextIdx <= w) {
                            nextIdx = w + 1;
                            while (nextIdx < windows && v[nextIdx] == null) {
                                nextIdx++;
                            }
                        }
                        if (prevIdx < 0 || nextIdx >= windows) {
                            out.add(new Window(start, null));
                        } else {
                            double y0 = v[prevIdx];
                            double y1 = v[nextIdx];
                            out.add(new Window(start, y0 + (y1 - y0) * (w - prevIdx) / (nextIdx - prevIdx)));
                        }
                    }
                }
            }
            return out;
        }
    }
}

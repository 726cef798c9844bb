package io.lumadb.chaos.report;

import io.lumadb.chaos.history.FaultWindow;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a run looked like to its clients over time, and during and after each fault: how many
 * operations succeeded, failed or ended unknown, and how long the successful ones took.
 *
 * <p>All times are nanoseconds since the run started, as in the {@link History}. The run ends at
 * {@link #endNanos()}: the last completion of an operation or the last heal of a fault, whichever
 * is later.
 *
 * <p><b>Which bucket an operation counts in.</b> Outcomes (ok, fail, unknown) count in the bucket
 * in which the operation was <em>invoked</em>: availability then answers "would a request sent at
 * this time have succeeded", and a request that hung until the client's timeout is not shifted
 * past the fault that made it hang. Latency counts in the bucket in which an OK operation
 * <em>completed</em>. An operation counts as a write when its type is not {@link Op.Type#READ}.
 *
 * <p><b>Availability</b> is {@code ok / (ok + fail + unknown)}, and {@code NaN} where no operation
 * was invoked. Here {@code ok} counts the operations the database <em>answered</em>: those that
 * happened, and those it definitely refused with a 4xx answer other than 408 and 429 (a
 * compare-and-set whose precondition failed is the database working, not unavailable); {@code
 * fail} the others that certainly did not happen (refused connections, 408, 429, 5xx on reads).
 *
 * <p><b>Latency percentiles</b> use the nearest rank: the p-th percentile of n sorted latencies
 * is the one at rank {@code ceil(p * n)} (1-based).
 *
 * <p><b>Heal to available.</b> For a fault window ending (healed) at {@code e}, let {@code L} be
 * the start of the next fault window that starts at or after {@code e}, or the end of the run if
 * none does. Cut {@code [e, L)} into 1-second buckets {@code b_j = [e + j s, min(e + (j+1) s,
 * L))}, counting the operations invoked in each, reads and writes together. The heal-to-available
 * time is {@code j} seconds for the smallest {@code j} such that {@code b_j} holds at least one
 * operation and every bucket {@code b_j .. b_(j+4)} (five seconds, or fewer where {@code L} comes
 * first) that holds operations has availability of at least {@value #AVAILABLE}. It is {@code 0}
 * when the cluster served at once and {@code null} ("not recovered") when no such {@code j} exists
 * before {@code L}. A fault that overlaps another that is still active when it heals is measured
 * the same way, and so also waits for the other fault's effect to pass.
 */
public final class Timeline {

    /** Availability from which on the cluster counts as fully available again. */
    public static final double AVAILABLE = 0.99;

    /** The width of the buckets that heal-to-available is measured in. */
    public static final Duration HEAL_BUCKET = Duration.ofSeconds(1);

    /** How long availability must hold, at least, after a heal, unless a fault or the end comes first. */
    public static final Duration HEAL_STABLE = Duration.ofSeconds(5);

    /** The most buckets {@link #of(List, List)} makes; it widens them, in whole seconds, to stay under. */
    public static final int MAX_BUCKETS = 600;

    private static final long SECOND = 1_000_000_000L;

    private final long bucketNanos;
    private final long endNanos;
    private final List<Bucket> buckets;
    private final List<FaultStats> faults;
    private final Map<String, KindSummary> byKind;
    private final Counts all;
    private final Counts writes;
    private final Counts outsideFaults;
    private final Latency latency;

    /** How many operations ended each way. */
    public record Counts(int ok, int fail, int unknown) {

        public static final Counts NONE = new Counts(0, 0, 0);

        /** All operations counted: {@code ok + fail + unknown}. */
        public int total() {
            return ok + fail + unknown;
        }

        /** {@code ok / total()}, or {@code NaN} when there are none. */
        public double availability() {
            return total() == 0 ? Double.NaN : (double) ok / total();
        }

        Counts minus(Counts other) {
            return new Counts(ok - other.ok, fail - other.fail, unknown - other.unknown);
        }
    }

    /**
     * Latencies of the OK operations that completed in a bucket (or a whole run), in nanoseconds.
     *
     * @param count how many there were (at least one)
     */
    public record Latency(int count, long p50Nanos, long p99Nanos, long maxNanos) {

        public double p50Millis() {
            return p50Nanos / 1e6;
        }

        public double p99Millis() {
            return p99Nanos / 1e6;
        }

        public double maxMillis() {
            return maxNanos / 1e6;
        }
    }

    /**
     * One bucket of time, {@code [startNanos, endNanos)}.
     *
     * @param all outcomes of the operations invoked in the bucket
     * @param writes the same, for writes only
     * @param latency of the OK operations completed in the bucket; null when none did
     */
    public record Bucket(long startNanos, long endNanos, Counts all, Counts writes, Latency latency) {

        /** Operations invoked in the bucket. */
        public int invoked() {
            return all.total();
        }

        /** Reads and writes together; {@code NaN} when none was invoked. */
        public double availability() {
            return all.availability();
        }

        /** Writes only; {@code NaN} when none was invoked. */
        public double writeAvailability() {
            return writes.availability();
        }
    }

    /**
     * One fault window and how the cluster served during it and after.
     *
     * @param all outcomes of the operations invoked during the window, {@code [start, end)}
     * @param writes the same, for writes only
     * @param healToAvailable see {@link Timeline}; null when availability did not come back before
     *     the next fault or the end of the run
     */
    public record FaultStats(FaultWindow fault, Counts all, Counts writes, Duration healToAvailable) {

        /** During the window, reads and writes together; {@code NaN} when nothing was invoked. */
        public double availability() {
            return all.availability();
        }

        public Duration duration() {
            return Duration.ofNanos(fault.endNanos() - fault.startNanos());
        }
    }

    /**
     * The faults of one kind, together.
     *
     * @param faults how many windows of this kind
     * @param underFault how long at least one of them was active (overlaps count once)
     * @param during outcomes of the operations invoked while one was active
     * @param writesDuring the same, for writes only
     * @param meanHealToAvailable over the windows that recovered; null when none did
     * @param maxHealToAvailable over the windows that recovered; null when none did
     * @param notRecovered windows after which availability did not come back before the next fault
     *     or the end
     */
    public record KindSummary(
            String kind,
            int faults,
            Duration underFault,
            Counts during,
            Counts writesDuring,
            Duration meanHealToAvailable,
            Duration maxHealToAvailable,
            int notRecovered) {

        /** Reads and writes together while a fault of this kind was active; {@code NaN} when none ran. */
        public double availability() {
            return during.availability();
        }
    }

    private Timeline(
            long bucketNanos,
            long endNanos,
            List<Bucket> buckets,
            List<FaultStats> faults,
            Map<String, KindSummary> byKind,
            Counts all,
            Counts writes,
            Counts outsideFaults,
            Latency latency) {
        this.bucketNanos = bucketNanos;
        this.endNanos = endNanos;
        this.buckets = List.copyOf(buckets);
        this.faults = List.copyOf(faults);
        this.byKind = byKind;
        this.all = all;
        this.writes = writes;
        this.outsideFaults = outsideFaults;
        this.latency = latency;
    }

    /** The timeline of a recorded run, in buckets as {@link #of(List, List)} picks them. */
    public static Timeline of(History history) {
        return of(history.ops(), history.faults());
    }

    /**
     * The timeline in buckets of one second, or of as many whole seconds as keep it at most
     * {@value #MAX_BUCKETS} buckets long.
     */
    public static Timeline of(List<Op> ops, List<FaultWindow> faults) {
        long end = endOf(ops, faults);
        long perBucket = Math.ceilDiv(end, MAX_BUCKETS);
        long seconds = Math.max(1, Math.ceilDiv(perBucket, SECOND));
        return of(ops, faults, Duration.ofSeconds(seconds));
    }

    /**
     * The timeline in buckets of {@code bucket}, the first starting when the run did.
     *
     * @throws IllegalArgumentException when {@code bucket} is not positive
     */
    public static Timeline of(List<Op> ops, List<FaultWindow> faults, Duration bucket) {
        Objects.requireNonNull(ops, "ops");
        Objects.requireNonNull(faults, "faults");
        long width = bucket.toNanos();
        if (width <= 0) {
            throw new IllegalArgumentException("bucket must be positive, was " + bucket);
        }
        long end = endOf(ops, faults);
        int n = (int) Math.max(1, Math.ceilDiv(end, width));
        List<FaultWindow> sortedFaults = new ArrayList<>(faults);
        sortedFaults.sort(Comparator.comparingLong(FaultWindow::startNanos));
        ByInvocation index = new ByInvocation(ops);

        List<Bucket> buckets = buckets(ops, index, n, width);
        List<FaultStats> stats = new ArrayList<>();
        for (int i = 0; i < sortedFaults.size(); i++) {
            FaultWindow f = sortedFaults.get(i);
            stats.add(new FaultStats(
                    f,
                    index.count(f.startNanos(), f.endNanos(), false),
                    index.count(f.startNanos(), f.endNanos(), true),
                    healToAvailable(i, sortedFaults, index, end)));
        }
        Map<String, KindSummary> byKind = byKind(stats, index);
        Counts all = index.count(Long.MIN_VALUE, Long.MAX_VALUE, false);
        Counts writes = index.count(Long.MIN_VALUE, Long.MAX_VALUE, true);
        Counts underAnyFault = Counts.NONE;
        for (long[] span : union(sortedFaults)) {
            Counts c = index.count(span[0], span[1], false);
            underAnyFault = new Counts(
                    underAnyFault.ok() + c.ok(),
                    underAnyFault.fail() + c.fail(),
                    underAnyFault.unknown() + c.unknown());
        }
        long[] okLatencies = ops.stream()
                .filter(op -> op.outcome() == Op.Outcome.OK)
                .mapToLong(op -> op.completedNanos() - op.invokedNanos())
                .sorted()
                .toArray();
        return new Timeline(
                width,
                end,
                buckets,
                stats,
                byKind,
                all,
                writes,
                all.minus(underAnyFault),
                latencyOf(okLatencies, 0, okLatencies.length));
    }

    /** The width of a bucket. */
    public Duration bucket() {
        return Duration.ofNanos(bucketNanos);
    }

    public long bucketNanos() {
        return bucketNanos;
    }

    /** When the run ended: the last completion or heal, whichever is later (0 for an empty run). */
    public long endNanos() {
        return endNanos;
    }

    /** The buckets in time order, from the start of the run to its end; never empty. */
    public List<Bucket> buckets() {
        return buckets;
    }

    /** Each fault window, in order of start. */
    public List<FaultStats> faults() {
        return faults;
    }

    /** The faults grouped by kind, in order of kind. */
    public Map<String, KindSummary> byKind() {
        return byKind;
    }

    /** All operations of the run. */
    public Counts all() {
        return all;
    }

    /** All writes of the run. */
    public Counts writes() {
        return writes;
    }

    /** The operations invoked while no fault was active. */
    public Counts outsideFaults() {
        return outsideFaults;
    }

    /** Latency of all OK operations of the run; null when there were none. */
    public Latency latency() {
        return latency;
    }

    private static long endOf(List<Op> ops, List<FaultWindow> faults) {
        long end = 0;
        for (Op op : ops) {
            end = Math.max(end, op.completedNanos());
        }
        for (FaultWindow f : faults) {
            end = Math.max(end, f.endNanos());
        }
        return end;
    }

    /**
     * Whether the database answered {@code op} definitely: it happened, or it was refused with a
     * 4xx other than 408 and 429 (the workloads put the status first in the detail).
     */
    static boolean answered(Op op) {
        if (op.outcome() == Op.Outcome.OK) {
            return true;
        }
        String d = op.detail();
        return op.outcome() == Op.Outcome.FAIL
                && d.length() >= 3
                && d.charAt(0) == '4'
                && Character.isDigit(d.charAt(1))
                && Character.isDigit(d.charAt(2))
                && (d.length() == 3 || d.charAt(3) == ' ')
                && !d.startsWith("408")
                && !d.startsWith("429");
    }

    private static int bucketOf(long nanos, long width, int n) {
        return (int) Math.clamp(Math.floorDiv(nanos, width), 0, n - 1);
    }

    private static List<Bucket> buckets(List<Op> ops, ByInvocation index, int n, long width) {
        // Latencies grouped by completion bucket with a counting sort: a run has many operations
        // and few buckets.
        int[] start = new int[n + 1];
        for (Op op : ops) {
            if (op.outcome() == Op.Outcome.OK) {
                start[bucketOf(op.completedNanos(), width, n) + 1]++;
            }
        }
        for (int b = 0; b < n; b++) {
            start[b + 1] += start[b];
        }
        long[] latencies = new long[start[n]];
        int[] next = Arrays.copyOf(start, n);
        for (Op op : ops) {
            if (op.outcome() == Op.Outcome.OK) {
                latencies[next[bucketOf(op.completedNanos(), width, n)]++] = op.completedNanos() - op.invokedNanos();
            }
        }
        List<Bucket> out = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            Arrays.sort(latencies, start[b], start[b + 1]);
            long from = b * width;
            long to = from + width;
            // The first and last buckets also take what lies outside the run's span, as bucketOf
            // does (an operation invoked at the very end, when the end falls on a bucket's edge).
            long countFrom = b == 0 ? Long.MIN_VALUE : from;
            long countTo = b == n - 1 ? Long.MAX_VALUE : to;
            out.add(new Bucket(
                    from,
                    to,
                    index.count(countFrom, countTo, false),
                    index.count(countFrom, countTo, true),
                    latencyOf(latencies, start[b], start[b + 1])));
        }
        return out;
    }

    /** Nearest-rank percentiles of {@code sorted[from, to)}, or null when empty. */
    static Latency latencyOf(long[] sorted, int from, int to) {
        int count = to - from;
        if (count == 0) {
            return null;
        }
        return new Latency(
                count, sorted[from + rank(0.50, count) - 1], sorted[from + rank(0.99, count) - 1], sorted[to - 1]);
    }

    private static int rank(double p, int count) {
        return (int) Math.max(1, Math.ceil(p * count));
    }

    private static Duration healToAvailable(int i, List<FaultWindow> faults, ByInvocation index, long end) {
        long healed = faults.get(i).endNanos();
        long limit = end;
        for (int k = 0; k < faults.size(); k++) {
            if (k != i && faults.get(k).startNanos() >= healed) {
                limit = Math.min(limit, faults.get(k).startNanos());
            }
        }
        if (limit <= healed) {
            return null;
        }
        long second = HEAL_BUCKET.toNanos();
        int stable = (int) (HEAL_STABLE.toNanos() / second);
        int n = (int) Math.ceilDiv(limit - healed, second);
        Counts[] counts = new Counts[n];
        for (int j = 0; j < n; j++) {
            counts[j] = index.count(healed + j * second, Math.min(healed + (j + 1) * second, limit), false);
        }
        for (int j = 0; j < n; j++) {
            if (counts[j].total() == 0) {
                continue;
            }
            boolean held = true;
            for (int k = j; k < Math.min(j + stable, n) && held; k++) {
                held = available(counts[k]);
            }
            if (held) {
                return Duration.ofNanos(j * second);
            }
        }
        return null;
    }

    /** Whether a bucket meets {@link #AVAILABLE}; one with no operations does not stand in the way. */
    private static boolean available(Counts c) {
        // In integers, so that exactly 99 of 100 counts as 0.99.
        return (long) c.ok() * 100 >= (long) Math.round(AVAILABLE * 100) * c.total();
    }

    private static Map<String, KindSummary> byKind(List<FaultStats> stats, ByInvocation index) {
        Map<String, List<FaultStats>> groups = new TreeMap<>();
        for (FaultStats s : stats) {
            groups.computeIfAbsent(s.fault().kind(), k -> new ArrayList<>()).add(s);
        }
        Map<String, KindSummary> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<FaultStats>> group : groups.entrySet()) {
            List<FaultStats> windows = group.getValue();
            long under = 0;
            int ok = 0;
            int fail = 0;
            int unknown = 0;
            int wOk = 0;
            int wFail = 0;
            int wUnknown = 0;
            for (long[] span : union(windows.stream().map(FaultStats::fault).toList())) {
                under += span[1] - span[0];
                Counts c = index.count(span[0], span[1], false);
                Counts w = index.count(span[0], span[1], true);
                ok += c.ok();
                fail += c.fail();
                unknown += c.unknown();
                wOk += w.ok();
                wFail += w.fail();
                wUnknown += w.unknown();
            }
            long healSum = 0;
            long healMax = 0;
            int recovered = 0;
            for (FaultStats s : windows) {
                if (s.healToAvailable() != null) {
                    long h = s.healToAvailable().toNanos();
                    healSum += h;
                    healMax = Math.max(healMax, h);
                    recovered++;
                }
            }
            out.put(
                    group.getKey(),
                    new KindSummary(
                            group.getKey(),
                            windows.size(),
                            Duration.ofNanos(under),
                            new Counts(ok, fail, unknown),
                            new Counts(wOk, wFail, wUnknown),
                            recovered == 0 ? null : Duration.ofNanos(healSum / recovered),
                            recovered == 0 ? null : Duration.ofNanos(healMax),
                            windows.size() - recovered));
        }
        return Collections.unmodifiableMap(out);
    }

    /** The windows merged where they overlap or touch, as {@code [start, end)} pairs in order. */
    private static List<long[]> union(List<FaultWindow> faults) {
        List<FaultWindow> sorted = new ArrayList<>(faults);
        sorted.sort(Comparator.comparingLong(FaultWindow::startNanos));
        List<long[]> out = new ArrayList<>();
        for (FaultWindow f : sorted) {
            long[] last = out.isEmpty() ? null : out.getLast();
            if (last != null && f.startNanos() <= last[1]) {
                last[1] = Math.max(last[1], f.endNanos());
            } else {
                out.add(new long[] {f.startNanos(), f.endNanos()});
            }
        }
        return out;
    }

    /** The operations in order of invocation, with running counts, to count any span quickly. */
    private static final class ByInvocation {

        private final long[] invoked;
        // prefix[outcome][i]: how many of the first i operations (by invocation) ended so.
        private final int[][] all = new int[3][];
        private final int[][] writes = new int[3][];

        ByInvocation(List<Op> ops) {
            List<Op> sorted = new ArrayList<>(ops);
            sorted.sort(Comparator.comparingLong(Op::invokedNanos));
            int n = sorted.size();
            invoked = new long[n];
            for (int o = 0; o < 3; o++) {
                all[o] = new int[n + 1];
                writes[o] = new int[n + 1];
            }
            for (int i = 0; i < n; i++) {
                Op op = sorted.get(i);
                invoked[i] = op.invokedNanos();
                int outcome =
                        answered(op) ? Op.Outcome.OK.ordinal() : op.outcome().ordinal();
                boolean write = op.type() != Op.Type.READ;
                for (int o = 0; o < 3; o++) {
                    all[o][i + 1] = all[o][i] + (o == outcome ? 1 : 0);
                    writes[o][i + 1] = writes[o][i] + (o == outcome && write ? 1 : 0);
                }
            }
        }

        /** Outcomes of the operations invoked in {@code [from, to)}. */
        Counts count(long from, long to, boolean writesOnly) {
            int a = lowerBound(from);
            int b = lowerBound(to);
            if (b < a) {
                b = a;
            }
            int[][] p = writesOnly ? writes : all;
            return new Counts(
                    p[Op.Outcome.OK.ordinal()][b] - p[Op.Outcome.OK.ordinal()][a],
                    p[Op.Outcome.FAIL.ordinal()][b] - p[Op.Outcome.FAIL.ordinal()][a],
                    p[Op.Outcome.UNKNOWN.ordinal()][b] - p[Op.Outcome.UNKNOWN.ordinal()][a]);
        }

        /** The first position whose invocation is at or after {@code t}. */
        private int lowerBound(long t) {
            int lo = 0;
            int hi = invoked.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (invoked[mid] < t) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}

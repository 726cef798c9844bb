package io.lumadb.bench.vector;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;

/**
 * Recall against speed: one {@link Point} per setting of a search's effort (LumaDB's {@code
 * numCandidates}, usearch's {@code expansion_search}), and the speed at a required recall.
 */
public final class Sweep {

    private Sweep() {}

    /**
     * One setting measured: single-thread queries per second over at least one pass over every
     * query, and the mean recall@k of the first pass.
     *
     * @param setting the effort parameter's value
     * @param qps queries answered per second (wall-clock), one at a time
     * @param cpuQps queries answered per CPU-second of the whole process (all its threads: the
     *     collector's and the compiler's too), which other work on a shared machine disturbs far
     *     less than {@code qps}
     * @param recall mean recall@k over the queries
     * @param queries queries answered in the timed passes
     * @param seconds the timed passes' wall-clock time
     */
    public record Point(int setting, double qps, double cpuQps, double recall, long queries, double seconds) {}

    /**
     * The speed at a required recall: interpolated, and the cheapest setting that reached it
     * ({@code qps} and {@code cheapestQps} are of the figure asked for: wall-clock or CPU).
     */
    public record AtRecall(
            double required, double qps, int cheapestSetting, double cheapestQps, double cheapestRecall) {
        /** Whether some setting reached the recall. */
        public boolean reached() {
            return !Double.isNaN(qps);
        }
    }

    /**
     * Measures one setting: an unmeasured pass over every query (as the native reference does),
     * then a first timed pass (with the recall computed) and more passes until {@code minSeconds}
     * have gone by. {@code search} answers query {@code q} with the vector indexes it found, best
     * first.
     */
    public static Point measure(int setting, VectorData data, IntFunction<int[]> search, double minSeconds) {
        for (int q = 0; q < data.queryCount(); q++) {
            search.apply(q);
        }
        long start = System.nanoTime();
        long cpuStart = processCpuNanos();
        double recall = 0;
        for (int q = 0; q < data.queryCount(); q++) {
            recall += data.recall(q, search.apply(q));
        }
        long queries = data.queryCount();
        long minNanos = (long) (minSeconds * 1e9);
        while (System.nanoTime() - start < minNanos) {
            for (int q = 0; q < data.queryCount(); q++) {
                search.apply(q);
            }
            queries += data.queryCount();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
        return new Point(
                setting,
                queries / seconds,
                cpuSeconds > 0 ? queries / cpuSeconds : Double.NaN,
                recall / data.queryCount(),
                queries,
                seconds);
    }

    /** This process's CPU time, all threads, or -1 if the JVM cannot tell. */
    public static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os
                ? os.getProcessCpuTime()
                : -1;
    }

    /**
     * The queries per second at {@code required} recall: with the points in order of effort, the
     * first that reaches it, linearly interpolated (in recall) with the one before it; the first
     * point's speed if the cheapest setting reaches it already; NaN if none does.
     */
    public static AtRecall at(List<Point> points, double required) {
        return at(points, required, Point::qps);
    }

    /** As {@link #at(List, double)}, of another figure of the points (e.g. {@link Point#cpuQps}). */
    public static AtRecall at(List<Point> points, double required, ToDoubleFunction<Point> figure) {
        List<Point> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingInt(Point::setting));
        for (int i = 0; i < sorted.size(); i++) {
            Point p = sorted.get(i);
            if (p.recall() >= required) {
                double at = figure.applyAsDouble(p);
                if (i > 0) {
                    Point before = sorted.get(i - 1);
                    double span = p.recall() - before.recall();
                    if (span > 0) {
                        double b = figure.applyAsDouble(before);
                        at = b + (required - before.recall()) / span * (at - b);
                    }
                }
                return new AtRecall(required, at, p.setting(), figure.applyAsDouble(p), p.recall());
            }
        }
        return new AtRecall(required, Double.NaN, -1, Double.NaN, Double.NaN);
    }

    /** The point of {@code setting}, or null. */
    public static Point of(List<Point> points, int setting) {
        return points.stream().filter(p -> p.setting() == setting).findFirst().orElse(null);
    }
}

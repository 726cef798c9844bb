package io.lumadb.bench.timeseries;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One row of the section's window aggregate: the mean and max of {@code usage_user} of one host in
 * one window, the window named by its start (ns since the epoch).
 */
public record Window(String host, long start, double mean, double max) {

    /**
     * How far two answers' means and maxima may be apart, relative to their magnitude (at least 1):
     * sums in another order differ in the last bits, a wrong answer by far more.
     */
    static final double TOLERANCE = 1e-9;

    /** Sorted by host, then window start: the order answers are compared in. */
    static final Comparator<Window> ORDER = Comparator.comparing(Window::host).thenComparingLong(Window::start);

    /** {@code windows}, sorted by {@link #ORDER}. */
    static List<Window> sorted(List<Window> windows) {
        List<Window> out = new ArrayList<>(windows);
        out.sort(ORDER);
        return List.copyOf(out);
    }

    /**
     * Where {@code actual} differs from {@code expected}: a window missing or extra, or a mean or
     * max further than {@code relative} from the expected one (relative to its magnitude, at least
     * 1); at most {@code limit} differences, then their count. Empty when they agree.
     */
    static List<String> compare(
            String actualName,
            List<Window> actual,
            String expectedName,
            List<Window> expected,
            double relative,
            int limit) {
        Map<String, Window> want = index(expected);
        Map<String, Window> got = index(actual);
        List<String> problems = new ArrayList<>();
        int count = 0;
        for (Map.Entry<String, Window> e : want.entrySet()) {
            Window w = e.getValue();
            Window g = got.get(e.getKey());
            String problem = null;
            if (g == null) {
                problem = actualName + " has no window " + e.getKey() + " (" + expectedName + ": " + w.values() + ")";
            } else if (!close(g.mean(), w.mean(), relative) || !close(g.max(), w.max(), relative)) {
                problem = "window " + e.getKey() + ": " + actualName + " " + g.values() + ", " + expectedName + " "
                        + w.values();
            }
            if (problem != null && count++ < limit) {
                problems.add(problem);
            }
        }
        for (String key : got.keySet()) {
            if (!want.containsKey(key) && count++ < limit) {
                problems.add(actualName + " has a window " + expectedName + " has not: " + key);
            }
        }
        if (got.size() != actual.size()) {
            count++;
            problems.add(actualName + " answered " + (actual.size() - got.size()) + " window(s) twice");
        }
        if (count > limit) {
            problems.add("... " + (count - limit) + " more differences");
        }
        return problems;
    }

    private String values() {
        return String.format(Locale.ROOT, "mean %.12g, max %.12g", mean, max);
    }

    private static boolean close(double a, double b, double relative) {
        return Math.abs(a - b) <= relative * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
    }

    private static Map<String, Window> index(List<Window> windows) {
        Map<String, Window> byKey = new TreeMap<>();
        for (Window w : windows) {
            byKey.put(w.host() + "@" + java.time.Instant.ofEpochSecond(0, w.start()), w);
        }
        return byKey;
    }
}

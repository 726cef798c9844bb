package io.lumadb.bench.suite;

import io.lumadb.bench.query.Query;
import io.lumadb.bench.query.QueryReport;
import io.lumadb.bench.query.Variant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The suite's chart as SVG: throughput per workload and system (left) and p99 latency of each
 * workload's main operation (right), both on logarithmic axes because the systems differ by
 * orders of magnitude; below them, when the query benchmark ran, the same two panels for the
 * point and range queries (LumaDB with its index, LumaDB scanning, PostgreSQL).
 */
final class Chart {

    private static final int PANEL_W = 520;
    private static final int PANEL_H = 300;
    private static final int MARGIN_L = 70;
    private static final int MARGIN_T = 40;
    private static final int MARGIN_B = 70;
    private static final int ROW_H = MARGIN_T + PANEL_H + MARGIN_B + 30;
    private static final List<String> SYSTEMS = List.of("lumadb", "postgresql", "redis");
    private static final List<String> SYSTEM_COLORS =
            SYSTEMS.stream().map(Report.COLORS::get).toList();
    private static final List<String> SYSTEM_NAMES =
            SYSTEMS.stream().map(Report.NAMES::get).toList();
    /** The query variants' colors: LumaDB's purple, lighter for the scan, PostgreSQL's blue. */
    private static final List<String> VARIANT_COLORS =
            List.of(Report.COLORS.get("lumadb"), "#cab2d6", Report.COLORS.get("postgresql"));

    private static final List<String> VARIANT_NAMES =
            Arrays.stream(Variant.values()).map(Variant::description).toList();

    private Chart() {}

    /** The operation whose latency stands for a workload in the chart. */
    static String mainOperation(String workload) {
        return switch (workload) {
            case "load" -> "INSERT";
            case "e" -> "SCAN";
            default -> "READ";
        };
    }

    static String svg(SuiteResults r) {
        boolean queries = r.query() != null && !r.query().measurements().isEmpty();
        int width = 2 * (MARGIN_L + PANEL_W) + 40;
        int height = ROW_H * (queries ? 2 : 1);
        StringBuilder s = new StringBuilder();
        s.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                width,
                height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        double[][] throughput = new double[Report.WORKLOADS.size()][SYSTEMS.size()];
        double[][] p99 = new double[Report.WORKLOADS.size()][SYSTEMS.size()];
        for (int w = 0; w < Report.WORKLOADS.size(); w++) {
            String workload = Report.WORKLOADS.get(w);
            for (int k = 0; k < SYSTEMS.size(); k++) {
                String system = SYSTEMS.get(k);
                throughput[w][k] = Report.throughput(r, system, workload).orElse(Double.NaN);
                p99[w][k] = r.ycsb().stream()
                        .filter(y -> y.system().equals(system)
                                && y.workload().equals(workload)
                                && y.operation().equals(mainOperation(workload)))
                        .mapToDouble(y -> y.p99Micros() / 1000.0)
                        .findFirst()
                        .orElse(Double.NaN);
            }
        }
        List<String> workloads = Report.WORKLOADS.stream()
                .map(w -> w.equals("load") ? "load" : w.toUpperCase(Locale.ROOT))
                .toList();
        panel(
                s,
                MARGIN_L,
                0,
                "YCSB throughput (operations/s, log scale)",
                throughput,
                workloads,
                SYSTEM_NAMES,
                SYSTEM_COLORS);
        panel(
                s,
                2 * MARGIN_L + PANEL_W + 40,
                0,
                "p99 latency of the main operation (ms, log scale)",
                p99,
                workloads,
                SYSTEM_NAMES,
                SYSTEM_COLORS);
        int lx = legend(s, ROW_H - 12, SYSTEM_NAMES, SYSTEM_COLORS, 120);
        s.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\">main operation: INSERT for load, SCAN for E, READ otherwise</text>%n",
                lx + 20,
                ROW_H - 12));
        if (queries) {
            queryRow(s, r.query());
        }
        return s.append("</svg>\n").toString();
    }

    private static void queryRow(StringBuilder s, QueryReport q) {
        Query[] queries = Query.values();
        Variant[] variants = Variant.values();
        double[][] throughput = new double[queries.length][variants.length];
        double[][] p99 = new double[queries.length][variants.length];
        for (int i = 0; i < queries.length; i++) {
            for (int k = 0; k < variants.length; k++) {
                var m = q.measurement(queries[i].id(), variants[k].id());
                throughput[i][k] = m.map(QueryReport.Measurement::throughput).orElse(Double.NaN);
                p99[i][k] = m.map(QueryReport.Measurement::p99Ms).orElse(Double.NaN);
            }
        }
        List<String> groups = Arrays.stream(queries).map(x -> x.id() + " query").toList();
        panel(s, MARGIN_L, ROW_H, "Queries (queries/s, log scale)", throughput, groups, VARIANT_NAMES, VARIANT_COLORS);
        panel(
                s,
                2 * MARGIN_L + PANEL_W + 40,
                ROW_H,
                "Queries: p99 latency (ms, log scale)",
                p99,
                groups,
                VARIANT_NAMES,
                VARIANT_COLORS);
        legend(s, 2 * ROW_H - 12, VARIANT_NAMES, VARIANT_COLORS, 220);
        if (!q.ok()) {
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" fill=\"#e31a1c\">query benchmark FAILED: see suite.md</text>%n",
                    MARGIN_L + 3 * 220,
                    2 * ROW_H - 12));
        }
    }

    /** Draws a legend at baseline {@code y}; returns the x after it. */
    private static int legend(StringBuilder s, int y, List<String> names, List<String> colors, int step) {
        int x = MARGIN_L;
        for (int k = 0; k < names.size(); k++) {
            s.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
                    x,
                    y - 10,
                    colors.get(k),
                    x + 16,
                    y,
                    names.get(k)));
            x += step;
        }
        return x;
    }

    /**
     * One panel of grouped bars on a log axis: {@code values[group][series]}, NaN or non-positive
     * values left out; {@code y0} is the top of the panel's row.
     */
    private static void panel(
            StringBuilder s,
            int x0,
            int y0,
            String title,
            double[][] values,
            List<String> groupNames,
            List<String> seriesNames,
            List<String> seriesColors) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (!Double.isNaN(v) && v > 0) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (max == 0) {
            min = 1;
            max = 10;
        }
        double lo = Math.floor(Math.log10(min));
        double hi = Math.ceil(Math.log10(max));
        if (hi == lo) {
            hi = lo + 1;
        }
        int yBase = y0 + MARGIN_T + PANEL_H;
        s.append(String.format(
                Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"14\">%s</text>%n", x0, y0 + MARGIN_T - 15, title));
        for (double e = lo; e <= hi; e++) {
            int y = (int) Math.round(yBase - (e - lo) / (hi - lo) * PANEL_H);
            s.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    x0,
                    y,
                    x0 + PANEL_W,
                    y,
                    x0 - 6,
                    y + 4,
                    label(Math.pow(10, e))));
        }
        int groups = values.length;
        double groupW = (double) PANEL_W / groups;
        int series = seriesColors.size();
        double barW = groupW * 0.8 / series;
        for (int w = 0; w < groups; w++) {
            double gx = x0 + w * groupW + groupW * 0.1;
            for (int k = 0; k < series; k++) {
                double v = values[w][k];
                if (Double.isNaN(v) || v <= 0) {
                    continue;
                }
                double h = Math.max(1, (Math.log10(v) - lo) / (hi - lo) * PANEL_H);
                s.append(String.format(
                        Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s</title></rect>%n",
                        gx + k * barW,
                        yBase - h,
                        barW - 1,
                        h,
                        seriesColors.get(k),
                        seriesNames.get(k),
                        groupNames.get(w),
                        Report.fmt(v)));
            }
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    gx + groupW * 0.4,
                    yBase + 18,
                    groupNames.get(w)));
        }
        s.append(String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                x0,
                yBase,
                x0 + PANEL_W,
                yBase));
    }

    private static String label(double v) {
        if (v >= 1_000_000) {
            return String.format(Locale.ROOT, "%.0fM", v / 1_000_000);
        }
        if (v >= 1_000) {
            return String.format(Locale.ROOT, "%.0fk", v / 1_000);
        }
        if (v >= 1) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.2g", v);
    }
}

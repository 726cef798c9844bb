package io.lumadb.bench.suite;

import java.util.List;
import java.util.Locale;

/**
 * The suite's chart as SVG: throughput per workload and system (left) and p99 latency of each
 * workload's main operation (right), both on logarithmic axes because the systems differ by
 * orders of magnitude.
 */
final class Chart {

    private static final int PANEL_W = 520;
    private static final int PANEL_H = 300;
    private static final int MARGIN_L = 70;
    private static final int MARGIN_T = 40;
    private static final int MARGIN_B = 70;
    private static final List<String> SYSTEMS = List.of("lumadb", "postgresql", "redis");

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
        int width = 2 * (MARGIN_L + PANEL_W) + 40;
        int height = MARGIN_T + PANEL_H + MARGIN_B + 30;
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
        panel(s, MARGIN_L, "YCSB throughput (operations/s, log scale)", throughput);
        panel(s, 2 * MARGIN_L + PANEL_W + 40, "p99 latency of the main operation (ms, log scale)", p99);
        int lx = MARGIN_L;
        int ly = height - 12;
        for (String system : SYSTEMS) {
            s.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
                    lx,
                    ly - 10,
                    Report.COLORS.get(system),
                    lx + 16,
                    ly,
                    Report.NAMES.get(system)));
            lx += 120;
        }
        s.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\">main operation: INSERT for load, SCAN for E, READ otherwise</text>%n",
                lx + 20,
                ly));
        return s.append("</svg>\n").toString();
    }

    private static void panel(StringBuilder s, int x0, String title, double[][] values) {
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
        int yBase = MARGIN_T + PANEL_H;
        s.append(String.format(
                Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"14\">%s</text>%n", x0, MARGIN_T - 15, title));
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
        double barW = groupW * 0.8 / SYSTEMS.size();
        for (int w = 0; w < groups; w++) {
            double gx = x0 + w * groupW + groupW * 0.1;
            for (int k = 0; k < SYSTEMS.size(); k++) {
                double v = values[w][k];
                if (Double.isNaN(v) || v <= 0) {
                    continue;
                }
                double h = Math.max(1, (Math.log10(v) - lo) / (hi - lo) * PANEL_H);
                s.append(String.format(
                        Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %s</title></rect>%n",
                        gx + k * barW,
                        yBase - h,
                        barW - 1,
                        h,
                        Report.COLORS.get(SYSTEMS.get(k)),
                        Report.NAMES.get(SYSTEMS.get(k)),
                        Report.WORKLOADS.get(w),
                        Report.fmt(v)));
            }
            String name = Report.WORKLOADS.get(w);
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    gx + groupW * 0.4,
                    yBase + 18,
                    name.equals("load") ? "load" : name.toUpperCase(Locale.ROOT)));
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

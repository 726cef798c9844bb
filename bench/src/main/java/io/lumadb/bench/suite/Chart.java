package io.lumadb.bench.suite;

import io.lumadb.bench.query.Query;
import io.lumadb.bench.query.QueryReport;
import io.lumadb.bench.query.Variant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

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
    /** The x of the right-hand panels. */
    private static final int RIGHT = 2 * MARGIN_L + PANEL_W + 40;

    private static final List<String> SYSTEMS = List.of("lumadb", "postgresql", "redis");
    private static final List<String> SYSTEM_COLORS =
            SYSTEMS.stream().map(Report.COLORS::get).toList();
    private static final List<String> SYSTEM_NAMES =
            SYSTEMS.stream().map(Report.NAMES::get).toList();
    /**
     * The query variants' colors, in {@link Variant} order: LumaDB's purple, lighter for the scan,
     * a dark purple for SQL over HTTP, a middle one for SQL over the PostgreSQL protocol,
     * PostgreSQL's blue.
     */
    private static final List<String> VARIANT_COLORS =
            List.of(Report.COLORS.get("lumadb"), "#cab2d6", "#3f007d", "#807dba", Report.COLORS.get("postgresql"));

    private static final List<String> VARIANT_NAMES =
            Arrays.stream(Variant.values()).map(Variant::description).toList();

    private final StringBuilder svg = new StringBuilder();

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
        Chart c = new Chart();
        c.add(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\""
                        + " font-size=\"12\">",
                2 * (MARGIN_L + PANEL_W) + 40, ROW_H * (queries ? 2 : 1));
        c.add("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>");
        List<String> workloads = SuiteResults.WORKLOADS;
        double[][] throughput = new double[workloads.size()][SYSTEMS.size()];
        double[][] p99 = new double[workloads.size()][SYSTEMS.size()];
        for (int w = 0; w < workloads.size(); w++) {
            String workload = workloads.get(w);
            for (int k = 0; k < SYSTEMS.size(); k++) {
                String system = SYSTEMS.get(k);
                throughput[w][k] = r.throughput(system, workload).orElse(Double.NaN);
                p99[w][k] = r.ycsb().stream()
                        .filter(y -> y.system().equals(system)
                                && y.workload().equals(workload)
                                && y.operation().equals(mainOperation(workload)))
                        .mapToDouble(y -> y.p99Micros() / 1000.0)
                        .findFirst()
                        .orElse(Double.NaN);
            }
        }
        List<String> groups = workloads.stream()
                .map(w -> w.equals("load") ? "load" : w.toUpperCase(Locale.ROOT))
                .toList();
        c.panel(
                MARGIN_L,
                0,
                "YCSB throughput (operations/s, log scale)",
                throughput,
                groups,
                SYSTEM_NAMES,
                SYSTEM_COLORS);
        c.panel(
                RIGHT,
                0,
                "p99 latency of the main operation (ms, log scale)",
                p99,
                groups,
                SYSTEM_NAMES,
                SYSTEM_COLORS);
        int x = c.legend(ROW_H - 12, SYSTEM_NAMES, SYSTEM_COLORS, 120);
        c.text(x + 20, ROW_H - 12, "", "main operation: INSERT for load, SCAN for E, READ otherwise");
        if (queries) {
            c.queryRow(r.query());
        }
        return c.svg.append("</svg>\n").toString();
    }

    private void queryRow(QueryReport q) {
        Query[] queries = Query.values();
        Variant[] variants = Variant.values();
        double[][] throughput = new double[queries.length][variants.length];
        double[][] p99 = new double[queries.length][variants.length];
        for (int i = 0; i < queries.length; i++) {
            for (int k = 0; k < variants.length; k++) {
                Optional<QueryReport.Measurement> m = q.measurement(queries[i].id(), variants[k].id());
                throughput[i][k] = m.map(QueryReport.Measurement::throughput).orElse(Double.NaN);
                p99[i][k] = m.map(QueryReport.Measurement::p99Ms).orElse(Double.NaN);
            }
        }
        List<String> groups = Arrays.stream(queries).map(x -> x.id() + " query").toList();
        panel(MARGIN_L, ROW_H, "Queries (queries/s, log scale)", throughput, groups, VARIANT_NAMES, VARIANT_COLORS);
        panel(RIGHT, ROW_H, "Queries: p99 latency (ms, log scale)", p99, groups, VARIANT_NAMES, VARIANT_COLORS);
        legend(2 * ROW_H - 12, VARIANT_NAMES, VARIANT_COLORS, 200);
        if (!q.ok()) {
            text(MARGIN_L + 3 * 220, 2 * ROW_H - 12, "fill=\"#e31a1c\"", "query benchmark FAILED: see suite.md");
        }
    }

    /** Draws a legend at baseline {@code y}, its entries {@code step} apart; returns the x after it. */
    private int legend(int y, List<String> names, List<String> colors, int step) {
        int x = MARGIN_L;
        for (int k = 0; k < names.size(); k++, x += step) {
            rect(x, y - 10, 12, 12, colors.get(k), null);
            text(x + 16, y, "", names.get(k));
        }
        return x;
    }

    /**
     * One panel of grouped bars on a log axis: {@code values[group][series]}, NaN or non-positive
     * values left out; {@code y0} is the top of the panel's row.
     */
    private void panel(
            int x0,
            int y0,
            String title,
            double[][] values,
            List<String> groupNames,
            List<String> seriesNames,
            List<String> seriesColors) {
        double[] shown = Arrays.stream(values)
                .flatMapToDouble(Arrays::stream)
                .filter(v -> v > 0)
                .toArray();
        double lo = Math.floor(Math.log10(Arrays.stream(shown).min().orElse(1)));
        double hi =
                Math.max(lo + 1, Math.ceil(Math.log10(Arrays.stream(shown).max().orElse(10))));
        int yBase = y0 + MARGIN_T + PANEL_H;
        text(x0, y0 + MARGIN_T - 15, "font-size=\"14\"", title);
        for (double e = lo; e <= hi; e++) {
            int y = (int) Math.round(yBase - (e - lo) / (hi - lo) * PANEL_H);
            line(x0, y, x0 + PANEL_W, y, "#ddd");
            text(x0 - 6, y + 4, "text-anchor=\"end\"", label(Math.pow(10, e)));
        }
        double groupW = (double) PANEL_W / values.length;
        double barW = groupW * 0.8 / seriesColors.size();
        for (int w = 0; w < values.length; w++) {
            double gx = x0 + w * groupW + groupW * 0.1;
            for (int k = 0; k < seriesColors.size(); k++) {
                double v = values[w][k];
                if (v > 0) {
                    double h = Math.max(1, (Math.log10(v) - lo) / (hi - lo) * PANEL_H);
                    String tip = seriesNames.get(k) + ", " + groupNames.get(w) + ": " + Report.fmt(v);
                    rect(gx + k * barW, yBase - h, barW - 1, h, seriesColors.get(k), tip);
                }
            }
            text(gx + groupW * 0.4, yBase + 18, "text-anchor=\"middle\"", groupNames.get(w));
        }
        line(x0, yBase, x0 + PANEL_W, yBase, "black");
    }

    private static String label(double v) {
        String format = v >= 1_000_000 ? "%.0fM" : v >= 1_000 ? "%.0fk" : v >= 1 ? "%.0f" : "%.2g";
        return String.format(Locale.ROOT, format, v >= 1_000_000 ? v / 1_000_000 : v >= 1_000 ? v / 1_000 : v);
    }

    // ---- SVG elements, one per line

    private void add(String format, Object... args) {
        svg.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private void text(double x, double y, String attributes, String content) {
        add("<text x=\"%.1f\" y=\"%.1f\"%s>%s</text>", x, y, attributes.isEmpty() ? "" : " " + attributes, content);
    }

    /** A rectangle, with a tooltip unless {@code title} is null. */
    private void rect(double x, double y, double width, double height, String fill, String title) {
        add(
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s",
                x, y, width, height, fill, title == null ? "/>" : "><title>" + title + "</title></rect>");
    }

    private void line(double x1, double y1, double x2, double y2, String stroke) {
        add("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", x1, y1, x2, y2, stroke);
    }
}

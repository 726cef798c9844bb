package io.lumadb.chaos.report;

import io.lumadb.chaos.history.FaultWindow;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Draws a {@link Timeline} as a standalone SVG image of {@value #WIDTH}×{@value #HEIGHT} pixels:
 * latency of OK operations (p50 and p99, log scale) above, availability (OK, unknown and failed
 * shares of the operations invoked, stacked to 100 %) below, on a shared axis of seconds since the
 * run started, with each fault window shaded across both panels in its kind's colour and labelled
 * with its kind and nodes.
 *
 * <p>Guarantees: the output is well-formed XML (all text is escaped, characters XML cannot hold
 * are dropped); each fault window is exactly one {@code <rect class="fault">}, carrying its kind
 * in {@code data-kind} and its description in a {@code <title>} that browsers show on hover.
 */
public final class TimelineSvg {

    public static final int WIDTH = 1200;
    public static final int HEIGHT = 600;

    private static final double LEFT = 70;
    private static final double RIGHT = 1010;
    private static final double LAT_TOP = 72;
    private static final double LAT_BOTTOM = 315;
    private static final double AV_TOP = 352;
    private static final double AV_BOTTOM = 540;
    private static final double LEGEND_X = 1030;

    private static final String P50 = "#1f77b4";
    private static final String P99 = "#9467bd";
    private static final String OK = "#b7e1a1";
    private static final String FAILED = "#d62728";
    private static final String UNKNOWN = "#ff9f1c";
    private static final String WRITES = "#333333";
    private static final String[] FAULT_COLOURS = {
        "#e377c2", "#17becf", "#bcbd22", "#8c564b", "#7f7f7f", "#2ca02c", "#1f77b4", "#ff7f0e", "#9467bd"
    };
    private static final int MAX_SUBTITLE = 180;

    private TimelineSvg() {}

    /** The image, titled with the scenario and seed. */
    public static String render(Timeline timeline, String scenario, long seed) {
        return render(timeline, scenario, seed, Map.of());
    }

    /** The image, titled with the scenario and seed, and the parameters (key=value) beneath. */
    public static String render(Timeline timeline, String scenario, long seed, Map<String, ?> parameters) {
        Svg svg = new Svg(timeline);
        svg.header(scenario, seed, parameters);
        svg.latencyPanel();
        svg.availabilityPanel();
        svg.faults();
        svg.xAxis();
        svg.legend();
        svg.out.append("</svg>\n");
        return svg.out.toString();
    }

    /** Text safe inside an XML element or a double- or single-quoted attribute. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                case '\n', '\r', '\t' -> out.append(' ');
                default -> {
                    // XML 1.0 cannot hold these at all, not even as references.
                    boolean allowed = c >= 0x20 && c != 0xFFFE && c != 0xFFFF && (c < 0xD800 || c > 0xDFFF);
                    if (allowed) {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.toString();
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** One image being drawn. */
    private static final class Svg {

        private final Timeline t;
        private final StringBuilder out = new StringBuilder();
        private final List<String> kinds;
        private final double span;

        Svg(Timeline t) {
            this.t = t;
            this.kinds = new ArrayList<>(
                    new TreeSet<>(t.faults().stream().map(f -> f.fault().kind()).toList()));
            // The buckets may reach past the end; the axis covers them all.
            this.span = Math.max(1, t.buckets().getLast().endNanos());
        }

        double x(long nanos) {
            return LEFT + (RIGHT - LEFT) * Math.clamp((double) nanos / span, 0, 1);
        }

        String colour(String kind) {
            return FAULT_COLOURS[kinds.indexOf(kind) % FAULT_COLOURS.length];
        }

        void header(String scenario, long seed, Map<String, ?> parameters) {
            out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                    .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + WIDTH + "\" height=\"" + HEIGHT
                            + "\" viewBox=\"0 0 " + WIDTH + " " + HEIGHT
                            + "\" font-family=\"sans-serif\" font-size=\"11\">\n")
                    .append("<rect x=\"0\" y=\"0\" width=\"" + WIDTH + "\" height=\"" + HEIGHT
                            + "\" fill=\"white\"/>\n")
                    .append("<defs><clipPath id=\"plot\"><rect x=\"" + num(LEFT) + "\" y=\"0\" width=\""
                            + num(RIGHT - LEFT) + "\" height=\"" + HEIGHT + "\"/></clipPath></defs>\n");
            text(LEFT, 22, "start", "font-size=\"16\" font-weight=\"bold\"", scenario + " (seed " + seed + ")");
            if (!parameters.isEmpty()) {
                String line = parameters.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining("  "));
                if (line.length() > MAX_SUBTITLE) {
                    line = line.substring(0, MAX_SUBTITLE - 1) + "…";
                }
                text(LEFT, 40, "start", "fill=\"#555\"", line);
            }
        }

        void latencyPanel() {
            text(LEFT, LAT_TOP - 6, "start", "font-weight=\"bold\"", "latency of OK operations (log scale)");
            frame(LAT_TOP, LAT_BOTTOM);
            List<Timeline.Bucket> withLatency =
                    t.buckets().stream().filter(b -> b.latency() != null).toList();
            if (withLatency.isEmpty()) {
                text(
                        (LEFT + RIGHT) / 2,
                        (LAT_TOP + LAT_BOTTOM) / 2,
                        "middle",
                        "fill=\"#777\"",
                        "no operation completed OK");
                return;
            }
            double min = withLatency.stream()
                    .mapToDouble(b -> ms(b.latency().p50Nanos()))
                    .min()
                    .orElseThrow();
            double max = withLatency.stream()
                    .mapToDouble(b -> ms(b.latency().p99Nanos()))
                    .max()
                    .orElseThrow();
            int lo = (int) Math.floor(Math.log10(min));
            int hi = (int) Math.ceil(Math.log10(max));
            if (hi <= lo) {
                hi = lo + 1;
            }
            LogScale y = new LogScale(lo, hi);
            for (int d = lo; d <= hi; d++) {
                for (int m = 1; m < 10 && (m == 1 || d < hi); m++) {
                    double v = m * Math.pow(10, d);
                    boolean labelled = m == 1 || (hi - lo == 1 && (m == 2 || m == 5));
                    double yy = y.of(v);
                    line(LEFT, yy, RIGHT, yy, labelled ? "#ddd" : "#f0f0f0");
                    if (labelled) {
                        text(LEFT - 5, yy + 4, "end", "", millis(v));
                    }
                }
            }
            path(withLatency, b -> b.latency().p50Nanos(), y, P50);
            path(withLatency, b -> b.latency().p99Nanos(), y, P99);
        }

        void path(
                List<Timeline.Bucket> buckets,
                java.util.function.ToLongFunction<Timeline.Bucket> value,
                LogScale y,
                String colour) {
            StringBuilder d = new StringBuilder();
            long previousEnd = Long.MIN_VALUE;
            for (Timeline.Bucket b : buckets) {
                // A bucket with no OK operation breaks the line rather than bridging the gap.
                d.append(b.startNanos() == previousEnd ? " L" : " M")
                        .append(num(x((b.startNanos() + b.endNanos()) / 2)))
                        .append(' ')
                        .append(num(y.of(ms(value.applyAsLong(b)))));
                previousEnd = b.endNanos();
            }
            out.append("<path d=\"" + d.toString().trim() + "\" fill=\"none\" stroke=\"" + colour
                    + "\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>\n");
        }

        void availabilityPanel() {
            text(LEFT, AV_TOP - 6, "start", "font-weight=\"bold\"", "availability of operations invoked (OK / all)");
            frame(AV_TOP, AV_BOTTOM);
            double h = AV_BOTTOM - AV_TOP;
            out.append("<g class=\"availability\" shape-rendering=\"crispEdges\">\n");
            StringBuilder writes = new StringBuilder();
            long previousEnd = Long.MIN_VALUE;
            for (Timeline.Bucket b : t.buckets()) {
                if (b.invoked() == 0) {
                    continue;
                }
                double x0 = x(b.startNanos());
                double w = Math.max(0.5, x(b.endNanos()) - x0);
                double okH = h * b.all().ok() / b.invoked();
                double unknownH = h * b.all().unknown() / b.invoked();
                double failH = h - okH - unknownH;
                bar(x0, AV_BOTTOM - okH, w, okH, OK);
                bar(x0, AV_BOTTOM - okH - unknownH, w, unknownH, UNKNOWN);
                bar(x0, AV_TOP, w, failH, FAILED);
                if (b.writes().total() > 0) {
                    writes.append(b.startNanos() == previousEnd ? " L" : " M")
                            .append(num(x((b.startNanos() + b.endNanos()) / 2)))
                            .append(' ')
                            .append(num(AV_BOTTOM - h * b.writeAvailability()));
                    previousEnd = b.endNanos();
                }
            }
            out.append("</g>\n");
            if (!writes.isEmpty()) {
                out.append("<path d=\"" + writes.toString().trim() + "\" fill=\"none\" stroke=\"" + WRITES
                        + "\" stroke-width=\"1\" stroke-dasharray=\"3 2\"/>\n");
            }
            for (int p = 0; p <= 100; p += 25) {
                double yy = AV_BOTTOM - h * p / 100;
                line(LEFT - 4, yy, LEFT, yy, "#000");
                text(LEFT - 6, yy + 4, "end", "", p + "%");
            }
        }

        void bar(double x, double y, double w, double h, String fill) {
            if (h > 0.05) {
                out.append("<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h)
                        + "\" fill=\"" + fill + "\"/>\n");
            }
        }

        void faults() {
            out.append("<g class=\"faults\">\n");
            for (Timeline.FaultStats s : t.faults()) {
                FaultWindow f = s.fault();
                double x0 = x(f.startNanos());
                double w = Math.max(1, x(f.endNanos()) - x0);
                out.append("<rect class=\"fault\" data-kind=\"" + escape(f.kind()) + "\" x=\"" + num(x0)
                        + "\" y=\"" + num(LAT_TOP) + "\" width=\"" + num(w) + "\" height=\""
                        + num(AV_BOTTOM - LAT_TOP) + "\" fill=\"" + colour(f.kind())
                        + "\" fill-opacity=\"0.18\" stroke=\"" + colour(f.kind()) + "\" stroke-opacity=\"0.6\">"
                        + "<title>" + escape(tooltip(s)) + "</title></rect>\n");
            }
            out.append("</g>\n<g class=\"fault-labels\" clip-path=\"url(#plot)\">\n");
            int i = 0;
            for (Timeline.FaultStats s : t.faults()) {
                FaultWindow f = s.fault();
                // Staggered, so that labels of windows close together do not print over each other.
                double y = LAT_TOP + 12 + (i++ % 4) * 12;
                text(x(f.startNanos()) + 3, y, "start", "fill=\"" + colour(f.kind()) + "\" font-size=\"10\"", label(f));
            }
            out.append("</g>\n");
        }

        void xAxis() {
            double seconds = span / 1e9;
            double step = tickStep(seconds);
            for (double s = 0; s <= seconds + 1e-9; s += step) {
                double xx = x((long) (s * 1e9));
                line(xx, LAT_TOP, xx, LAT_BOTTOM, "#f4f4f4");
                line(xx, AV_BOTTOM, xx, AV_BOTTOM + 4, "#000");
                line(xx, LAT_BOTTOM, xx, LAT_BOTTOM + 4, "#000");
                text(xx, AV_BOTTOM + 16, "middle", "", step >= 1 ? String.valueOf((long) s) : num(s));
            }
            text((LEFT + RIGHT) / 2, AV_BOTTOM + 34, "middle", "", "seconds since start");
        }

        void legend() {
            double y = LAT_TOP + 6;
            y = legendLine(y, P50, "p50 latency");
            y = legendLine(y, P99, "p99 latency");
            y = AV_TOP + 6;
            y = legendBox(y, OK, "OK", "legend");
            y = legendBox(y, UNKNOWN, "unknown", "legend");
            y = legendBox(y, FAILED, "failed", "legend");
            out.append("<line x1=\"" + num(LEGEND_X) + "\" y1=\"" + num(y - 4) + "\" x2=\"" + num(LEGEND_X + 14)
                    + "\" y2=\"" + num(y - 4) + "\" stroke=\"" + WRITES + "\" stroke-dasharray=\"3 2\"/>\n");
            text(LEGEND_X + 20, y, "start", "", "write availability");
            y += 16;
            if (!kinds.isEmpty()) {
                y += 8;
                text(LEGEND_X, y, "start", "font-weight=\"bold\"", "faults");
                y += 16;
                for (String kind : kinds) {
                    y = legendBox(y, colour(kind), kind, "legend-swatch");
                }
            }
        }

        double legendLine(double y, String colour, String label) {
            out.append("<line x1=\"" + num(LEGEND_X) + "\" y1=\"" + num(y - 4) + "\" x2=\"" + num(LEGEND_X + 14)
                    + "\" y2=\"" + num(y - 4) + "\" stroke=\"" + colour + "\" stroke-width=\"2\"/>\n");
            text(LEGEND_X + 20, y, "start", "", label);
            return y + 16;
        }

        double legendBox(double y, String colour, String label, String cssClass) {
            out.append("<rect class=\"" + cssClass + "\" x=\"" + num(LEGEND_X) + "\" y=\"" + num(y - 10)
                    + "\" width=\"14\" height=\"10\" fill=\"" + colour + "\"/>\n");
            text(LEGEND_X + 20, y, "start", "", label);
            return y + 16;
        }

        void frame(double top, double bottom) {
            out.append("<rect x=\"" + num(LEFT) + "\" y=\"" + num(top) + "\" width=\"" + num(RIGHT - LEFT)
                    + "\" height=\"" + num(bottom - top) + "\" fill=\"none\" stroke=\"#000\"/>\n");
        }

        void line(double x1, double y1, double x2, double y2, String stroke) {
            out.append("<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2)
                    + "\" stroke=\"" + stroke + "\"/>\n");
        }

        void text(double x, double y, String anchor, String attributes, String text) {
            out.append("<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\""
                    + (attributes.isEmpty() ? "" : " " + attributes) + ">" + escape(text) + "</text>\n");
        }
    }

    /** Maps milliseconds to a y coordinate of the latency panel, decades {@code lo..hi}. */
    private record LogScale(int lo, int hi) {
        double of(double millis) {
            double v = Math.log10(Math.max(millis, Math.pow(10, lo)));
            return LAT_BOTTOM - (LAT_BOTTOM - LAT_TOP) * Math.min(1, (v - lo) / (hi - lo));
        }
    }

    private static double ms(long nanos) {
        // A latency of 0 ns has no logarithm; a microsecond is below anything a network gives.
        return Math.max(nanos / 1e6, 0.001);
    }

    static String millis(double ms) {
        if (ms >= 1000) {
            return trim(ms / 1000) + " s";
        }
        return trim(ms) + " ms";
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.3f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /** A tick step in seconds from 1, 2, 5 × 10^k that gives at most about twelve ticks. */
    static double tickStep(double seconds) {
        double raw = seconds / 12;
        double decade = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-3))));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * decade >= raw) {
                return m * decade;
            }
        }
        return 10 * decade;
    }

    private static String label(FaultWindow f) {
        return f.nodes().isEmpty() ? f.kind() : f.kind() + " " + String.join(",", f.nodes());
    }

    private static String tooltip(Timeline.FaultStats s) {
        FaultWindow f = s.fault();
        return label(f) + ": " + f.description() + " [" + num(f.startNanos() / 1e9) + " s .. "
                + num(f.endNanos() / 1e9) + " s], availability "
                + (Double.isNaN(s.availability()) ? "n/a" : num(100 * s.availability()) + "%")
                + ", heal to available "
                + (s.healToAvailable() == null
                        ? "not within the run"
                        : s.healToAvailable().toSeconds() + " s");
    }
}

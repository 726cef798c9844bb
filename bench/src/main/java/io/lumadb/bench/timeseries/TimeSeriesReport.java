package io.lumadb.bench.timeseries;

import io.lumadb.bench.suite.Markdown;
import java.util.Locale;
import java.util.Map;

/** The timeseries section of suite.md: ingest, bytes on disk and the window aggregate, LumaDB against QuestDB. */
public final class TimeSeriesReport {

    private TimeSeriesReport() {}

    public static void write(Markdown md, TimeSeriesResults r) {
        md.line("%n## Time series: TSBS cpu-only over HTTP line protocol against QuestDB%n");
        if (r.ok()) {
            md.line(
                    "Status: ok (every system that ran counted every row generated, and its window aggregate equals"
                            + " the one computed while generating%s).%n",
                    r.lumadbUnavailable() == null ? "" : "; LumaDB's half is unavailable, see below");
        } else {
            md.line("Status: **FAILED**; these figures are not a clean measurement:%n");
            r.failures().forEach(f -> md.line("- %s", f.replace("\n", " ")));
            md.line("");
        }
        TimeSeriesResults.Data d = r.data();
        if (d != null) {
            md.line(
                    "%,d hosts x %,d rows = %,d rows (10 tags, 10 float fields, a row per host every %s; %.1f MB of line"
                            + " protocol), the same bytes sent to both systems. Ingest: rows/s from the first request"
                            + " sent until a count returned every row. Window aggregate: mean and max of usage_user per"
                            + " host and %s (%,d windows), median of the measured runs.%n",
                    d.hosts(), d.rowsPerHost(), d.rows(), d.interval(), d.fileBytes() / 1e6, d.window(), d.windows());
        }
        md.table(
                "lrrrrrrr",
                "system | rows/s until queryable | rows per server CPU-second | acknowledged after | queryable after"
                        + " | window aggregate (median) | bytes on disk | bytes per row");
        row(md, "QuestDB (reference)", r.questdb());
        if (r.lumadb() != null) {
            row(md, "LumaDB", r.lumadb());
        } else if (r.lumadbUnavailable() != null) {
            md.row("LumaDB", "unavailable", "", "", "", "", "", "");
        } else if (!r.ok()) {
            md.row("LumaDB", "failed (see the status above)", "", "", "", "", "", "");
        }
        if (r.lumadbDownsampled() != null) {
            row(md, "LumaDB, with 1m and 1h downsampling", r.lumadbDownsampled());
        }
        if (r.questdb() != null && r.lumadb() != null) {
            md.row(
                    "LumaDB / QuestDB",
                    fmt(r.ingestRatio()) + "x (target ≥ " + fmt(TimeSeriesResults.INGEST_REQUIRED) + "x: "
                            + verdict(r.ingestRatio() >= TimeSeriesResults.INGEST_REQUIRED) + ")",
                    fmt(r.cpuRatio()) + "x",
                    "",
                    "",
                    fmt(r.aggregateLatencyRatio()) + "x the latency",
                    "",
                    fmt(r.bytesPerRowRatio()) + "x (target < " + fmt(TimeSeriesResults.BYTES_REQUIRED) + "x: "
                            + verdict(r.bytesPerRowRatio() < TimeSeriesResults.BYTES_REQUIRED) + ")");
        }
        if (r.rounds().size() > 1) {
            md.line(
                    "%nIngest in %d rounds, each QuestDB then LumaDB on a fresh server (the first is the run above);"
                            + " the ratios above are the medians of the rounds':",
                    r.rounds().size());
            md.line("");
            md.table(
                    "lrrrr",
                    "round | QuestDB rows/s | LumaDB rows/s | LumaDB / QuestDB | per server CPU-second, LumaDB / QuestDB");
            for (int i = 0; i < r.rounds().size(); i++) {
                TimeSeriesResults.Round round = r.rounds().get(i);
                md.row(
                        Integer.toString(i + 1),
                        fmt(round.questdbRowsPerSecond()),
                        fmt(round.lumadbRowsPerSecond()),
                        fmt(round.ingestRatio()) + "x",
                        fmt(round.cpuRatio()) + "x");
            }
        }
        if (r.lumadbUnavailable() != null) {
            md.line(
                    "%nLumaDB's half is unavailable: %s. Its targets are missed for want of a figure.",
                    r.lumadbUnavailable());
        }
        TimeSeriesResults.Measured ds = r.lumadbDownsampled();
        if (ds != null && ds.rolledUpSeconds() != null) {
            md.line(
                    "%nWith downsampling (another node, the same data into a collection with 1m and 1h rules): every"
                            + " row queryable after %.2f s, the aggregate answered from the hourly rolled-up windows"
                            + " after %.2f s; its median %.1f ms is %sx QuestDB's%s.",
                    ds.queryableSeconds(),
                    ds.rolledUpSeconds(),
                    ds.aggregateMedianMs(),
                    fmt(
                            r.questdb() == null
                                    ? Double.NaN
                                    : ds.aggregateMedianMs() / r.questdb().aggregateMedianMs()),
                    r.lumadb() == null
                            ? ""
                            : " and " + fmt(ds.aggregateMedianMs() / r.lumadb().aggregateMedianMs())
                                    + "x the same aggregate from the points; its ingest is "
                                    + fmt(ds.rowsPerSecond() / r.lumadb().rowsPerSecond())
                                    + "x the ingest without rules");
        }
        for (TimeSeriesResults.Measured m : java.util.Arrays.asList(r.questdb(), r.lumadb())) {
            if (m == null) {
                continue;
            }
            String name = m.system().equals(TimeSeriesLoad.QUESTDB) ? "QuestDB" : "LumaDB";
            md.line("");
            md.line(
                    "- %s, ingest: %,d requests of %,d lines (%.1f MB) over %d connections; server CPU %.2f s, load"
                            + " generator CPU %.2f s over the ingest; %d count(s) polled after the last"
                            + " acknowledgement",
                    name,
                    m.batches(),
                    m.linesPerBatch(),
                    m.requestBytes() / 1e6,
                    m.connections(),
                    m.serverCpuSeconds(),
                    m.clientCpuSeconds(),
                    m.countPolls());
            md.line(
                    "- %s, aggregate runs (ms): %s",
                    name,
                    String.join(
                            ", ",
                            m.aggregateMs().stream().map(TimeSeriesReport::fmt).toList()));
            if (m.disk() != null) {
                md.line("- %s, bytes on disk: %s", name, m.disk().what());
                for (Map.Entry<String, Long> part : m.disk().parts().entrySet()) {
                    md.line(
                            "  - %s: %s bytes (%s a row)",
                            part.getKey(),
                            String.format(Locale.ROOT, "%,d", part.getValue()),
                            fmt((double) part.getValue() / m.rows()));
                }
            }
            m.requests().forEach(q -> md.line("- %s request: `%s`", name, q.replace("`", "'")));
        }
        md.line("");
        r.settings().forEach((k, v) -> md.line("- %s: %s", k, v));
        r.checks().forEach(c -> md.line("- checked: %s", c));
        r.notes().forEach(n -> md.line("- note: %s", n));
    }

    private static void row(Markdown md, String name, TimeSeriesResults.Measured m) {
        if (m == null) {
            md.row(name, "—", "—", "—", "—", "—", "—", "—");
            return;
        }
        md.row(
                name,
                fmt(m.rowsPerSecond()),
                fmt(m.rowsPerServerCpuSecond()),
                String.format(Locale.ROOT, "%.2f s", m.acknowledgedSeconds()),
                String.format(Locale.ROOT, "%.2f s", m.queryableSeconds()),
                String.format(Locale.ROOT, "%.1f ms", m.aggregateMedianMs()),
                m.disk() == null
                        ? "—"
                        : String.format(Locale.ROOT, "%,d", m.disk().bytes()),
                m.disk() == null ? "—" : fmt(m.disk().bytesPerRow()));
    }

    private static String verdict(boolean met) {
        return met ? "met" : "**missed**";
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%,.0f" : "%.2f", v);
    }
}

package io.lumadb.bench.timeseries;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the suite's timeseries section measured ({@link TimeSeriesBenchmark}): the same TSBS
 * cpu-only data ingested over HTTP line protocol by QuestDB (the reference) and LumaDB, each until
 * every row was queryable, the bytes each keeps on disk for it, and a window aggregate over it,
 * with both answers checked against the one computed while generating. A system that did not run
 * is null; LumaDB's half is {@code lumadbUnavailable} (with the reason) while its endpoints do not
 * exist, which is not a failure. A failed section meets no target.
 *
 * @param status "ok", or "failed" with {@code failures}
 * @param data what was generated
 * @param questdb QuestDB's figures, or null
 * @param lumadb LumaDB's figures, or null
 * @param lumadbDownsampled LumaDB's figures for a collection with downsampling rules (1m and 1h)
 *     on another node: ingest with the projections running, and the aggregate once the hourly
 *     rolled-up windows answer it; or null
 * @param lumadbUnavailable why LumaDB's half was not measured, or null
 * @param rounds each round's ingest by both systems on fresh servers, the first being {@code
 *     questdb}'s and {@code lumadb}'s; the ingest ratios are their medians (empty: those two)
 * @param checks what was checked and held
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
    "status",
    "failures",
    "data",
    "questdb",
    "lumadb",
    "lumadbDownsampled",
    "lumadbUnavailable",
    "rounds",
    "ratios",
    "checks",
    "settings",
    "notes"
})
public record TimeSeriesResults(
        String status,
        List<String> failures,
        Data data,
        Measured questdb,
        Measured lumadb,
        Measured lumadbDownsampled,
        String lumadbUnavailable,
        List<Round> rounds,
        List<String> checks,
        Map<String, String> settings,
        List<String> notes) {

    /** LumaDB's ingest rate (rows/s until queryable) over QuestDB's: at least this. */
    public static final double INGEST_REQUIRED = 0.5;
    /** LumaDB's bytes on disk per row over QuestDB's: less than this. */
    public static final double BYTES_REQUIRED = 2;

    public TimeSeriesResults {
        failures = List.copyOf(failures);
        rounds = rounds == null ? List.of() : List.copyOf(rounds);
        checks = List.copyOf(checks);
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        notes = List.copyOf(notes);
    }

    /**
     * The data both systems got.
     *
     * @param rows hosts x rowsPerHost
     * @param start the first row's time (ns since the epoch)
     * @param end one interval after the last row (ns)
     * @param fileBytes the line protocol's size
     * @param windows rows of the aggregate's answer (hosts x windows)
     */
    public record Data(
            long seed,
            int hosts,
            int rowsPerHost,
            long rows,
            long start,
            long end,
            String interval,
            long fileBytes,
            String window,
            int windows) {}

    /**
     * One system's figures.
     *
     * @param rowsPerSecond rows / queryableSeconds
     * @param queryableSeconds first batch sent to the first count that returned every row
     * @param acknowledgedSeconds first batch sent to the last one acknowledged
     * @param serverCpuSeconds the server's CPU time (all threads) over the ingest, NaN if unknown
     * @param clientCpuSeconds the load generator's CPU time over the ingest
     * @param aggregateMs the window aggregate's measured runs (send to whole answer read)
     * @param disk the bytes it keeps for the data
     * @param requests the requests, as sent
     * @param rolledUpSeconds first batch sent to the first aggregate answered from rolled-up
     *     windows (a collection with downsampling rules), or null
     * @param answeredFrom the rule whose windows answered the measured aggregate runs, or null
     */
    public record Measured(
            String system,
            long rows,
            double rowsPerSecond,
            double queryableSeconds,
            double acknowledgedSeconds,
            int countPolls,
            double serverCpuSeconds,
            double clientCpuSeconds,
            long requestBytes,
            int batches,
            int linesPerBatch,
            int connections,
            List<Double> aggregateMs,
            double aggregateMedianMs,
            Disk disk,
            List<String> requests,
            Double rolledUpSeconds,
            String answeredFrom) {
        public Measured {
            aggregateMs = List.copyOf(aggregateMs);
            requests = List.copyOf(requests);
        }

        /** Rows ingested per CPU-second of the server: a figure a busy machine distorts less. */
        public double rowsPerServerCpuSecond() {
            return rows / serverCpuSeconds;
        }
    }

    /**
     * One round: each system's ingest of the data on a fresh server, QuestDB's just before LumaDB's.
     *
     * @param questdbRowsPerSecond QuestDB's rows/s until queryable
     * @param lumadbRowsPerSecond LumaDB's
     * @param questdbServerCpuSeconds QuestDB's CPU time over its ingest
     * @param lumadbServerCpuSeconds LumaDB's
     */
    public record Round(
            double questdbRowsPerSecond,
            double lumadbRowsPerSecond,
            double questdbServerCpuSeconds,
            double lumadbServerCpuSeconds) {

        static Round of(Measured questdb, Measured lumadb) {
            return new Round(
                    questdb.rowsPerSecond(),
                    lumadb.rowsPerSecond(),
                    questdb.serverCpuSeconds(),
                    lumadb.serverCpuSeconds());
        }

        static Round of(TimeSeriesLoad.Result questdb, TimeSeriesLoad.Result lumadb) {
            return new Round(
                    questdb.rowsPerSecond(),
                    lumadb.rowsPerSecond(),
                    questdb.serverCpuSeconds(),
                    lumadb.serverCpuSeconds());
        }

        /** LumaDB's rows/s over QuestDB's in this round. */
        public double ingestRatio() {
            return lumadbRowsPerSecond / questdbRowsPerSecond;
        }

        /** LumaDB's rows per server CPU-second over QuestDB's in this round (the same rows, so CPU time inverted). */
        public double cpuRatio() {
            return questdbServerCpuSeconds / lumadbServerCpuSeconds;
        }
    }

    /**
     * Bytes on disk (allocated by the file system where du tells, else apparent sizes).
     *
     * @param bytes the headline figure: what {@code what} says
     * @param bytesPerRow bytes / rows
     * @param parts a breakdown, in bytes, by part name (what each part is: {@code what})
     * @param what exactly what was measured, and when
     */
    public record Disk(long bytes, double bytesPerRow, Map<String, Long> parts, String what) {
        public Disk {
            parts = Collections.unmodifiableMap(new LinkedHashMap<>(parts));
        }
    }

    /** A target: {@code measured} at least {@code required}, or less than it when {@code atMost}. */
    public record Target(String name, double measured, double required, String unit, boolean atMost) {
        public boolean met() {
            return !Double.isNaN(measured) && (atMost ? measured < required : measured >= required);
        }
    }

    public boolean ok() {
        return status.equals("ok") && failures.isEmpty();
    }

    /** LumaDB's figure over QuestDB's, or NaN when either is missing or the section failed. */
    public double ratio(java.util.function.ToDoubleFunction<Measured> figure) {
        if (!ok() || questdb == null || lumadb == null) {
            return Double.NaN;
        }
        return figure.applyAsDouble(lumadb) / figure.applyAsDouble(questdb);
    }

    /** LumaDB's ingest rate over QuestDB's: the median of the rounds' ratios (the measured runs' without rounds). */
    public double ingestRatio() {
        return roundsMedian(Round::ingestRatio, ratio(Measured::rowsPerSecond));
    }

    /** LumaDB's rows per server CPU-second over QuestDB's, as {@link #ingestRatio} takes it. */
    public double cpuRatio() {
        return roundsMedian(Round::cpuRatio, ratio(Measured::rowsPerServerCpuSecond));
    }

    private double roundsMedian(java.util.function.ToDoubleFunction<Round> figure, double withoutRounds) {
        if (Double.isNaN(withoutRounds) || rounds.isEmpty()) {
            return withoutRounds;
        }
        return io.lumadb.bench.Stats.median(rounds, figure);
    }

    public double bytesPerRowRatio() {
        return ratio(m -> m.disk() == null ? Double.NaN : m.disk().bytesPerRow());
    }

    public double aggregateLatencyRatio() {
        return ratio(Measured::aggregateMedianMs);
    }

    @JsonProperty("ratios")
    Map<String, Double> ratios() {
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("ingestRowsPerSecond lumadb/questdb", ingestRatio());
        r.put("ingestRowsPerServerCpuSecond lumadb/questdb", cpuRatio());
        r.put("bytesPerRow lumadb/questdb", bytesPerRowRatio());
        r.put("aggregateMedianMs lumadb/questdb", aggregateLatencyRatio());
        if (ok() && lumadbDownsampled != null) {
            if (questdb != null) {
                r.put(
                        "aggregateMedianMs lumadb-downsampled/questdb",
                        lumadbDownsampled.aggregateMedianMs() / questdb.aggregateMedianMs());
            }
            if (lumadb != null) {
                r.put(
                        "ingestRowsPerSecond lumadb-downsampled/lumadb",
                        lumadbDownsampled.rowsPerSecond() / lumadb.rowsPerSecond());
            }
        }
        r.values().removeIf(v -> Double.isNaN(v));
        return r;
    }

    /** The targets; missed for want of a figure while LumaDB's half is unavailable. */
    public List<Target> targets() {
        List<Target> t = new ArrayList<>();
        t.add(new Target(
                "time series ingest over HTTP line protocol until queryable (rows/s): LumaDB / QuestDB",
                ingestRatio(),
                INGEST_REQUIRED,
                "x",
                false));
        t.add(new Target(
                "time series bytes on disk per row: LumaDB / QuestDB", bytesPerRowRatio(), BYTES_REQUIRED, "x", true));
        return t;
    }
}

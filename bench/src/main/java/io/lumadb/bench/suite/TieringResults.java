package io.lumadb.bench.suite;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.lumadb.bench.tiering.CoderBenchmark;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * What the tiering section measured (see {@link TieringBenchmark}): the erasure coders' throughput
 * against ISA-L called from C ({@code coders}), and on a running node, cold point reads against
 * warm ones with every fragment local ({@code coldRead}) and with one data fragment of every
 * segment lost ({@code degradedRead}), and the migration rate ({@code migration}). A part that
 * failed or did not run is null; a failed section meets no target.
 *
 * @param status "ok", or "failed" with {@code failures}
 * @param coders the coder benchmark's result, or null
 * @param coldRead point reads of cold documents, all fragments local, against warm ones, or null
 * @param degradedRead the same reads after one data fragment of every segment was deleted, or null
 * @param migration how fast a node moves documents to the cold tier, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"status", "failures", "coders", "coldRead", "degradedRead", "migration", "settings", "notes"})
record TieringResults(
        String status,
        List<String> failures,
        CoderBenchmark.Result coders,
        ColdRead coldRead,
        ColdRead degradedRead,
        Migration migration,
        Map<String, String> settings,
        List<String> notes) {

    /** The ISA-L coder's throughput over ISA-L's from C: the FFM calls may cost at most a fifth. */
    static final double ISAL_REQUIRED = 0.8;
    /** The Java coder's throughput over ISA-L's from C. */
    static final double JAVA_REQUIRED = 0.25;
    /** A cold point read's p99 with every fragment local, in milliseconds: less than this. */
    static final double COLD_P99_MS = 10;

    TieringResults {
        failures = List.copyOf(failures);
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        notes = List.copyOf(notes);
    }

    /**
     * Point reads of documents in the cold tier (read from their fragments: the node runs with a
     * hot cache of 0 bytes) against the same reads, in the same order, while they were warm, on a
     * running node: one client thread, one keep-alive connection, send to whole answer read.
     *
     * @param reads reads measured per tier
     * @param lostFragments fragments of every segment deleted before the cold reads (0: all local)
     * @param warmP50Ms warm reads' median latency
     * @param coldP50Ms cold reads' median latency
     * @param coldP999Ms cold reads' 99.9th percentile
     * @param warmNodeCpuMicros the node's CPU time (all threads) per warm read, NaN if not read
     * @param coldNodeCpuMicros the same per cold read
     * @param nodeColdReads cold reads the node counted over the pass and its unmeasured warm-up (-1:
     *     not read), which shows that every read went to the fragments
     * @param rebuiltReads of those, reads the node answered by rebuilding the segment from 6 fragments
     */
    record ColdRead(
            int reads,
            int lostFragments,
            double warmP50Ms,
            double warmP99Ms,
            double coldP50Ms,
            double coldP99Ms,
            double coldP999Ms,
            double coldMaxMs,
            double warmNodeCpuMicros,
            double coldNodeCpuMicros,
            long nodeColdReads,
            long rebuiltReads,
            String note) {

        double p50Ratio() {
            return coldP50Ms / warmP50Ms;
        }

        double p99Ratio() {
            return coldP99Ms / warmP99Ms;
        }
    }

    /**
     * How fast a node moves a whole collection from the warm to the cold tier, with the bulk load of
     * the same documents on the same node as the reference.
     *
     * @param documents documents moved
     * @param seconds the {@code PUT _tiering {"move":"cold"}} request, sent to answer read: it answers
     *     when every segment is written, recorded in the manifest and pointed to
     * @param megabytesPerSecond segment data written per second (10^6 bytes; parity not counted)
     * @param nodeCpuSeconds the node's CPU time during the move, NaN if not read
     * @param loadDocumentsPerSecond the bulk load of the same documents (one client, 1,000 a request)
     */
    record Migration(
            long documents,
            double seconds,
            double documentsPerSecond,
            long segments,
            long segmentBytes,
            double megabytesPerSecond,
            double nodeCpuSeconds,
            double loadDocumentsPerSecond,
            String note) {}

    boolean ok() {
        return status.equals("ok") && failures.isEmpty();
    }

    /** The fragment sizes measured, smallest first. */
    List<Integer> sizes() {
        TreeSet<Integer> sizes = new TreeSet<>();
        if (coders != null) {
            coders.measurements().forEach(m -> sizes.add(m.fragmentBytes()));
        }
        return List.copyOf(sizes);
    }

    /** {@code coder}'s median GB/s (or per CPU-second) over ISA-L's from C, or NaN. */
    double ratio(String coder, String operation, int size, boolean cpu) {
        if (coders == null) {
            return Double.NaN;
        }
        return coders.find(coder, operation, size)
                .flatMap(m -> coders.find(CoderBenchmark.C, operation, size)
                        .map(c -> cpu
                                ? m.medianGbPerCpuSecond() / c.medianGbPerCpuSecond()
                                : m.medianGbPerSecond() / c.medianGbPerSecond()))
                .orElse(Double.NaN);
    }

    static String sizeName(int bytes) {
        return bytes % (1024 * 1024) == 0
                ? bytes / (1024 * 1024) + " MiB"
                : bytes % 1024 == 0 ? bytes / 1024 + " KiB" : String.format(Locale.ROOT, "%,d bytes", bytes);
    }

    /**
     * The targets: the coders' on wall-clock throughput, and a cold point read's p99 with
     * every fragment local; a failed section's are all missed (NaN).
     */
    List<SuiteResults.Target> targets() {
        List<SuiteResults.Target> t = new ArrayList<>();
        boolean ok = ok();
        for (int size : sizes()) {
            for (String op : List.of(CoderBenchmark.ENCODE, CoderBenchmark.REBUILD)) {
                String what = "erasure " + op + " (RS 6+3, 6 x " + sizeName(size) + ", 1 thread): ";
                t.add(new SuiteResults.Target(
                        what + "ISA-L coder (FFM) / ISA-L from C",
                        ok ? ratio(CoderBenchmark.ISAL, op, size, false) : Double.NaN,
                        ISAL_REQUIRED));
                t.add(new SuiteResults.Target(
                        what + "Java coder (Vector API) / ISA-L from C",
                        ok ? ratio(CoderBenchmark.JAVA, op, size, false) : Double.NaN,
                        JAVA_REQUIRED));
            }
        }
        t.add(new SuiteResults.Target(
                "cold point read p99, all fragments local, hot cache off (1 client)",
                ok && coldRead != null ? coldRead.coldP99Ms() : Double.NaN,
                COLD_P99_MS,
                " ms",
                true));
        return t;
    }
}

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
 * What the tiering section measured (see {@link TieringBenchmark}): today the erasure coders'
 * throughput against ISA-L called from C ({@code coders}); the parts that need a running node,
 * cold reads against warm ones ({@code coldRead}) and the migration rate ({@code migration}), are
 * null until they are built, and are then reported and judged beside the coders. A part that
 * failed or did not run is null; a failed section meets no target.
 *
 * @param status "ok", or "failed" with {@code failures}
 * @param coders the coder benchmark's result, or null
 * @param coldRead point reads of cold documents against warm ones on a node, or null (not built yet)
 * @param migration how fast a node moves documents to the cold tier, or null (not built yet)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"status", "failures", "coders", "coldRead", "migration", "settings", "notes"})
record TieringResults(
        String status,
        List<String> failures,
        CoderBenchmark.Result coders,
        ColdRead coldRead,
        Migration migration,
        Map<String, String> settings,
        List<String> notes) {

    /** The ISA-L coder's throughput over ISA-L's from C: the FFM calls may cost at most a fifth. */
    static final double ISAL_REQUIRED = 0.8;
    /** The Java coder's throughput over ISA-L's from C. */
    static final double JAVA_REQUIRED = 0.25;

    TieringResults {
        failures = List.copyOf(failures);
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        notes = List.copyOf(notes);
    }

    /**
     * Point reads of documents in the cold tier (rebuilt from fragments) against the same reads
     * while warm, on a running node. For the node part of this section to fill in.
     *
     * @param reads reads measured per tier
     * @param warmP50Ms warm reads' median latency
     * @param coldP50Ms cold reads' median latency
     * @param lostFragments fragments made unavailable during the cold reads (0 to 3)
     */
    record ColdRead(
            int reads,
            double warmP50Ms,
            double warmP99Ms,
            double coldP50Ms,
            double coldP99Ms,
            int lostFragments,
            String note) {}

    /**
     * Documents a node moves from the warm to the cold tier per second. For the node part of this
     * section to fill in.
     *
     * @param documents documents moved
     * @param seconds from the policy's start to the last segment written and recorded in the manifest
     */
    record Migration(long documents, double seconds, double documentsPerSecond, String note) {}

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

    /** The targets, on wall-clock throughput; a failed section's are all missed (NaN). */
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
        return t;
    }

    /** A section that failed before measuring anything. */
    static TieringResults failed(String failure, Map<String, String> settings) {
        return new TieringResults("failed", List.of(failure), null, null, null, settings, List.of());
    }
}

package io.lumadb.bench.suite;

import static io.lumadb.bench.suite.Report.fmt;

import io.lumadb.bench.tiering.CoderBenchmark;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The tiering section of suite.md: the erasure coders against ISA-L from C, and the node parts once measured. */
final class TieringReport {

    private TieringReport() {}

    private static final List<String> CODERS = List.of(CoderBenchmark.C, CoderBenchmark.ISAL, CoderBenchmark.JAVA);

    static void write(Markdown md, TieringResults t) {
        md.line("%n## Tiering: Reed-Solomon 6+3 erasure coding against ISA-L from C%n");
        Report.status(
                md,
                t.ok(),
                "the ISA-L and the Java coder wrote the same parity and rebuilt every lost fragment to its bytes;"
                        + " the C reference checked its own",
                t.failures());
        CoderBenchmark.Result c = t.coders();
        if (c != null && !c.measurements().isEmpty()) {
            md.line("GB of data (6 fragments' worth per call, 10^9 bytes) coded per second on one thread, median of"
                    + " the rounds (each figure: wall-clock; per CPU-second of the coding thread). Rebuild: 3"
                    + " fragments lost (2 data, 1 parity), rebuilt from 6:%n");
            md.table("llrrrrl", "fragments | operation | coder | GB/s | GB per CPU-second | / C (wall; CPU) | target");
            for (int size : t.sizes()) {
                for (String op : List.of(CoderBenchmark.ENCODE, CoderBenchmark.REBUILD)) {
                    for (String coder : CODERS) {
                        Optional<CoderBenchmark.Measurement> m = c.find(coder, op, size);
                        if (m.isEmpty()) {
                            continue;
                        }
                        boolean reference = coder.equals(CoderBenchmark.C);
                        double required = coder.equals(CoderBenchmark.ISAL)
                                ? TieringResults.ISAL_REQUIRED
                                : TieringResults.JAVA_REQUIRED;
                        double ratio = t.ratio(coder, op, size, false);
                        md.row(
                                "6 x " + TieringResults.sizeName(size),
                                op,
                                name(coder),
                                fmt(m.get().medianGbPerSecond()),
                                fmt(m.get().medianGbPerCpuSecond()),
                                reference ? "1.00x" : fmt(ratio) + "x; " + fmt(t.ratio(coder, op, size, true)) + "x",
                                reference
                                        ? ""
                                        : "≥ " + fmt(required) + "x: "
                                                + (t.ok() && ratio >= required ? "met" : "**missed**"));
                    }
                }
            }
            md.line(
                    "%nEach round's GB/s, in round order: %s.",
                    c.measurements().stream()
                            .map(m -> String.format(
                                    Locale.ROOT,
                                    "%s %s %s %s",
                                    TieringResults.sizeName(m.fragmentBytes()),
                                    m.operation(),
                                    m.coder(),
                                    m.gbPerSecond().stream().map(Report::fmt).collect(Collectors.joining(" / "))))
                            .collect(Collectors.joining("; ")));
        }
        TieringResults.ColdRead cold = t.coldRead();
        TieringResults.ColdRead degraded = t.degradedRead();
        if (cold != null) {
            md.line(
                    "%nPoint reads on a node, cold (read from the fragments; hot cache off) against warm: the same random"
                            + " documents in the same order, one client thread, one keep-alive connection, send to whole"
                            + " answer read; node CPU is the node's (all threads) per read:%n");
            md.table(
                    "lrrrrrrrrrrl",
                    "fragments | reads | warm p50 | warm p99 | cold p50 | cold p99 | cold p99.9 | cold max"
                            + " | cold / warm (p50; p99) | node CPU per read (warm; cold) | reads rebuilt"
                            + " | target: cold p99 < " + fmt(TieringResults.COLD_P99_MS) + " ms");
            coldRow(md, t, cold);
            if (degraded != null) {
                coldRow(md, t, degraded);
            }
            for (TieringResults.ColdRead r : degraded == null ? List.of(cold) : List.of(cold, degraded)) {
                if (r.note() != null) {
                    md.line("%n%s", r.note());
                }
            }
        }
        TieringResults.Migration migration = t.migration();
        if (migration != null) {
            md.line(
                    "%nMigration to the cold tier (`PUT _tiering {\"move\":\"cold\"}`, answered when done): %,d"
                            + " documents in %.1f s, %s documents/s, %s MB/s of segment data (%,d segments, %s MB;"
                            + " parity not counted); the node used %s CPU-seconds. The bulk load of the same"
                            + " documents on the same node: %s documents/s (move / load %sx).%s",
                    migration.documents(),
                    migration.seconds(),
                    fmt(migration.documentsPerSecond()),
                    fmt(migration.megabytesPerSecond()),
                    migration.segments(),
                    fmt(migration.segmentBytes() / 1e6),
                    fmt(migration.nodeCpuSeconds()),
                    fmt(migration.loadDocumentsPerSecond()),
                    fmt(migration.documentsPerSecond() / migration.loadDocumentsPerSecond()),
                    migration.note() == null ? "" : " " + migration.note());
        }
        md.line("");
        if (c != null) {
            c.settings().forEach((k, v) -> md.line("- %s: %s", k, v));
            c.checks().forEach(x -> md.line("- checked: %s", x));
        }
        t.settings().forEach((k, v) -> md.line("- %s: %s", k, v));
        t.notes().forEach(n -> md.line("- note: %s", n));
    }

    private static void coldRow(Markdown md, TieringResults t, TieringResults.ColdRead r) {
        boolean judged = r.lostFragments() == 0;
        md.row(
                r.lostFragments() == 0
                        ? "all 9 local"
                        : r.lostFragments() + " data fragment" + (r.lostFragments() == 1 ? "" : "s")
                                + " of every segment lost",
                String.format(Locale.ROOT, "%,d", r.reads()),
                ms(r.warmP50Ms()),
                ms(r.warmP99Ms()),
                ms(r.coldP50Ms()),
                ms(r.coldP99Ms()),
                ms(r.coldP999Ms()),
                ms(r.coldMaxMs()),
                fmt(r.p50Ratio()) + "x; " + fmt(r.p99Ratio()) + "x",
                String.format(Locale.ROOT, "%.0f; %.0f µs", r.warmNodeCpuMicros(), r.coldNodeCpuMicros()),
                r.rebuiltReads() < 0
                        ? "unknown"
                        : String.format(Locale.ROOT, "%,d of %,d", r.rebuiltReads(), r.nodeColdReads()),
                judged ? (t.ok() && r.coldP99Ms() < TieringResults.COLD_P99_MS ? "met" : "**missed**") : "(no target)");
    }

    private static String ms(double value) {
        return String.format(Locale.ROOT, "%.2f ms", value);
    }

    private static String name(String coder) {
        return switch (coder) {
            case CoderBenchmark.C -> "ISA-L from C (reference)";
            case CoderBenchmark.ISAL -> "LumaDB ISA-L coder (FFM)";
            case CoderBenchmark.JAVA -> "LumaDB Java coder (Vector API)";
            default -> coder;
        };
    }
}

package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.tiering.CoderBenchmark;
import io.lumadb.bench.tiering.ColdReadBenchmark;
import io.lumadb.testkit.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The suite's tiering section. Its first part, the erasure coders: {@link CoderBenchmark} in a JVM
 * of its own on the server CPU (the C reference it starts inherits the pinning), one thread, the
 * Java coder and the ISA-L coder against ISA-L called from C on the same fragments and the same
 * number of calls. A missing ISA-L or C compiler is reported (the targets that need it missed for
 * want of a figure), never a failure; wrong bytes are.
 *
 * <p>Its second part, on a node: a fresh node on the server CPU with a hot cache of 0 bytes (every
 * cold read goes to the fragments) and policies checked hourly (none interferes), and {@link
 * ColdReadBenchmark} on the client CPU against it: a bulk load, warm point reads, the move of the
 * whole collection to the cold tier (timed), the same reads cold with every fragment local, and
 * again with one data fragment of every segment deleted. Every cold answer is checked against the
 * warm one; a wrong or failed answer fails the section.
 */
final class TieringBenchmark {

    /** What the node part measures. */
    record NodeSettings(int documents, int documentBytes, int shards, int reads, int warmUp) {
        static NodeSettings defaults(boolean quick) {
            return quick
                    ? new NodeSettings(5_000, 1_000, 4, 2_000, 5_000)
                    : new NodeSettings(50_000, 1_000, 4, 20_000, 20_000);
        }
    }

    /** The node's configuration beyond the suite's: see {@link TieringBenchmark}. */
    static final List<String> NODE_TIERING_OPTIONS = List.of(
            "-Dlumadb.tiering.hot-cache-bytes=0",
            "-Dlumadb.tiering.check-interval=1h",
            "-Dlumadb.tiering.scrub-interval=1h");

    private static final Pattern LOG_PROBLEM = Pattern.compile("^[0-9:.]+ +(WARN|ERROR) ", Pattern.MULTILINE);

    private final Path nodeJar;
    private final List<String> serverPrefix;
    private final List<String> clientPrefix;
    private final List<String> nodeOptions;
    private final Path out;
    private final boolean quick;
    private final NodeSettings node;

    TieringBenchmark(
            Path nodeJar,
            List<String> serverPrefix,
            List<String> clientPrefix,
            List<String> nodeOptions,
            Path out,
            boolean quick) {
        this.nodeJar = nodeJar;
        this.serverPrefix = List.copyOf(serverPrefix);
        this.clientPrefix = List.copyOf(clientPrefix);
        List<String> options = new ArrayList<>(nodeOptions);
        options.addAll(NODE_TIERING_OPTIONS);
        this.nodeOptions = List.copyOf(options);
        this.out = out;
        this.quick = quick;
        this.node = NodeSettings.defaults(quick);
    }

    /** The coder benchmark's JVM: FFM calls into ISA-L and the Vector API for the Java coder. */
    static List<String> jvmOptions() {
        return List.of("--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx1g");
    }

    /** Runs the section; a failure is reported in the result, not thrown. */
    TieringResults run() throws InterruptedException {
        Map<String, String> settings = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        settings.put(
                "pinning",
                serverPrefix.isEmpty()
                        ? "none"
                        : "the coder benchmark and the C reference it starts on the server CPU ("
                                + String.join(" ", serverPrefix) + ")");
        settings.put("coder JVM", String.join(" ", jvmOptions()));
        Path json = out.resolve("tiering-coders.json");
        List<String> args = new ArrayList<>(List.of("--json", json.toString()));
        if (quick) {
            args.addAll(List.of("--rounds", "3", "--bytes-per-round", "300000000"));
        }
        System.out.println("Tiering: Reed-Solomon 6+3 coders against ISA-L from C, one thread");
        List<String> failures = new ArrayList<>();
        CoderBenchmark.Result coders = null;
        try {
            int exit = VectorBenchmark.child(
                    serverPrefix,
                    jvmOptions(),
                    CoderBenchmark.class,
                    args,
                    out.resolve("tiering-coders.log"),
                    Duration.ofMinutes(30));
            if (Files.exists(json)) {
                coders = new ObjectMapper().readValue(json.toFile(), CoderBenchmark.Result.class);
            } else {
                failures.add("the coder benchmark wrote no report (exit " + exit + "); see "
                        + out.resolve("tiering-coders.log"));
            }
        } catch (IOException e) {
            failures.add("the coder benchmark failed: " + e.getMessage());
        }
        if (coders != null) {
            failures.addAll(coders.failures());
            if (coders.isalUnavailable() != null) {
                notes.add("The ISA-L coder is unavailable (" + coders.isalUnavailable() + "); its targets are missed"
                        + " for want of a figure. bin/bench installs libisal2 when it runs as root with apt-get.");
            }
            if (coders.cUnavailable() != null) {
                notes.add("The C reference is unavailable (" + coders.cUnavailable() + "); every coder target is"
                        + " missed for want of a reference.");
            }
        }
        // The node part runs even when the coders failed: its figures do not depend on theirs.
        NodePart part = nodePart(settings, failures, notes);
        TieringResults r = new TieringResults(
                failures.isEmpty() ? "ok" : "failed",
                failures,
                coders,
                part == null ? null : part.cold(),
                part == null ? null : part.degraded(),
                part == null ? null : part.migration(),
                settings,
                notes);
        for (SuiteResults.Target target : r.targets()) {
            System.out.printf(
                    "  %s: %s%s (%s)%n",
                    target.name(), Report.fmt(target.measured()), target.unit(), target.met() ? "met" : "missed");
        }
        return r;
    }

    private record NodePart(
            TieringResults.ColdRead cold, TieringResults.ColdRead degraded, TieringResults.Migration migration) {}

    /**
     * Runs {@link ColdReadBenchmark} against a fresh node and turns its report into the section's
     * records; a failure goes into {@code failures} (with null returned when nothing was measured),
     * and the node is stopped and its data directory deleted whatever happens.
     */
    private NodePart nodePart(Map<String, String> settings, List<String> failures, List<String> notes)
            throws InterruptedException {
        settings.put(
                "node",
                "a fresh node (" + String.join(" ", LumaDbNode.JVM_OPTIONS) + " " + String.join(" ", nodeOptions) + ")"
                        + (serverPrefix.isEmpty() ? "" : " on the server CPU (" + String.join(" ", serverPrefix) + ")")
                        + ", its load generator"
                        + (clientPrefix.isEmpty()
                                ? ""
                                : " on the client CPU (" + String.join(" ", clientPrefix) + ")"));
        settings.put(
                "cold reads",
                String.format(
                        Locale.ROOT,
                        "%,d documents of about %,d bytes (JSON) in a collection of %d shards, bulk-loaded 1,000 a"
                                + " request; %,d random point reads (unmeasured: %,d others first), warm, then cold"
                                + " after the move, then cold with one data fragment of every segment deleted (the"
                                + " k-th segment by name loses data fragment k mod 6)",
                        node.documents(),
                        node.documentBytes(),
                        node.shards(),
                        node.reads(),
                        node.warmUp()));
        System.out.printf(
                "Tiering on a node: %,d documents, %,d reads warm, cold, and cold with a fragment lost%n",
                node.documents(), node.reads());
        Path json = out.resolve("tiering-node.json");
        Path log = out.resolve("tiering-node.log");
        ColdReadBenchmark.Result result;
        try (NodeProcess n = LumaDbNode.start(nodeJar, serverPrefix, log, nodeOptions)) {
            int exit = VectorBenchmark.child(
                    clientPrefix,
                    List.of("-Xms1g", "-Xmx1g", "-XX:+UseSerialGC"),
                    ColdReadBenchmark.class,
                    List.of(
                            "--url",
                            n.url(""),
                            "--json",
                            json.toString(),
                            "--documents",
                            Integer.toString(node.documents()),
                            "--document-bytes",
                            Integer.toString(node.documentBytes()),
                            "--shards",
                            Integer.toString(node.shards()),
                            "--reads",
                            Integer.toString(node.reads()),
                            "--warm-up",
                            Integer.toString(node.warmUp()),
                            "--node-pid",
                            Long.toString(n.pid()),
                            "--fragments",
                            n.dataDir().resolve("cold").toString()),
                    out.resolve("tiering-reads.log"),
                    Duration.ofMinutes(30));
            if (!Files.exists(json)) {
                failures.add("the cold-read benchmark wrote no report (exit " + exit + "); see "
                        + out.resolve("tiering-reads.log") + " and " + log);
                return null;
            }
            result = new ObjectMapper().readValue(json.toFile(), ColdReadBenchmark.Result.class);
            if (exit != 0 && result.failures().isEmpty()) {
                failures.add("the cold-read benchmark ended with exit status " + exit + "; see "
                        + out.resolve("tiering-reads.log"));
            }
        } catch (IOException | RuntimeException e) {
            failures.add("the node part failed: " + e.getMessage());
            System.out.println("  FAILED: " + e.getMessage());
            return null;
        }
        failures.addAll(result.failures());
        notes.addAll(result.notes());
        settings.put("node coder", result.coder());
        notes.add(logProblems(log));
        TieringResults.ColdRead cold = coldRead(result.warm(), result.cold(), result.coder());
        TieringResults.ColdRead degraded =
                result.degraded() == null ? null : coldRead(result.warm(), result.degraded(), result.coder());
        if (degraded == null) {
            notes.add("Reads with a lost fragment were not measured.");
        }
        ColdReadBenchmark.Move m = result.move();
        TieringResults.Migration migration = new TieringResults.Migration(
                m.documents(),
                m.seconds(),
                m.documentsPerSecond(),
                m.segments(),
                m.segmentBytes(),
                m.megabytesPerSecond(),
                m.nodeCpuSeconds(),
                result.loadPerSecond(),
                String.format(
                        Locale.ROOT,
                        "Stored with parity: %.1f MB (%.2fx the segment data).",
                        m.storedBytes() / 1e6,
                        m.segmentBytes() > 0 ? (double) m.storedBytes() / m.segmentBytes() : Double.NaN));
        return new NodePart(cold, degraded, migration);
    }

    private static TieringResults.ColdRead coldRead(
            ColdReadBenchmark.Reads warm, ColdReadBenchmark.Reads cold, String coder) {
        String note = null;
        if (cold.lostFragmentsPerSegment() == 0 && !(cold.p99Ms() < TieringResults.COLD_P99_MS)) {
            note = String.format(
                    Locale.ROOT,
                    "Cold p99 %.2f ms misses the %.0f ms target. Where the time goes: the node spent %.0f µs of CPU"
                            + " per cold read against %.0f µs per warm one (a cold read adds the pointer's lookup,"
                            + " the read of the record's range from one or two fragment files, its crc32c and id"
                            + " check); cold p50 %.2f ms, p90 %.2f ms, p99.9 %.2f ms, max %.2f ms.",
                    cold.p99Ms(),
                    TieringResults.COLD_P99_MS,
                    cold.nodeCpuMicrosPerRead(),
                    warm.nodeCpuMicrosPerRead(),
                    cold.p50Ms(),
                    cold.p90Ms(),
                    cold.p999Ms(),
                    cold.maxMs());
        } else if (cold.lostFragmentsPerSegment() > 0) {
            note = String.format(
                    Locale.ROOT,
                    "With %d data fragment%s of every segment deleted, %,d of the node's %,d cold reads needed a lost"
                            + " one and rebuilt the segment from 6 fragments (coder %s); the others read their"
                            + " record's range directly as before.",
                    cold.lostFragmentsPerSegment(),
                    cold.lostFragmentsPerSegment() == 1 ? "" : "s",
                    cold.nodeRebuilds(),
                    cold.nodeColdReads(),
                    coder);
        }
        return new TieringResults.ColdRead(
                cold.reads(),
                cold.lostFragmentsPerSegment(),
                warm.p50Ms(),
                warm.p99Ms(),
                cold.p50Ms(),
                cold.p99Ms(),
                cold.p999Ms(),
                cold.maxMs(),
                warm.nodeCpuMicrosPerRead(),
                cold.nodeCpuMicrosPerRead(),
                cold.nodeColdReads(),
                cold.nodeRebuilds(),
                note);
    }

    /** How many WARN and ERROR lines the node logged, with the first few. */
    private static String logProblems(Path log) {
        try {
            String text = Files.readString(log);
            Matcher m = LOG_PROBLEM.matcher(text);
            List<String> first = new ArrayList<>();
            int count = 0;
            while (m.find()) {
                if (count++ < 3) {
                    int end = text.indexOf('\n', m.start());
                    String line = text.substring(m.start(), end < 0 ? text.length() : end);
                    first.add(line.length() > 200 ? line.substring(0, 200) + "..." : line);
                }
            }
            return "The node's log (" + log.getFileName() + "): " + count + " WARN/ERROR lines"
                    + (first.isEmpty() ? "." : ", first: " + String.join(" | ", first));
        } catch (IOException e) {
            return "The node's log could not be read: " + e.getMessage();
        }
    }
}

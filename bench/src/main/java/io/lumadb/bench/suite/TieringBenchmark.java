package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.tiering.CoderBenchmark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The suite's tiering section. Its first part, the erasure coders: {@link CoderBenchmark} in a JVM
 * of its own on the server CPU (the C reference it starts inherits the pinning), one thread, the
 * Java coder and the ISA-L coder against ISA-L called from C on the same fragments and the same
 * number of calls. A missing ISA-L or C compiler is reported (the targets that need it missed for
 * want of a figure), never a failure; wrong bytes are.
 *
 * <p>Where the node parts go: cold reads against warm ones and the migration rate need a running
 * node; they fill {@link TieringResults#coldRead()} and {@link TieringResults#migration()} in
 * {@link #run()}, after the coders, and {@link TieringReport} shows them when present.
 */
final class TieringBenchmark {

    private final List<String> serverPrefix;
    private final Path out;
    private final boolean quick;

    TieringBenchmark(List<String> serverPrefix, Path out, boolean quick) {
        this.serverPrefix = List.copyOf(serverPrefix);
        this.out = out;
        this.quick = quick;
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
        CoderBenchmark.Result coders;
        try {
            int exit = VectorBenchmark.child(
                    serverPrefix,
                    jvmOptions(),
                    CoderBenchmark.class,
                    args,
                    out.resolve("tiering-coders.log"),
                    Duration.ofMinutes(30));
            if (!Files.exists(json)) {
                return TieringResults.failed(
                        "the coder benchmark wrote no report (exit " + exit + "); see "
                                + out.resolve("tiering-coders.log"),
                        settings);
            }
            coders = new ObjectMapper().readValue(json.toFile(), CoderBenchmark.Result.class);
        } catch (IOException e) {
            return TieringResults.failed("the coder benchmark failed: " + e.getMessage(), settings);
        }
        List<String> failures = new ArrayList<>(coders.failures());
        if (coders.isalUnavailable() != null) {
            notes.add("The ISA-L coder is unavailable (" + coders.isalUnavailable() + "); its targets are missed"
                    + " for want of a figure. bin/bench installs libisal2 when it runs as root with apt-get.");
        }
        if (coders.cUnavailable() != null) {
            notes.add("The C reference is unavailable (" + coders.cUnavailable() + "); every coder target is"
                    + " missed for want of a reference.");
        }
        notes.add("Cold reads against warm ones and the migration rate need a running node; not measured yet.");
        TieringResults r =
                new TieringResults(failures.isEmpty() ? "ok" : "failed", failures, coders, null, null, settings, notes);
        for (SuiteResults.Target target : r.targets()) {
            System.out.printf(
                    "  %s: %s%s (%s)%n",
                    target.name(), Report.fmt(target.measured()), target.unit(), target.met() ? "met" : "missed");
        }
        return r;
    }
}

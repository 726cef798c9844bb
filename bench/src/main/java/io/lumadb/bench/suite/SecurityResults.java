package io.lumadb.bench.suite;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the security section measured (see {@link SecurityBenchmark}): YCSB on LumaDB in each
 * {@link Variant}, medians over the runs, the ratio of each variant's throughput to security off
 * in the same run (and of its node CPU per operation), and the cost of a password check. A failed section keeps what it measured
 * before it failed and meets no target.
 *
 * @param status "ok", or "failed" with {@code failures}
 * @param ycsb one row per workload and variant that completed at least one run
 * @param login the Argon2id and HTTP login measurements, or null if the section failed first
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"status", "failures", "ycsb", "ratios", "cpuRatios", "login", "settings", "checks"})
record SecurityResults(
        String status,
        List<String> failures,
        List<Row> ycsb,
        Login login,
        Map<String, String> settings,
        List<String> checks) {

    /** The YCSB phases measured in every variant: the load, then workloads A and C. */
    static final List<String> WORKLOADS = List.of("load", "a", "c");

    /** The required ratio of throughput to security off, as the security issue sets it. */
    static final double AUTH_REQUIRED = 0.95;

    static final double ENCRYPTION_REQUIRED = 0.85;

    /** The most a login may take. */
    static final double LOGIN_MS = 100;

    /** How LumaDB runs in one variant; every variant gets fresh nodes of its own. */
    enum Variant {
        OFF("off", "security off", Double.NaN, false, false),
        API_KEY("api-key", "security on, API key (Bearer)", AUTH_REQUIRED, true, false),
        BASIC("basic", "security on, HTTP Basic (verified credentials cached)", AUTH_REQUIRED, true, false),
        ENCRYPTION("encryption", "security off, encryption at rest on", ENCRYPTION_REQUIRED, false, true);

        final String id;
        final String description;
        /** The least throughput ratio to {@link #OFF} the issue accepts; NaN for {@link #OFF} itself. */
        final double required;

        final boolean security;
        final boolean encryption;

        Variant(String id, String description, double required, boolean security, boolean encryption) {
            this.id = id;
            this.description = description;
            this.required = required;
            this.security = security;
            this.encryption = encryption;
        }

        static Variant of(String id) {
            for (Variant v : values()) {
                if (v.id.equals(id)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("no security variant '" + id + "'");
        }
    }

    /**
     * One workload in one variant: throughput (YCSB's overall operations/s), the p50/p99 of every
     * database call together and the node's CPU time per operation (all its threads, µs), medians
     * over the runs; {@code runThroughputs} and {@code runCpuMicrosPerOp} in run order.
     */
    record Row(
            String workload,
            String variant,
            double throughput,
            double p50Micros,
            double p99Micros,
            long operations,
            int runs,
            List<Double> runThroughputs,
            double cpuMicrosPerOp,
            List<Double> runCpuMicrosPerOp) {
        Row {
            runThroughputs = List.copyOf(runThroughputs);
            runCpuMicrosPerOp = List.copyOf(runCpuMicrosPerOp);
        }
    }

    /** A variant's throughput over security off's in one workload, and what the issue requires. */
    record Ratio(String workload, String variant, double ratio, double required) {
        @JsonProperty("met")
        boolean met() {
            return !Double.isNaN(ratio) && ratio >= required;
        }
    }

    /**
     * The cost of a password check with the default Argon2id parameters: one hash and {@code
     * verifications} verifications in a JVM pinned and started like a node ({@link PasswordCost}:
     * median and maximum wall-clock time, and the median CPU time of the verifying thread, which
     * other work on the machine does not inflate), and over HTTP the
     * first request of a new user (the node verifies the password) against the same user's next
     * requests (the node remembers the verified credential), medians over {@code httpLogins} users.
     */
    record Login(
            String parameters,
            double hashMs,
            double verifyMedianMs,
            double verifyMaxMs,
            double verifyCpuMedianMs,
            int verifications,
            double httpFirstMedianMs,
            double httpFirstMaxMs,
            double httpCachedMedianMs,
            int httpLogins) {}

    SecurityResults {
        failures = List.copyOf(failures);
        ycsb = List.copyOf(ycsb);
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        checks = List.copyOf(checks);
    }

    boolean ok() {
        return status.equals("ok") && failures.isEmpty();
    }

    Optional<Row> row(String workload, Variant variant) {
        return ycsb.stream()
                .filter(r -> r.workload().equals(workload) && r.variant().equals(variant.id))
                .findFirst();
    }

    /** {@code variant}'s throughput over security off's in {@code workload}, or NaN. */
    double ratio(String workload, Variant variant) {
        return row(workload, variant)
                .flatMap(v -> row(workload, Variant.OFF).map(off -> v.throughput() / off.throughput()))
                .orElse(Double.NaN);
    }

    /**
     * Security off's node CPU per operation over {@code variant}'s in {@code workload}, or NaN: the
     * share of its throughput a node keeps when the CPU is what limits it.
     */
    double cpuRatio(String workload, Variant variant) {
        return row(workload, variant)
                .flatMap(v -> row(workload, Variant.OFF).map(off -> off.cpuMicrosPerOp() / v.cpuMicrosPerOp()))
                .orElse(Double.NaN);
    }

    @JsonProperty("cpuRatios")
    List<Ratio> cpuRatios() {
        return ratios(this::cpuRatio);
    }

    /** {@code ratio} of each variant measured against security off, per workload (NaN for a failed section). */
    private List<Ratio> ratios(java.util.function.ToDoubleBiFunction<String, Variant> ratio) {
        List<Ratio> out = new ArrayList<>();
        for (String w : WORKLOADS) {
            for (Variant v : Variant.values()) {
                if (v != Variant.OFF && row(w, v).isPresent()) {
                    out.add(new Ratio(w, v.id, ok() ? ratio.applyAsDouble(w, v) : Double.NaN, v.required));
                }
            }
        }
        return out;
    }

    @JsonProperty("ratios")
    List<Ratio> ratios() {
        return ratios(this::ratio);
    }

    /** The targets: each variant's throughput ratio per workload, and a login under 100 ms. */
    List<SuiteResults.Target> targets() {
        List<SuiteResults.Target> t = new ArrayList<>();
        for (String w : WORKLOADS) {
            for (Variant v : List.of(Variant.API_KEY, Variant.BASIC, Variant.ENCRYPTION)) {
                // A failed section meets no target, so its ratios are NaN.
                double measured = ok() ? ratio(w, v) : Double.NaN;
                t.add(new SuiteResults.Target(
                        "YCSB " + workloadName(w) + ": " + v.description + " / security off", measured, v.required));
            }
        }
        // The same targets judged on the node's CPU per operation, which this noisy machine
        // disturbs far less than throughput; both are reported, neither replaces the other.
        for (String w : WORKLOADS) {
            for (Variant v : List.of(Variant.API_KEY, Variant.BASIC, Variant.ENCRYPTION)) {
                double measured = ok() ? cpuRatio(w, v) : Double.NaN;
                t.add(new SuiteResults.Target(
                        "YCSB " + workloadName(w) + ", node CPU per operation: security off / " + v.description,
                        measured,
                        v.required));
            }
        }
        double verify = login == null ? Double.NaN : login.verifyMedianMs();
        double http = login == null ? Double.NaN : login.httpFirstMedianMs();
        t.add(new SuiteResults.Target(
                "Argon2id password check, default cost (" + (login == null ? "?" : login.parameters()) + ")",
                verify,
                LOGIN_MS,
                " ms",
                true));
        t.add(new SuiteResults.Target(
                "first request with new HTTP Basic credentials (the node checks the password)",
                http,
                LOGIN_MS,
                " ms",
                true));
        return t;
    }

    static String workloadName(String w) {
        return w.equals("load") ? "load" : w.toUpperCase(java.util.Locale.ROOT);
    }

    /** A section that failed before measuring anything. */
    static SecurityResults failed(String failure) {
        return new SecurityResults("failed", List.of(failure), List.of(), null, Map.of(), List.of());
    }
}

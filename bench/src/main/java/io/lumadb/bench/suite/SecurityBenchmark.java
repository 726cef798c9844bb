package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.Stats;
import io.lumadb.bench.suite.SecurityResults.Variant;
import io.lumadb.bench.ycsb.LumaDbHttp;
import io.lumadb.bench.ycsb.LumaDbYcsbClient;
import io.lumadb.bench.ycsb.OpStats;
import io.lumadb.bench.ycsb.YcsbResult;
import io.lumadb.bench.ycsb.YcsbRunner;
import io.lumadb.bench.ycsb.YcsbSpec;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The suite's security section: what authentication and encryption at rest cost LumaDB, measured
 * with YCSB (load, then workloads A and C; each node first warmed up by an unmeasured load into a
 * database of its own, and C once before A) in four {@link
 * Variant}s within the same run: security off, security on with an API key on every request,
 * security on with HTTP Basic (the node caches the verified credential), and security off with
 * encryption at rest on. Every variant of every run gets a fresh node (fresh data directory,
 * same pinning and JVM options as the ycsb section's), and the variants take turns: run {@code
 * r} starts with the {@code r}-th variant, so drift on a shared machine falls on each of them
 * alike. It also measures the cost of a password check (Argon2id with the default parameters,
 * {@link PasswordCost}, pinned and started like a node) and, over HTTP, a first request with new
 * credentials against a cached one.
 *
 * <p>Checked before measuring, so that no variant can silently measure something else: with
 * security on, a request without credentials gets 401 and the bench credentials get 200 from
 * {@code whoami}; with encryption on, the node's {@code /metrics} report active key 1, and 0
 * with it off. YCSB itself fails the section on any failed operation.
 */
final class SecurityBenchmark {

    /** The database the section's YCSB runs use. */
    private static final String DATABASE = "ycsbsec";

    /** The database of the unmeasured warm-up load that every fresh node gets first. */
    private static final String WARM_UP_DATABASE = "ycsbsecwarmup";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path nodeJar;
    private final List<String> serverPrefix;
    private final List<String> clientPrefix;
    private final List<String> nodeOptions;
    private final Path out;
    private final int runs;
    private final long records;
    private final long operations;
    private final int threads;
    private final int verifications;
    private final int httpLogins;

    private final Map<String, List<Measured>> measured = new LinkedHashMap<>(); // "variant|workload"
    private final List<Double> httpFirst = new ArrayList<>();
    private final List<Double> httpCached = new ArrayList<>();
    private final List<String> checks = new ArrayList<>();

    /**
     * @param nodeOptions the node's JVM options beyond {@link LumaDbNode#JVM_OPTIONS}
     * @param verifications password verifications timed in this JVM
     * @param httpLogins new users whose first request is timed, per run of the Basic variant
     */
    SecurityBenchmark(
            Path nodeJar,
            List<String> serverPrefix,
            List<String> clientPrefix,
            List<String> nodeOptions,
            Path out,
            int runs,
            long records,
            long operations,
            int threads,
            int verifications,
            int httpLogins) {
        this.nodeJar = nodeJar;
        this.serverPrefix = List.copyOf(serverPrefix);
        this.clientPrefix = List.copyOf(clientPrefix);
        this.nodeOptions = List.copyOf(nodeOptions);
        this.out = out;
        this.runs = runs;
        this.records = records;
        this.operations = operations;
        this.threads = threads;
        this.verifications = verifications;
        this.httpLogins = httpLogins;
    }

    /** The variants in the order run {@code run} (1-based) takes them: each run starts one later. */
    static List<Variant> order(int run) {
        Variant[] all = Variant.values();
        List<Variant> order = new ArrayList<>();
        for (int i = 0; i < all.length; i++) {
            order.add(all[(i + run - 1) % all.length]);
        }
        return order;
    }

    /** Runs the section; a failure is reported in the result (with what was measured before it), not thrown. */
    SecurityResults run() throws InterruptedException {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(
                "variants",
                String.join(
                        "; ",
                        java.util.Arrays.stream(Variant.values())
                                .map(v -> v.id + ": " + v.description)
                                .toList()));
        settings.put(
                "workloads",
                "an unmeasured YCSB load of a quarter of the records into a database of its own, then YCSB load, an"
                        + " unmeasured warm-up of C (half the operations) and of A (a quarter), then A and C; "
                        + records
                        + " records, " + operations + " operations, " + threads + " client threads, " + runs
                        + " run(s), each variant of each run on a fresh node");
        settings.put(
                "order",
                "run r starts with the r-th variant and goes round: "
                        + String.join(", ", order(1).stream().map(v -> v.id).toList()) + " in run 1, "
                        + String.join(", ", order(2).stream().map(v -> v.id).toList()) + " in run 2");
        settings.put(
                "credentials",
                "user admin (from lumadb.security.admin-password) makes the bench's user and"
                        + " API key, both with role readWrite, and resets the database; YCSB runs as the bench's user or key");
        settings.put(
                "encryption",
                "lumadb.encryption.enabled=on with a key file of one random key (mode 0600, in a temporary directory"
                        + " outside the data directory, deleted after the node stops)");
        List<String> failures = new ArrayList<>();
        SecurityResults.Login login = null;
        try {
            PasswordCost.Result argon = passwordCost();
            for (int run = 1; run <= runs; run++) {
                for (Variant v : order(run)) {
                    System.out.printf("Security run %d/%d: %s%n", run, runs, v.description);
                    variant(v);
                }
            }
            login = login(argon);
        } catch (IOException | RuntimeException e) {
            failures.add("the security section failed: " + e.getMessage());
            System.out.println("  FAILED: " + e.getMessage());
        }
        SecurityResults results = new SecurityResults(
                failures.isEmpty() ? "ok" : "failed",
                failures,
                rows(),
                login,
                settings,
                checks.stream().distinct().toList());
        for (SecurityResults.Row r : results.ycsb()) {
            System.out.printf(
                    "  %-5s %-11s %,9.0f ops/s  p50 %,6.0f us  p99 %,7.0f us%s%n",
                    r.workload(),
                    r.variant(),
                    r.throughput(),
                    r.p50Micros(),
                    r.p99Micros(),
                    r.variant().equals(Variant.OFF.id)
                            ? ""
                            : String.format(
                                    Locale.ROOT, "  %.3fx off", results.ratio(r.workload(), Variant.of(r.variant()))));
        }
        return results;
    }

    // ---- password checks

    /**
     * Runs {@link PasswordCost} as a process of its own, behind the server prefix and with the
     * node's JVM options, so that the hash is timed where and how a node computes it.
     */
    private PasswordCost.Result passwordCost() throws IOException, InterruptedException {
        Path json = out.resolve("password-cost.json");
        Path log = out.resolve("password-cost.log");
        List<String> command = BenchSuite.java(
                serverPrefix,
                LumaDbNode.JVM_OPTIONS,
                PasswordCost.class,
                "--verifications",
                Integer.toString(verifications),
                "--json",
                json.toString());
        int exit = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start()
                .waitFor();
        if (exit != 0 || !Files.exists(json)) {
            throw new IOException("the password cost measurement failed (exit " + exit + "); see " + log);
        }
        PasswordCost.Result r = new ObjectMapper().readValue(json.toFile(), PasswordCost.Result.class);
        checks.add("Argon2id: " + r.verifications() + " verifications of the right password succeeded, a wrong one"
                + " failed");
        System.out.printf(
                "  Argon2id %s: hash %.1f ms, verify median %.1f ms (max %.1f; CPU %.1f ms) of %d%n",
                r.parameters(),
                r.hashMs(),
                r.verifyMedianMs(),
                r.verifyMaxMs(),
                r.verifyCpuMedianMs(),
                r.verifications());
        return r;
    }

    private SecurityResults.Login login(PasswordCost.Result argon) {
        return new SecurityResults.Login(
                argon.parameters(),
                argon.hashMs(),
                argon.verifyMedianMs(),
                argon.verifyMaxMs(),
                argon.verifyCpuMedianMs(),
                argon.verifications(),
                Stats.median(httpFirst),
                httpFirst.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
                Stats.median(httpCached),
                httpFirst.size());
    }

    // ---- one variant

    private void variant(Variant v) throws IOException, InterruptedException {
        List<String> options = new ArrayList<>(nodeOptions);
        String adminPassword = randomPassword();
        if (v.security) {
            options.add("-Dlumadb.security.admin-password=" + adminPassword);
        }
        Path keyDir = null;
        try {
            if (v.encryption) {
                keyDir = Files.createTempDirectory(
                        "lumadb-bench-keys",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Path keyFile = keyDir.resolve("keys");
                Files.createFile(
                        keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                byte[] key = new byte[32];
                RANDOM.nextBytes(key);
                Files.writeString(
                        keyFile, "1:" + Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
                options.add("-Dlumadb.encryption.enabled=on");
                options.add("-Dlumadb.encryption.key-file=" + keyFile);
            }
            NodeProcess.Builder builder =
                    LumaDbNode.builder(nodeJar, serverPrefix, out.resolve("security-node-" + v.id + ".log"), options);
            if (v.security) {
                builder.securityOn();
            }
            try (NodeProcess node = builder.build()) {
                LumaDbNode.launch(node, Duration.ofSeconds(60));
                measure(v, node, v.security ? basic("admin", adminPassword) : null);
            }
        } finally {
            if (keyDir != null) {
                TestFiles.deleteRecursively(keyDir);
            }
        }
    }

    private void measure(Variant v, NodeProcess node, String admin) throws IOException, InterruptedException {
        String url = node.url("");
        String auth =
                switch (v) {
                    case API_KEY -> "Bearer " + createKey(url, admin);
                    case BASIC -> {
                        String password = randomPassword();
                        createUser(url, admin, "bench", password);
                        yield basic("bench", password);
                    }
                    default -> null;
                };
        checkNode(v, url, auth);
        Path work = out.resolve("security").resolve(v.id);
        // A fresh node runs its code cold: an unmeasured load into a database of its own warms it up.
        long warmUp = Math.max(records / 4, 500);
        YcsbRunner.reset("lumadb", properties(url, admin, WARM_UP_DATABASE));
        phase("a", true, warmUp, warmUp, properties(url, auth, WARM_UP_DATABASE), work);
        Map<String, String> run = properties(url, auth, DATABASE);
        YcsbRunner.reset("lumadb", properties(url, admin, DATABASE));
        record(v, "load", node, () -> phase("a", true, records, records, run, work));
        // Warm-ups, not measured: in a short run the JIT compiler takes a quarter of the node's
        // CPU, and its timing differs from run to run more than what security costs.
        phase("c", false, records, Math.max(warmUp, operations / 2), run, work);
        phase("a", false, records, Math.max(warmUp, operations / 4), run, work);
        record(v, "a", node, () -> phase("a", false, records, operations, run, work));
        record(v, "c", node, () -> phase("c", false, records, operations, run, work));
        if (v == Variant.BASIC) {
            httpLogins(url, admin);
        }
    }

    private static Map<String, String> properties(String url, String authorization, String database) {
        Map<String, String> p = new HashMap<>();
        p.put(LumaDbYcsbClient.URL_PROPERTY, url);
        p.put(LumaDbYcsbClient.DATABASE_PROPERTY, database);
        if (authorization != null) {
            p.put(LumaDbYcsbClient.AUTHORIZATION_PROPERTY, authorization);
        }
        return p;
    }

    /** One YCSB phase on {@code recordCount} records: their load if {@code load}, else {@code count} operations. */
    private YcsbResult phase(
            String workload, boolean load, long recordCount, long count, Map<String, String> props, Path work)
            throws IOException, InterruptedException {
        YcsbSpec spec = new YcsbSpec(
                "lumadb", workload, load, threads, recordCount, load ? recordCount : count, props, clientPrefix);
        return YcsbRunner.run(spec, work);
    }

    /** A YCSB phase, which may fail. */
    private interface Phase {
        YcsbResult run() throws IOException, InterruptedException;
    }

    /**
     * Runs {@code phase} and records its result with the CPU time the node spent on it per
     * operation: on a machine this noisy (disk latency under fsync, other processes), throughput
     * ratios of a few percent drown, while the node's CPU per operation, which bounds the throughput
     * of a CPU-bound node, holds still and shows what security itself costs.
     */
    private void record(Variant v, String workload, NodeProcess node, Phase phase)
            throws IOException, InterruptedException {
        long before = cpuNanos(node);
        YcsbResult result = phase.run();
        long spent = cpuNanos(node) - before;
        OpStats all = result.operations().get("ALL");
        double perOp = all == null || all.count() == 0 || before < 0 ? Double.NaN : spent / 1e3 / all.count();
        measured.computeIfAbsent(v.id + "|" + workload, k -> new ArrayList<>()).add(new Measured(result, perOp));
    }

    /** The node process's CPU time so far (all its threads), or -1 where the system does not tell. */
    private static long cpuNanos(NodeProcess node) {
        return ProcessHandle.of(node.pid())
                .flatMap(p -> p.info().totalCpuDuration())
                .map(java.time.Duration::toNanos)
                .orElse(-1L);
    }

    /** One run of one phase: YCSB's result and the node's CPU µs per operation. */
    record Measured(YcsbResult result, double cpuMicrosPerOp) {}

    /** One row per variant and workload measured, in the order of {@link Variant} and {@link SecurityResults#WORKLOADS}. */
    List<SecurityResults.Row> rows() {
        List<SecurityResults.Row> rows = new ArrayList<>();
        for (String w : SecurityResults.WORKLOADS) {
            for (Variant v : Variant.values()) {
                List<Measured> results = measured.get(v.id + "|" + w);
                if (results != null) {
                    rows.add(row(w, v.id, results));
                }
            }
        }
        return rows;
    }

    /** The medians of {@code results} (one per run): YCSB's throughput and the percentiles of all its database calls. */
    static SecurityResults.Row row(String workload, String variant, List<Measured> runs) {
        List<YcsbResult> results = runs.stream().map(Measured::result).toList();
        List<Double> cpu = runs.stream().map(Measured::cpuMicrosPerOp).toList();
        List<OpStats> all = results.stream()
                .map(r -> r.operations().get("ALL"))
                .filter(Objects::nonNull)
                .toList();
        return new SecurityResults.Row(
                workload,
                variant,
                Stats.median(results, YcsbResult::throughputOpsPerSec),
                Stats.median(all, OpStats::p50Micros),
                Stats.median(all, OpStats::p99Micros),
                (long) Stats.median(all, OpStats::count),
                results.size(),
                results.stream().map(YcsbResult::throughputOpsPerSec).toList(),
                Stats.median(cpu.stream().filter(c -> !c.isNaN()).toList(), c -> c),
                cpu);
    }

    // ---- the node's credentials and checks

    private static String createKey(String url, String admin) throws IOException {
        try (LumaDbHttp api = new LumaDbHttp(url, 30_000, admin)) {
            String body =
                    api.expect("POST", "/api/v1/_security/keys", "{\"name\":\"bench\",\"roles\":[\"readWrite\"]}", 201);
            JsonNode secret = new ObjectMapper().readTree(body).get("secret");
            if (secret == null || !secret.isTextual() || !secret.textValue().startsWith("luma_")) {
                throw new IOException("POST /api/v1/_security/keys answered 201 without a luma_ secret: "
                        + LumaDbHttp.abbreviate(body));
            }
            return secret.textValue();
        }
    }

    private static void createUser(String url, String admin, String name, String password) throws IOException {
        try (LumaDbHttp api = new LumaDbHttp(url, 30_000, admin)) {
            api.expect(
                    "PUT",
                    "/api/v1/_security/users/" + name,
                    "{\"password\":\"" + password + "\",\"roles\":[\"readWrite\"]}",
                    201);
        }
    }

    /**
     * Proves the node runs as the variant says: 401 without credentials and 200 with the bench's
     * (which also puts HTTP Basic credentials into the node's cache, so that YCSB's threads do not
     * each pay a password check in the measured load); and the active key id in the metrics.
     */
    private void checkNode(Variant v, String url, String auth) throws IOException {
        try (LumaDbHttp anonymous = new LumaDbHttp(url, 30_000)) {
            if (v.security) {
                anonymous.expect("GET", "/api/v1/_security/whoami", null, 401);
                try (LumaDbHttp bench = new LumaDbHttp(url, 30_000, auth)) {
                    String who = bench.expect("GET", "/api/v1/_security/whoami", null, 200);
                    JsonNode roles = new ObjectMapper().readTree(who).get("roles");
                    if (roles == null || !roles.toString().contains("readWrite")) {
                        throw new IOException("whoami of the bench's credentials has no role readWrite: " + who);
                    }
                }
                checks.add(v.id + ": without credentials 401, with the bench's 200 (role readWrite), on every node");
            }
            if (!v.security) {
                // The metrics endpoint publishes what the node recorded at its last tick: right
                // after a start the gauge may not be there yet.
                double expected = v.encryption ? 1 : 0;
                double keyId = Double.NaN;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (keyId != expected && System.nanoTime() < deadline) {
                    keyId = metric(anonymous.expect("GET", "/metrics", null, 200), "lumadb_encryption_active_key_id");
                    if (keyId != expected) {
                        try {
                            Thread.sleep(500);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException("interrupted while reading /metrics", e);
                        }
                    }
                }
                if (keyId != expected) {
                    throw new IOException("the node of variant " + v.id + " reports lumadb_encryption_active_key_id "
                            + keyId + ", expected " + expected);
                }
                checks.add(
                        v.id + ": /metrics reports lumadb_encryption_active_key_id " + (int) keyId + " on every node");
            }
        }
    }

    /** The value of the untagged Prometheus metric {@code name} in {@code text}, or NaN. */
    static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{}")) {
                String[] parts = line.trim().split("\\s+");
                try {
                    return Double.parseDouble(parts[parts.length - 1]);
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
            }
        }
        return Double.NaN;
    }

    /**
     * Times, for {@link #httpLogins} new users, the first {@code whoami} with their credentials (the
     * node checks the password) and the median of their next five (it remembers the check), each
     * on a connection opened before.
     */
    private void httpLogins(String url, String admin) throws IOException {
        for (int i = 0; i < httpLogins; i++) {
            String name = "login" + (httpFirst.size() + 1);
            String password = randomPassword();
            createUser(url, admin, name, password);
            try (LumaDbHttp api = new LumaDbHttp(url, 30_000, basic(name, password))) {
                api.expect("GET", "/health", null, 200); // opens the connection; /health needs no credentials
                long t = System.nanoTime();
                api.expect("GET", "/api/v1/_security/whoami", null, 200);
                httpFirst.add((System.nanoTime() - t) / 1e6);
                List<Double> cached = new ArrayList<>();
                for (int j = 0; j < 5; j++) {
                    long c = System.nanoTime();
                    api.expect("GET", "/api/v1/_security/whoami", null, 200);
                    cached.add((System.nanoTime() - c) / 1e6);
                }
                httpCached.add(Stats.median(cached));
            }
        }
        System.out.printf(
                "  HTTP Basic, new credentials: first request median %.1f ms, then %.2f ms (%d users)%n",
                Stats.median(httpFirst), Stats.median(httpCached), httpFirst.size());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** 24 random URL-safe Base64 characters: no quoting needed in JSON or on a command line. */
    private static String randomPassword() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}

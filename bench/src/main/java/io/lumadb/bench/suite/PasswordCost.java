package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lumadb.bench.Cli;
import io.lumadb.bench.Stats;
import io.lumadb.security.PasswordHasher;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What one password check costs with LumaDB's default Argon2id parameters ({@link
 * PasswordHasher#DEFAULT}): one hash and the median of N verifications, wall-clock and the
 * verifying thread's CPU time (which other work on the machine does not inflate). The security
 * section runs it as a process of its own, pinned and started like a node, so that it measures a
 * login's hash where a node would compute it. Every verification is checked: the right password
 * must verify and a wrong one must not.
 */
@Command(
        name = "PasswordCost",
        mixinStandardHelpOptions = true,
        description = "Times LumaDB's Argon2id password hash and verification (default parameters); writes JSON.")
public final class PasswordCost implements Callable<Integer> {

    /** What was measured; times in milliseconds. */
    record Result(
            String parameters,
            double hashMs,
            double verifyMedianMs,
            double verifyMaxMs,
            double verifyCpuMedianMs,
            int verifications) {}

    @Option(names = "--verifications", description = "verifications timed (default 20)")
    private int verifications = 20;

    @Option(names = "--json", required = true, description = "where the result goes")
    private Path json;

    public static void main(String[] args) {
        Cli.exit(new PasswordCost(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (verifications < 1) {
            throw new IllegalArgumentException("--verifications must be at least 1, got " + verifications);
        }
        Result r = measure(verifications);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), r);
        System.out.printf(
                Locale.ROOT,
                "Argon2id %s: hash %.1f ms, verify median %.1f ms (max %.1f; CPU %.1f ms) of %d%n",
                r.parameters(),
                r.hashMs(),
                r.verifyMedianMs(),
                r.verifyMaxMs(),
                r.verifyCpuMedianMs(),
                r.verifications());
        return 0;
    }

    /** Times one hash and {@code verifications} verifications after an untimed warm-up (class loading, JIT). */
    static Result measure(int verifications) {
        PasswordHasher hasher = new PasswordHasher(PasswordHasher.DEFAULT);
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String hash = hasher.hash(password);
        for (int i = 0; i < 5; i++) {
            PasswordHasher.verify(password, hash);
        }
        long t = System.nanoTime();
        hash = hasher.hash(password);
        double hashMs = (System.nanoTime() - t) / 1e6;
        List<Double> wall = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < verifications; i++) {
            long cpuStart = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            boolean ok = PasswordHasher.verify(password, hash);
            wall.add((System.nanoTime() - start) / 1e6);
            cpu.add((threads.getCurrentThreadCpuTime() - cpuStart) / 1e6);
            if (!ok) {
                throw new IllegalStateException("PasswordHasher.verify refused the password it had just hashed");
            }
        }
        if (PasswordHasher.verify(password + "x", hash)) {
            throw new IllegalStateException("PasswordHasher.verify accepted a wrong password");
        }
        return new Result(
                parameters(),
                hashMs,
                Stats.median(wall),
                wall.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
                Stats.median(cpu),
                verifications);
    }

    /** The default cost as {@code m=19 MiB, t=2, p=1}. */
    static String parameters() {
        PasswordHasher.Cost c = PasswordHasher.DEFAULT;
        return String.format(
                Locale.ROOT, "m=%d MiB, t=%d, p=%d", c.memoryKib() / 1024, c.iterations(), c.parallelism());
    }
}

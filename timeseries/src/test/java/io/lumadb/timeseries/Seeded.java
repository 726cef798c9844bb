package io.lumadb.timeseries;

import java.util.Random;
import java.util.function.Consumer;

/**
 * Runs a randomized check with a seed taken from {@code -Dlumadb.seed=...} or the clock, and names
 * the seed when the check fails, so the failure can be replayed exactly.
 */
public final class Seeded {
    private Seeded() {}

    public static void run(String what, Consumer<Random> check) {
        String fixed = System.getProperty("lumadb.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        try {
            check.accept(new Random(seed));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(
                    what + " failed with seed " + seed + " (replay with -Dlumadb.seed=" + seed + "): " + e.getMessage(),
                    e);
        }
    }
}

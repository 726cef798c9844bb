package io.lumadb.testkit;

/**
 * Tearing down what a test started, in order, all of it even when a step fails: the first
 * failure is thrown once every step ran, with the later ones attached as suppressed.
 */
public final class Cleanup {

    private Cleanup() {}

    /** Closes each of {@code steps} in the order given; null ones (never started) are skipped. */
    public static void closeAll(AutoCloseable... steps) throws Exception {
        Exception first = null;
        for (AutoCloseable step : steps) {
            if (step == null) {
                continue;
            }
            try {
                step.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}

package io.lumadb.sql.schema;

import io.lumadb.sql.Cancellation;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Waiting on the data layer from a statement's thread, which Calcite's pull-based runtime
 * requires: the stage's value, its failure as the data layer raised it, or {@code late}'s
 * exception once {@code millis} have passed (an interrupt counts as late too), or the cancel
 * error once the statement's {@link Cancellation} is requested.
 */
final class Waits {

    private Waits() {}

    static <T> T await(CompletionStage<T> stage, long millis, Supplier<RuntimeException> late) {
        var future = stage.toCompletableFuture();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        Cancellation cancellation =
                SqlSession.CURRENT.isBound() ? SqlSession.CURRENT.get().cancellation() : null;
        try {
            while (true) {
                if (cancellation != null) {
                    cancellation.check();
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw late.get();
                }
                try {
                    // in slices, so that a cancel request is noticed within a tenth of a second
                    return future.get(Math.min(left, SLICE_NANOS), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // look at the cancel request and the deadline again
                }
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw late.get();
        }
    }

    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
}

package io.lumadb.sql.schema;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Waiting on the data layer from a statement's thread, which Calcite's pull-based runtime
 * requires: the stage's value, its failure as the data layer raised it, or {@code late}'s
 * exception once {@code millis} have passed (an interrupt counts as late too).
 */
final class Waits {

    private Waits() {}

    static <T> T await(CompletionStage<T> stage, long millis, Supplier<RuntimeException> late) {
        try {
            return stage.toCompletableFuture().get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw late.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw late.get();
        }
    }
}

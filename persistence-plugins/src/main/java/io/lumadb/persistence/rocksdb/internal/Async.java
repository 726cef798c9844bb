package io.lumadb.persistence.rocksdb.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * Bridges between blocking store code, Java futures and the Scala futures of Pekko's plugin API,
 * keeping failures unwrapped: Pekko hands the cause to the persistent actor and to logs, and a
 * {@link CompletionException} around it would only hide it.
 */
public final class Async {

    private Async() {}

    /** Runs {@code body} on {@code executor}. */
    public static <T> CompletableFuture<T> supply(Executor executor, Supplier<T> body) {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                result.complete(body.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** The Scala future of {@code stage}, failed with the cause rather than a CompletionException. */
    public static <T> Future<T> toScala(CompletionStage<T> stage) {
        return FutureConverters.asScala(unwrapped(stage));
    }

    /**
     * A future that completes like {@code stage} but fails with the cause rather than a
     * CompletionException.
     */
    public static <T> CompletableFuture<T> unwrapped(CompletionStage<T> stage) {
        CompletableFuture<T> unwrapped = new CompletableFuture<>();
        stage.whenComplete((value, error) -> {
            if (error == null) {
                unwrapped.complete(value);
            } else {
                unwrapped.completeExceptionally(unwrap(error));
            }
        });
        return unwrapped;
    }

    /** The cause of a CompletionException, else {@code error} itself. */
    public static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}

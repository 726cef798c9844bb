package io.lumadb.shards;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Bridges the completion stages handed out by Pekko's Java API. */
public final class Stages {

    private Stages() {}

    /**
     * A plain {@link CompletableFuture} completed on the thread that completes {@code stage}.
     *
     * <p>Pekko's Java API returns Scala's converted futures, whose {@code thenApply}, {@code
     * handle} and friends all run asynchronously on the common pool; with fewer than three CPUs
     * the JDK then starts a new thread for every continuation. Bridging once, at the boundary,
     * keeps every continuation on the actor thread that completed the reply.
     */
    public static <T> CompletableFuture<T> sameThread(CompletionStage<T> stage) {
        CompletableFuture<T> result = new CompletableFuture<>();
        stage.whenCompleteAsync(
                (value, failure) -> {
                    if (failure != null) {
                        result.completeExceptionally(failure);
                    } else {
                        result.complete(value);
                    }
                },
                Runnable::run);
        return result;
    }
}

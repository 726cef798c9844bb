package io.lumadb.cdc;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A change stream's subscription driven by its caller rather than run as a stream of its own:
 * for a transport that carries many subscriptions on one connection (the WebSocket), where a
 * materialized stream per subscription would cost many times the subscription itself.
 *
 * <p>It yields the same items, in the same order, with the same guarantees as {@link
 * ChangeStreams.Subscription#items()}: the caller asks for the next items only when it has sent
 * the last ones, so a slow connection leaves the events in the subscription's bounded buffer,
 * which overflows (an {@link StreamItem.Overflow} item) rather than slow a writer.
 */
public interface ChangeCursor {

    /**
     * The next items (an empty list is fine: ask again); null once the subscription has ended.
     * One call at a time: the next call only after this one's stage has completed. It may throw,
     * or complete exceptionally, as the stream would fail (a caller no longer allowed to read).
     */
    CompletionStage<List<StreamItem>> next();

    /**
     * Ends the subscription: it leaves the live feeds and frees its buffer; a pending answer
     * completes. Idempotent; from any thread, but not while a call of {@link #next} runs.
     */
    void close();

    /**
     * One answer of {@link #next}: its items (null once the subscription has ended), or the
     * failure it threw or completed with, unwrapped.
     */
    record Answer(List<StreamItem> items, Throwable failure) {}

    /**
     * {@link #next}, answered at once when its items are ready (the common case while catching
     * up, or with events buffered); otherwise null, and {@code later} gets the answer once it comes,
     * on whichever thread completes it.
     */
    default Answer ask(Consumer<Answer> later) {
        CompletableFuture<List<StreamItem>> next;
        try {
            next = next().toCompletableFuture();
        } catch (RuntimeException failure) {
            return new Answer(null, failure);
        }
        if (!next.isDone()) {
            next.whenComplete((items, failure) -> later.accept(new Answer(items, unwrapped(failure))));
            return null;
        }
        try {
            return new Answer(next.join(), null);
        } catch (CompletionException | CancellationException failure) {
            return new Answer(null, unwrapped(failure));
        }
    }

    private static Throwable unwrapped(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}

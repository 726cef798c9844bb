package io.lumadb.cdc;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * A {@link ChangeCursor} as a stream of its items, in one stage: the cursor is opened when the
 * stream starts (so a stream that is never run holds nothing), asked for its next items only
 * once the last ones were taken, and closed however the stream ends. One stage where a lazy
 * source, an asynchronous unfold, a flattening and a termination watcher took five: each stage
 * an idle subscription holds costs it heap for as long as it is open.
 */
final class CursorSource extends GraphStage<SourceShape<StreamItem>> {

    private final Outlet<StreamItem> out = Outlet.create("CursorSource.out");
    private final SourceShape<StreamItem> shape = SourceShape.of(out);
    private final Supplier<ChangeCursor> open;

    CursorSource(Supplier<ChangeCursor> open) {
        this.open = open;
    }

    @Override
    public SourceShape<StreamItem> shape() {
        return shape;
    }

    private record Answer(List<StreamItem> items, Throwable failure) {}

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new GraphStageLogic(shape) {
            private ChangeCursor cursor;
            private final ArrayDeque<StreamItem> pending = new ArrayDeque<>(2);
            private AsyncCallback<Answer> answered;
            private boolean asking;

            {
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        deliver();
                    }
                });
            }

            @Override
            public void preStart() {
                answered = createAsyncCallback(this::onAnswer);
                cursor = open.get();
            }

            @Override
            public void postStop() {
                if (cursor != null) {
                    cursor.close();
                }
            }

            /** Pushes a pending item, or asks the cursor for more; completes once it has ended. */
            private void deliver() {
                while (!asking && isAvailable(out)) {
                    StreamItem item = pending.pollFirst();
                    if (item != null) {
                        push(out, item);
                        return;
                    }
                    CompletableFuture<List<StreamItem>> next;
                    try {
                        next = cursor.next().toCompletableFuture();
                    } catch (RuntimeException failure) {
                        failStage(failure);
                        return;
                    }
                    if (!next.isDone()) {
                        asking = true;
                        next.whenComplete((items, failure) -> answered.invoke(new Answer(items, failure)));
                        return;
                    }
                    List<StreamItem> items;
                    try {
                        items = next.join();
                    } catch (CompletionException | java.util.concurrent.CancellationException failure) {
                        failStage(failure.getCause() != null ? failure.getCause() : failure);
                        return;
                    }
                    if (!take(items)) {
                        return;
                    }
                }
            }

            private void onAnswer(Answer answer) {
                asking = false;
                Throwable failure = answer.failure();
                if (failure != null) {
                    failStage(
                            failure instanceof CompletionException && failure.getCause() != null
                                    ? failure.getCause()
                                    : failure);
                } else if (take(answer.items())) {
                    deliver();
                }
            }

            /** Keeps {@code items}; false (and the stream completes) if the cursor has ended. */
            private boolean take(List<StreamItem> items) {
                if (items == null) {
                    completeStage();
                    return false;
                }
                pending.addAll(items);
                return true;
            }
        };
    }
}

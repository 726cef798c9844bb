package io.lumadb.cdc;

import java.util.ArrayDeque;
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

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new GraphStageLogic(shape) {
            private ChangeCursor cursor;
            private final ArrayDeque<StreamItem> pending = new ArrayDeque<>(2);
            private AsyncCallback<ChangeCursor.Answer> answered;
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
                    ChangeCursor.Answer now = cursor.ask(answered::invoke);
                    if (now == null) {
                        asking = true;
                        return;
                    }
                    if (!take(now)) {
                        return;
                    }
                }
            }

            private void onAnswer(ChangeCursor.Answer answer) {
                asking = false;
                if (take(answer)) {
                    deliver();
                }
            }

            /** Keeps the answer's items; false (and the stream ends) if the cursor ended or failed. */
            private boolean take(ChangeCursor.Answer answer) {
                if (answer.failure() != null) {
                    failStage(answer.failure());
                    return false;
                }
                if (answer.items() == null) {
                    completeStage();
                    return false;
                }
                pending.addAll(answer.items());
                return true;
            }
        };
    }
}

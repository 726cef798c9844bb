package io.lumadb.http;

import io.lumadb.cdc.ChangeCursor;
import io.lumadb.cdc.StreamItem;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * One stream stage that drives any number of {@link ChangeCursor}s into one connection's
 * outbound messages: the WebSocket's change-stream subscriptions, which as streams of their own
 * would each cost a materialized stream (some fifteen stages and their interpreter, about 20 KB)
 * where the subscription itself needs a tenth of that.
 *
 * <p>Each cursor has at most one batch of items between it and the socket: its messages are
 * sent, in order, before it is asked for more. So a slow socket leaves events in each
 * subscription's bounded buffer, which overflows on its own, and subscriptions take turns
 * (a cursor with a batch ready goes to the back of the queue after each message). A cursor's
 * messages start with {@code head} (its {@code subscribed} event) and end with a {@code closed}
 * event: {@code ended} when the subscription ended (after an {@code error} event if it failed),
 * {@code unsubscribed} when it was cancelled.
 *
 * <p>{@link #add} and {@link #cancel} may be called from any thread, before or after the stage
 * runs; every cursor is closed when it ends, when it is cancelled, or when the stage stops.
 *
 * @param <M> an outbound message
 */
final class CursorPump<M> extends GraphStage<SourceShape<M>> {

    /** The messages that end a subscription. */
    interface Ends<M> {
        /** The message of a failed subscription, sent before it closes. */
        M error(String id, Throwable failure);

        /** The last message of a subscription: {@code reason} is {@code ended} or {@code unsubscribed}. */
        M closed(String id, String reason);
    }

    private sealed interface Command {}

    /** {@code head} is an {@code M}: a nested record cannot name the stage's type parameter. */
    private record Add(String id, Object head, ChangeCursor cursor, Function<StreamItem, ?> items, Runnable onClosed)
            implements Command {}

    private record Cancel(String id, Throwable failure) implements Command {}

    private final Outlet<M> out = Outlet.create("CursorPump.out");
    private final SourceShape<M> shape = SourceShape.of(out);
    private final Ends<M> ends;
    private final ConcurrentLinkedQueue<Command> commands = new ConcurrentLinkedQueue<>();
    private volatile AsyncCallback<Void> wake;
    private boolean stopped; // guarded by commands

    CursorPump(Ends<M> ends) {
        this.ends = ends;
    }

    @Override
    public SourceShape<M> shape() {
        return shape;
    }

    /**
     * Starts sending {@code cursor}'s items, each made a message by {@code items}, as subscription
     * {@code id}, after {@code head}; {@code onClosed} runs once its {@code closed} message is
     * sent (or the stage stopped).
     */
    void add(String id, M head, ChangeCursor cursor, Function<StreamItem, M> items, Runnable onClosed) {
        synchronized (commands) {
            if (stopped) {
                cursor.close();
                onClosed.run();
                return;
            }
            commands.add(new Add(id, head, cursor, items, onClosed));
        }
        wakeUp();
    }

    /**
     * Ends subscription {@code id}: with {@code failure} null it closes as {@code unsubscribed},
     * otherwise with an error event for {@code failure}, then as {@code ended}.
     */
    void cancel(String id, Throwable failure) {
        commands.add(new Cancel(id, failure));
        wakeUp();
    }

    private void wakeUp() {
        AsyncCallback<Void> callback = wake;
        if (callback != null) {
            callback.invoke(null);
        }
    }

    /** One subscription in the pump. */
    private final class Entry {
        final String id;
        final ChangeCursor cursor;
        final Function<StreamItem, M> items;
        final Runnable onClosed;
        ArrayDeque<M> pending = new ArrayDeque<>(2);
        /** Asked for its next items, not answered yet. */
        boolean asking;
        /** Its last message is queued: it is asked for nothing more. */
        boolean ending;

        boolean queued;

        Entry(String id, ChangeCursor cursor, Function<StreamItem, M> items, Runnable onClosed) {
            this.id = id;
            this.cursor = cursor;
            this.items = items;
            this.onClosed = onClosed;
        }
    }

    /** A cursor's answer that came later; {@code entry} is an {@code Entry} (a nested record cannot name it). */
    private record Later(Object entry, ChangeCursor.Answer answer) {}

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new GraphStageLogic(shape) {
            private final Map<String, Entry> entries = new HashMap<>();
            private final ArrayDeque<Entry> ready = new ArrayDeque<>();
            private AsyncCallback<Later> answered;

            {
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        emit();
                    }
                });
            }

            @Override
            public void preStart() {
                answered = createAsyncCallback(this::onAnswer);
                wake = createAsyncCallback(v -> drainCommands());
                drainCommands(); // commands given before the stage ran
            }

            @Override
            public void postStop() {
                List<Command> left;
                synchronized (commands) {
                    stopped = true;
                    left = List.copyOf(commands);
                    commands.clear();
                }
                for (Command c : left) {
                    if (c instanceof Add add) {
                        add.cursor().close();
                        add.onClosed().run();
                    }
                }
                for (Entry e : entries.values()) {
                    if (!e.ending) {
                        e.cursor.close();
                    }
                    e.onClosed.run();
                }
                entries.clear();
                ready.clear();
            }

            @SuppressWarnings("unchecked")
            private void drainCommands() {
                Command c;
                while ((c = commands.poll()) != null) {
                    switch (c) {
                        case Add add -> {
                            Entry e = new Entry(
                                    add.id(), add.cursor(), (Function<StreamItem, M>) add.items(), add.onClosed());
                            Entry earlier = entries.put(add.id(), e);
                            if (earlier != null) { // the session keeps ids unique; never here
                                finish(earlier);
                            }
                            e.pending.add((M) add.head());
                            enqueue(e);
                            ask(e);
                        }
                        case Cancel cancel -> {
                            Entry e = entries.get(cancel.id());
                            if (e != null && !e.ending) {
                                end(e, cancel.failure(), cancel.failure() == null ? "unsubscribed" : "ended");
                            }
                        }
                    }
                }
                emit();
            }

            /** Asks {@code e} for its next items unless it has some to send or was asked already. */
            private void ask(Entry e) {
                while (!e.asking && !e.ending && e.pending.isEmpty()) {
                    ChangeCursor.Answer now = e.cursor.ask(answer -> answered.invoke(new Later(e, answer)));
                    if (now == null) {
                        e.asking = true;
                        return;
                    }
                    take(e, now);
                }
            }

            @SuppressWarnings("unchecked")
            private void onAnswer(Later later) {
                Entry e = (Entry) later.entry();
                e.asking = false;
                if (entries.get(e.id) != e || e.ending) {
                    return; // ended meanwhile: its cursor is closed
                }
                take(e, later.answer());
                ask(e);
                emit();
            }

            /** Turns one answer of {@code e}'s cursor into its messages. */
            private void take(Entry e, ChangeCursor.Answer answer) {
                if (answer.failure() != null) {
                    end(e, answer.failure(), "ended");
                } else if (answer.items() == null) {
                    end(e, null, "ended");
                } else if (!answer.items().isEmpty()) {
                    for (StreamItem item : answer.items()) {
                        e.pending.add(e.items.apply(item));
                    }
                    enqueue(e);
                }
            }

            /** Queues {@code e}'s last messages and closes its cursor: nothing more comes from it. */
            private void end(Entry e, Throwable failure, String reason) {
                e.ending = true;
                e.cursor.close();
                if (failure != null) {
                    e.pending.add(ends.error(e.id, failure));
                }
                e.pending.add(ends.closed(e.id, reason));
                enqueue(e);
            }

            private void enqueue(Entry e) {
                if (!e.queued && !e.pending.isEmpty()) {
                    e.queued = true;
                    ready.addLast(e);
                }
            }

            /** Sends one message if the socket wants one; each subscription in turn. */
            private void emit() {
                if (!isAvailable(out)) {
                    return;
                }
                Entry e = ready.pollFirst();
                if (e == null) {
                    return;
                }
                e.queued = false;
                M message = e.pending.pollFirst();
                if (!e.pending.isEmpty()) {
                    enqueue(e);
                } else if (e.ending) {
                    finish(e);
                } else {
                    ask(e);
                }
                push(out, message);
            }

            /** {@code e}'s last message is sent (or it was replaced): it leaves the pump. */
            private void finish(Entry e) {
                entries.remove(e.id, e);
                if (!e.ending) {
                    e.cursor.close();
                }
                e.onClosed.run();
            }
        };
    }
}

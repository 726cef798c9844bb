package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lumadb.cdc.ChangeCursor;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.cdc.StreamItem;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pump that carries a WebSocket's change-stream subscriptions: each subscription's messages
 * in order from {@code subscribed} to {@code closed}, no cursor asked for more than the socket
 * took, subscriptions taking turns, and every cursor closed however it ends.
 */
class CursorPumpTest {

    private static ActorSystem system;

    @BeforeAll
    static void start() {
        system = ActorSystem.create("CursorPumpTest");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    /** A cursor of our own: answers from a script of batches, counting what it was asked. */
    private static class ScriptedCursor implements ChangeCursor {
        final ArrayDeque<CompletableFuture<List<StreamItem>>> answers = new ArrayDeque<>();
        final AtomicInteger asked = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        volatile CompletableFuture<List<StreamItem>> waiting;

        /** Batches of {@code n} items numbered from {@code first}, answered at once. */
        ScriptedCursor batch(int first, int n) {
            List<StreamItem> items = new ArrayList<>();
            for (int i = first; i < first + n; i++) {
                items.add(item(i));
            }
            answers.add(CompletableFuture.completedFuture(items));
            return this;
        }

        ScriptedCursor end() {
            answers.add(CompletableFuture.completedFuture(null));
            return this;
        }

        @Override
        public synchronized CompletionStage<List<StreamItem>> next() {
            asked.incrementAndGet();
            CompletableFuture<List<StreamItem>> answer = answers.poll();
            if (answer == null) { // nothing scripted: wait, as an idle subscription does
                waiting = new CompletableFuture<>();
                return waiting;
            }
            return answer;
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }
    }

    private static StreamItem item(int n) {
        return new StreamItem.Heartbeat(new ResumeToken(1, new long[] {n}, new int[] {0}));
    }

    private static String render(String id, StreamItem item) {
        return id + ":" + item.position().seqs()[0];
    }

    private static CursorPump<String> pump() {
        return new CursorPump<>(new CursorPump.Ends<>() {
            @Override
            public String error(String id, Throwable failure) {
                return id + ":error:" + failure.getMessage();
            }

            @Override
            public String closed(String id, String reason) {
                return id + ":closed:" + reason;
            }
        });
    }

    private static SinkQueueWithCancel<String> run(CursorPump<String> pump) {
        // A sink that holds one message ahead, so that what the pump sends is what was taken plus one.
        return Source.fromGraph(pump)
                .runWith(Sink.<String>queue().withAttributes(Attributes.inputBuffer(1, 1)), system);
    }

    private static String pull(SinkQueueWithCancel<String> queue) throws Exception {
        Optional<String> next = queue.pull().toCompletableFuture().get(5, TimeUnit.SECONDS);
        return next.orElseThrow();
    }

    @Test
    void aSubscriptionSendsItsHeadItsItemsInOrderAndClosesWhenItsCursorEnds() throws Exception {
        CursorPump<String> pump = pump();
        SinkQueueWithCancel<String> queue = run(pump);
        ScriptedCursor cursor = new ScriptedCursor().batch(1, 3).batch(4, 2).end();
        CompletableFuture<Void> onClosed = new CompletableFuture<>();
        pump.add("a", "a:subscribed", cursor, item -> render("a", item), () -> onClosed.complete(null));
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            got.add(pull(queue));
        }
        assertEquals(List.of("a:subscribed", "a:1", "a:2", "a:3", "a:4", "a:5", "a:closed:ended"), got);
        onClosed.get(5, TimeUnit.SECONDS);
        assertEquals(1, cursor.closed.get(), "the ended cursor is closed");
        queue.cancel();
    }

    @Test
    void aCursorIsAskedForMoreOnlyOnceItsLastItemsWereTaken() throws Exception {
        CursorPump<String> pump = pump();
        SinkQueueWithCancel<String> queue = run(pump);
        ScriptedCursor cursor = new ScriptedCursor();
        for (int b = 0; b < 100; b++) {
            cursor.batch(b * 10, 10);
        }
        pump.add("a", "a:subscribed", cursor, item -> render("a", item), () -> {});
        assertEquals("a:subscribed", pull(queue));
        assertEquals("a:0", pull(queue));
        Thread.sleep(300); // the socket takes nothing more for a while
        assertEquals(1, cursor.asked.get(), "the first batch is not all taken: the cursor must not be asked again");
        for (int i = 1; i < 25; i++) {
            assertEquals("a:" + i, pull(queue));
        }
        Thread.sleep(300);
        // Items 0-25 sent (25 taken, one held by the sink): three batches of ten, of the hundred scripted.
        assertEquals(3, cursor.asked.get());
        queue.cancel();
    }

    @Test
    void subscriptionsWithItemsReadyTakeTurns() throws Exception {
        CursorPump<String> pump = pump();
        ScriptedCursor a = new ScriptedCursor().batch(1, 5);
        ScriptedCursor b = new ScriptedCursor().batch(1, 5);
        // Both added before the stage runs: the commands wait for it.
        pump.add("a", "a:subscribed", a, item -> render("a", item), () -> {});
        pump.add("b", "b:subscribed", b, item -> render("b", item), () -> {});
        SinkQueueWithCancel<String> queue = run(pump);
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            got.add(pull(queue));
        }
        assertEquals(
                List.of(
                        "a:subscribed",
                        "b:subscribed",
                        "a:1",
                        "b:1",
                        "a:2",
                        "b:2",
                        "a:3",
                        "b:3",
                        "a:4",
                        "b:4",
                        "a:5",
                        "b:5"),
                got);
        queue.cancel();
    }

    @Test
    void aCancelledSubscriptionClosesAsUnsubscribedAndAFailedOneSaysWhyFirst() throws Exception {
        CursorPump<String> pump = pump();
        SinkQueueWithCancel<String> queue = run(pump);
        ScriptedCursor idle = new ScriptedCursor();
        ScriptedCursor revoked = new ScriptedCursor();
        pump.add("i", "i:subscribed", idle, item -> render("i", item), () -> {});
        assertEquals("i:subscribed", pull(queue));
        pump.add("r", "r:subscribed", revoked, item -> render("r", item), () -> {});
        assertEquals("r:subscribed", pull(queue));
        pump.cancel("i", null);
        assertEquals("i:closed:unsubscribed", pull(queue));
        pump.cancel("r", new IllegalStateException("gone"));
        assertEquals("r:error:gone", pull(queue));
        assertEquals("r:closed:ended", pull(queue));
        assertEquals(1, idle.closed.get());
        assertEquals(1, revoked.closed.get());
        // A waiting cursor that answers after it was cancelled sends nothing more.
        idle.waiting.complete(List.of(item(9)));
        pump.add("j", "j:subscribed", new ScriptedCursor().end(), item -> render("j", item), () -> {});
        assertEquals("j:subscribed", pull(queue));
        assertEquals("j:closed:ended", pull(queue));
        queue.cancel();
    }

    @Test
    void aCursorThatFailsEndsWithAnErrorAndTheOthersGoOn() throws Exception {
        CursorPump<String> pump = pump();
        SinkQueueWithCancel<String> queue = run(pump);
        ScriptedCursor failing = new ScriptedCursor() {
            @Override
            public synchronized CompletionStage<List<StreamItem>> next() {
                throw new IllegalStateException("broken");
            }
        };
        pump.add("f", "f:subscribed", failing, item -> render("f", item), () -> {});
        assertEquals("f:subscribed", pull(queue));
        assertEquals("f:error:broken", pull(queue));
        assertEquals("f:closed:ended", pull(queue));
        ScriptedCursor later = new ScriptedCursor();
        pump.add("g", "g:subscribed", later, item -> render("g", item), () -> {});
        assertEquals("g:subscribed", pull(queue));
        later.waiting.complete(List.of(item(1)));
        assertEquals("g:1", pull(queue));
        queue.cancel();
    }

    @Test
    void everyCursorIsClosedWhenTheConnectionEndsAndOneAddedAfterIsClosedAtOnce() throws Exception {
        CursorPump<String> pump = pump();
        SinkQueueWithCancel<String> queue = run(pump);
        ScriptedCursor open = new ScriptedCursor();
        AtomicInteger closedCallbacks = new AtomicInteger();
        pump.add("a", "a:subscribed", open, item -> render("a", item), closedCallbacks::incrementAndGet);
        assertEquals("a:subscribed", pull(queue));
        queue.cancel();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (open.closed.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, open.closed.get(), "the connection's end closes its cursors");
        assertEquals(1, closedCallbacks.get());
        ScriptedCursor late = new ScriptedCursor();
        pump.add("b", "b:subscribed", late, item -> render("b", item), closedCallbacks::incrementAndGet);
        assertEquals(1, late.closed.get(), "a cursor given to a stopped pump is closed at once");
        assertEquals(2, closedCallbacks.get());
    }
}

package io.lumadb.security.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The queue in front of the audit collection, with a fake sink in its place. */
@Timeout(30)
class AuditWriterTest {

    /** A sink that keeps every batch; it fails while {@code failing}, and can hold a write open. */
    private static final class FakeSink implements AuditWriter.Sink {
        final List<List<AuditWriter.Entry>> batches = new ArrayList<>();
        boolean failing;
        CompletableFuture<Void> gate;

        @Override
        public synchronized CompletionStage<?> write(List<AuditWriter.Entry> entries) {
            if (failing) {
                return CompletableFuture.failedFuture(new IllegalStateException("shard unavailable"));
            }
            batches.add(List.copyOf(entries));
            return gate == null ? CompletableFuture.completedFuture(null) : gate;
        }

        synchronized List<String> ids() {
            return batches.stream()
                    .flatMap(List::stream)
                    .map(AuditWriter.Entry::id)
                    .toList();
        }
    }

    private static AuditEvent event(int n) {
        return new AuditEvent(1_000 + n, AuditEvent.Kind.LOGIN, null, null, Map.of("n", n));
    }

    private static void flush(AuditWriter writer) throws Exception {
        writer.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void queuedEntriesGoOutInBulkWritesOfAtMostMaxBatchInOrder() throws Exception {
        FakeSink sink = new FakeSink();
        AuditWriter writer = new AuditWriter(new AuditEntries("n:1"), 100, 10, sink);
        for (int i = 0; i < 25; i++) {
            writer.record(event(i));
        }
        assertEquals(List.of(), sink.ids(), "record only queues");
        flush(writer);
        assertEquals(List.of(10, 10, 5), sink.batches.stream().map(List::size).toList());
        List<String> ids = sink.ids();
        assertEquals(25, ids.size());
        assertEquals(ids.stream().sorted().toList(), ids, "written in time order");
        assertEquals(25, writer.written());
        assertEquals(0, writer.queued());
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        FakeSink sink = new FakeSink();
        AuditWriter writer = new AuditWriter(new AuditEntries("n:1"), 5, 100, sink);
        long start = System.nanoTime();
        for (int i = 0; i < 8; i++) {
            writer.record(event(i));
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "never waits");
        assertEquals(3, writer.dropped());
        flush(writer);
        assertEquals(5, sink.ids().size(), "the first five were kept");
    }

    @Test
    void aFailedWriteIsRetriedWholeBeforeNewerEntries() throws Exception {
        FakeSink sink = new FakeSink();
        AuditWriter writer = new AuditWriter(new AuditEntries("n:1"), 100, 100, sink);
        writer.record(event(1));
        writer.record(event(2));
        sink.failing = true;
        flush(writer);
        assertEquals(2, writer.queued(), "kept for the next flush");
        writer.record(event(3));
        sink.failing = false;
        flush(writer);
        assertEquals(List.of(2, 1), sink.batches.stream().map(List::size).toList());
        assertEquals(3, writer.written());
        assertEquals(0, writer.dropped());
    }

    @Test
    void oneWriteAtATime() throws Exception {
        FakeSink sink = new FakeSink();
        sink.gate = new CompletableFuture<>();
        AuditWriter writer = new AuditWriter(new AuditEntries("n:1"), 100, 100, sink);
        writer.record(event(1));
        CompletionStage<Void> first = writer.flush();
        writer.record(event(2));
        writer.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(1, sink.batches.size(), "a flush while one write is in flight does nothing");
        sink.gate.complete(null);
        first.toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(
                List.of(1, 1), sink.batches.stream().map(List::size).toList(), "the in-flight flush drained the rest");
    }
}

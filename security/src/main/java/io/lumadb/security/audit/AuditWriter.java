package io.lumadb.security.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log's write side: events go into a bounded queue at once (a request never waits for
 * the audit log, and never fails because of it), and {@link #flush} (every {@code
 * flush-interval}) writes what has queued up as one bulk write to a {@link Sink}.
 *
 * <p>Nothing is lost quietly: a write that fails is retried, whole, on the next flush; when the
 * queue is full, the event is dropped, counted ({@link #dropped}, the metric {@code
 * lumadb_audit_dropped_events}) and logged at WARN with its summary, so that the node's log
 * still has it.
 */
public final class AuditWriter implements AuditLog {

    private static final Logger log = LoggerFactory.getLogger(AuditWriter.class);

    /** An event with the id of its document. */
    public record Entry(String id, AuditEvent event) {}

    /** Where batches go: the {@code system/audit} collection, or a test's list. */
    @FunctionalInterface
    public interface Sink {
        /** Writes the entries; the stage fails if they are not all durable. */
        CompletionStage<?> write(List<Entry> entries);
    }

    private final AuditEntries entries;
    private final int maxBatch;
    private final Sink sink;
    private final ArrayBlockingQueue<Entry> queue;
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    /** A batch whose write failed, to be written again before anything newer. Only the flushing thread touches it. */
    private volatile List<Entry> retry;

    private boolean failing;

    public AuditWriter(AuditEntries entries, int queueSize, int maxBatch, Sink sink) {
        this.entries = entries;
        this.maxBatch = maxBatch;
        this.sink = sink;
        this.queue = new ArrayBlockingQueue<>(queueSize);
    }

    @Override
    public void record(AuditEvent event) {
        Entry entry = new Entry(entries.nextId(event.timeMillis()), event);
        if (!queue.offer(entry)) {
            long n = dropped.incrementAndGet();
            log.warn(
                    "Audit log queue full: dropped entry {} (dropped {} since start): {}",
                    entry.id(),
                    n,
                    event.summary());
        }
    }

    /**
     * Writes what is queued, in batches of {@code max-batch}, one after the other; does nothing
     * while a write is in flight. The stage completes when the queue is drained or a write failed.
     */
    public CompletionStage<Void> flush() {
        if (!writing.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        return writeNext().whenComplete((v, e) -> writing.set(false));
    }

    private CompletionStage<Void> writeNext() {
        List<Entry> batch = retry;
        if (batch == null) {
            batch = new ArrayList<>(Math.min(maxBatch, queue.size()));
            queue.drainTo(batch, maxBatch);
        }
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<Entry> sent = batch;
        CompletionStage<?> write;
        try {
            write = sink.write(sent);
        } catch (RuntimeException e) {
            write = CompletableFuture.failedFuture(e);
        }
        return write.handle((ok, failure) -> {
                    if (failure != null) {
                        retry = sent;
                        if (!failing) {
                            failing = true;
                            log.warn(
                                    "Could not write {} audit log entries (retrying every flush): {}",
                                    sent.size(),
                                    failure.toString());
                        }
                        return false;
                    }
                    retry = null;
                    written.addAndGet(sent.size());
                    if (failing) {
                        failing = false;
                        log.info("Audit log entries are written again");
                    }
                    return true;
                })
                .thenCompose(ok -> ok && !queue.isEmpty() ? writeNext() : CompletableFuture.completedFuture(null));
    }

    /** Events dropped because the queue was full, since the node started. */
    public long dropped() {
        return dropped.get();
    }

    /** Entries written, since the node started. */
    public long written() {
        return written.get();
    }

    /** Events waiting to be written (a failed batch included). */
    public int queued() {
        List<Entry> r = retry;
        return queue.size() + (r == null ? 0 : r.size());
    }
}

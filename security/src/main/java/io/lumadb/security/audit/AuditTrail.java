package io.lumadb.security.audit;

import io.lumadb.shards.Catalog;
import io.lumadb.shards.Documents;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's audit log: the collection {@code system/audit} (created at start if missing), the
 * {@link AuditWriter} that fills it through the shards' ordinary write path, and retention.
 *
 * <p>Retention deletes entries older than {@code retention} by id: ids start with their time
 * ({@link AuditEntries}), so the oldest entries are the first page of {@code _docs}; a run
 * deletes at most {@code retention-batch} of them, and the next run goes on. Every node runs it;
 * a delete that another node already did finds nothing, which is harmless.
 */
public final class AuditTrail {

    private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);

    private final AuditSettings settings;
    private final Documents documents;
    private final int pageSize;
    private final AuditEntries entries;
    private final AuditWriter writer;
    private final AtomicBoolean pruning = new AtomicBoolean();
    private final CompletableFuture<Void> collectionReady = new CompletableFuture<>();

    private AuditTrail(AuditSettings settings, Catalog catalog, Documents documents, String node) {
        this.settings = settings;
        this.documents = documents;
        this.pageSize = Math.min(settings.retentionBatch(), catalog.settings().maxListLimit());
        this.entries = new AuditEntries(node);
        this.writer = new AuditWriter(entries, settings.queueSize(), settings.maxBatch(), this::write);
    }

    /**
     * Starts the audit log of this node: creates {@code system/audit} if missing (in the
     * background, retried until the catalog answers; entries queue meanwhile), writes the queue
     * every {@code flush-interval}, prunes every {@code retention-interval}, and writes what is
     * left when the node stops.
     */
    public static AuditTrail start(
            ActorSystem<?> system, AuditSettings settings, Catalog catalog, Documents documents) {
        var address = Cluster.get(system).selfMember().address();
        String node =
                address.host().getOrElse(() -> "local") + ":" + address.port().getOrElse(() -> 0);
        AuditTrail trail = new AuditTrail(settings, catalog, documents, node);
        ensureCollection(system, catalog, trail.collectionReady, 1);
        system.scheduler()
                .scheduleWithFixedDelay(
                        settings.flushInterval(),
                        settings.flushInterval(),
                        () -> trail.writer.flush(),
                        system.executionContext());
        if (!settings.retention().isZero()) {
            system.scheduler()
                    .scheduleWithFixedDelay(
                            settings.retentionInterval(),
                            settings.retentionInterval(),
                            () -> trail.prune(System.currentTimeMillis()).exceptionally(e -> {
                                Throwable cause = e.getCause() != null ? e.getCause() : e;
                                if (cause instanceof io.lumadb.shards.NotFoundException) {
                                    // system/audit is still being created: nothing to prune yet.
                                    log.debug("Audit log retention: {}", cause.getMessage());
                                } else {
                                    log.warn(
                                            "Audit log retention run failed (the next run tries again): {}",
                                            e.toString());
                                }
                                return 0;
                            }),
                            system.executionContext());
        }
        CoordinatedShutdown.get(Adapter.toClassic(system))
                .addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "lumadb-audit-flush", () -> trail.writer
                        .flush()
                        .toCompletableFuture()
                        .completeOnTimeout(null, 5, TimeUnit.SECONDS)
                        .handle((v, e) -> Done.getInstance()));
        return trail;
    }

    private static void ensureCollection(
            ActorSystem<?> system, Catalog catalog, CompletableFuture<Void> ready, int attempt) {
        // Both are idempotent: an existing database or collection is left as it is.
        catalog.createDatabase(AuditLog.DATABASE)
                .thenCompose(r -> catalog.createCollection(AuditLog.DATABASE, AuditLog.COLLECTION, 0))
                .whenComplete((ok, failure) -> {
                    if (failure == null) {
                        ready.complete(null);
                        return;
                    }
                    Duration pause = Duration.ofSeconds(Math.min(30, attempt));
                    if (attempt == 1 || attempt % 10 == 0) {
                        log.warn(
                                "Could not create the audit log collection {}/{} yet (retrying in {}): {}",
                                AuditLog.DATABASE,
                                AuditLog.COLLECTION,
                                pause,
                                failure.toString());
                    }
                    system.scheduler()
                            .scheduleOnce(
                                    pause,
                                    () -> ensureCollection(system, catalog, ready, attempt + 1),
                                    system.executionContext());
                });
    }

    /**
     * Completes once {@code system/audit} exists, so that a node can wait for it before it
     * answers requests and a query of the audit log never finds it missing. Never fails: the
     * creation is retried until it succeeds.
     */
    public CompletionStage<Void> collectionReady() {
        return collectionReady;
    }

    /** Where this node's events go. */
    public AuditLog log() {
        return writer;
    }

    /** The writer, for its counts (metrics). */
    public AuditWriter writer() {
        return writer;
    }

    private CompletionStage<?> write(List<AuditWriter.Entry> batch) {
        List<DocumentWrite> puts = new ArrayList<>(batch.size());
        for (AuditWriter.Entry e : batch) {
            puts.add(DocumentWrite.put(e.id(), entries.bytes(e.event()), DocumentWrite.ANY));
        }
        return documents.writeAll(AuditLog.DATABASE, AuditLog.COLLECTION, puts).thenAccept(outcomes -> {
            for (WriteOutcome o : outcomes) {
                if (!o.status().succeeded()) {
                    log.warn("Audit log entry {} was not written: {}", o.id(), o.status());
                }
            }
        });
    }

    /**
     * Deletes entries older than {@code retention} before {@code nowMillis}, at most {@code
     * retention-batch} in this run; completes with how many it deleted.
     */
    public CompletionStage<Integer> prune(long nowMillis) {
        if (settings.retention().isZero() || !pruning.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(0);
        }
        String firstKept =
                AuditEntries.firstIdAt(nowMillis - settings.retention().toMillis());
        return pruneFrom(firstKept, 0).whenComplete((n, e) -> {
            pruning.set(false);
            if (n != null && n > 0) {
                log.info("Audit log retention deleted {} entries older than {}", n, settings.retention());
            }
        });
    }

    private CompletionStage<Integer> pruneFrom(String firstKept, int deleted) {
        int limit = Math.min(pageSize, settings.retentionBatch() - deleted);
        if (limit <= 0) {
            return CompletableFuture.completedFuture(deleted);
        }
        return documents
                .list(AuditLog.DATABASE, AuditLog.COLLECTION, null, limit)
                .thenCompose(page -> {
                    List<DocumentWrite> deletes = new ArrayList<>();
                    for (StoredDocument d : page.documents()) {
                        // Ids sort by time, so the first id at or after the cut ends the old entries.
                        if (d.id().compareTo(firstKept) >= 0) {
                            break;
                        }
                        deletes.add(DocumentWrite.delete(d.id(), DocumentWrite.ANY));
                    }
                    if (deletes.isEmpty()) {
                        return CompletableFuture.completedFuture(deleted);
                    }
                    boolean more = deletes.size() == page.documents().size() && page.next() != null;
                    return documents
                            .writeAll(AuditLog.DATABASE, AuditLog.COLLECTION, deletes)
                            .thenCompose(outcomes -> more
                                    ? pruneFrom(firstKept, deleted + deletes.size())
                                    : CompletableFuture.completedFuture(deleted + deletes.size()));
                });
    }
}

package io.lumadb.vector;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.shard.ShardEvents;
import io.lumadb.shards.store.IndexState;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.vector.index.SearchIndexException;
import io.lumadb.vector.index.ShardSearchIndex;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One search index of one shard as the node runs it: its Lucene index ({@link
 * ShardSearchIndex}), fed in the shard's sequence order through a {@link SerialQueue} on the
 * search dispatcher, and its life (opening, catching up, building, ready).
 *
 * <p>Every change the shard applies is queued here under the store's lock, in the order the
 * store applied it, so the index sees exactly the shard's sequence of changes. On opening, an
 * index that was completely built and committed at sequence number {@code S} while the store
 * is at {@code A > S} reads events {@code S+1..A} from the shard's journal (the source of
 * truth); an index that is new, was never completely built, or whose events are gone from the
 * journal, is emptied and built from the store's documents: in steps of {@code build-chunk}
 * documents, each a task of the queue, so that the shard's changes interleave with the build.
 * A build step reads the store inside its task, so a change queued after it is applied after
 * it, and one queued before it is already in what it reads.
 *
 * <p>Each commit records the applied sequence number ({@code lumadb.seq}) and whether the build
 * had finished ({@code lumadb.built}), so a crash at any point is followed by an exact catch-up
 * or a fresh build, never by an index that silently misses documents.
 */
final class ShardIndex {

    private static final Logger log = LoggerFactory.getLogger(ShardIndex.class);

    /** Commit data: whether the index holds every document of the shard as of its sequence number. */
    static final String BUILT = "lumadb.built";

    private final SearchNode node;
    private final ShardStore store;
    private final IndexDefinition definition;
    private final Path directory;
    private final SerialQueue queue;
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final java.util.function.Function<byte[], String> validator;

    /** Written only by queue tasks; read by anyone. */
    private volatile ShardSearchIndex index;

    private volatile IndexState.Phase phase = IndexState.Phase.BUILDING;
    private volatile long indexed;
    private volatile String failure;
    private volatile boolean closed;
    private volatile boolean refreshQueued;
    private volatile boolean commitQueued;
    private boolean built;
    private boolean builtCommitted;
    private String buildAfter;

    private ShardIndex(SearchNode node, ShardStore store, IndexDefinition definition) {
        this.node = node;
        this.store = store;
        this.definition = definition;
        this.directory = node.directory(store.name(), definition.id());
        this.queue = new SerialQueue(store.name() + "/" + definition.name(), node.executor());
        this.validator = ShardSearchIndex.validator(definition);
    }

    /**
     * Opens (in the background) the index of {@code definition} for {@code store}, whose applied
     * sequence number is {@code storeSeq} now; the caller holds the store's lock, so every
     * change after {@code storeSeq} is queued behind the opening.
     */
    static ShardIndex open(SearchNode node, ShardStore store, IndexDefinition definition, long storeSeq) {
        ShardIndex opened = new ShardIndex(node, store, definition);
        opened.queue.run("opening", () -> opened.openAt(storeSeq));
        return opened;
    }

    IndexDefinition definition() {
        return definition;
    }

    /** Completes once the index is open and caught up (or its build has started). */
    CompletableFuture<Void> opened() {
        return opened;
    }

    /** The open Lucene index; only after {@link #opened()} completed. */
    ShardSearchIndex index() {
        return index;
    }

    /** The index's state as the shard reports it. */
    IndexState state() {
        IndexState.Phase p = phase;
        ShardSearchIndex open = index;
        IndexState.SearchProgress progress = open == null || !opened.isDone()
                ? null
                : new IndexState.SearchProgress(
                        open.appliedSeq(), open.visibleSeq(), open.committedSeq(), open.documentCount());
        return new IndexState(
                definition,
                p,
                p == IndexState.Phase.READY ? store.meta().documentCount() : indexed,
                false,
                failure,
                progress);
    }

    /** Why {@code json} cannot go into this index, or null. */
    String problem(byte[] json) {
        return validator.apply(json);
    }

    // ---- the queue's tasks

    private void openAt(long storeSeq) {
        try {
            try {
                index = ShardSearchIndex.open(directory, definition);
            } catch (IllegalStateException | SearchIndexException e) {
                // Another index's files, or damaged ones: the shard's documents rebuild it.
                log.warn(
                        "Search index {}/{} cannot be opened ({}); deleting it to build it anew",
                        store.name(),
                        definition.name(),
                        e.getMessage());
                ShardSearchIndex.delete(directory);
                index = ShardSearchIndex.open(directory, definition);
            }
            Map<String, String> data = index.commitData();
            boolean wasBuilt = "true".equals(data.get(BUILT));
            long committed = index.committedSeq();
            if (!wasBuilt) {
                startBuild(storeSeq, committed == 0 ? "new" : "its build had not finished");
            } else if (committed < storeSeq) {
                catchUp(committed, storeSeq);
            } else {
                built = true;
                builtCommitted = true;
                phase = IndexState.Phase.READY;
            }
            node.register(this);
            opened.complete(null);
        } catch (RuntimeException e) {
            fail("cannot open the index: " + e.getMessage(), e);
        }
    }

    /** Applies the journal's events {@code after+1..to}; rebuilds if some are gone. */
    private void catchUp(long after, long to) {
        long start = System.nanoTime();
        long reached;
        try {
            reached = node.replay(
                            ShardEvents.persistenceId(store.name()),
                            after,
                            to,
                            (seq, changes) -> index.apply(seq, changes))
                    .toCompletableFuture()
                    .get(node.settings().timeout().toMillis() * 6, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn(
                    "Search index {}/{}: cannot read the journal to catch up ({}); rebuilding it",
                    store.name(),
                    definition.name(),
                    e.toString());
            startBuild(to, "its catch-up failed");
            return;
        }
        if (reached < to) {
            startBuild(to, "the journal no longer holds events " + (reached + 1) + ".." + to);
            return;
        }
        built = true;
        builtCommitted = true;
        phase = IndexState.Phase.READY;
        log.info(
                "Search index {}/{} caught up from event {} to {} in {} ms",
                store.name(),
                definition.name(),
                after,
                to,
                (System.nanoTime() - start) / 1_000_000);
    }

    /** Empties the index at {@code seq} and builds it from the store's documents. */
    private void startBuild(long seq, String why) {
        log.info("Search index {}/{} is built from the shard's documents ({})", store.name(), definition.name(), why);
        index.reset(seq);
        built = false;
        builtCommitted = false;
        buildAfter = null;
        indexed = 0;
        phase = IndexState.Phase.BUILDING;
        guarded("building", this::buildStep);
    }

    private void buildStep() {
        if (closed || built || phase == IndexState.Phase.FAILED) {
            return;
        }
        int chunk = node.settings().buildChunk();
        List<StoredDocument> page = store.list(buildAfter, chunk);
        index.index(page);
        indexed += page.size();
        if (page.size() < chunk) {
            // Ready only once searches see the whole build.
            built = true;
            commit();
            index.refresh();
            phase = IndexState.Phase.READY;
            log.info("Search index {}/{} is built: {} documents", store.name(), definition.name(), indexed);
            return;
        }
        buildAfter = page.getLast().id();
        guarded("building", this::buildStep);
    }

    /** Queues the changes of event {@code seq}; the caller holds the store's lock. */
    void applied(long seq, List<DocumentChange> changes) {
        guarded("applying event " + seq, () -> index.apply(seq, changes));
    }

    /**
     * Queues a change to the index that runs only while it is open and sound; one that fails
     * leaves the index {@link IndexState.Phase#FAILED}: it is then neither changed nor searched
     * (searches answer that it failed), since an index that missed a change would return wrong
     * answers silently. A restart catches it up from its last commit, or dropping and creating
     * it again rebuilds it.
     */
    private void guarded(String what, Runnable change) {
        queue.run(what, () -> {
            if (index == null || closed || phase == IndexState.Phase.FAILED) {
                return;
            }
            try {
                change.run();
            } catch (RuntimeException e) {
                fail(what + " failed: " + e.getMessage(), e);
            }
        });
    }

    /** Why the index cannot answer searches, or null when it can. */
    String unusable() {
        return phase == IndexState.Phase.FAILED
                ? "search index '" + definition.name() + "' on shard " + store.name() + " failed (" + failure
                        + "); restart the node to catch it up, or drop and create it again"
                : null;
    }

    /** The store was replaced by a snapshot image at {@code seq}: build again from its documents. */
    void installed(long seq) {
        queue.run("rebuilding", () -> {
            if (index != null && !closed) {
                failure = null;
                startBuild(seq, "the shard's store was replaced by a snapshot image");
            }
        });
    }

    /** Makes every change queued so far searchable, unless that is already so. */
    void refreshIfBehind() {
        if (index == null || refreshQueued || index.visibleSeq() >= index.appliedSeq()) {
            return;
        }
        refreshQueued = true;
        queue.run("refreshing", () -> {
            refreshQueued = false;
            if (!closed) {
                index.refresh();
            }
        });
    }

    /** Completes once every change up to {@code seq} is searchable. */
    CompletableFuture<Void> awaitVisible(long seq) {
        return queue.submit(() -> {
            if (!closed && index != null && index.visibleSeq() < seq) {
                index.refresh();
            }
            return null;
        });
    }

    /** Commits if something changed since the last commit. */
    void commitIfChanged() {
        if (index == null || commitQueued || (index.committedSeq() >= index.appliedSeq() && built == builtCommitted)) {
            return;
        }
        commitQueued = true;
        queue.run("committing", () -> {
            commitQueued = false;
            if (!closed) {
                commit();
            }
        });
    }

    private void commit() {
        index.commit(Map.of(BUILT, Boolean.toString(built)));
        builtCommitted = built;
    }

    /** Commits and closes the index, waiting for the queue; with {@code delete}, removes its files. */
    void close(boolean delete) {
        node.unregister(this);
        CompletableFuture<Void> done = queue.submit(() -> {
            closed = true;
            if (index != null) {
                try {
                    if (!delete) {
                        commit();
                    }
                } finally {
                    index.close();
                }
            }
            if (delete) {
                ShardSearchIndex.delete(directory);
            }
            return null;
        });
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("Search index {}/{} did not close cleanly: {}", store.name(), definition.name(), e.toString());
        }
    }

    private void fail(String why, Throwable e) {
        log.error("Search index {}/{}: {}", store.name(), definition.name(), why, e);
        failure = why;
        phase = IndexState.Phase.FAILED;
        opened.completeExceptionally(new IllegalStateException(
                "search index '" + definition.name() + "' on shard " + store.name() + " failed: " + why));
    }
}

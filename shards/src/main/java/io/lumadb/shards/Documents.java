package io.lumadb.shards;

import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.shards.shard.LocalShards;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.shards.store.ShardMeta;
import io.lumadb.shards.store.ShardStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Document operations on collections: routes each document to the shard that owns its id
 * (FNV-1a hash of the UTF-8 id modulo the shard count), fans listings and statistics out to
 * every shard and merges them.
 */
public final class Documents {

    /** A page of a listing; {@code next} is the cursor of the following page, or null at the end. */
    public record Page(List<StoredDocument> documents, String next) {}

    /** Statistics of a collection, summed over its shards. */
    public record CollectionStats(CollectionInfo collection, long documentCount, List<ShardMeta> shards) {}

    /** Pause before a request a shard did not answer is sent again. */
    private static final java.time.Duration RESEND_PAUSE = java.time.Duration.ofMillis(100);

    private static final java.util.concurrent.Executor RESEND_DELAY =
            CompletableFuture.delayedExecutor(RESEND_PAUSE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);

    private static final Comparator<String> UTF8_ORDER =
            (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private final ActorSystem<?> system;
    private final Catalog catalog;
    private final ShardsSettings settings;
    private final LocalShards local;

    Documents(ActorSystem<?> system, Catalog catalog, LocalShards local) {
        this.system = system;
        this.catalog = catalog;
        this.settings = catalog.settings();
        this.local = local;
    }

    /** The shard of {@code id} among {@code shards}: stable across versions and nodes. */
    public static int shardOf(String id, int shards) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return (int) Math.floorMod(hash ^ (hash >>> 32), (long) shards);
    }

    /** One write. */
    public CompletionStage<WriteOutcome> write(String database, String collection, DocumentWrite write) {
        return writeAll(database, collection, List.of(write)).thenApply(List::getFirst);
    }

    /**
     * Many writes, in parallel per shard. The writes that go to one shard are committed in one
     * journal event (all or none); across shards there is no atomicity. Outcomes come back in
     * the order of {@code writes}. Only a PUT creates a missing collection (with auto-create on):
     * patches and deletes have nothing to act on there.
     */
    public CompletionStage<List<WriteOutcome>> writeAll(
            String database, String collection, List<DocumentWrite> writes) {
        boolean create = writes.stream().anyMatch(w -> w.kind() == DocumentWrite.Kind.PUT);
        return withCollection(database, collection, create, info -> writeTo(info, writes));
    }

    private CompletionStage<List<WriteOutcome>> writeTo(CollectionInfo info, List<DocumentWrite> writes) {
        List<List<Integer>> positions = new ArrayList<>();
        List<List<DocumentWrite>> perShard = new ArrayList<>();
        for (int n = 0; n < info.shards(); n++) {
            positions.add(new ArrayList<>());
            perShard.add(new ArrayList<>());
        }
        for (int i = 0; i < writes.size(); i++) {
            int shard = shardOf(writes.get(i).id(), info.shards());
            positions.get(shard).add(i);
            perShard.get(shard).add(writes.get(i));
        }
        WriteOutcome[] outcomes = new WriteOutcome[writes.size()];
        String requestId = java.util.UUID.randomUUID().toString();
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (int n = 0; n < info.shards(); n++) {
            if (perShard.get(n).isEmpty()) {
                continue;
            }
            List<DocumentWrite> shardWrites = perShard.get(n);
            List<Integer> at = positions.get(n);
            parts.add(ask(
                            info,
                            n,
                            r -> new ShardEntity.Write(shardWrites, requestId, info.schemaVersion(), info.schema(), r))
                    .thenAccept(reply -> {
                        List<WriteOutcome> results = ((ShardEntity.Written) reply).outcomes();
                        for (int k = 0; k < results.size(); k++) {
                            outcomes[at.get(k)] = results.get(k);
                        }
                    })
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> List.of(outcomes));
    }

    /**
     * The document, if it exists. When its shard runs on this node and RocksDB can answer from
     * memory, the answer comes straight from the shard's store on the calling thread (a store
     * holds every acknowledged write of its shard); otherwise the shard answers.
     */
    public CompletionStage<Optional<StoredDocument>> get(String database, String collection, String id) {
        var cached = catalog.cached().collection(database, collection);
        // A time-series collection goes the slow way, which refuses it (its store knows no documents).
        if (cached.isPresent() && !cached.get().holdsTimeSeries()) {
            CollectionInfo info = cached.get();
            ShardStore store = local.store(info.shardEntityId(shardOf(id, info.shards())));
            if (store != null) {
                ShardStore.Lookup lookup = store.lookupInMemory(id);
                if (lookup.known()) {
                    return CompletableFuture.completedFuture(Optional.ofNullable(lookup.document()));
                }
            }
        }
        return withCollection(database, collection, false, info -> ask(
                        info, shardOf(id, info.shards()), r -> new ShardEntity.Get(id, r))
                .thenApply(reply -> Optional.ofNullable(((ShardEntity.Found) reply).document())));
    }

    /**
     * The store of {@code shard} of {@code info} when that shard runs on this node and has adopted
     * every index definition {@code info} knows, else null. Such a store holds every acknowledged
     * write of its shard, so a read over it answers as the shard itself would.
     */
    ShardStore localStore(CollectionInfo info, int shard) {
        ShardStore store = local.store(info.shardEntityId(shard));
        return store != null && store.indexesVersion() >= info.indexesVersion() ? store : null;
    }

    /** The threads queries run on, shared with the shards ({@link ShardEntity#QUERY_DISPATCHER}). */
    java.util.concurrent.Executor queryExecutor() {
        return system.dispatchers().lookup(ShardEntity.QUERY_DISPATCHER);
    }

    /**
     * The document, if it exists, read linearizably: its shard answers only after confirming with
     * the journal that no other node has written the shard since its copy was last applied (see
     * {@link ShardEntity.GetConfirmed}). Costs one journal query in cluster mode; in the embedded
     * default the node is the only writer there can be and this is a plain read. A stale copy is
     * answered with {@link ShardUnavailableException}, as a shard that cannot answer now.
     */
    public CompletionStage<Optional<StoredDocument>> getLinearizable(String database, String collection, String id) {
        return withCollection(database, collection, false, info -> ask(
                        info, shardOf(id, info.shards()), r -> new ShardEntity.GetConfirmed(id, r))
                .thenApply(reply -> Optional.ofNullable(((ShardEntity.Found) reply).document())));
    }

    /** Up to {@code limit} documents with ids after {@code after} (null: from the start), in UTF-8 byte order of ids. */
    public CompletionStage<Page> list(String database, String collection, String after, int limit) {
        if (limit < 1 || limit > settings.maxListLimit()) {
            throw new IllegalArgumentException(
                    "limit must be between 1 and " + settings.maxListLimit() + ", was " + limit);
        }
        return withCollection(database, collection, false, info -> listFrom(info, after, limit));
    }

    private CompletionStage<Page> listFrom(CollectionInfo info, String after, int limit) {
        List<CompletableFuture<ShardEntity.Listed>> parts = new ArrayList<>();
        for (int n = 0; n < info.shards(); n++) {
            // One more than asked, so that a longer merged list proves there is a next page.
            parts.add(ask(info, n, r -> new ShardEntity.ListDocuments(after, limit + 1, r))
                    .thenApply(reply -> (ShardEntity.Listed) reply)
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(
                        v -> merge(parts.stream().map(CompletableFuture::join).toList(), limit));
    }

    /**
     * Merges the shards' pages in id order. A shard whose page was cut at the byte bound may hold
     * documents after its last id, so the merged page ends there at the latest, with a next cursor.
     */
    static Page merge(List<ShardEntity.Listed> pages, int limit) {
        String bound = null;
        for (ShardEntity.Listed p : pages) {
            if (p.cut()) {
                String last = p.documents().getLast().id();
                bound = bound == null || UTF8_ORDER.compare(last, bound) < 0 ? last : bound;
            }
        }
        return merge(pages.stream().map(ShardEntity.Listed::documents).toList(), limit, bound);
    }

    private static Page merge(List<List<StoredDocument>> sorted, int limit, String bound) {
        record Cursor(List<StoredDocument> docs, int index) {
            StoredDocument head() {
                return docs.get(index);
            }
        }
        PriorityQueue<Cursor> heads =
                new PriorityQueue<>(Comparator.comparing((Cursor c) -> c.head().id(), UTF8_ORDER));
        int total = 0;
        for (List<StoredDocument> docs : sorted) {
            total += docs.size();
            if (!docs.isEmpty()) {
                heads.add(new Cursor(docs, 0));
            }
        }
        List<StoredDocument> page = new ArrayList<>(Math.min(limit, total));
        while (page.size() < limit && !heads.isEmpty()) {
            Cursor c = heads.poll();
            if (bound != null && UTF8_ORDER.compare(c.head().id(), bound) > 0) {
                break;
            }
            page.add(c.head());
            if (c.index() + 1 < c.docs().size()) {
                heads.add(new Cursor(c.docs(), c.index() + 1));
            }
        }
        String next = total > limit || bound != null ? page.getLast().id() : null;
        return new Page(page, next);
    }

    /** Document count and per-shard state of a collection. */
    public CompletionStage<CollectionStats> stats(String database, String collection) {
        return withAnyCollection(database, collection, false, this::statsOf);
    }

    private CompletionStage<CollectionStats> statsOf(CollectionInfo info) {
        List<CompletableFuture<ShardMeta>> parts = new ArrayList<>();
        for (int n = 0; n < info.shards(); n++) {
            parts.add(ask(info, n, ShardEntity.GetMeta::new)
                    .thenApply(reply -> ((ShardEntity.Meta) reply).meta())
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<ShardMeta> metas = parts.stream().map(CompletableFuture::join).toList();
            long count = metas.stream().mapToLong(ShardMeta::documentCount).sum();
            return new CollectionStats(info, count, metas);
        });
    }

    // ---- routing

    /** Signals that a shard found its collection incarnation gone: the cache was stale. */
    private static final class CollectionGone extends RuntimeException {
        CollectionGone() {
            super(null, null, false, false);
        }
    }

    /** Runs {@code body} for the collection of documents, refusing one of another kind. */
    <T> CompletionStage<T> withCollection(
            String database, String collection, boolean create, Function<CollectionInfo, CompletionStage<T>> body) {
        return withAnyCollection(database, collection, create, info -> {
            if (info.holdsTimeSeries()) {
                throw new WrongKindException(database, collection);
            }
            return body.apply(info);
        });
    }

    /** Runs {@code body} for the collection, of any kind, retrying once with a fresh catalog. */
    private <T> CompletionStage<T> withAnyCollection(
            String database, String collection, boolean create, Function<CollectionInfo, CompletionStage<T>> body) {
        return catalog.resolve(database, collection, create).thenCompose(body).exceptionallyCompose(e -> {
            if (unwrap(e) instanceof CollectionGone) {
                // Our cached catalog was stale (the collection was dropped or re-created): once more, fresh.
                return catalog.resolveFresh(database, collection, create)
                        .thenCompose(body)
                        .exceptionallyCompose(e2 -> CompletableFuture.failedFuture(
                                unwrap(e2) instanceof CollectionGone
                                        ? new NotFoundException("collection", database + "/" + collection)
                                        : unwrap(e2)));
            }
            return CompletableFuture.failedFuture(unwrap(e));
        });
    }

    /** The cause inside a stage's completion or execution wrapper. */
    public static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * Asks a shard, and asks again when it has not answered within a quarter of the ask timeout
     * or answered that the request took no effect, until the ask timeout has passed. In a cluster
     * a message can be lost without a trace: sharding drops the messages it buffered for a shard
     * that it hands over to another node, and messages to a node that just crashed vanish. Only
     * messages that are safe to resend go through here: reads, and writes carrying a request id
     * (the shard answers a resent write with the first one's outcomes).
     */
    public CompletionStage<ShardEntity.Reply> ask(
            CollectionInfo info, int shard, Function<ActorRef<ShardEntity.Reply>, ShardEntity.Command> message) {
        long deadline = System.nanoTime() + settings.askTimeout().toNanos();
        java.time.Duration attempt = settings.askTimeout().dividedBy(4);
        return attempt(info, shard, message, deadline, attempt);
    }

    private CompletionStage<ShardEntity.Reply> attempt(
            CollectionInfo info,
            int shard,
            Function<ActorRef<ShardEntity.Reply>, ShardEntity.Command> message,
            long deadline,
            java.time.Duration attempt) {
        long left = deadline - System.nanoTime();
        java.time.Duration timeout = java.time.Duration.ofNanos(Math.max(1, Math.min(left, attempt.toNanos())));
        String entityId = info.shardEntityId(shard);
        return Stages.sameThread(ShardEntity.ref(system, entityId).<ShardEntity.Reply>ask(message::apply, timeout))
                .handle((reply, failure) -> {
                    boolean resend = failure != null || reply instanceof ShardEntity.Unavailable u && u.untouched();
                    if (!resend || System.nanoTime() + RESEND_PAUSE.toNanos() >= deadline) {
                        return checked(entityId, reply, failure);
                    }
                    return CompletableFuture.runAsync(() -> {}, RESEND_DELAY)
                            .thenCompose(x -> attempt(info, shard, message, deadline, attempt));
                })
                .thenCompose(r -> r);
    }

    private static CompletionStage<ShardEntity.Reply> checked(
            String entityId, ShardEntity.Reply reply, Throwable failure) {
        if (failure != null) {
            return CompletableFuture.failedFuture(
                    new ShardUnavailableException("shard " + entityId + " did not answer in time", failure));
        }
        return switch (reply) {
            case ShardEntity.CollectionGone gone -> CompletableFuture.failedFuture(new CollectionGone());
            case ShardEntity.Unavailable u ->
                CompletableFuture.failedFuture(new ShardUnavailableException(u.reason(), null));
            case ShardEntity.ColdUnavailable c ->
                CompletableFuture.failedFuture(new ColdDataUnavailableException(c.reason()));
            default -> CompletableFuture.completedFuture(reply);
        };
    }

    /** Asks a shard once, waiting up to {@code timeout}: for requests that may take longer than the ask timeout. */
    public CompletionStage<ShardEntity.Reply> ask(
            CollectionInfo info,
            int shard,
            Function<ActorRef<ShardEntity.Reply>, ShardEntity.Command> message,
            java.time.Duration timeout) {
        String entityId = info.shardEntityId(shard);
        return Stages.sameThread(ShardEntity.ref(system, entityId).<ShardEntity.Reply>ask(message::apply, timeout))
                .handle((reply, failure) -> checked(entityId, reply, failure))
                .thenCompose(r -> r);
    }
}

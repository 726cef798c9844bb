package io.lumadb.shards.store;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import java.util.List;

/**
 * The materialised state of one shard: its documents and its {@link ShardMeta}. The journal is
 * the source of truth; a store can always be rebuilt by replaying it (or from a snapshot image
 * plus the rest of the journal). Only the shard's writer calls {@link #apply} and {@link
 * #install}; reads may come from any thread.
 */
public interface ShardStore extends AutoCloseable {

    /** The store's name (the shard entity id). */
    String name();

    /** The document with this id, or null. */
    StoredDocument get(String id);

    /**
     * Answers from memory only (memtable, block cache, bloom filters) without blocking on disk,
     * so any thread may call it: {@link Lookup#NOT_IN_MEMORY} when the answer needs disk I/O or
     * the store is closed.
     */
    Lookup lookupInMemory(String id);

    /** The answer of {@link #lookupInMemory}: the document (null if absent), or not known from memory. */
    record Lookup(boolean known, StoredDocument document) {
        public static final Lookup NOT_IN_MEMORY = new Lookup(false, null);
        public static final Lookup ABSENT = new Lookup(true, null);
    }

    /** Up to {@code limit} documents with ids after {@code afterExclusive} (null: from the start), in id order. */
    List<StoredDocument> list(String afterExclusive, int limit);

    /**
     * Like {@link #list}, but documents as stored: the JSON of a cold one is its pointer ({@link
     * ColdTier#isPointer}), not read from the cold tier. For the cold tier and snapshot images.
     */
    List<StoredDocument> scan(String afterExclusive, int limit);

    /**
     * Applies journal event {@code seq}, which moved {@code entries} to the cold tier: each
     * document still at the entry's version keeps its version and index entries but stores the
     * pointer instead of its JSON; one written since (or deleted) is left alone. Atomic with the
     * new meta, like {@link #apply}; the documents' versions, count and last version do not change.
     *
     * @return how many documents now point to the cold tier
     */
    int cool(long seq, List<ColdTier.Entry> entries);

    ShardMeta meta();

    /**
     * Applies the changes of journal event {@code seq} atomically together with the new meta.
     * Applying an event at or below {@link ShardMeta#appliedSeq()} is a programming error.
     */
    void apply(long seq, List<DocumentChange> changes);

    /**
     * Replaces the store's contents, atomically, with a snapshot image of the shard as of journal
     * event {@code seq}: afterwards it holds exactly {@code documents} (with their versions and
     * the index entries they put into the maintained indexes; a document whose JSON is a cold
     * pointer, as {@link #scan} gives it, is stored as that pointer), its applied sequence number is
     * {@code seq} and its last version the greater of its own and {@code lastVersion}. Installing
     * at or below {@link ShardMeta#appliedSeq()} is a programming error, like {@link #apply}.
     */
    void install(long seq, long lastVersion, List<StoredDocument> documents);

    /** The secondary indexes of this shard. */
    List<IndexState> indexes();

    /** The catalog version of the index set this store maintains (0: none applied yet). */
    long indexesVersion();

    /**
     * Adopts the index set of catalog version {@code version} when it is newer than the current
     * one: a new index starts {@link IndexState.Phase#BUILDING} (maintained by every {@link
     * #apply} from now on), a removed one loses its entries. Atomic with respect to {@link
     * #apply}.
     *
     * @return whether anything changed
     */
    boolean syncIndexes(long version, List<IndexDefinition> indexes);

    /**
     * Indexes up to {@code maxDocuments} more existing documents for each building index, in one
     * atomic step that {@link #apply} never interleaves with; an index becomes ready when its
     * build has passed the last document.
     *
     * @return whether some index is still building
     */
    boolean buildIndexes(int maxDocuments);

    /**
     * Why {@code json} cannot be stored under this shard's indexes (too many index entries), or
     * null if it can: checked before a write is accepted, since {@link #apply} cannot refuse.
     */
    String indexProblem(byte[] json);

    /**
     * Answers a request of a module layered over this store (the {@code vector} module's search
     * answers {@code "search"}), through the shard that owns the store: {@code request} and the
     * answer are that module's own bytes. The stage may complete on any thread. A store without
     * such a layer fails the stage with {@link UnsupportedOperationException}.
     */
    default java.util.concurrent.CompletionStage<byte[]> extension(String kind, byte[] request) {
        return java.util.concurrent.CompletableFuture.failedFuture(
                new UnsupportedOperationException("shard " + name() + " has no " + kind));
    }

    /**
     * Why a module layered over this store would not take {@code batch} as an {@link #append} of
     * {@code kind} (no such module, or bytes it cannot read), or null if it would: asked before
     * an append is journaled, since {@link #append} cannot refuse one.
     */
    default String appendProblem(String kind, byte[] batch) {
        return "shard " + name() + " takes no appends of " + kind;
    }

    /**
     * Applies journal event {@code seq}, which appended {@code batches} of {@code kind} (in the
     * bytes of the module that takes them, such as time-series points), and advances {@link
     * ShardMeta#appliedSeq()} to {@code seq}. What it stores may depend only on the store's
     * contents and the batches, never on the clock, because recovery applies the event again
     * after a crash that left the store behind; the module makes that idempotent. Applying an
     * event at or below {@link ShardMeta#appliedSeq()} is a programming error, like {@link #apply}.
     *
     * @return the module's answer to each batch, in order
     */
    default List<byte[]> append(long seq, String kind, List<byte[]> batches) {
        throw new UnsupportedOperationException("shard " + name() + " takes no appends of " + kind);
    }

    /**
     * The contents of a module layered over this store (such as the time series), as a snapshot
     * image carries them: the module's own bytes, under the kind of its appends.
     */
    record LayerImage(String kind, byte[] contents) {
        public LayerImage {
            java.util.Objects.requireNonNull(kind, "kind");
            java.util.Objects.requireNonNull(contents, "contents");
        }
    }

    /**
     * The contents of the modules layered over this store, as of its applied event, for a snapshot
     * image (documents come from {@link #scan}): none for a store without such modules, or whose
     * modules hold nothing. Called by the shard's writer only, between events.
     */
    default List<LayerImage> layerImages() {
        return List.of();
    }

    /**
     * Replaces the contents of the modules layered over this store with {@code images} (taken by
     * {@link #layerImages} of this shard's store on some node; a module without an image is
     * emptied), then applies the appends of event {@code seq} the image was taken for, if it
     * appended ({@code pendingKind} and {@code pendingBatches}; null kind: it did not), since an
     * image is taken before its event is applied. Called by the shard's writer just before {@link
     * #install} of event {@code seq}, and again if a crash came between the two, so it must not
     * advance {@link ShardMeta#appliedSeq()}; it is atomic per module.
     *
     * @throws IllegalStateException when an image or the appends are of a kind no module here takes
     */
    default void installLayers(long seq, List<LayerImage> images, String pendingKind, List<byte[]> pendingBatches) {
        if (!images.isEmpty() || pendingKind != null) {
            throw new IllegalStateException("shard " + name() + " has no module for the image's "
                    + (images.isEmpty() ? pendingKind : images.getFirst().kind()));
        }
    }

    /** A consistent read-only view, or null when the store is closing. */
    ReadView readView();

    /** Releases the store's handles; the data stays. */
    @Override
    void close();
}

package io.lumadb.vector;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.ForwardingShardStore;
import io.lumadb.shards.store.IndexState;
import io.lumadb.shards.store.ShardStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * A shard's store with its search indexes: everything a shard asks of its store goes to the
 * store underneath, and the search indexes of the collection follow it: {@link #apply} and
 * {@link #install} are passed on to them (under one lock with the store's own write, so they
 * see the shard's changes in its order), {@link #syncIndexes} opens and drops them, {@link
 * #indexes} and {@link #indexProblem} include them, and {@link #extension} answers searches.
 */
final class SearchingShardStore extends ForwardingShardStore {

    /** The extension kind of a search. */
    static final String SEARCH = "search";

    private final SearchNode node;
    private final int shard;
    private final ShardSearcher searcher;
    private final Object lock = new Object();
    /** The open search indexes by id; replaced whole under the lock. */
    private volatile Map<Long, ShardIndex> search = Map.of();

    private long searchVersion;
    private boolean closed;

    SearchingShardStore(ShardStore store, SearchNode node) {
        super(store);
        this.node = node;
        this.shard = shardNumber(inner.name());
        this.searcher = new ShardSearcher(this, node);
    }

    /** The shard number of an entity id {@code db/collection/incarnation/n} (0 if it has none). */
    private static int shardNumber(String name) {
        int slash = name.lastIndexOf('/');
        try {
            return slash < 0 ? 0 : Integer.parseInt(name.substring(slash + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    int shard() {
        return shard;
    }

    /** The store underneath, for reads. */
    ShardStore store() {
        return inner;
    }

    /** The open search index called {@code name}, or null. */
    ShardIndex searchIndex(String name) {
        for (ShardIndex index : search.values()) {
            if (index.definition().name().equals(name)) {
                return index;
            }
        }
        return null;
    }

    // ---- reads: the store's

    /** Moving documents to the cold tier changes no document: the indexes only pass the event. */
    @Override
    public int cool(long seq, List<ColdTier.Entry> entries) {
        synchronized (lock) {
            int cooled = inner.cool(seq, entries);
            for (ShardIndex index : search.values()) {
                index.applied(seq, List.of());
            }
            return cooled;
        }
    }

    // ---- writes: the store's, then the search indexes'

    @Override
    public void apply(long seq, List<DocumentChange> changes) {
        synchronized (lock) {
            inner.apply(seq, changes);
            for (ShardIndex index : search.values()) {
                index.applied(seq, changes);
            }
        }
    }

    @Override
    public void install(long seq, long lastVersion, List<StoredDocument> documents) {
        synchronized (lock) {
            inner.install(seq, lastVersion, documents);
            for (ShardIndex index : search.values()) {
                index.installed(seq);
            }
        }
    }

    // ---- indexes

    @Override
    public List<IndexState> indexes() {
        List<IndexState> all = new ArrayList<>(inner.indexes());
        for (ShardIndex index : search.values()) {
            all.add(index.state());
        }
        return all;
    }

    @Override
    public long indexesVersion() {
        return Math.max(inner.indexesVersion(), searchVersion);
    }

    /**
     * The store adopts the secondary indexes; this layer opens the search indexes it does not
     * have yet (a new one is built, an existing one catches up) and closes and deletes those the
     * catalog no longer has, also those dropped while the node was down.
     */
    @Override
    public boolean syncIndexes(long version, List<IndexDefinition> indexes) {
        synchronized (lock) {
            boolean changed = inner.syncIndexes(version, indexes);
            if (version <= searchVersion || closed) {
                return changed;
            }
            Map<Long, ShardIndex> current = search;
            Map<Long, ShardIndex> next = new LinkedHashMap<>();
            for (IndexDefinition definition : indexes) {
                if (!definition.hasSearch()) {
                    continue;
                }
                ShardIndex existing = current.get(definition.id());
                next.put(
                        definition.id(),
                        existing != null
                                ? existing
                                : ShardIndex.open(
                                        node, inner, definition, inner.meta().appliedSeq()));
                changed |= existing == null;
            }
            for (var old : current.entrySet()) {
                if (!next.containsKey(old.getKey())) {
                    old.getValue().close(true);
                    changed = true;
                }
            }
            search = java.util.Collections.unmodifiableMap(next);
            searchVersion = version;
            if (current.isEmpty()) {
                SearchStores.deleteLeftovers(node, inner.name(), next.keySet());
            }
            return changed;
        }
    }

    /** Search indexes build themselves on the search dispatcher; only the store's need steps here. */
    @Override
    public String indexProblem(byte[] json) {
        String problem = inner.indexProblem(json);
        if (problem != null) {
            return problem;
        }
        for (ShardIndex index : search.values()) {
            problem = index.problem(json);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    @Override
    public CompletionStage<byte[]> extension(String kind, byte[] request) {
        if (!SEARCH.equals(kind)) {
            return inner.extension(kind, request);
        }
        return searcher.search(request);
    }

    /** Commits and closes the search indexes, then the store. */
    @Override
    public void close() {
        Map<Long, ShardIndex> open;
        synchronized (lock) {
            closed = true;
            open = search;
            search = Map.of();
        }
        try {
            open.values().forEach(index -> index.close(false));
        } finally {
            inner.close();
        }
    }
}

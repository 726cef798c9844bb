package io.lumadb.shards.store;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.StoredDocument;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A store layered over another: every call goes to {@link #inner} unless the layer overrides it.
 * The modules that add to a shard's store (search indexes, the cold tier) extend it and override
 * only what they add to.
 */
public abstract class ForwardingShardStore implements ShardStore {

    protected final ShardStore inner;

    protected ForwardingShardStore(ShardStore inner) {
        this.inner = java.util.Objects.requireNonNull(inner, "inner");
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public StoredDocument get(String id) {
        return inner.get(id);
    }

    @Override
    public Lookup lookupInMemory(String id) {
        return inner.lookupInMemory(id);
    }

    @Override
    public List<StoredDocument> list(String afterExclusive, int limit) {
        return inner.list(afterExclusive, limit);
    }

    @Override
    public List<StoredDocument> scan(String afterExclusive, int limit) {
        return inner.scan(afterExclusive, limit);
    }

    @Override
    public int cool(long seq, List<ColdTier.Entry> entries) {
        return inner.cool(seq, entries);
    }

    @Override
    public ShardMeta meta() {
        return inner.meta();
    }

    @Override
    public void apply(long seq, List<DocumentChange> changes) {
        inner.apply(seq, changes);
    }

    @Override
    public void install(long seq, long lastVersion, List<StoredDocument> documents) {
        inner.install(seq, lastVersion, documents);
    }

    @Override
    public List<LayerImage> layerImages() {
        return inner.layerImages();
    }

    @Override
    public void installLayers(long seq, List<LayerImage> images, String pendingKind, List<byte[]> pendingBatches) {
        inner.installLayers(seq, images, pendingKind, pendingBatches);
    }

    @Override
    public List<IndexState> indexes() {
        return inner.indexes();
    }

    @Override
    public long indexesVersion() {
        return inner.indexesVersion();
    }

    @Override
    public boolean syncIndexes(long version, List<IndexDefinition> indexes) {
        return inner.syncIndexes(version, indexes);
    }

    @Override
    public boolean buildIndexes(int maxDocuments) {
        return inner.buildIndexes(maxDocuments);
    }

    @Override
    public String indexProblem(byte[] json) {
        return inner.indexProblem(json);
    }

    @Override
    public CompletionStage<byte[]> extension(String kind, byte[] request) {
        return inner.extension(kind, request);
    }

    @Override
    public String appendProblem(String kind, byte[] batch) {
        return inner.appendProblem(kind, batch);
    }

    @Override
    public List<byte[]> append(long seq, String kind, List<byte[]> batches) {
        return inner.append(seq, kind, batches);
    }

    @Override
    public ReadView readView() {
        return inner.readView();
    }

    @Override
    public void close() {
        inner.close();
    }
}

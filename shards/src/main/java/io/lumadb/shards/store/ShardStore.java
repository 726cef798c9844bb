package io.lumadb.shards.store;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.StoredDocument;
import java.util.List;

/**
 * The materialised state of one shard: its documents and its {@link ShardMeta}. The journal is
 * the source of truth; a store can always be rebuilt by replaying it. Only the shard's writer
 * calls {@link #apply}; reads may come from any thread.
 */
public interface ShardStore extends AutoCloseable {

  /** The store's name (the shard entity id). */
  String name();

  /** The document with this id, or null. */
  StoredDocument get(String id);

  /** Up to {@code limit} documents with ids after {@code afterExclusive} (null: from the start), in id order. */
  List<StoredDocument> list(String afterExclusive, int limit);

  ShardMeta meta();

  /**
   * Applies the changes of journal event {@code seq} atomically together with the new meta.
   * Applying an event at or below {@link ShardMeta#appliedSeq()} is a programming error.
   */
  void apply(long seq, List<DocumentChange> changes);

  /** Releases the store's handles; the data stays. */
  @Override
  void close();
}

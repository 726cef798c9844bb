package io.lumadb.shards.store;

import io.lumadb.shards.model.StoredDocument;
import java.util.Iterator;
import java.util.List;

/**
 * A consistent, read-only view of one shard at one point in time (a RocksDB snapshot):
 * documents and index entries read through it never reflect a later write. A view holds
 * native resources and keeps its store from closing, so it must be closed promptly; a long
 * reader polls {@link #closing()} and gives up when the store wants to close.
 */
public interface ReadView extends AutoCloseable {

    /** The shard's meta as of the view: its applied sequence number is the view's exact position. */
    ShardMeta meta();

    /** The shard's indexes as of the view. */
    List<IndexState> indexes();

    /** The document with this id, or null. */
    StoredDocument get(String id);

    /** Documents with ids after {@code afterExclusive} (null: all), in UTF-8 byte order of ids. */
    Iterator<StoredDocument> documents(String afterExclusive);

    /**
     * Entries of index {@code indexId} whose key lies in {@code [start, end)} (unsigned byte
     * order; null: unbounded), ascending or, with {@code reverse}, descending.
     */
    Iterator<IndexEntry> index(long indexId, byte[] start, byte[] end, boolean reverse);

    /** One index entry: the encoded key values (without the id) and the document id. */
    record IndexEntry(byte[] key, String id) {}

    /** Whether the store is closing: a reader should stop and close the view. */
    boolean closing();

    @Override
    void close();
}

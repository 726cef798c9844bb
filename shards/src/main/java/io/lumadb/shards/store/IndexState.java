package io.lumadb.shards.store;

import io.lumadb.shards.model.IndexDefinition;

/**
 * A secondary index as one shard holds it.
 *
 * @param indexed documents indexed so far by the background build (all of them once ready)
 * @param multikey whether some document of this shard put several entries in the index (an
 *     array on an indexed path): such an index can filter but cannot give a sort order
 * @param failure why the build failed, or null
 * @param search where a search index stands against its shard, or null for a secondary index
 */
public record IndexState(
        IndexDefinition definition, Phase phase, long indexed, boolean multikey, String failure, SearchProgress search)
        implements io.lumadb.shards.CborSerializable {

    /** The canonical constructor is the one serialization uses (not the shorter one below). */
    @com.fasterxml.jackson.annotation.JsonCreator
    public IndexState {}

    /** A secondary index's state. */
    public IndexState(IndexDefinition definition, Phase phase, long indexed, boolean multikey, String failure) {
        this(definition, phase, indexed, multikey, failure, null);
    }

    /**
     * Where a search index of one shard stands: the shard sequence number of the last change it
     * applied, the one searches see (its last refresh), the one of its last commit (recorded in
     * the commit, where it resumes after a crash), and the documents it holds.
     */
    public record SearchProgress(long applied, long visible, long committed, long documents)
            implements io.lumadb.shards.CborSerializable {}

    /** Where the index is in its life. Only a {@link #READY} index answers queries. */
    public enum Phase {
        /** Kept up to date by every write, and being filled with the documents already there. */
        BUILDING,
        /** Holds an entry for every document of the shard. */
        READY,
        /** The build met a document it cannot index; the index is not maintained or used. */
        FAILED
    }

    public boolean ready() {
        return phase == Phase.READY;
    }
}

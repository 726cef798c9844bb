package io.lumadb.shards.store;

import io.lumadb.shards.model.IndexDefinition;

/**
 * A secondary index as one shard holds it.
 *
 * @param indexed documents indexed so far by the background build (all of them once ready)
 * @param multikey whether some document of this shard put several entries in the index (an
 *     array on an indexed path): such an index can filter but cannot give a sort order
 * @param failure why the build failed, or null
 */
public record IndexState(IndexDefinition definition, Phase phase, long indexed, boolean multikey, String failure)
        implements io.lumadb.shards.CborSerializable {

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

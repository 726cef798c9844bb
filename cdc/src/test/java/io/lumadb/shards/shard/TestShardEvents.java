package io.lumadb.shards.shard;

import io.lumadb.shards.model.DocumentChange;
import java.util.List;

/** Shard journal events for tests of the change stream, which reads them from a test journal. */
public final class TestShardEvents {

    private TestShardEvents() {}

    /** The event a shard persists for one batch of writes with these changes. */
    public static Object written(List<DocumentChange> changes) {
        return new ShardWriter.DocumentsWritten(changes, List.of());
    }
}

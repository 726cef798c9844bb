package io.lumadb.shards.shard;

import io.lumadb.shards.model.DocumentChange;
import java.util.List;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * How a shard's journal is read from outside the shard: the persistence id of a shard entity
 * and the document changes inside one of its events. The change stream reads shard journals
 * through Pekko Persistence Query with these two, so it needs nothing else of the shard.
 */
public final class ShardEvents {

    private ShardEvents() {}

    /** The journal persistence id of the shard entity {@code entityId}. */
    public static String persistenceId(String entityId) {
        return PersistenceId.of("shard", entityId).id();
    }

    /** The changes of one shard event, in the order they were applied (none for a move to the cold tier). */
    public static List<DocumentChange> changes(Object event) {
        if (event instanceof ShardWriter.DocumentsWritten written) {
            return written.changes();
        }
        if (event instanceof ShardWriter.DocumentsCooled || event instanceof ShardWriter.AppendsWritten) {
            // Moving bodies to the cold tier changes no document, nor do a module's appends.
            return List.of();
        }
        throw new IllegalArgumentException("not a shard event: "
                + (event == null ? "null" : event.getClass().getName()));
    }

    /**
     * The journal event of appends of {@code kind}, as a shard writes it: for tools that read or
     * replay shard journals, and for tests of the layers that follow them.
     */
    public static Object appendsEvent(String kind, List<byte[]> batches) {
        return new ShardWriter.AppendsWritten(kind, batches);
    }

    /**
     * The batches of one shard event that a module layered over the shard's store appended with
     * {@code kind} ({@link ShardEntity.Append}), in order; none for any other event.
     */
    public static List<byte[]> appends(Object event, String kind) {
        if (event instanceof ShardWriter.AppendsWritten appended
                && appended.kind().equals(kind)) {
            return appended.batches();
        }
        changes(event); // refuses what is not a shard event
        return List.of();
    }
}

package io.lumadb.shards.model;

/**
 * One change to one document, as recorded in a shard's journal events and applied to its state
 * store. Carries the full new document so that applying is deterministic and change-stream
 * consumers get the after-image.
 *
 * @param document the stored JSON after the change; null for {@link Op#DELETED}
 */
public record DocumentChange(String id, Op op, long version, byte[] document)
        implements io.lumadb.shards.CborSerializable {

    /** What happened to the document. */
    public enum Op {
        CREATED,
        UPDATED,
        DELETED
    }

    public DocumentChange {
        if ((op == Op.DELETED) != (document == null)) {
            throw new IllegalArgumentException(op + " change of '" + id + "' with wrong document presence");
        }
    }
}

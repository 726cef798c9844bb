package io.lumadb.shards.model;

/**
 * One change to one document, as recorded in a shard's journal events and applied to its state
 * store. Carries the full new document so that applying is deterministic and change-stream
 * consumers get the after-image, and the document it replaced (the pre-image), so that a live
 * query can tell from the change alone whether the document entered, stayed in or left its
 * result, also when it resumes from a position without a new snapshot.
 *
 * @param document the stored JSON after the change; null for {@link Op#DELETED}
 * @param before the stored JSON before the change; null for {@link Op#CREATED} and in events
 *     written before pre-images were recorded
 */
public record DocumentChange(String id, Op op, long version, byte[] document, byte[] before)
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
        if (op == Op.CREATED && before != null) {
            throw new IllegalArgumentException("CREATED change of '" + id + "' with a pre-image");
        }
    }

    /** A change without a pre-image. */
    public DocumentChange(String id, Op op, long version, byte[] document) {
        this(id, op, version, document, null);
    }
}

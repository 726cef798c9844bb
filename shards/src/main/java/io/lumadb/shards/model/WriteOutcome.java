package io.lumadb.shards.model;

/**
 * The result of one {@link DocumentWrite}. A write that succeeded is durable in the journal and
 * visible to reads.
 *
 * @param version the new version on success; the document's current version (0 if absent) when
 *     a precondition failed
 * @param document the new document after a successful PATCH, else null
 * @param problem what is wrong with the document, for {@link Status#UNINDEXABLE} (null in
 *     outcomes recorded before it was kept) and {@link Status#SCHEMA_VIOLATION}
 * @param pointer where in the document the problem is (a JSON Pointer), for {@link
 *     Status#SCHEMA_VIOLATION}; else null
 */
public record WriteOutcome(String id, Status status, long version, byte[] document, String problem, String pointer)
        implements io.lumadb.shards.CborSerializable {

    /** The canonical constructor is the one serialization uses (not the shorter one below). */
    @com.fasterxml.jackson.annotation.JsonCreator
    public WriteOutcome {}

    /** An outcome without a problem's description. */
    public WriteOutcome(String id, Status status, long version, byte[] document) {
        this(id, status, version, document, null, null);
    }

    /** An outcome with a problem's description that points nowhere. */
    public WriteOutcome(String id, Status status, long version, byte[] document, String problem) {
        this(id, status, version, document, problem, null);
    }

    /** How a write ended. */
    public enum Status {
        CREATED,
        UPDATED,
        DELETED,
        /** PATCH or DELETE of a document that does not exist. */
        NOT_FOUND,
        /** {@code If-Match} named a version the document does not have. */
        VERSION_MISMATCH,
        /** Create-only write of a document that exists. */
        ALREADY_EXISTS,
        /** The patched document would exceed the document size limit. */
        TOO_LARGE,
        /** The patch could not be applied (it is not a JSON object). */
        INVALID,
        /**
         * The document cannot go into an index of its collection: it would put more entries into a
         * secondary index than one document may, or a search index cannot take its value (a vector
         * of the wrong dimension, a text field that is not a string).
         */
        UNINDEXABLE,
        /**
         * The document does not satisfy its collection's declared schema: {@code problem} says why,
         * {@code pointer} where in the document (a JSON Pointer).
         */
        SCHEMA_VIOLATION,
        /** A bulk item the caller's write rules do not allow (decided before the shard, never by it). */
        FORBIDDEN,
        /**
         * A bulk item naming a field hidden from the caller, which its writes may neither set nor
         * remove (decided before the shard, never by it).
         */
        HIDDEN_FIELD;

        public boolean succeeded() {
            return this == CREATED || this == UPDATED || this == DELETED;
        }
    }

    public static WriteOutcome failed(String id, Status status, long currentVersion) {
        return new WriteOutcome(id, status, currentVersion, null);
    }
}

package io.lumadb.shards.model;

/**
 * One write to one document, as the shard that owns {@code id} executes it.
 *
 * @param id the document id (already checked with {@link Names#checkDocumentId})
 * @param kind what to do
 * @param body for {@link Kind#PUT} the new content, for {@link Kind#PATCH} a JSON Merge Patch
 *     (RFC 7396): in both cases a JSON object without the system fields {@code _id} and {@code
 *     _version}; null for {@link Kind#DELETE}
 * @param expectedVersion {@link #ANY} for no precondition, {@link #ABSENT} if the document must
 *     not exist (create-only), {@link #EXISTS} if it must exist, or the version it must have
 */
public record DocumentWrite(String id, Kind kind, byte[] body, long expectedVersion)
        implements io.lumadb.shards.CborSerializable {

    /** No precondition. */
    public static final long ANY = -1;

    /** The document must not exist: create-only ({@code If-None-Match: *}). */
    public static final long ABSENT = 0;

    /** The document must exist, whatever its version ({@code If-Match: *}). */
    public static final long EXISTS = -2;

    /** What a write does. */
    public enum Kind {
        /** Create or replace the whole document. */
        PUT,
        /** Merge a JSON Merge Patch into an existing document. */
        PATCH,
        /** Delete the document. */
        DELETE
    }

    public DocumentWrite {
        if (id == null || kind == null) {
            throw new IllegalArgumentException("id and kind are required");
        }
        if ((kind == Kind.DELETE) != (body == null)) {
            throw new IllegalArgumentException("a " + kind + " must " + (body == null ? "" : "not ") + "have a body");
        }
        if (expectedVersion < EXISTS) {
            throw new IllegalArgumentException("expectedVersion must be >= -2, was " + expectedVersion);
        }
    }

    public static DocumentWrite put(String id, byte[] content, long expectedVersion) {
        return new DocumentWrite(id, Kind.PUT, content, expectedVersion);
    }

    public static DocumentWrite patch(String id, byte[] patch, long expectedVersion) {
        return new DocumentWrite(id, Kind.PATCH, patch, expectedVersion);
    }

    public static DocumentWrite delete(String id, long expectedVersion) {
        return new DocumentWrite(id, Kind.DELETE, null, expectedVersion);
    }
}

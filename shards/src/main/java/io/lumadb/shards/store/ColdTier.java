package io.lumadb.shards.store;

import io.lumadb.shards.CborSerializable;
import java.util.Arrays;

/**
 * Where the bodies of cold documents live. A shard store keeps a cold document's id, version and
 * index entries, but in place of its JSON a pointer: {@link #MARKER} followed by bytes that only
 * the cold tier understands (which segment, where in it). Every read of the store resolves such a
 * pointer through the node's {@code ColdTier}, so readers never see the difference; {@link
 * ShardStore#scan} is the one read that shows pointers as they are.
 */
public interface ColdTier {

    /**
     * The first byte of a pointer where JSON would be. A stored JSON document always starts with
     * {@code '{'}, so the two cannot be confused.
     */
    byte MARKER = 0;

    /** A document moved to the cold tier: its id and version, and the pointer (without {@link #MARKER}). */
    record Entry(String id, long version, byte[] pointer) implements CborSerializable {
        public Entry {
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("id must not be empty");
            }
            if (version < 1) {
                throw new IllegalArgumentException("version must be >= 1, was " + version);
            }
            if (pointer == null || pointer.length == 0) {
                throw new IllegalArgumentException("pointer of '" + id + "' must not be empty");
            }
        }

        /** The stored form: {@link #MARKER} and the pointer. */
        public byte[] stored() {
            byte[] out = new byte[pointer.length + 1];
            out[0] = MARKER;
            System.arraycopy(pointer, 0, out, 1, pointer.length);
            return out;
        }
    }

    /** Whether {@code json}, as a store holds it, is a pointer to the cold tier rather than JSON. */
    static boolean isPointer(byte[] json) {
        return json.length > 0 && json[0] == MARKER;
    }

    /** The pointer of a stored value for which {@link #isPointer} holds. */
    static byte[] pointerOf(byte[] stored) {
        return Arrays.copyOfRange(stored, 1, stored.length);
    }

    /**
     * The JSON of document {@code id} at {@code version} of store {@code store}, read from the cold
     * tier; may block on I/O (local files or other nodes).
     *
     * @throws io.lumadb.shards.ColdDataUnavailableException when the data cannot be read now
     *     (too many fragments lost, the tier not reachable); never answers wrong bytes
     */
    byte[] read(String store, String id, long version, byte[] pointer);

    /** The JSON if it is in memory (the hot cache), else null; never blocks. */
    byte[] cached(String store, String id, long version, byte[] pointer);

    /** No cold tier: every pointer is an error (a store written by a node with a cold tier). */
    ColdTier NONE = new ColdTier() {
        @Override
        public byte[] read(String store, String id, long version, byte[] pointer) {
            throw new io.lumadb.shards.ColdDataUnavailableException("document '" + id + "' of shard " + store
                    + " is in the cold tier, which this node has not started");
        }

        @Override
        public byte[] cached(String store, String id, long version, byte[] pointer) {
            return null;
        }
    };
}

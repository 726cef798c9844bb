package io.lumadb.tiering;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * What a shard store keeps of a cold document in place of its JSON (after {@code
 * ColdTier.MARKER}): the segment and the byte range of the document's record in it.
 *
 * <pre>
 * byte   format (1)
 * long   segment id, most significant bits
 * long   segment id, least significant bits
 * long   record offset in the segment
 * int    record length
 * </pre>
 */
record ColdPointer(UUID segment, long offset, int length) {

    static final byte FORMAT = 1;
    static final int BYTES = 1 + 8 + 8 + 8 + 4;

    ColdPointer {
        if (offset < 0 || length < 1) {
            throw new IllegalArgumentException("bad record range " + offset + "+" + length);
        }
    }

    byte[] bytes() {
        return ByteBuffer.allocate(BYTES)
                .put(FORMAT)
                .putLong(segment.getMostSignificantBits())
                .putLong(segment.getLeastSignificantBits())
                .putLong(offset)
                .putInt(length)
                .array();
    }

    static ColdPointer of(byte[] bytes) {
        if (bytes.length != BYTES || bytes[0] != FORMAT) {
            throw new IllegalArgumentException(
                    "not a cold pointer of format " + FORMAT + " (" + bytes.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, BYTES - 1);
        return new ColdPointer(new UUID(b.getLong(), b.getLong()), b.getLong(), b.getInt());
    }
}

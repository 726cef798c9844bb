package io.lumadb.persistence.snapshot.internal;

import io.lumadb.persistence.rocksdb.internal.SerializedForm;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The byte layout of the snapshot store in RocksDB. Integers are big-endian.
 *
 * <h2>Column family {@value #SNAPSHOTS_CF}</h2>
 *
 * <pre>
 *   key   = UTF-8(persistenceId) 0x00 int64(sequenceNr)
 *   value = 0x01 (format version)
 *           int64(timestamp)          the SnapshotMetadata timestamp, epoch millis
 *           byte(flags)               bit 0: a metadata form follows the snapshot form
 *           {@link SerializedForm}     of org.apache.pekko.persistence.serialization.Snapshot(data),
 *                                     whose Pekko serializer embeds the data's own serializer
 *                                     id, manifest and bytes
 *           [{@link SerializedForm}]   of SnapshotMetadata.metadata, if flagged
 * </pre>
 *
 * One snapshot per (persistence id, sequence number): saving again overwrites.
 */
public final class SnapshotFormat {

    /** Column family of the snapshots. */
    public static final String SNAPSHOTS_CF = "snapshots";

    private static final byte VERSION = 1;
    private static final int HEADER = 1 + 8 + 1;
    private static final byte HAS_METADATA = 0x01;

    /** A decoded snapshot value. */
    public record Stored(long timestamp, SerializedForm snapshot, Optional<SerializedForm> metadata) {}

    private SnapshotFormat() {}

    /** Encodes a snapshot value. */
    public static byte[] encode(long timestamp, SerializedForm snapshot, Optional<SerializedForm> metadata) {
        int length = HEADER
                + snapshot.encodedLength()
                + metadata.map(SerializedForm::encodedLength).orElse(0);
        ByteBuffer buffer = ByteBuffer.allocate(length);
        buffer.put(VERSION).putLong(timestamp).put(metadata.isPresent() ? HAS_METADATA : 0);
        snapshot.writeTo(buffer);
        metadata.ifPresent(form -> form.writeTo(buffer));
        return buffer.array();
    }

    /** The timestamp of a snapshot value, without decoding the rest. */
    public static long timestamp(byte[] value) {
        checkHeader(value);
        return ByteBuffer.wrap(value).getLong(1);
    }

    /**
     * Decodes a snapshot value.
     *
     * @throws IllegalArgumentException or {@link java.nio.BufferUnderflowException} if it is
     *     malformed
     */
    public static Stored decode(byte[] value) {
        checkHeader(value);
        ByteBuffer buffer = ByteBuffer.wrap(value);
        buffer.get();
        long timestamp = buffer.getLong();
        byte flags = buffer.get();
        SerializedForm snapshot = SerializedForm.readFrom(buffer);
        Optional<SerializedForm> metadata =
                (flags & HAS_METADATA) != 0 ? Optional.of(SerializedForm.readFrom(buffer)) : Optional.empty();
        return new Stored(timestamp, snapshot, metadata);
    }

    private static void checkHeader(byte[] value) {
        if (value.length < HEADER || value[0] != VERSION) {
            throw new IllegalArgumentException(
                    "not a snapshot value of version " + VERSION + " (" + value.length + " bytes)");
        }
    }
}

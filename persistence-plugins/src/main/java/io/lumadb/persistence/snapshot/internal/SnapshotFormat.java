package io.lumadb.persistence.snapshot.internal;

import io.lumadb.persistence.crypto.EnvelopeFormat;
import io.lumadb.persistence.crypto.EnvelopeFormat.Domain;
import io.lumadb.persistence.crypto.ValueCipher;
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
 * or, with encryption at rest on ({@link ValueCipher}),
 *
 * <pre>
 *   value = 0x02 (format version: sealed)
 *           int64(timestamp)          in clear, so deletes by criteria need no key
 *           {@link EnvelopeFormat envelope} of everything version 1 has after the timestamp
 *                                     (flags and forms), authenticated with the snapshot's key
 * </pre>
 *
 * Both versions are read whatever the setting. In clear stay the keys (persistence ids, sequence
 * numbers) and the timestamps.
 *
 * <p>One snapshot per (persistence id, sequence number): saving again overwrites.
 */
public final class SnapshotFormat {

    /** Column family of the snapshots. */
    public static final String SNAPSHOTS_CF = "snapshots";

    private static final byte VERSION = 1;
    private static final byte SEALED_VERSION = 2;
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

    /** Encodes a snapshot value for {@code key}, sealed when {@code cipher} is enabled. */
    public static byte[] encode(
            byte[] key,
            long timestamp,
            SerializedForm snapshot,
            Optional<SerializedForm> metadata,
            ValueCipher cipher) {
        byte[] plain = encode(timestamp, snapshot, metadata);
        return cipher.enabled() ? seal(key, plain, cipher) : plain;
    }

    /** A version 1 value sealed into version 2 under the active key. */
    private static byte[] seal(byte[] key, byte[] plain, ValueCipher cipher) {
        byte[] envelope = cipher.seal(Domain.SNAPSHOT, key, plain, 9, plain.length - 9);
        return ByteBuffer.allocate(9 + envelope.length)
                .put(SEALED_VERSION)
                .putLong(ByteBuffer.wrap(plain).getLong(1))
                .put(envelope)
                .array();
    }

    /** Whether the value needs no re-encryption: sealed under the active key, or encryption is off. */
    public static boolean isCurrent(byte[] value, ValueCipher cipher) {
        return !cipher.enabled() || (value.length > 9 && value[0] == SEALED_VERSION && cipher.isCurrent(value, 9));
    }

    /** The value at {@code key} sealed under the active key. */
    public static byte[] reseal(byte[] key, byte[] value, ValueCipher cipher) {
        return seal(key, open(key, value, cipher), cipher);
    }

    /** The version 1 form of a value, opened if sealed. */
    private static byte[] open(byte[] key, byte[] value, ValueCipher cipher) {
        checkHeader(value);
        if (value[0] == VERSION) {
            return value;
        }
        byte[] rest = cipher.open(Domain.SNAPSHOT, key, value, 9, value.length - 9);
        return ByteBuffer.allocate(9 + rest.length)
                .put(VERSION)
                .putLong(ByteBuffer.wrap(value).getLong(1))
                .put(rest)
                .array();
    }

    /** Decodes the snapshot value at {@code key}, opening it if sealed. */
    public static Stored decode(byte[] key, byte[] value, ValueCipher cipher) {
        return decode(open(key, value, cipher));
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
        if (value[0] != VERSION) {
            throw new IllegalArgumentException("a sealed snapshot value is decoded with its key and the cipher");
        }
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
        if (value.length < HEADER || (value[0] != VERSION && value[0] != SEALED_VERSION)) {
            throw new IllegalArgumentException("not a snapshot value of version " + VERSION + " or " + SEALED_VERSION
                    + " (" + value.length + " bytes)");
        }
    }
}

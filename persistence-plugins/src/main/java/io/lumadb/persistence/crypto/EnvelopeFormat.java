package io.lumadb.persistence.crypto;

/**
 * The byte layout of an encrypted value: AES-256-GCM with a random nonce, under a key named by
 * its id, bound to the record it belongs to. {@link ValueCipher} writes and reads it.
 *
 * <pre>
 *   byte     0xEC            marker: says "sealed value" (see below)
 *   byte     0x01            envelope version
 *   uint16   key id          1..65535, the {@link Keyring} id of the key, big-endian
 *   12 bytes nonce           random per value (SecureRandom)
 *   n bytes  ciphertext      of the n plaintext bytes
 *   16 bytes GCM tag
 * </pre>
 *
 * An envelope is {@value #OVERHEAD} bytes longer than its plaintext.
 *
 * <p>Additional authenticated data (not stored, supplied again by the reader): the first four
 * bytes of the envelope (marker, version, key id), one byte naming the {@link Domain} (shard
 * document, journal event, snapshot, sealed message, time series), then the record's key in its store: for a shard document
 * {@code UTF-8(store name) 0x00 UTF-8(document id)}, for a time-series value {@code UTF-8(store name) 0x00} and its key
 * after the store's prefix, for a journal event and a snapshot {@code
 * UTF-8(persistence id) 0x00 int64(sequence nr)}. A value copied to another record, store or domain
 * therefore fails authentication instead of being read as that record's. A message sealed by
 * {@link SealingSerializer} (domain message) has no record key: a serializer does not learn which
 * row it writes (see {@link SealedMessageFormat}).
 *
 * <p>Why the marker cannot collide. Readers tell a sealed value from one written before
 * encryption was turned on by the first byte: a plaintext shard document starts with its 8-byte
 * big-endian version, a non-negative long, so its first byte is 0x00..0x7F; 0xEC is above that
 * range. The journal and the snapshot store also have a version byte of their own (version 2
 * means "payload sealed"), and keep the marker as a second check.
 *
 * <p>Nonces are random, so one key should seal no more than about 2^32 values (NIST SP 800-38D);
 * rotating the key well before that (a new key id, see {@link Keyring}) keeps the bound.
 */
public final class EnvelopeFormat {

    /** The first byte of every envelope. */
    public static final byte MARKER = (byte) 0xEC;

    /** The envelope version this code writes and reads. */
    public static final byte VERSION = 1;

    /** Marker, version and key id: the bytes before the nonce. */
    public static final int HEADER_BYTES = 4;

    /** Length of the GCM nonce. */
    public static final int NONCE_BYTES = 12;

    /** Length of the GCM authentication tag. */
    public static final int TAG_BYTES = 16;

    /** How much longer an envelope is than its plaintext. */
    public static final int OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

    /** What kind of record a value is: part of the authenticated data, so values cannot cross kinds. */
    public enum Domain {
        SHARD_DOCUMENT(1),
        JOURNAL_EVENT(2),
        SNAPSHOT(3),
        /** A Pekko message sealed by {@link SealingSerializer}: cluster-mode journal events and snapshots. */
        MESSAGE(4),
        /** A value of a shard's time series (a block, open points, rolled-up windows). */
        TIME_SERIES(5);

        /** The domain's byte of the authenticated data (never modified). */
        final byte[] aad;

        Domain(int code) {
            this.aad = new byte[] {(byte) code};
        }
    }

    private EnvelopeFormat() {}

    /** Whether the bytes at {@code offset} start an envelope (by the marker only). */
    public static boolean isEnvelope(byte[] value, int offset) {
        return value.length > offset && value[offset] == MARKER;
    }

    /** The key id of the envelope at {@code offset}. */
    public static int keyId(byte[] value, int offset) {
        checkHeader(value, offset, value.length - offset);
        return ((value[offset + 2] & 0xFF) << 8) | (value[offset + 3] & 0xFF);
    }

    static void checkHeader(byte[] value, int offset, int length) {
        if (length < OVERHEAD || value[offset] != MARKER) {
            throw new EncryptionException("not an encrypted value (" + length + " bytes"
                    + (length > 0 ? ", first byte 0x" + Integer.toHexString(value[offset] & 0xFF) : "") + ")");
        }
        if (value[offset + 1] != VERSION) {
            throw new EncryptionException("encrypted value of envelope version " + value[offset + 1]
                    + ", this node reads version " + VERSION);
        }
    }
}

package io.lumadb.persistence.crypto;

import java.nio.charset.StandardCharsets;

/**
 * The layout of a message sealed by {@link SealingSerializer}: how a cluster-mode journal event or
 * snapshot is stored in PostgreSQL when encryption at rest is on. pekko-persistence-jdbc stores
 * every message as three columns (serializer id, manifest, bytes: {@code event_ser_id},
 * {@code event_ser_manifest}, {@code event_payload} of {@code event_journal}, and the {@code
 * snapshot_ser_*} columns of {@code snapshot}); a sealed message fills them as follows.
 *
 * <pre>
 *   serializer id   {@value #SERIALIZER_ID}           the sealing serializer's identifier
 *   manifest        "{@value #MANIFEST}"               the version of this layout
 *   bytes           an {@link EnvelopeFormat} envelope, domain {@link EnvelopeFormat.Domain#MESSAGE},
 *                   whose plaintext is:
 *     int32   delegate id       the serializer that wrote the message (e.g. Jackson CBOR), big-endian
 *     uint16  n                 length of the delegate's manifest in UTF-8 bytes, big-endian
 *     n bytes manifest          the delegate's manifest (e.g. the message's class name)
 *     rest    payload           the delegate's bytes
 * </pre>
 *
 * So the key id is readable (bytes 2 and 3 of the column, counting from 0: what the re-encryption
 * queries by), while the message's type and content are not. A row written before encryption was turned on keeps the
 * delegate's id, manifest and bytes in clear, and is read by the delegate as before.
 *
 * <p>Unlike the embedded journal's envelopes, a sealed message is not bound to its row (persistence
 * id and sequence number): a serializer does not learn which row it writes. Someone able to write
 * to the tables could copy a sealed event from one row to another of the same kind; reading,
 * altering or forging one still needs the key.
 */
public final class SealedMessageFormat {

    /** The sealing serializer's identifier (Pekko serializer id). */
    public static final int SERIALIZER_ID = 19_539;

    /** The manifest of every sealed message: this layout's version. */
    public static final String MANIFEST = "1";

    /** No record key: the authenticated data is the envelope header and the domain only. */
    static final byte[] NO_RECORD = new byte[0];

    /** Delegate id and manifest length. */
    private static final int HEADER_BYTES = 6;

    private SealedMessageFormat() {}

    /** What the envelope holds: the delegate's id, manifest and bytes. */
    record Plain(int delegateId, String manifest, byte[] payload) {}

    /** The plaintext for the delegate's id, manifest and bytes. */
    static byte[] plaintext(int delegateId, String manifest, byte[] payload) {
        byte[] name = manifest.getBytes(StandardCharsets.UTF_8);
        if (name.length > 0xFFFF) {
            throw new IllegalArgumentException(
                    "manifest must be at most 65535 UTF-8 bytes, was " + name.length + " (" + manifest + ")");
        }
        byte[] out = new byte[HEADER_BYTES + name.length + payload.length];
        out[0] = (byte) (delegateId >>> 24);
        out[1] = (byte) (delegateId >>> 16);
        out[2] = (byte) (delegateId >>> 8);
        out[3] = (byte) delegateId;
        out[4] = (byte) (name.length >>> 8);
        out[5] = (byte) name.length;
        System.arraycopy(name, 0, out, HEADER_BYTES, name.length);
        System.arraycopy(payload, 0, out, HEADER_BYTES + name.length, payload.length);
        return out;
    }

    /**
     * Reads a plaintext.
     *
     * @throws EncryptionException if it is shorter than its header says (it authenticated, so only
     *     a writer of another layout could have made it)
     */
    static Plain parse(byte[] plain) {
        if (plain.length < HEADER_BYTES) {
            throw new EncryptionException("a sealed message of " + plain.length + " bytes is too short for its header");
        }
        int delegate =
                ((plain[0] & 0xFF) << 24) | ((plain[1] & 0xFF) << 16) | ((plain[2] & 0xFF) << 8) | (plain[3] & 0xFF);
        int n = ((plain[4] & 0xFF) << 8) | (plain[5] & 0xFF);
        if (HEADER_BYTES + n > plain.length) {
            throw new EncryptionException(
                    "a sealed message of " + plain.length + " bytes announces a manifest of " + n + " bytes");
        }
        String manifest = new String(plain, HEADER_BYTES, n, StandardCharsets.UTF_8);
        byte[] payload = java.util.Arrays.copyOfRange(plain, HEADER_BYTES + n, plain.length);
        return new Plain(delegate, manifest, payload);
    }
}

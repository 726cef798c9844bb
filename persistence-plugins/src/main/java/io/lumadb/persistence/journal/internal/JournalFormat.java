package io.lumadb.persistence.journal.internal;

import io.lumadb.persistence.crypto.EnvelopeFormat;
import io.lumadb.persistence.crypto.EnvelopeFormat.Domain;
import io.lumadb.persistence.crypto.ValueCipher;
import io.lumadb.persistence.rocksdb.internal.Keys;
import io.lumadb.persistence.rocksdb.internal.SerializedForm;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.serialization.Serialization;

/**
 * The byte layout of the journal in RocksDB, shared by the journal plugin and the read journal. All
 * integers are big-endian, so that RocksDB's bytewise key order is numeric order for the
 * non-negative sequence numbers and orderings.
 *
 * <h2>Column family {@value #JOURNAL_CF}: the events</h2>
 *
 * <pre>
 *   key   = UTF-8(persistenceId) 0x00 int64(sequenceNr)
 *   value = 0x01 (format version)
 *           int64(ordering)          global position of the event, see below
 *           {@link SerializedForm}    of the PersistentRepr (Pekko's protobuf
 *                                     serializer, which serializes the payload with its own binding)
 * </pre>
 *
 * or, with encryption at rest on ({@link ValueCipher}),
 *
 * <pre>
 *   value = 0x02 (format version: payload sealed)
 *           int64(ordering)          in clear: the read journal matches tag entries by it
 *           {@link EnvelopeFormat envelope} of the {@link SerializedForm} above (the persistent
 *                                     repr: payload, manifest, persistence id, sequence number,
 *                                     writer uuid, timestamp), authenticated with the event's key
 * </pre>
 *
 * Both versions are read, whatever the current setting; background re-encryption ({@link
 * JournalStore#reencrypt}) rewrites version 1 values and version 2 values under older keys into
 * version 2 under the active key, keeping the ordering. In clear stay the keys (persistence ids,
 * sequence numbers), the orderings, the meta column family and the tag index (tags, orderings).
 *
 * A persistence id may not contain 0x00 (see {@link Keys}), so that {@code pid 0x00} is a prefix of
 * the keys of exactly one persistence id.
 *
 * <h2>Column family {@value #META_CF}: per persistence id and global counters</h2>
 *
 * <pre>
 *   0x01 UTF-8(persistenceId)  -&gt; int64 highest sequence number ever written (kept when the
 *                                  events are deleted: Pekko must not reuse sequence numbers)
 *   0x02 UTF-8(persistenceId)  -&gt; int64 deleted-to: every event at or below it was deleted
 *   0x00 "ordering"            -&gt; int64 highest ordering handed out so far
 * </pre>
 *
 * <h2>Column family {@value #TAGS_CF}: the tag index</h2>
 *
 * <pre>
 *   key   = UTF-8(tag) 0x00 int64(ordering)
 *   value = the event's key in {@value #JOURNAL_CF}
 * </pre>
 *
 * Index entries are not removed when their events are deleted; readers skip entries whose event is
 * gone.
 *
 * <h2>Ordering</h2>
 *
 * Every event gets an ordering from one counter per database, assigned by the single writer in
 * commit order, so that a reader that sees ordering n also sees every committed ordering below n.
 * The events, the meta updates and the tag entries of a commit are one {@code WriteBatch}.
 */
public final class JournalFormat {

    /** Column family of the events. */
    public static final String JOURNAL_CF = "journal";

    /** Column family of the per persistence id and global counters. */
    public static final String META_CF = "journal-meta";

    /** Column family of the tag index. */
    public static final String TAGS_CF = "journal-tags";

    /** The version byte that starts every event value written in clear. */
    public static final byte VALUE_VERSION = 1;

    /** The version byte that starts every event value whose payload is sealed. */
    public static final byte SEALED_VERSION = 2;

    /** Offset of the ordering inside an event value. */
    public static final int ORDERING_OFFSET = 1;

    private static final int VALUE_HEADER = 1 + 8;

    private static final byte HIGHEST_PREFIX = 0x01;
    private static final byte DELETED_TO_PREFIX = 0x02;

    /** Meta key of the global ordering counter. */
    public static final byte[] ORDERING_KEY = {0x00, 'o', 'r', 'd', 'e', 'r', 'i', 'n', 'g'};

    private JournalFormat() {}

    /**
     * Key of the event {@code sequenceNr} of the persistence id whose UTF-8 bytes are {@code pid}.
     */
    public static byte[] eventKey(byte[] pid, long sequenceNr) {
        return Keys.idKey(pid, sequenceNr);
    }

    /** Meta key of the highest sequence number of a persistence id. */
    public static byte[] highestKey(byte[] pid) {
        return prefixed(HIGHEST_PREFIX, pid);
    }

    /** Meta key of the deleted-to sequence number of a persistence id. */
    public static byte[] deletedToKey(byte[] pid) {
        return prefixed(DELETED_TO_PREFIX, pid);
    }

    /** The first byte of every highest-sequence-number key in {@value #META_CF}. */
    public static byte[] highestKeyPrefix() {
        return new byte[] {HIGHEST_PREFIX};
    }

    /** The exclusive upper bound of the highest-sequence-number keys. */
    public static byte[] highestKeyEnd() {
        return new byte[] {HIGHEST_PREFIX + 1};
    }

    /** The persistence id of a highest-sequence-number key. */
    public static String persistenceIdOfHighestKey(byte[] key) {
        return new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
    }

    /** Key of an entry of the tag index. */
    public static byte[] tagKey(byte[] tag, long ordering) {
        return Keys.idKey(tag, ordering);
    }

    /**
     * An event value with its ordering still 0: the ordering is only known to the writer thread,
     * which fills it in with {@link #setOrdering} without copying the rest.
     */
    public static byte[] eventValue(SerializedForm repr) {
        ByteBuffer buffer = ByteBuffer.allocate(VALUE_HEADER + repr.encodedLength());
        buffer.put(VALUE_VERSION).putLong(0L);
        repr.writeTo(buffer);
        return buffer.array();
    }

    /**
     * An event value as {@link #eventValue(SerializedForm)} makes it, sealed for the event at
     * {@code key} when {@code cipher} is enabled.
     */
    public static byte[] eventValue(SerializedForm repr, ValueCipher cipher, byte[] key) {
        if (!cipher.enabled()) {
            return eventValue(repr);
        }
        ByteBuffer plain = ByteBuffer.allocate(repr.encodedLength());
        repr.writeTo(plain);
        return sealedValue(0L, cipher.seal(Domain.JOURNAL_EVENT, key, plain.array()));
    }

    private static byte[] sealedValue(long ordering, byte[] envelope) {
        return ByteBuffer.allocate(VALUE_HEADER + envelope.length)
                .put(SEALED_VERSION)
                .putLong(ordering)
                .put(envelope)
                .array();
    }

    /** Whether the value needs no re-encryption: sealed under the active key, or encryption is off. */
    public static boolean isCurrent(byte[] eventValue, ValueCipher cipher) {
        if (!cipher.enabled()) {
            return true;
        }
        checkVersion(eventValue);
        return eventValue[0] == SEALED_VERSION && cipher.isCurrent(eventValue, VALUE_HEADER);
    }

    /** The event value at {@code key} sealed under the active key, with the same ordering. */
    public static byte[] reseal(byte[] key, byte[] eventValue, ValueCipher cipher) {
        byte[] plain = plainForm(key, eventValue, cipher);
        return sealedValue(orderingOf(eventValue), cipher.seal(Domain.JOURNAL_EVENT, key, plain));
    }

    /** The serialized form's bytes of an event value, opened if sealed. */
    private static byte[] plainForm(byte[] key, byte[] eventValue, ValueCipher cipher) {
        checkVersion(eventValue);
        if (eventValue[0] == SEALED_VERSION) {
            return cipher.open(Domain.JOURNAL_EVENT, key, eventValue, VALUE_HEADER, eventValue.length - VALUE_HEADER);
        }
        return java.util.Arrays.copyOfRange(eventValue, VALUE_HEADER, eventValue.length);
    }

    /** Writes the ordering into an event value made by {@link #eventValue}. */
    public static void setOrdering(byte[] eventValue, long ordering) {
        ByteBuffer.wrap(eventValue).putLong(ORDERING_OFFSET, ordering);
    }

    /** The ordering of an event value. */
    public static long orderingOf(byte[] eventValue) {
        checkVersion(eventValue);
        return ByteBuffer.wrap(eventValue).getLong(ORDERING_OFFSET);
    }

    /**
     * Deserializes the PersistentRepr of an event value.
     *
     * @throws Exception if the value is malformed or the payload cannot be deserialized
     */
    public static PersistentRepr reprOf(byte[] eventValue, Serialization serialization) throws Exception {
        return reprOf(null, eventValue, serialization, ValueCipher.disabled());
    }

    /**
     * Deserializes the PersistentRepr of the event value at {@code key}, opening it if sealed.
     *
     * @throws Exception if the value is malformed, cannot be opened ({@link
     *     io.lumadb.persistence.crypto.EncryptionException}: unknown key id, tampered) or the payload
     *     cannot be deserialized
     */
    public static PersistentRepr reprOf(byte[] key, byte[] eventValue, Serialization serialization, ValueCipher cipher)
            throws Exception {
        checkVersion(eventValue);
        ByteBuffer buffer = eventValue[0] == SEALED_VERSION
                ? ByteBuffer.wrap(plainForm(key, eventValue, cipher))
                : ByteBuffer.wrap(eventValue, VALUE_HEADER, eventValue.length - VALUE_HEADER);
        return (PersistentRepr) SerializedForm.readFrom(buffer).deserialize(serialization);
    }

    private static void checkVersion(byte[] eventValue) {
        if (eventValue.length < VALUE_HEADER || (eventValue[0] != VALUE_VERSION && eventValue[0] != SEALED_VERSION)) {
            throw new IllegalArgumentException("not a journal event value of version "
                    + VALUE_VERSION
                    + " or "
                    + SEALED_VERSION
                    + " ("
                    + eventValue.length
                    + " bytes, first byte "
                    + (eventValue.length == 0 ? "none" : eventValue[0])
                    + ")");
        }
    }

    private static byte[] prefixed(byte prefix, byte[] id) {
        byte[] key = new byte[id.length + 1];
        key[0] = prefix;
        System.arraycopy(id, 0, key, 1, id.length);
        return key;
    }
}

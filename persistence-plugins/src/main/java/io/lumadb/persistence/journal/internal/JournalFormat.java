package io.lumadb.persistence.journal.internal;

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

    /** The version byte that starts every event value. */
    public static final byte VALUE_VERSION = 1;

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
        checkVersion(eventValue);
        ByteBuffer buffer = ByteBuffer.wrap(eventValue, VALUE_HEADER, eventValue.length - VALUE_HEADER);
        return (PersistentRepr) SerializedForm.readFrom(buffer).deserialize(serialization);
    }

    private static void checkVersion(byte[] eventValue) {
        if (eventValue.length < VALUE_HEADER || eventValue[0] != VALUE_VERSION) {
            throw new IllegalArgumentException("not a journal event value of version "
                    + VALUE_VERSION
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

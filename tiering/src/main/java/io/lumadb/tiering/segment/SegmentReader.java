package io.lumadb.tiering.segment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Reads a whole segment ({@link SegmentFormat}) held in memory. {@link #open} verifies the magic,
 * format, version, footer and the whole-file crc32c, then the header, footer and index structure,
 * before anything is handed out; reads of single documents verify their record as well. The bytes are
 * not copied: the caller must not modify them. Thread-safe once opened.
 *
 * <p>{@link #readRecord(byte[], String, long)} is the other way in: it verifies one record fetched on
 * its own (a point read of a cold document), without the rest of the segment.
 */
public final class SegmentReader {

    private final byte[] bytes;
    private final String segmentId;
    private final String shard;
    private final long createdAtMillis;
    private final int documentCount;
    private final long indexOffset;
    private final byte[][] ids;
    private final long[] offsets;
    private final int[] lengths;

    private SegmentReader(
            byte[] bytes,
            String segmentId,
            String shard,
            long createdAtMillis,
            int documentCount,
            long indexOffset,
            byte[][] ids,
            long[] offsets,
            int[] lengths) {
        this.bytes = bytes;
        this.segmentId = segmentId;
        this.shard = shard;
        this.createdAtMillis = createdAtMillis;
        this.documentCount = documentCount;
        this.indexOffset = indexOffset;
        this.ids = ids;
        this.offsets = offsets;
        this.lengths = lengths;
    }

    /**
     * Opens a segment, whatever its id.
     *
     * @throws CorruptSegmentException when the bytes are not an intact segment
     */
    public static SegmentReader open(byte[] bytes) {
        return open(null, bytes);
    }

    /**
     * Opens a segment that must be {@code expectedSegmentId}.
     *
     * @param expectedSegmentId the segment the bytes were fetched as, or null for any
     * @throws CorruptSegmentException when the bytes are not an intact segment, or another segment
     */
    public static SegmentReader open(String expectedSegmentId, byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("bytes must not be null");
        }
        String name = expectedSegmentId;
        int minimum = SegmentFormat.headerLength(1, 1) + SegmentFormat.INDEX_OVERHEAD + SegmentFormat.FOOTER_LENGTH;
        if (bytes.length < minimum) {
            throw new CorruptSegmentException(
                    name, bytes.length + " bytes, shorter than the smallest segment (" + minimum + ")");
        }
        if (!Arrays.equals(bytes, 0, 8, SegmentFormat.MAGIC_BYTES, 0, 8)) {
            throw new CorruptSegmentException(
                    name, "bad magic " + ascii(bytes, 0) + ", expected " + SegmentFormat.MAGIC);
        }
        Cursor header = new Cursor(name, bytes, 8, bytes.length);
        String format = header.string("format name");
        if (!format.equals(SegmentFormat.FORMAT_NAME)) {
            throw new CorruptSegmentException(
                    name, "format name '" + format + "', expected '" + SegmentFormat.FORMAT_NAME + "'");
        }
        int version = header.int32("version");
        if (version != SegmentFormat.VERSION) {
            throw new CorruptSegmentException(
                    name, "unsupported format version " + version + ", this node reads " + SegmentFormat.VERSION);
        }
        int footer = bytes.length - SegmentFormat.FOOTER_LENGTH;
        if (!Arrays.equals(bytes, bytes.length - 8, bytes.length, SegmentFormat.FOOTER_MAGIC_BYTES, 0, 8)) {
            throw new CorruptSegmentException(
                    name,
                    "bad footer magic " + ascii(bytes, bytes.length - 8) + ", expected " + SegmentFormat.FOOTER_MAGIC
                            + " (truncated?)");
        }
        ByteBuffer whole = ByteBuffer.wrap(bytes);
        int crcAt = footer + 12;
        int stored = whole.getInt(crcAt);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, crcAt);
        if (stored != (int) crc.getValue()) {
            throw new CorruptSegmentException(
                    name, "crc32c mismatch: stored " + hex(stored) + ", computed " + hex((int) crc.getValue()));
        }

        String segmentId = header.string("segment id");
        if (expectedSegmentId != null && !expectedSegmentId.equals(segmentId)) {
            throw new CorruptSegmentException(
                    name, "the bytes are segment '" + segmentId + "', not '" + expectedSegmentId + "'");
        }
        name = segmentId;
        header = header.renamed(name);
        String shard = header.string("shard name");
        long createdAt = header.int64("created-at");
        int count = header.int32("document count");
        int headerLength = header.position();

        long indexOffset = whole.getLong(footer);
        int footerCount = whole.getInt(footer + 8);
        if (count < 0 || footerCount != count) {
            throw new CorruptSegmentException(
                    name, "document count " + count + " in the header, " + footerCount + " in the footer");
        }
        if (indexOffset < headerLength || indexOffset > footer - SegmentFormat.INDEX_OVERHEAD) {
            throw new CorruptSegmentException(
                    name,
                    "index offset " + indexOffset + " is outside [" + headerLength + ", "
                            + (footer - SegmentFormat.INDEX_OVERHEAD) + "]");
        }
        Cursor index = new Cursor(name, bytes, (int) indexOffset, footer);
        int entries = index.int32("index entry count");
        if (entries != count) {
            throw new CorruptSegmentException(name, "index has " + entries + " entries for " + count + " documents");
        }
        byte[][] ids = new byte[count][];
        long[] offsets = new long[count];
        int[] lengths = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = index.bytes("index id");
            offsets[i] = index.int64("record offset");
            lengths[i] = index.int32("record length");
            if (i > 0 && Arrays.compareUnsigned(ids[i - 1], ids[i]) >= 0) {
                throw new CorruptSegmentException(name, "index entry " + i + " is out of order");
            }
            if (offsets[i] < headerLength
                    || lengths[i] < SegmentFormat.RECORD_OVERHEAD
                    || offsets[i] + lengths[i] > indexOffset) {
                throw new CorruptSegmentException(
                        name,
                        "index entry " + i + " points at [" + offsets[i] + ", +" + lengths[i]
                                + "), outside the records [" + headerLength + ", " + indexOffset + ")");
            }
        }
        if (index.position() != footer) {
            throw new CorruptSegmentException(
                    name, "index ends at " + index.position() + ", the footer starts at " + footer);
        }
        return new SegmentReader(bytes, segmentId, shard, createdAt, count, indexOffset, ids, offsets, lengths);
    }

    /** The segment's id. */
    public String segmentId() {
        return segmentId;
    }

    /** The shard whose documents these are. */
    public String shard() {
        return shard;
    }

    /** When the segment was made, milliseconds since the epoch. */
    public long createdAtMillis() {
        return createdAtMillis;
    }

    /** How many documents the segment holds. */
    public int documentCount() {
        return documentCount;
    }

    /** The segment's length in bytes. */
    public int length() {
        return bytes.length;
    }

    /** Where the index starts; the records lie between the header and it. */
    public long indexOffset() {
        return indexOffset;
    }

    /**
     * The document with this id, by binary search in the index.
     *
     * @throws CorruptSegmentException when its record does not verify
     */
    public Optional<SegmentDocument> get(String id) {
        byte[] key;
        try {
            key = SegmentFormat.utf8("id", id);
        } catch (IllegalArgumentException notAnId) {
            return Optional.empty(); // no such id can have been written
        }
        int low = 0;
        int high = documentCount - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int c = Arrays.compareUnsigned(ids[mid], key);
            if (c < 0) {
                low = mid + 1;
            } else if (c > 0) {
                high = mid - 1;
            } else {
                return Optional.of(record(mid, id));
            }
        }
        return Optional.empty();
    }

    /** Every document, in index (id) order; each record is verified as it is read. */
    public Iterable<SegmentDocument> documents() {
        return () -> new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < documentCount;
            }

            @Override
            public SegmentDocument next() {
                if (next >= documentCount) {
                    throw new NoSuchElementException();
                }
                return record(next++, null);
            }
        };
    }

    /** Where each record lies, in index (id) order: the pointers a shard keeps for its cold documents. */
    public List<BuiltSegment.Entry> entries() {
        List<BuiltSegment.Entry> out = new ArrayList<>(documentCount);
        for (int i = 0; i < documentCount; i++) {
            SegmentDocument document = record(i, null);
            out.add(new BuiltSegment.Entry(document.id(), document.version(), offsets[i], lengths[i]));
        }
        return out;
    }

    private SegmentDocument record(int entry, String expectedId) {
        String id = expectedId != null ? expectedId : new String(ids[entry], StandardCharsets.UTF_8);
        return readRecord(segmentId, bytes, (int) offsets[entry], lengths[entry], id, 0);
    }

    /**
     * Verifies one record fetched on its own and returns its document.
     *
     * @param record exactly the record's bytes
     * @param expectedId the id the record must hold
     * @param expectedVersion the version the record must hold
     * @throws CorruptSegmentException when the record's length, crc32c, id or version is wrong
     */
    public static SegmentDocument readRecord(byte[] record, String expectedId, long expectedVersion) {
        return readRecord(null, record, 0, record.length, expectedId, expectedVersion);
    }

    /**
     * Verifies the record at {@code [offset, offset + length)} of {@code buffer} and returns its
     * document.
     *
     * @param segmentId the segment the record was read from, for messages (null when unknown)
     * @param expectedId the id the record must hold, or null for any
     * @param expectedVersion the version the record must hold, or 0 for any
     * @throws CorruptSegmentException when the record's length, crc32c, id or version is wrong
     */
    public static SegmentDocument readRecord(
            String segmentId, byte[] buffer, int offset, int length, String expectedId, long expectedVersion) {
        if (offset < 0 || length < 0 || offset > buffer.length - length) {
            throw new IllegalArgumentException(
                    "range [" + offset + ", +" + length + ") is outside a buffer of " + buffer.length + " bytes");
        }
        String where = offset == 0 && length == buffer.length ? "record" : "record at offset " + offset;
        if (length < SegmentFormat.RECORD_OVERHEAD) {
            throw new CorruptSegmentException(
                    segmentId,
                    where + ": " + length + " bytes, shorter than the smallest record (" + SegmentFormat.RECORD_OVERHEAD
                            + ")");
        }
        ByteBuffer in = ByteBuffer.wrap(buffer);
        int storedLength = in.getInt(offset);
        if (storedLength != length) {
            throw new CorruptSegmentException(
                    segmentId, where + ": its length field says " + storedLength + " bytes, " + length + " were read");
        }
        CRC32C crc = new CRC32C();
        crc.update(buffer, offset + SegmentFormat.RECORD_CHECKED_OFFSET, length - SegmentFormat.RECORD_CHECKED_OFFSET);
        int storedCrc = in.getInt(offset + SegmentFormat.RECORD_CRC_OFFSET);
        if (storedCrc != (int) crc.getValue()) {
            throw new CorruptSegmentException(
                    segmentId,
                    where + ": crc32c mismatch: stored " + hex(storedCrc) + ", computed " + hex((int) crc.getValue()));
        }
        int idLength = Short.toUnsignedInt(in.getShort(offset + 8));
        if (SegmentFormat.RECORD_OVERHEAD + idLength > length) {
            throw new CorruptSegmentException(
                    segmentId, where + ": id of " + idLength + " bytes does not fit a record of " + length);
        }
        String id = new String(buffer, offset + 10, idLength, StandardCharsets.UTF_8);
        long version = in.getLong(offset + 10 + idLength);
        int jsonLength = in.getInt(offset + 18 + idLength);
        if (jsonLength < 0 || SegmentFormat.RECORD_OVERHEAD + idLength + jsonLength != length) {
            throw new CorruptSegmentException(
                    segmentId,
                    where + ": json of " + jsonLength + " bytes does not fill a record of " + length + " with an id of "
                            + idLength);
        }
        if (expectedId != null && !expectedId.equals(id)) {
            throw new CorruptSegmentException(
                    segmentId,
                    where + " holds id " + SegmentFormat.quoted(id) + ", expected " + SegmentFormat.quoted(expectedId));
        }
        if (version < 1 || (expectedVersion != 0 && version != expectedVersion)) {
            throw new CorruptSegmentException(
                    segmentId,
                    where + " (id " + SegmentFormat.quoted(id) + ") holds version " + version + ", expected "
                            + (expectedVersion == 0 ? ">= 1" : expectedVersion));
        }
        int jsonAt = offset + SegmentFormat.RECORD_OVERHEAD + idLength;
        return new SegmentDocument(id, version, Arrays.copyOfRange(buffer, jsonAt, jsonAt + jsonLength));
    }

    private static String hex(int value) {
        return String.format("%08x", value);
    }

    private static String ascii(byte[] bytes, int offset) {
        StringBuilder out = new StringBuilder("'");
        for (int i = offset; i < offset + 8; i++) {
            int b = bytes[i] & 0xFF;
            out.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return out.append('\'').toString();
    }

    /** Reads fields in order inside {@code [position, end)}, failing as corruption when one overruns. */
    private static final class Cursor {
        private final String segment;
        private final byte[] bytes;
        private final ByteBuffer buffer;
        private final int end;
        private int position;

        Cursor(String segment, byte[] bytes, int position, int end) {
            this.segment = segment;
            this.bytes = bytes;
            this.buffer = ByteBuffer.wrap(bytes);
            this.position = position;
            this.end = end;
        }

        Cursor renamed(String newSegment) {
            return new Cursor(newSegment, bytes, position, end);
        }

        int position() {
            return position;
        }

        private int take(int n, String field) {
            if (n < 0 || position > end - n) {
                throw new CorruptSegmentException(
                        segment, field + " at offset " + position + " overruns its section, which ends at " + end);
            }
            int at = position;
            position += n;
            return at;
        }

        int int32(String field) {
            return buffer.getInt(take(4, field));
        }

        long int64(String field) {
            return buffer.getLong(take(8, field));
        }

        byte[] bytes(String field) {
            int n = Short.toUnsignedInt(buffer.getShort(take(2, field)));
            int at = take(n, field);
            return Arrays.copyOfRange(bytes, at, at + n);
        }

        String string(String field) {
            return new String(bytes(field), StandardCharsets.UTF_8);
        }
    }
}

package io.lumadb.tiering.segment;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The byte layout of a cold-tier segment: an immutable file holding documents of one shard, which
 * the cold tier then cuts into erasure-coded fragments. {@link SegmentWriter} writes it, {@link
 * SegmentReader} reads it and verifies it before trusting a byte.
 *
 * <p>All integers are big-endian. A <i>string</i> is {@code uint16 n} followed by {@code n} bytes of
 * UTF-8 (well-formed: ids with unpaired surrogates are rejected when written).
 *
 * <h2>Header</h2>
 *
 * <pre>
 *   offset 0   8 bytes   magic {@value #MAGIC}
 *   offset 8   string    format name {@value #FORMAT_NAME}
 *   offset 24  int32     format version ({@value #VERSION})
 *   offset 28  string    segment id
 *              string    shard name (the shard entity id whose documents these are)
 *              int64     created at, milliseconds since the epoch
 *              int32     document count
 * </pre>
 *
 * <h2>Records</h2>
 *
 * From the end of the header to the index, one record per document, in the order they were added,
 * each self-checking so that a point read can fetch and verify one record's byte range alone:
 *
 * <pre>
 *   int32     record length: every byte of the record, this field included
 *             (= {@value #RECORD_OVERHEAD} + id length + json length)
 *   int32     crc32c of the record's bytes after this field (id length .. last json byte)
 *   uint16    id length
 *   bytes     id, UTF-8
 *   int64     version (&gt;= 1)
 *   int32     json length
 *   bytes     json
 * </pre>
 *
 * <h2>Index</h2>
 *
 * Starts at the index offset that the footer gives; one entry per document, sorted by id in the
 * unsigned bytewise order of the ids' UTF-8 (which is code point order), no two entries with the
 * same id:
 *
 * <pre>
 *   int32     entry count (= document count)
 *   per entry:
 *     uint16  id length
 *     bytes   id, UTF-8
 *     int64   record offset, from the start of the file
 *     int32   record length (the record's first field)
 * </pre>
 *
 * <h2>Footer</h2>
 *
 * The last {@value #FOOTER_LENGTH} bytes; the index ends exactly where the footer starts:
 *
 * <pre>
 *   int64     index offset
 *   int32     document count (= the header's)
 *   int32     crc32c of every byte of the file before this field: header, records, index and
 *             the two footer fields above
 *   8 bytes   footer magic {@value #FOOTER_MAGIC}
 * </pre>
 *
 * A reader checks the magic, format name and version, then the footer magic and the whole-file
 * crc32c, and only then parses the header, footer and index. A point read that fetched one record's
 * bytes alone checks that record's crc32c, id and version instead.
 */
public final class SegmentFormat {

    /** The first 8 bytes of every segment. */
    public static final String MAGIC = "LUMASEG1";

    /** The last 8 bytes of every segment. */
    public static final String FOOTER_MAGIC = "LUMASEGZ";

    /** The format name written after the magic. */
    public static final String FORMAT_NAME = "lumadb-segment";

    /** The version written and the only one read. */
    public static final int VERSION = 1;

    /** Length of the footer. */
    public static final int FOOTER_LENGTH = 8 + 4 + 4 + 8;

    /** Bytes of a record besides its id and json. */
    public static final int RECORD_OVERHEAD = 4 + 4 + 2 + 8 + 4;

    /** Bytes of an index entry besides its id. */
    public static final int INDEX_ENTRY_OVERHEAD = 2 + 8 + 4;

    /** Bytes of the index besides its entries (the entry count). */
    public static final int INDEX_OVERHEAD = 4;

    /** Longest string (id, segment id, shard name) in UTF-8 bytes. */
    public static final int MAX_STRING_BYTES = 0xFFFF;

    /** Largest segment: segments are built and rebuilt in one byte array. */
    public static final long MAX_SEGMENT_BYTES = Integer.MAX_VALUE - 16;

    /** Offset of the format version in the header. */
    static final int VERSION_OFFSET = 8 + 2 + 14;

    /** Offset of the record crc32c in a record. */
    static final int RECORD_CRC_OFFSET = 4;

    /** Offset of the crc32c'd part of a record. */
    static final int RECORD_CHECKED_OFFSET = 8;

    static final byte[] MAGIC_BYTES = MAGIC.getBytes(StandardCharsets.US_ASCII);
    static final byte[] FOOTER_MAGIC_BYTES = FOOTER_MAGIC.getBytes(StandardCharsets.US_ASCII);
    static final byte[] FORMAT_NAME_BYTES = FORMAT_NAME.getBytes(StandardCharsets.US_ASCII);

    private SegmentFormat() {}

    /** Length of the header of a segment whose segment id and shard name have these UTF-8 lengths. */
    public static int headerLength(int segmentIdBytes, int shardBytes) {
        return 8 + (2 + FORMAT_NAME_BYTES.length) + 4 + (2 + segmentIdBytes) + (2 + shardBytes) + 8 + 4;
    }

    /** Length of the record of a document. */
    public static long recordLength(int idBytes, int jsonLength) {
        return (long) RECORD_OVERHEAD + idBytes + jsonLength;
    }

    /**
     * The UTF-8 of a string that the format stores, rejecting what would not read back equal.
     *
     * @throws IllegalArgumentException naming {@code what} when it is null, empty, not well-formed
     *     UTF-16 or longer than {@value #MAX_STRING_BYTES} bytes in UTF-8
     */
    public static byte[] utf8(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " must be a non-empty string, got " + quoted(value));
        }
        byte[] bytes;
        try {
            CharsetEncoder encoder = StandardCharsets.UTF_8
                    .newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteBuffer buffer = encoder.encode(CharBuffer.wrap(value));
            bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(
                    what + " " + quoted(value) + " is not well-formed Unicode (unpaired surrogate)", e);
        }
        if (bytes.length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException(
                    what + " is " + bytes.length + " bytes long in UTF-8, more than " + MAX_STRING_BYTES);
        }
        return bytes;
    }

    static String quoted(String value) {
        if (value == null) {
            return "null";
        }
        return value.length() > 80 ? "'" + value.substring(0, 80) + "...'" : "'" + value + "'";
    }
}

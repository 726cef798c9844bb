package io.lumadb.tiering.segment;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Builds one segment ({@link SegmentFormat}) in memory from documents added in any order. The
 * records are encoded as they are added (so later changes to a caller's arrays do not matter); {@link
 * #finish()} adds the header, the sorted index and the footer and hands back the file's bytes.
 *
 * <p>A segment never grows over the maximum given to the constructor: a caller that cuts segments at
 * a target size asks {@link #wouldFit} before each {@link #add} and starts a new writer when the
 * answer is no. {@link #size()} is exactly the length {@link #finish()} would produce now. Not
 * thread-safe.
 */
public final class SegmentWriter {

    private final String segmentId;
    private final byte[] segmentIdUtf8;
    private final byte[] shardUtf8;
    private final long createdAtMillis;
    private final long maxBytes;
    private final int headerLength;

    private byte[] records = new byte[4096];
    private int recordsLength;
    private long indexLength = SegmentFormat.INDEX_OVERHEAD;
    private final List<Pending> pending = new ArrayList<>();
    private final Set<String> ids = new HashSet<>();
    private final CRC32C crc = new CRC32C();
    private boolean finished;

    private record Pending(String id, byte[] idUtf8, long version, int recordOffset, int recordLength) {}

    /**
     * @param segmentId the segment's id, unique in the cluster
     * @param shard the shard whose documents these are
     * @param createdAtMillis when the segment was made, milliseconds since the epoch
     * @param maxBytes the largest the segment may grow, header to footer included
     * @throws IllegalArgumentException naming the parameter when one is invalid
     */
    public SegmentWriter(String segmentId, String shard, long createdAtMillis, long maxBytes) {
        this.segmentIdUtf8 = SegmentFormat.utf8("segmentId", segmentId);
        this.shardUtf8 = SegmentFormat.utf8("shard", shard);
        this.segmentId = segmentId;
        this.createdAtMillis = createdAtMillis;
        this.headerLength = SegmentFormat.headerLength(segmentIdUtf8.length, shardUtf8.length);
        long empty = emptySize();
        if (maxBytes < empty || maxBytes > SegmentFormat.MAX_SEGMENT_BYTES) {
            throw new IllegalArgumentException("maxBytes must be between " + empty + " (an empty segment '" + segmentId
                    + "') and " + SegmentFormat.MAX_SEGMENT_BYTES + ", got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** The segment's id. */
    public String segmentId() {
        return segmentId;
    }

    /** The largest this segment may grow. */
    public long maxBytes() {
        return maxBytes;
    }

    /** How many documents were added. */
    public int documentCount() {
        return pending.size();
    }

    /** Whether no document was added yet. */
    public boolean isEmpty() {
        return pending.isEmpty();
    }

    /** The exact length of the segment {@link #finish()} would build now. */
    public long size() {
        return headerLength + (long) recordsLength + indexLength + SegmentFormat.FOOTER_LENGTH;
    }

    /**
     * Whether a document with this id and this many JSON bytes can be added without the segment
     * growing over its maximum. Does not check for duplicate ids.
     *
     * @throws IllegalArgumentException when {@code id} is not a valid id or {@code jsonLength} is
     *     negative
     */
    public boolean wouldFit(String id, int jsonLength) {
        byte[] idUtf8 = SegmentFormat.utf8("id", id);
        if (jsonLength < 0) {
            throw new IllegalArgumentException("jsonLength must be >= 0, got " + jsonLength);
        }
        return size() + growth(idUtf8.length, jsonLength) <= maxBytes;
    }

    /**
     * Adds a document.
     *
     * @param id the document id: non-empty, well-formed Unicode, at most {@value
     *     SegmentFormat#MAX_STRING_BYTES} bytes of UTF-8, not already in this segment
     * @param version the document version, &gt;= 1
     * @param json the document's JSON bytes (copied)
     * @throws IllegalArgumentException naming the argument that is invalid
     * @throws IllegalStateException when the document does not fit ({@link #wouldFit}) or the
     *     segment is finished
     */
    public void add(String id, long version, byte[] json) {
        byte[] idUtf8 = SegmentFormat.utf8("id", id);
        if (version < 1) {
            throw new IllegalArgumentException(
                    "version of id " + SegmentFormat.quoted(id) + " must be >= 1, got " + version);
        }
        if (json == null) {
            throw new IllegalArgumentException("json of id " + SegmentFormat.quoted(id) + " must not be null");
        }
        if (finished) {
            throw new IllegalStateException("segment '" + segmentId + "' is finished; no document can be added");
        }
        long grown = size() + growth(idUtf8.length, json.length);
        if (grown > maxBytes) {
            throw new IllegalStateException("adding id " + SegmentFormat.quoted(id) + " would grow segment '"
                    + segmentId + "' to " + grown + " bytes, over its maximum of " + maxBytes
                    + " (ask wouldFit before adding)");
        }
        if (!ids.add(id)) {
            throw new IllegalArgumentException(
                    "id " + SegmentFormat.quoted(id) + " is already in segment '" + segmentId + "'");
        }
        int length = (int) SegmentFormat.recordLength(idUtf8.length, json.length);
        ensureCapacity(length);
        int start = recordsLength;
        ByteBuffer buffer = ByteBuffer.wrap(records, start, length);
        buffer.putInt(length)
                .putInt(0)
                .putShort((short) idUtf8.length)
                .put(idUtf8)
                .putLong(version)
                .putInt(json.length)
                .put(json);
        crc.reset();
        crc.update(records, start + SegmentFormat.RECORD_CHECKED_OFFSET, length - SegmentFormat.RECORD_CHECKED_OFFSET);
        ByteBuffer.wrap(records).putInt(start + SegmentFormat.RECORD_CRC_OFFSET, (int) crc.getValue());
        recordsLength += length;
        indexLength += SegmentFormat.INDEX_ENTRY_OVERHEAD + idUtf8.length;
        pending.add(new Pending(id, idUtf8, version, start, length));
    }

    /**
     * Builds the segment: header, the records, the index sorted by id, the footer. The writer takes
     * no more documents afterwards.
     */
    public BuiltSegment finish() {
        if (finished) {
            throw new IllegalStateException("segment '" + segmentId + "' is already finished");
        }
        finished = true;
        byte[] out = new byte[Math.toIntExact(size())];
        ByteBuffer buffer = ByteBuffer.wrap(out);
        buffer.put(SegmentFormat.MAGIC_BYTES)
                .putShort((short) SegmentFormat.FORMAT_NAME_BYTES.length)
                .put(SegmentFormat.FORMAT_NAME_BYTES)
                .putInt(SegmentFormat.VERSION)
                .putShort((short) segmentIdUtf8.length)
                .put(segmentIdUtf8)
                .putShort((short) shardUtf8.length)
                .put(shardUtf8)
                .putLong(createdAtMillis)
                .putInt(pending.size());
        buffer.put(records, 0, recordsLength);
        long indexOffset = buffer.position();
        Pending[] sorted = pending.toArray(Pending[]::new);
        Arrays.sort(sorted, (a, b) -> Arrays.compareUnsigned(a.idUtf8(), b.idUtf8()));
        buffer.putInt(sorted.length);
        for (Pending p : sorted) {
            buffer.putShort((short) p.idUtf8().length)
                    .put(p.idUtf8())
                    .putLong(headerLength + (long) p.recordOffset())
                    .putInt(p.recordLength());
        }
        buffer.putLong(indexOffset).putInt(sorted.length);
        crc.reset();
        crc.update(out, 0, buffer.position());
        buffer.putInt((int) crc.getValue()).put(SegmentFormat.FOOTER_MAGIC_BYTES);
        if (buffer.hasRemaining()) {
            throw new IllegalStateException(
                    "segment '" + segmentId + "' came out " + buffer.remaining() + " bytes shorter than computed");
        }
        List<BuiltSegment.Entry> entries = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            entries.add(new BuiltSegment.Entry(
                    p.id(), p.version(), headerLength + (long) p.recordOffset(), p.recordLength()));
        }
        records = null;
        return new BuiltSegment(out, entries);
    }

    private long emptySize() {
        return headerLength + SegmentFormat.INDEX_OVERHEAD + SegmentFormat.FOOTER_LENGTH;
    }

    private static long growth(int idBytes, int jsonLength) {
        return SegmentFormat.recordLength(idBytes, jsonLength) + SegmentFormat.INDEX_ENTRY_OVERHEAD + idBytes;
    }

    private void ensureCapacity(int more) {
        int needed = recordsLength + more;
        if (needed > records.length) {
            long grown = Math.max(needed, Math.min(2L * records.length, maxBytes));
            records = Arrays.copyOf(records, (int) grown);
        }
    }
}

package io.lumadb.tiering.segment;

import java.util.List;

/**
 * A segment that {@link SegmentWriter#finish()} built: its bytes (the whole file, not copied again:
 * do not modify them) and where each document's record lies in them.
 *
 * @param bytes the segment file
 * @param entries one per document, in the order the documents were added
 */
public record BuiltSegment(byte[] bytes, List<Entry> entries) {

    public BuiltSegment {
        if (bytes == null) {
            throw new IllegalArgumentException("bytes must not be null");
        }
        entries = List.copyOf(entries);
    }

    /**
     * Where one document's record lies in the segment: what a shard keeps as its pointer to a cold
     * document, together with the segment id, and hands to a point read.
     *
     * @param id the document id
     * @param version the document version
     * @param offset the record's offset from the start of the segment
     * @param length the record's length
     */
    public record Entry(String id, long version, long offset, int length) {

        public Entry {
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("id must be non-empty, got " + SegmentFormat.quoted(id));
            }
            if (version < 1) {
                throw new IllegalArgumentException("version must be >= 1, got " + version);
            }
            if (offset < 0) {
                throw new IllegalArgumentException("offset must be >= 0, got " + offset);
            }
            if (length < SegmentFormat.RECORD_OVERHEAD) {
                throw new IllegalArgumentException(
                        "length must be >= " + SegmentFormat.RECORD_OVERHEAD + ", got " + length);
            }
        }
    }
}

package io.lumadb.tiering.segment;

/**
 * A document read back from a segment, after its record's crc32c was verified.
 *
 * @param id the document id
 * @param version the document version
 * @param json the document's JSON bytes (a fresh array owned by the caller)
 */
public record SegmentDocument(String id, long version, byte[] json) {}

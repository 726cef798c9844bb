package io.lumadb.tiering.segment;

/**
 * A segment, or a record read out of one, fails verification: bad magic, unknown format or version,
 * checksum mismatch, inconsistent structure, or a record that is not the one asked for. Nothing of it
 * is to be trusted.
 */
public final class CorruptSegmentException extends RuntimeException {

    private final String segmentId;
    private final String problem;

    /**
     * @param segmentId the segment, or null when the bytes came without a segment id
     * @param problem what is wrong, in words
     */
    public CorruptSegmentException(String segmentId, String problem) {
        super((segmentId == null ? "segment record" : "segment '" + segmentId + "'") + " is corrupt: " + problem);
        this.segmentId = segmentId;
        this.problem = problem;
    }

    /** What is wrong, without the segment's name. */
    public String problem() {
        return problem;
    }

    /** The segment, or null when unknown. */
    public String segmentId() {
        return segmentId;
    }
}

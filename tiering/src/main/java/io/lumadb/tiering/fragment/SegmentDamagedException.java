package io.lumadb.tiering.fragment;

import io.lumadb.tiering.erasure.ErasureCoder;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Fewer than {@link ErasureCoder#DATA} of a segment's fragments are intact: what was asked cannot
 * be rebuilt. Names the segment and what is wrong with each bad fragment.
 */
public final class SegmentDamagedException extends RuntimeException {

    private final String segmentId;
    private final SortedMap<Integer, String> problems;

    /**
     * @param segmentId the segment
     * @param good how many fragments were found intact
     * @param problems what is wrong with each bad fragment, by index
     */
    public SegmentDamagedException(String segmentId, int good, Map<Integer, String> problems) {
        super("segment '" + segmentId + "' is damaged: " + good + " of " + ErasureCoder.TOTAL
                + " fragments are intact, " + ErasureCoder.DATA + " are needed; " + describe(problems));
        this.segmentId = segmentId;
        this.problems = Collections.unmodifiableSortedMap(new TreeMap<>(problems));
    }

    /** The segment. */
    public String segmentId() {
        return segmentId;
    }

    /** What is wrong with each bad fragment, by index. */
    public SortedMap<Integer, String> problems() {
        return problems;
    }

    static String describe(Map<Integer, String> problems) {
        StringBuilder out = new StringBuilder();
        new TreeMap<>(problems).forEach((index, problem) -> out.append(out.isEmpty() ? "" : "; ")
                .append("fragment ")
                .append(index)
                .append(": ")
                .append(problem));
        return out.toString();
    }
}

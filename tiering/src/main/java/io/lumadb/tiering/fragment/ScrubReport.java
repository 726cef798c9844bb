package io.lumadb.tiering.fragment;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a scrub of one segment found and did.
 *
 * @param descriptor the segment's descriptor after the scrub: the placement changes when a fragment
 *     was rewritten to a replacement store, and the manifest must then record this one
 * @param damaged whether fewer than 6 fragments were intact, so nothing could be rebuilt and nothing
 *     was written
 * @param problems what was wrong with each bad fragment found, by index (empty: all 9 intact)
 * @param repaired the fragments rebuilt, written and verified, in index order
 * @param unrepaired the bad fragments that could not be rewritten anywhere, and why
 */
public record ScrubReport(
        SegmentDescriptor descriptor,
        boolean damaged,
        SortedMap<Integer, String> problems,
        List<Integer> repaired,
        SortedMap<Integer, String> unrepaired) {

    public ScrubReport {
        problems = Collections.unmodifiableSortedMap(new TreeMap<>(problems));
        repaired = List.copyOf(repaired);
        unrepaired = Collections.unmodifiableSortedMap(new TreeMap<>(unrepaired));
    }

    /** Whether all 9 fragments were intact. */
    public boolean clean() {
        return problems.isEmpty();
    }

    /** Whether all 9 fragments are intact now, after the repairs. */
    public boolean healthy() {
        return !damaged && unrepaired.isEmpty();
    }
}

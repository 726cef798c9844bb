package io.lumadb.tiering.fragment;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A read of a segment that had to rebuild from parity because fragments were missing or corrupt:
 * the read was answered, and the segment wants a scrub.
 *
 * @param descriptor the segment
 * @param problems what is wrong with each bad fragment found, by index
 */
public record DegradedRead(SegmentDescriptor descriptor, SortedMap<Integer, String> problems) {

    public DegradedRead {
        problems = Collections.unmodifiableSortedMap(new TreeMap<>(problems));
    }
}

package io.lumadb.tiering.fragment;

import io.lumadb.tiering.erasure.ErasureCoder;
import java.util.ArrayList;
import java.util.List;

/**
 * What the manifest records of a segment stored as fragments: enough to find, verify and rebuild
 * it. Immutable; a repair that moves a fragment makes a new descriptor ({@link #withStore}).
 *
 * @param segmentId the segment's id
 * @param shard the shard whose documents it holds
 * @param segmentLength the segment's length in bytes
 * @param fragmentSize the length of each fragment, {@code ceil(segmentLength / 6)}
 * @param documentCount how many documents it holds
 * @param fragmentCrcs the crc32c of each of the 9 fragments, data first
 * @param placement the name of the {@link FragmentStore} holding each of the 9 fragments
 */
public record SegmentDescriptor(
        String segmentId,
        String shard,
        long segmentLength,
        int fragmentSize,
        int documentCount,
        List<Integer> fragmentCrcs,
        List<String> placement) {

    public SegmentDescriptor {
        new FragmentId(segmentId, 0); // validates the id
        if (shard == null || shard.isEmpty()) {
            throw new IllegalArgumentException("shard must be non-empty, got " + (shard == null ? "null" : "''"));
        }
        new SegmentLayout(segmentLength, fragmentSize); // validates both
        if (documentCount < 0) {
            throw new IllegalArgumentException("documentCount must be >= 0, got " + documentCount);
        }
        if (fragmentCrcs == null || fragmentCrcs.size() != ErasureCoder.TOTAL) {
            throw new IllegalArgumentException(
                    "fragmentCrcs must hold " + ErasureCoder.TOTAL + " crcs, got " + fragmentCrcs);
        }
        fragmentCrcs = List.copyOf(fragmentCrcs);
        if (placement == null || placement.size() != ErasureCoder.TOTAL) {
            throw new IllegalArgumentException(
                    "placement must name " + ErasureCoder.TOTAL + " stores, got " + placement);
        }
        for (String store : placement) {
            if (store == null || store.isEmpty()) {
                throw new IllegalArgumentException("placement must name a store for every fragment, got " + placement);
            }
        }
        placement = List.copyOf(placement);
    }

    /** The id of fragment {@code index}. */
    public FragmentId fragment(int index) {
        return new FragmentId(segmentId, index);
    }

    /** The recorded crc32c of fragment {@code index}. */
    public int fragmentCrc(int index) {
        return fragmentCrcs.get(index);
    }

    /** The store holding fragment {@code index}. */
    public String store(int index) {
        return placement.get(index);
    }

    /** The segment's layout over its data fragments. */
    public SegmentLayout layout() {
        return new SegmentLayout(segmentLength, fragmentSize);
    }

    /** This descriptor with fragment {@code index} placed on {@code store}. */
    public SegmentDescriptor withStore(int index, String store) {
        List<String> moved = new ArrayList<>(placement);
        moved.set(index, store);
        return new SegmentDescriptor(segmentId, shard, segmentLength, fragmentSize, documentCount, fragmentCrcs, moved);
    }
}

package io.lumadb.tiering.fragment;

import io.lumadb.tiering.erasure.ErasureCoder;
import java.util.ArrayList;
import java.util.List;

/**
 * How a segment's bytes are laid over its data fragments: byte {@code b} of the segment is byte
 * {@code b % fragmentSize} of data fragment {@code b / fragmentSize}, with {@code fragmentSize =
 * ceil(segmentLength / 6)}; the last data fragment is padded with zeros.
 *
 * @param segmentLength the segment's length in bytes
 * @param fragmentSize the length of each of the 9 fragments
 */
public record SegmentLayout(long segmentLength, int fragmentSize) {

    public SegmentLayout {
        if (segmentLength < 1) {
            throw new IllegalArgumentException("segmentLength must be >= 1, got " + segmentLength);
        }
        long expected = fragmentSizeOf(segmentLength);
        if (fragmentSize != expected) {
            throw new IllegalArgumentException("fragmentSize of a segment of " + segmentLength + " bytes must be "
                    + expected + ", got " + fragmentSize);
        }
    }

    /** The layout of a segment of this length. */
    public static SegmentLayout of(long segmentLength) {
        if (segmentLength < 1) {
            throw new IllegalArgumentException("segmentLength must be >= 1, got " + segmentLength);
        }
        return new SegmentLayout(segmentLength, fragmentSizeOf(segmentLength));
    }

    /** {@code ceil(segmentLength / 6)}. */
    public static int fragmentSizeOf(long segmentLength) {
        long size = (segmentLength + ErasureCoder.DATA - 1) / ErasureCoder.DATA;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segmentLength " + segmentLength + " is too large for fragments");
        }
        return (int) size;
    }

    /**
     * A part of a byte range that lies in one data fragment.
     *
     * @param fragment the data fragment's index, {@code 0..5}
     * @param fragmentOffset where the part starts in the fragment
     * @param length the part's length
     * @param targetOffset where the part goes in the range's bytes
     */
    public record Piece(int fragment, int fragmentOffset, int length, int targetOffset) {}

    /**
     * The pieces of the segment's range {@code [offset, offset + length)}, in order. A range no longer
     * than a fragment (any record of a segment of more than a few records) has at most two.
     *
     * @throws IllegalArgumentException when the range is not inside the segment
     */
    public List<Piece> pieces(long offset, int length) {
        checkRange(offset, length);
        List<Piece> out = new ArrayList<>(2);
        long at = offset;
        int done = 0;
        while (done < length) {
            int fragment = (int) (at / fragmentSize);
            int inFragment = (int) (at % fragmentSize);
            int n = Math.min(length - done, fragmentSize - inFragment);
            out.add(new Piece(fragment, inFragment, n, done));
            done += n;
            at += n;
        }
        return out;
    }

    /**
     * Copies the segment's range {@code [offset, offset + length)} out of its data fragments ({@code
     * fragments[0..5]}, all present).
     */
    public byte[] copyRange(byte[][] fragments, long offset, int length) {
        byte[] out = new byte[length];
        for (Piece piece : pieces(offset, length)) {
            System.arraycopy(
                    fragments[piece.fragment()], piece.fragmentOffset(), out, piece.targetOffset(), piece.length());
        }
        return out;
    }

    /** Checks that {@code [offset, offset + length)} lies inside the segment. */
    public void checkRange(long offset, int length) {
        if (offset < 0 || length < 0 || offset > segmentLength - length) {
            throw new IllegalArgumentException(
                    "range [" + offset + ", +" + length + ") is outside a segment of " + segmentLength + " bytes");
        }
    }
}

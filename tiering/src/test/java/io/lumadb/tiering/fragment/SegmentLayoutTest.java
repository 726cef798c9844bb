package io.lumadb.tiering.fragment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.tiering.segment.TestCoder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SegmentLayoutTest {

    @Test
    void fragmentSizeIsTheCeilingOfASixth() {
        assertEquals(1, SegmentLayout.of(1).fragmentSize());
        assertEquals(1, SegmentLayout.of(6).fragmentSize());
        assertEquals(2, SegmentLayout.of(7).fragmentSize());
        assertEquals(166_667, SegmentLayout.of(1_000_000).fragmentSize());
        assertThrows(IllegalArgumentException.class, () -> SegmentLayout.of(0));
        assertThrows(IllegalArgumentException.class, () -> new SegmentLayout(100, 16));
    }

    @Test
    void piecesCoverEveryByteOfARangeWhereTheLayoutPutsIt() {
        Random random = new Random(5);
        for (int round = 0; round < 2000; round++) {
            long segmentLength = 1 + random.nextInt(round < 1000 ? 50 : 100_000);
            SegmentLayout layout = SegmentLayout.of(segmentLength);
            long offset = (long) (random.nextDouble() * segmentLength);
            int length = (int) (random.nextDouble() * (segmentLength - offset + 1));
            List<SegmentLayout.Piece> pieces = layout.pieces(offset, length);

            // an independent byte-by-byte account of where each byte of the range lies
            int covered = 0;
            for (SegmentLayout.Piece piece : pieces) {
                assertTrue(piece.fragment() >= 0 && piece.fragment() < 6, piece.toString());
                assertTrue(piece.length() > 0, piece.toString());
                assertTrue(piece.fragmentOffset() + piece.length() <= layout.fragmentSize(), piece.toString());
                assertEquals(covered, piece.targetOffset());
                for (int k = 0; k < piece.length(); k++) {
                    long segmentByte = offset + piece.targetOffset() + k;
                    assertEquals(segmentByte / layout.fragmentSize(), piece.fragment());
                    assertEquals(segmentByte % layout.fragmentSize(), piece.fragmentOffset() + k);
                }
                covered += piece.length();
            }
            assertEquals(length, covered);
            if (length <= layout.fragmentSize()) {
                assertTrue(pieces.size() <= 2, pieces.toString());
            }
        }
    }

    @Test
    void copyRangeReassemblesTheSegment() {
        byte[] segment = new byte[10_007];
        new Random(9).nextBytes(segment);
        byte[][] fragments = new FragmentCodec(new TestCoder()).encode(segment);
        SegmentLayout layout = SegmentLayout.of(segment.length);
        Random random = new Random(10);
        for (int round = 0; round < 500; round++) {
            int offset = random.nextInt(segment.length);
            int length = random.nextInt(segment.length - offset + 1);
            byte[] expected = Arrays.copyOfRange(segment, offset, offset + length);
            assertArrayEquals(expected, layout.copyRange(fragments, offset, length));
        }
    }

    @Test
    void rangesOutsideTheSegmentAreRefused() {
        SegmentLayout layout = SegmentLayout.of(100);
        assertThrows(IllegalArgumentException.class, () -> layout.pieces(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> layout.pieces(0, 101));
        assertThrows(IllegalArgumentException.class, () -> layout.pieces(99, 2));
        assertThrows(IllegalArgumentException.class, () -> layout.pieces(50, -1));
        assertEquals(List.of(), layout.pieces(100, 0));
    }
}

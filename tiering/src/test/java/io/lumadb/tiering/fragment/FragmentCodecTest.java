package io.lumadb.tiering.fragment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lumadb.tiering.segment.TestCoder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FragmentCodecTest {

    private final FragmentCodec codec = new FragmentCodec(new TestCoder());

    @Test
    void dataFragmentsAreTheSegmentsOwnBytesPaddedWithZeros() {
        for (int length : new int[] {1, 5, 6, 7, 1000, 99_999}) {
            byte[] segment = random(length, length);
            byte[][] fragments = codec.encode(segment);
            int size = SegmentLayout.fragmentSizeOf(length);
            assertEquals(9, fragments.length);
            byte[] joined = new byte[6 * size];
            for (int i = 0; i < 9; i++) {
                assertEquals(size, fragments[i].length);
                if (i < 6) {
                    System.arraycopy(fragments[i], 0, joined, i * size, size);
                }
            }
            assertArrayEquals(segment, Arrays.copyOf(joined, length));
            assertArrayEquals(new byte[6 * size - length], Arrays.copyOfRange(joined, length, joined.length));
            assertArrayEquals(segment, FragmentCodec.join(fragments, length));
        }
    }

    @Test
    void anySixFragmentsRebuildTheOtherThree() {
        byte[] segment = random(1, 30_001);
        byte[][] original = codec.encode(segment);
        int size = original[0].length;
        int combinations = 0;
        for (int a = 0; a < 9; a++) {
            for (int b = a + 1; b < 9; b++) {
                for (int c = b + 1; c < 9; c++) {
                    byte[][] fragments = copy(original);
                    fragments[a] = null;
                    fragments[b] = null;
                    fragments[c] = null;
                    codec.rebuild(fragments, size);
                    for (int i = 0; i < 9; i++) {
                        assertArrayEquals(original[i], fragments[i], "fragment " + i + " without " + a + b + c);
                    }
                    combinations++;
                }
            }
        }
        assertEquals(84, combinations);
    }

    @Test
    void parityDependsOnEveryDataByte() {
        byte[] segment = random(2, 600);
        byte[][] original = codec.encode(segment);
        for (int position = 0; position < segment.length; position += 7) {
            byte[] changed = segment.clone();
            changed[position] ^= 0x5a;
            byte[][] fragments = codec.encode(changed);
            for (int p = 6; p < 9; p++) {
                assertEquals(
                        false, Arrays.equals(original[p], fragments[p]), "parity " + p + " ignores byte " + position);
            }
        }
    }

    @Test
    void fewerThanSixFragmentsCannotRebuild() {
        byte[][] fragments = copy(codec.encode(random(3, 600)));
        fragments[0] = null;
        fragments[3] = null;
        fragments[7] = null;
        fragments[8] = null;
        assertThrows(IllegalArgumentException.class, () -> codec.rebuild(fragments, 100));
        byte[][] wrongLength = copy(codec.encode(random(4, 600)));
        wrongLength[1] = new byte[99];
        assertThrows(IllegalArgumentException.class, () -> codec.rebuild(wrongLength, 100));
    }

    private static byte[][] copy(byte[][] fragments) {
        byte[][] out = new byte[fragments.length][];
        for (int i = 0; i < fragments.length; i++) {
            out[i] = fragments[i].clone();
        }
        return out;
    }

    private static byte[] random(long seed, int length) {
        byte[] out = new byte[length];
        new Random(seed).nextBytes(out);
        return out;
    }
}

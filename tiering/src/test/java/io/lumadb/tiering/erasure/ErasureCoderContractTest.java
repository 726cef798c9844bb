package io.lumadb.tiering.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every {@link ErasureCoder} must do, checked against arithmetic written out here: parity
 * equal to a per-byte loop over the encoding matrix, every loss of up to 3 fragments rebuilt to
 * the exact bytes, fewer than 6 fragments refused, nothing written past {@code length}, bad
 * arguments refused with messages that name them. Each implementation's test extends this one.
 */
@Timeout(120)
abstract class ErasureCoderContractTest {

    /**
     * Lengths around the vector widths and the coders' 4 KiB chunks (whole ones, and a partial last
     * one), and the empty and one-byte fragments.
     */
    static final int[] LENGTHS = {
        0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4095, 4096, 4096 + 7, 3 * 4096 + 1000 + 5, 65536 + 3
    };

    /** Lengths for the every-pattern rebuilds. */
    static final int[] REBUILD_LENGTHS = {1, 17, 1000, 4096 + 7, 3 * 4096 + 1000 + 5};

    /** Where fragments live: a heap byte[], native memory, or a heap long[] (which vectors cannot load). */
    enum Kind {
        HEAP,
        NATIVE,
        HEAP_LONGS
    }

    abstract ErasureCoder coder();

    static MemorySegment segment(Kind kind, Arena arena, long bytes) {
        return switch (kind) {
            case HEAP -> MemorySegment.ofArray(new byte[(int) bytes]);
            case NATIVE -> arena.allocate(Math.max(bytes, 1)).asSlice(0, bytes);
            case HEAP_LONGS ->
                MemorySegment.ofArray(new long[(int) (bytes + 7) / 8]).asSlice(0, bytes);
        };
    }

    /** n fragments of {@code bytes} each, filled with random bytes. */
    static MemorySegment[] fragments(Kind kind, Arena arena, int n, int bytes, Random random) {
        MemorySegment[] s = new MemorySegment[n];
        for (int i = 0; i < n; i++) {
            s[i] = segment(kind, arena, bytes);
            fill(s[i], random);
        }
        return s;
    }

    static void fill(MemorySegment s, Random random) {
        byte[] b = new byte[(int) s.byteSize()];
        random.nextBytes(b);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
    }

    static byte[] bytes(MemorySegment s, int length) {
        return s.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
    }

    /** The parity of {@code data}, one byte at a time: p[r][x] = sum over j of m[6 + r][j] * d[j][x]. */
    static byte[][] referenceParity(MemorySegment[] data, int length) {
        byte[][] m = Gf256.encodingMatrix();
        byte[][] parity = new byte[3][length];
        for (int r = 0; r < 3; r++) {
            for (int x = 0; x < length; x++) {
                int sum = 0;
                for (int j = 0; j < 6; j++) {
                    sum ^= Gf256.mul(m[6 + r][j] & 0xff, data[j].get(ValueLayout.JAVA_BYTE, x) & 0xff);
                }
                parity[r][x] = (byte) sum;
            }
        }
        return parity;
    }

    /** Every set of 1, 2 and 3 of the 9 fragments: 9 + 36 + 84 = 129 loss patterns. */
    static List<int[]> lossPatterns() {
        List<int[]> out = new ArrayList<>();
        for (int k = 1; k <= 3; k++) {
            out.addAll(Gf256Test.choose(9, k));
        }
        return out;
    }

    static boolean[] presentWithout(int[] lost) {
        boolean[] present = new boolean[9];
        java.util.Arrays.fill(present, true);
        for (int f : lost) {
            present[f] = false;
        }
        return present;
    }

    /** 9 encoded fragments (data, then parity) of {@code length} bytes, by the coder under test. */
    MemorySegment[] encoded(Kind kind, Arena arena, int length, Random random) {
        MemorySegment[] all = fragments(kind, arena, 9, length, random);
        coder().encode(java.util.Arrays.copyOfRange(all, 0, 6), java.util.Arrays.copyOfRange(all, 6, 9), length);
        return all;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void parityEqualsAPerByteLoopOverTheEncodingMatrix(Kind kind) {
        Random random = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int length : LENGTHS) {
                MemorySegment[] data = fragments(kind, arena, 6, length, random);
                MemorySegment[] parity = fragments(kind, arena, 3, length, random);
                coder().encode(data, parity, length);
                byte[][] expected = referenceParity(data, length);
                for (int r = 0; r < 3; r++) {
                    assertArrayEquals(expected[r], bytes(parity[r], length), "parity " + r + ", length " + length);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void rebuildsEveryLossOfUpToThreeFragmentsExactly(Kind kind) {
        Random random = new Random(12);
        List<int[]> patterns = lossPatterns();
        assertEquals(129, patterns.size());
        try (Arena arena = Arena.ofConfined()) {
            for (int length : REBUILD_LENGTHS) {
                MemorySegment[] fragments = encoded(kind, arena, length, random);
                byte[][] original = new byte[9][];
                for (int i = 0; i < 9; i++) {
                    original[i] = bytes(fragments[i], length);
                }
                for (int[] lost : patterns) {
                    for (int f : lost) {
                        fill(fragments[f], random); // what a lost fragment's buffer holds is garbage
                    }
                    coder().rebuild(fragments, presentWithout(lost), length);
                    for (int i = 0; i < 9; i++) {
                        assertArrayEquals(
                                original[i],
                                bytes(fragments[i], length),
                                "fragment " + i + " after losing " + java.util.Arrays.toString(lost) + ", length "
                                        + length);
                    }
                }
            }
        }
    }

    @Test
    void rebuildWithEveryFragmentPresentChangesNothing() {
        Random random = new Random(13);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] fragments = encoded(Kind.NATIVE, arena, 100, random);
            byte[][] before = new byte[9][];
            for (int i = 0; i < 9; i++) {
                before[i] = bytes(fragments[i], 100);
            }
            coder().rebuild(fragments, presentWithout(new int[0]), 100);
            for (int i = 0; i < 9; i++) {
                assertArrayEquals(before[i], bytes(fragments[i], 100));
            }
        }
    }

    @Test
    void refusesToRebuildFromFewerThanSixFragments() {
        Random random = new Random(14);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] fragments = encoded(Kind.HEAP, arena, 64, random);
            for (int lost = 4; lost <= 9; lost++) {
                for (int[] pattern : Gf256Test.choose(9, lost)) {
                    byte[][] before = new byte[9][];
                    for (int i = 0; i < 9; i++) {
                        before[i] = bytes(fragments[i], 64);
                    }
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> coder().rebuild(
                                    fragments, presentWithout(pattern), 64));
                    assertEquals(
                            "only " + (9 - lost) + " of 9 fragments are present; at least 6 are needed to rebuild"
                                    + " the others",
                            e.getMessage());
                    for (int i = 0; i < 9; i++) {
                        assertArrayEquals(before[i], bytes(fragments[i], 64), "fragment " + i + " was written");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void writesNothingPastLength(Kind kind) {
        Random random = new Random(15);
        try (Arena arena = Arena.ofConfined()) {
            for (int length : new int[] {0, 1, 33, 1000}) {
                MemorySegment[] fragments = fragments(kind, arena, 9, length + 40, random);
                byte[][] before = new byte[9][];
                for (int i = 0; i < 9; i++) {
                    before[i] = bytes(fragments[i], length + 40);
                }
                coder().encode(
                                java.util.Arrays.copyOfRange(fragments, 0, 6),
                                java.util.Arrays.copyOfRange(fragments, 6, 9),
                                length);
                coder().rebuild(fragments, presentWithout(new int[] {0, 4, 8}), length);
                for (int i = 0; i < 9; i++) {
                    byte[] after = bytes(fragments[i], length + 40);
                    assertArrayEquals(
                            java.util.Arrays.copyOfRange(before[i], length, length + 40),
                            java.util.Arrays.copyOfRange(after, length, length + 40),
                            "bytes after length " + length + " of fragment " + i);
                    if (i < 6 && i != 0 && i != 4) {
                        assertArrayEquals(before[i], after, "input fragment " + i + " was written");
                    }
                }
            }
        }
    }

    @Test
    void codesByteArraysLikeSegments() {
        Random random = new Random(16);
        byte[][] data = new byte[6][77];
        for (byte[] d : data) {
            random.nextBytes(d);
        }
        byte[][] parity = new byte[3][77];
        coder().encode(data, parity, 77);
        MemorySegment[] segments = new MemorySegment[6];
        for (int i = 0; i < 6; i++) {
            segments[i] = MemorySegment.ofArray(data[i]);
        }
        byte[][] expected = referenceParity(segments, 77);
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(expected[r], parity[r]);
        }
        byte[][] all = new byte[9][];
        System.arraycopy(data, 0, all, 0, 6);
        System.arraycopy(parity, 0, all, 6, 3);
        byte[] lost = all[2].clone();
        all[2] = new byte[77];
        coder().rebuild(all, presentWithout(new int[] {2}), 77);
        assertArrayEquals(lost, all[2]);
    }

    @Test
    void rejectsBadArgumentsWithMessagesThatNameThem() {
        MemorySegment[] six = heap(6, 10);
        MemorySegment[] three = heap(3, 10);
        MemorySegment[] nine = heap(9, 10);
        boolean[] all = presentWithout(new int[] {1});
        ErasureCoder c = coder();
        assertMessage("data must hold 6 fragments, not 5", () -> c.encode(heap(5, 10), three, 10));
        assertMessage("parity must hold 3 fragments, not 2", () -> c.encode(six, heap(2, 10), 10));
        assertMessage("data must hold 6 fragments, not null", () -> c.encode((MemorySegment[]) null, three, 10));
        assertMessage("length must be >= 0, not -1", () -> c.encode(six, three, -1));
        assertMessage("data[0] holds 10 bytes, fewer than length 11", () -> c.encode(six, three, 11));
        MemorySegment[] shortData = six.clone();
        shortData[3] = MemorySegment.ofArray(new byte[9]);
        assertMessage("data[3] holds 9 bytes, fewer than length 10", () -> c.encode(shortData, three, 10));
        MemorySegment[] withNull = six.clone();
        withNull[4] = null;
        assertMessage("data[4] is null", () -> c.encode(withNull, three, 10));
        MemorySegment[] readOnly = three.clone();
        readOnly[1] = readOnly[1].asReadOnly();
        assertMessage("parity[1] is read-only but is written", () -> c.encode(six, readOnly, 10));
        assertMessage("fragments must hold 9 fragments, not 8", () -> c.rebuild(heap(8, 10), all, 10));
        assertMessage("present must have 9 flags, one per fragment, not 8", () -> c.rebuild(nine, new boolean[8], 10));
        MemorySegment[] shortOne = nine.clone();
        shortOne[7] = MemorySegment.ofArray(new byte[3]);
        assertMessage("fragments[7] holds 3 bytes, fewer than length 10", () -> c.rebuild(shortOne, all, 10));
        MemorySegment[] readOnlyMissing = nine.clone();
        readOnlyMissing[1] = readOnlyMissing[1].asReadOnly();
        assertMessage("fragments[1] is read-only but is written", () -> c.rebuild(readOnlyMissing, all, 10));
        // A read-only fragment that is only read is fine.
        MemorySegment[] readOnlyPresent = nine.clone();
        readOnlyPresent[0] = readOnlyPresent[0].asReadOnly();
        c.rebuild(readOnlyPresent, all, 10);
        Arena closed = Arena.ofConfined();
        MemorySegment[] withClosed = nine.clone();
        withClosed[5] = closed.allocate(10);
        closed.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.rebuild(withClosed, all, 10));
        assertEquals("fragments[5]'s arena is closed", e.getMessage());
    }

    @Test
    void codesFromManyThreadsAtOnce() throws Exception {
        List<int[]> patterns = lossPatterns();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = 100 + t;
                done.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    try (Arena arena = Arena.ofConfined()) {
                        for (int round = 0; round < 200; round++) {
                            int length = 1 + random.nextInt(3000);
                            MemorySegment[] fragments = encoded(Kind.NATIVE, arena, length, random);
                            byte[][] parity = referenceParity(fragments, length);
                            for (int r = 0; r < 3; r++) {
                                assertArrayEquals(parity[r], bytes(fragments[6 + r], length));
                            }
                            int[] lost = patterns.get(random.nextInt(patterns.size()));
                            byte[][] original = new byte[9][];
                            for (int i = 0; i < 9; i++) {
                                original[i] = bytes(fragments[i], length);
                            }
                            for (int f : lost) {
                                fill(fragments[f], random);
                            }
                            coder().rebuild(fragments, presentWithout(lost), length);
                            for (int i = 0; i < 9; i++) {
                                assertArrayEquals(original[i], bytes(fragments[i], length));
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(); // rethrows a thread's failed assertion
            }
        }
    }

    private static MemorySegment[] heap(int n, int bytes) {
        MemorySegment[] s = new MemorySegment[n];
        for (int i = 0; i < n; i++) {
            s[i] = MemorySegment.ofArray(new byte[bytes]);
        }
        return s;
    }

    private static void assertMessage(String message, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(message, e.getMessage());
    }
}

package io.lumadb.tiering.erasure;

import static io.lumadb.tiering.erasure.ErasureCoder.DATA;
import static io.lumadb.tiering.erasure.ErasureCoder.PARITY;
import static io.lumadb.tiering.erasure.ErasureCoder.TOTAL;

import java.lang.foreign.MemorySegment;

/** The argument checks and the rebuild plan that every {@link ErasureCoder} shares. */
final class Fragments {

    private Fragments() {}

    /**
     * What a rebuild reads and writes: the fragments it reads ({@code sources}, the first 6
     * present, in order), those it writes ({@code missing}, in order), and the set of present
     * fragments as a 9-bit mask (bit i: fragment i present), which names the loss pattern.
     */
    record Plan(int[] sources, int[] missing, int presentMask) {}

    /** Checks the arguments of {@link ErasureCoder#encode(MemorySegment[], MemorySegment[], int)}. */
    static void checkEncode(MemorySegment[] data, MemorySegment[] parity, int length) {
        checkLength(length);
        checkCount("data", data, DATA);
        checkCount("parity", parity, PARITY);
        for (int i = 0; i < DATA; i++) {
            checkSegment("data", i, data[i], length, false);
        }
        for (int i = 0; i < PARITY; i++) {
            checkSegment("parity", i, parity[i], length, true);
        }
    }

    /**
     * Checks the arguments of {@link ErasureCoder#rebuild(MemorySegment[], boolean[], int)} and
     * plans the rebuild.
     */
    static Plan planRebuild(MemorySegment[] fragments, boolean[] present, int length) {
        checkLength(length);
        checkCount("fragments", fragments, TOTAL);
        if (present == null || present.length != TOTAL) {
            throw new IllegalArgumentException("present must have " + TOTAL + " flags, one per fragment, not "
                    + (present == null ? "null" : present.length));
        }
        int count = 0;
        int mask = 0;
        for (int i = 0; i < TOTAL; i++) {
            if (present[i]) {
                count++;
                mask |= 1 << i;
            }
        }
        if (count < DATA) {
            throw new IllegalArgumentException("only " + count + " of " + TOTAL + " fragments are present; at least "
                    + DATA + " are needed to rebuild the others");
        }
        int[] sources = new int[DATA];
        int[] missing = new int[TOTAL - count];
        int s = 0;
        int m = 0;
        for (int i = 0; i < TOTAL; i++) {
            if (present[i]) {
                if (s < DATA) {
                    sources[s++] = i;
                }
            } else {
                missing[m++] = i;
            }
        }
        for (int i = 0; i < TOTAL; i++) {
            checkSegment("fragments", i, fragments[i], length, !present[i]);
        }
        return new Plan(sources, missing, mask);
    }

    private static void checkLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0, not " + length);
        }
    }

    private static void checkCount(String name, MemorySegment[] segments, int expected) {
        if (segments == null || segments.length != expected) {
            throw new IllegalArgumentException(name + " must hold " + expected + " fragments, not "
                    + (segments == null ? "null" : segments.length));
        }
    }

    private static void checkSegment(String name, int i, MemorySegment segment, int length, boolean written) {
        if (segment == null) {
            throw new IllegalArgumentException(name + "[" + i + "] is null");
        }
        if (segment.byteSize() < length) {
            throw new IllegalArgumentException(
                    name + "[" + i + "] holds " + segment.byteSize() + " bytes, fewer than length " + length);
        }
        // A native coder reaches memory through raw addresses, which FFM's own checks never see.
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException(name + "[" + i + "]'s arena is closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException(name + "[" + i + "] belongs to a confined arena of another thread");
        }
        if (written && segment.isReadOnly()) {
            throw new IllegalArgumentException(name + "[" + i + "] is read-only but is written");
        }
    }
}

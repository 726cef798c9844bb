package io.lumadb.tiering.erasure;

import java.lang.foreign.MemorySegment;

/**
 * Systematic Reed-Solomon 6+3 over GF(2^8) with the field polynomial 0x11d and a Cauchy parity
 * matrix: the 6 data fragments are the input's own bytes, the 3 parity fragments are computed,
 * and any 6 of the 9 rebuild the other 3. Every implementation produces the same bytes for the
 * same input, so fragments written by one coder are read back by any other.
 *
 * <p>Fragments are {@link MemorySegment}s (heap or native) of at least {@code length} bytes; an
 * implementation reads and writes exactly the first {@code length} bytes of each.
 */
public interface ErasureCoder {

    /** Data fragments per segment. */
    int DATA = 6;
    /** Parity fragments per segment. */
    int PARITY = 3;
    /** All fragments of a segment. */
    int TOTAL = DATA + PARITY;

    /** What the node reports as its coder, e.g. {@code "isa-l"} or {@code "java-vector"}. */
    String name();

    /** Computes {@code parity[0..2]} from {@code data[0..5]}. */
    void encode(MemorySegment[] data, MemorySegment[] parity, int length);

    /**
     * Fills in every fragment {@code i} of {@code fragments} (9 of them, data first) with {@code
     * present[i]} false, from the present ones; at least {@link #DATA} must be present.
     *
     * @throws IllegalArgumentException when fewer than {@link #DATA} are present
     */
    void rebuild(MemorySegment[] fragments, boolean[] present, int length);

    /** {@link #encode} over byte arrays. */
    default void encode(byte[][] data, byte[][] parity, int length) {
        encode(wrap(data), wrap(parity), length);
    }

    /** {@link #rebuild} over byte arrays. */
    default void rebuild(byte[][] fragments, boolean[] present, int length) {
        rebuild(wrap(fragments), present, length);
    }

    private static MemorySegment[] wrap(byte[][] arrays) {
        MemorySegment[] out = new MemorySegment[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            out[i] = MemorySegment.ofArray(arrays[i]);
        }
        return out;
    }
}

package io.lumadb.tiering.erasure;

import static io.lumadb.tiering.erasure.ErasureCoder.DATA;
import static io.lumadb.tiering.erasure.ErasureCoder.TOTAL;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.XOR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReferenceArray;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The erasure coder in pure Java, on the JDK's Vector API ({@code jdk.incubator.vector}: the JVM
 * needs {@code --add-modules jdk.incubator.vector}). It writes the same bytes as every other {@link
 * ErasureCoder}.
 *
 * <p>A product {@code c * b} in GF(2^8) is {@code low[b & 0x0f] ^ high[b >>> 4]} with two 16-entry
 * tables per coefficient ({@code low[x] = c * x}, {@code high[x] = c * (x << 4)}), looked up for 16
 * bytes at once by one lane shuffle ({@link ByteVector#selectFrom}, which keeps the low 4 bits of
 * each index, so the low nibble needs no mask and the high one is an arithmetic shift by 4). The
 * vectors are 128 bits wide on every CPU: a 16-entry table is exactly one in-lane shuffle there,
 * while wider species need shuffles across lanes that AVX2 emulates with several instructions
 * (measured slower on this project's machines).
 *
 * <p>The fragments are coded in chunks of {@value #CHUNK} bytes: a chunk of each input is copied
 * into a byte array, every output's chunk is computed while those are in the first-level cache,
 * and copied out. Within a chunk each input vector is loaded once and feeds every output (the 3
 * parity fragments, or up to 3 rebuilt ones), with every table in a local; the kernels are
 * written out for 3, 2 and 1 outputs for that reason. They work on arrays rather than on the
 * segments themselves because the JIT's speculation over segment accesses in this loop proved
 * fragile: other code touching segments differently made it deoptimize the kernel again and
 * again, down to a hundredth of its speed; on arrays it stays compiled. The bytes after the last
 * whole vector go through a scalar loop.
 *
 * <p>Rebuilding reads the first 6 present fragments, inverts their rows of the encoding matrix, and
 * applies the rows that give the missing ones ({@link Gf256#decodingRows}); each loss pattern's
 * tables are computed once and kept. Thread-safe: an instance holds only immutable tables, and
 * each call its own chunk buffers. Fragments may be native or heap segments of any kind.
 */
public final class JavaVectorCoder implements ErasureCoder {

    /** The name the node reports. */
    public static final String NAME = "java-vector";

    // Constants, so that the JIT compiles every vector operation to instructions.
    private static final VectorSpecies<Byte> SPECIES = ByteVector.SPECIES_128;
    private static final int LANES = 16;
    /** Bytes of the tables of one output row: a low and a high table per input. */
    private static final int ROW_TABLES = DATA * 2 * LANES;
    /**
     * Bytes of each fragment per chunk: the 6 input and up to 3 output chunks (36 KiB) stay in the
     * first-level cache or close to it while all outputs are computed.
     */
    private static final int CHUNK = 4096;

    private final Coefficients encoding = new Coefficients(Gf256.parityMatrix());
    /** The rebuild tables per set of present fragments (a 9-bit mask), made on first use. */
    private final AtomicReferenceArray<Coefficients> decoding = new AtomicReferenceArray<>(1 << TOTAL);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void encode(MemorySegment[] data, MemorySegment[] parity, int length) {
        Fragments.checkEncode(data, parity, length);
        apply(encoding, data, parity, length);
    }

    @Override
    public void rebuild(MemorySegment[] fragments, boolean[] present, int length) {
        Fragments.Plan plan = Fragments.planRebuild(fragments, present, length);
        if (plan.missing().length == 0) {
            return;
        }
        Coefficients c = decoding.get(plan.presentMask());
        if (c == null) {
            c = new Coefficients(Gf256.decodingRows(plan.sources(), plan.missing()));
            decoding.compareAndSet(plan.presentMask(), null, c);
        }
        MemorySegment[] in = new MemorySegment[DATA];
        for (int i = 0; i < DATA; i++) {
            in[i] = fragments[plan.sources()[i]];
        }
        MemorySegment[] out = new MemorySegment[plan.missing().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = fragments[plan.missing()[i]];
        }
        apply(c, in, out, length);
    }

    /**
     * Up to 3 output rows of coefficients over the 6 inputs, and their nibble tables: for row r,
     * input j, the low table at {@code r * ROW_TABLES + j * 32} and the high table 16 bytes later.
     */
    private record Coefficients(byte[][] matrix, byte[] tables) {
        Coefficients(byte[][] matrix) {
            this(matrix, nibbleTables(matrix));
        }

        private static byte[] nibbleTables(byte[][] matrix) {
            byte[] t = new byte[matrix.length * ROW_TABLES];
            for (int r = 0; r < matrix.length; r++) {
                for (int j = 0; j < DATA; j++) {
                    int c = matrix[r][j] & 0xff;
                    int low = r * ROW_TABLES + j * 2 * LANES;
                    for (int x = 0; x < LANES; x++) {
                        t[low + x] = (byte) Gf256.mul(c, x);
                        t[low + LANES + x] = (byte) Gf256.mul(c, x << 4);
                    }
                }
            }
            return t;
        }
    }

    private static void apply(Coefficients c, MemorySegment[] in, MemorySegment[] out, int length) {
        int vectorEnd = length - length % LANES;
        if (vectorEnd > 0) {
            byte[] t = c.tables();
            int chunk = Math.min(CHUNK, vectorEnd);
            byte[][] inChunk = new byte[DATA][chunk];
            byte[][] outChunk = new byte[out.length][chunk];
            for (int from = 0; from < vectorEnd; from += chunk) {
                int n = Math.min(chunk, vectorEnd - from);
                for (int j = 0; j < DATA; j++) {
                    MemorySegment.copy(in[j], ValueLayout.JAVA_BYTE, from, inChunk[j], 0, n);
                }
                switch (out.length) {
                    case 3 -> vector3(t, inChunk, outChunk[0], outChunk[1], outChunk[2], n);
                    case 2 -> vector2(t, inChunk, outChunk[0], outChunk[1], n);
                    case 1 -> vector1(t, inChunk, outChunk[0], n);
                    default -> throw new IllegalStateException("1 to 3 outputs, not " + out.length);
                }
                for (int r = 0; r < out.length; r++) {
                    MemorySegment.copy(outChunk[r], 0, out[r], ValueLayout.JAVA_BYTE, from, n);
                }
            }
        }
        scalar(c.matrix(), in, out, vectorEnd, length);
    }

    private static ByteVector table(byte[] t, int row, int input, int high) {
        return ByteVector.fromArray(SPECIES, t, row * ROW_TABLES + (input * 2 + high) * LANES);
    }

    private static ByteVector load(byte[] a, int p) {
        return ByteVector.fromArray(SPECIES, a, p);
    }

    /** The high nibbles in the low 4 bits of each lane (what selectFrom reads of an index). */
    private static ByteVector high(ByteVector v) {
        return v.lanewise(ASHR, 4);
    }

    private static void vector3(byte[] t, byte[][] in, byte[] o0, byte[] o1, byte[] o2, int end) {
        byte[] i0 = in[0], i1 = in[1], i2 = in[2], i3 = in[3], i4 = in[4], i5 = in[5];
        ByteVector l00 = table(t, 0, 0, 0), h00 = table(t, 0, 0, 1);
        ByteVector l01 = table(t, 0, 1, 0), h01 = table(t, 0, 1, 1);
        ByteVector l02 = table(t, 0, 2, 0), h02 = table(t, 0, 2, 1);
        ByteVector l03 = table(t, 0, 3, 0), h03 = table(t, 0, 3, 1);
        ByteVector l04 = table(t, 0, 4, 0), h04 = table(t, 0, 4, 1);
        ByteVector l05 = table(t, 0, 5, 0), h05 = table(t, 0, 5, 1);
        ByteVector l10 = table(t, 1, 0, 0), h10 = table(t, 1, 0, 1);
        ByteVector l11 = table(t, 1, 1, 0), h11 = table(t, 1, 1, 1);
        ByteVector l12 = table(t, 1, 2, 0), h12 = table(t, 1, 2, 1);
        ByteVector l13 = table(t, 1, 3, 0), h13 = table(t, 1, 3, 1);
        ByteVector l14 = table(t, 1, 4, 0), h14 = table(t, 1, 4, 1);
        ByteVector l15 = table(t, 1, 5, 0), h15 = table(t, 1, 5, 1);
        ByteVector l20 = table(t, 2, 0, 0), h20 = table(t, 2, 0, 1);
        ByteVector l21 = table(t, 2, 1, 0), h21 = table(t, 2, 1, 1);
        ByteVector l22 = table(t, 2, 2, 0), h22 = table(t, 2, 2, 1);
        ByteVector l23 = table(t, 2, 3, 0), h23 = table(t, 2, 3, 1);
        ByteVector l24 = table(t, 2, 4, 0), h24 = table(t, 2, 4, 1);
        ByteVector l25 = table(t, 2, 5, 0), h25 = table(t, 2, 5, 1);
        for (int p = 0; p < end; p += LANES) {
            ByteVector v0 = load(i0, p), v1 = load(i1, p), v2 = load(i2, p);
            ByteVector v3 = load(i3, p), v4 = load(i4, p), v5 = load(i5, p);
            ByteVector w0 = high(v0), w1 = high(v1), w2 = high(v2), w3 = high(v3), w4 = high(v4), w5 = high(v5);
            v0.selectFrom(l00)
                    .lanewise(XOR, w0.selectFrom(h00))
                    .lanewise(XOR, v1.selectFrom(l01))
                    .lanewise(XOR, w1.selectFrom(h01))
                    .lanewise(XOR, v2.selectFrom(l02))
                    .lanewise(XOR, w2.selectFrom(h02))
                    .lanewise(XOR, v3.selectFrom(l03))
                    .lanewise(XOR, w3.selectFrom(h03))
                    .lanewise(XOR, v4.selectFrom(l04))
                    .lanewise(XOR, w4.selectFrom(h04))
                    .lanewise(XOR, v5.selectFrom(l05))
                    .lanewise(XOR, w5.selectFrom(h05))
                    .intoArray(o0, p);
            v0.selectFrom(l10)
                    .lanewise(XOR, w0.selectFrom(h10))
                    .lanewise(XOR, v1.selectFrom(l11))
                    .lanewise(XOR, w1.selectFrom(h11))
                    .lanewise(XOR, v2.selectFrom(l12))
                    .lanewise(XOR, w2.selectFrom(h12))
                    .lanewise(XOR, v3.selectFrom(l13))
                    .lanewise(XOR, w3.selectFrom(h13))
                    .lanewise(XOR, v4.selectFrom(l14))
                    .lanewise(XOR, w4.selectFrom(h14))
                    .lanewise(XOR, v5.selectFrom(l15))
                    .lanewise(XOR, w5.selectFrom(h15))
                    .intoArray(o1, p);
            v0.selectFrom(l20)
                    .lanewise(XOR, w0.selectFrom(h20))
                    .lanewise(XOR, v1.selectFrom(l21))
                    .lanewise(XOR, w1.selectFrom(h21))
                    .lanewise(XOR, v2.selectFrom(l22))
                    .lanewise(XOR, w2.selectFrom(h22))
                    .lanewise(XOR, v3.selectFrom(l23))
                    .lanewise(XOR, w3.selectFrom(h23))
                    .lanewise(XOR, v4.selectFrom(l24))
                    .lanewise(XOR, w4.selectFrom(h24))
                    .lanewise(XOR, v5.selectFrom(l25))
                    .lanewise(XOR, w5.selectFrom(h25))
                    .intoArray(o2, p);
        }
    }

    private static void vector2(byte[] t, byte[][] in, byte[] o0, byte[] o1, int end) {
        byte[] i0 = in[0], i1 = in[1], i2 = in[2], i3 = in[3], i4 = in[4], i5 = in[5];
        ByteVector l00 = table(t, 0, 0, 0), h00 = table(t, 0, 0, 1);
        ByteVector l01 = table(t, 0, 1, 0), h01 = table(t, 0, 1, 1);
        ByteVector l02 = table(t, 0, 2, 0), h02 = table(t, 0, 2, 1);
        ByteVector l03 = table(t, 0, 3, 0), h03 = table(t, 0, 3, 1);
        ByteVector l04 = table(t, 0, 4, 0), h04 = table(t, 0, 4, 1);
        ByteVector l05 = table(t, 0, 5, 0), h05 = table(t, 0, 5, 1);
        ByteVector l10 = table(t, 1, 0, 0), h10 = table(t, 1, 0, 1);
        ByteVector l11 = table(t, 1, 1, 0), h11 = table(t, 1, 1, 1);
        ByteVector l12 = table(t, 1, 2, 0), h12 = table(t, 1, 2, 1);
        ByteVector l13 = table(t, 1, 3, 0), h13 = table(t, 1, 3, 1);
        ByteVector l14 = table(t, 1, 4, 0), h14 = table(t, 1, 4, 1);
        ByteVector l15 = table(t, 1, 5, 0), h15 = table(t, 1, 5, 1);
        for (int p = 0; p < end; p += LANES) {
            ByteVector v0 = load(i0, p), v1 = load(i1, p), v2 = load(i2, p);
            ByteVector v3 = load(i3, p), v4 = load(i4, p), v5 = load(i5, p);
            ByteVector w0 = high(v0), w1 = high(v1), w2 = high(v2), w3 = high(v3), w4 = high(v4), w5 = high(v5);
            v0.selectFrom(l00)
                    .lanewise(XOR, w0.selectFrom(h00))
                    .lanewise(XOR, v1.selectFrom(l01))
                    .lanewise(XOR, w1.selectFrom(h01))
                    .lanewise(XOR, v2.selectFrom(l02))
                    .lanewise(XOR, w2.selectFrom(h02))
                    .lanewise(XOR, v3.selectFrom(l03))
                    .lanewise(XOR, w3.selectFrom(h03))
                    .lanewise(XOR, v4.selectFrom(l04))
                    .lanewise(XOR, w4.selectFrom(h04))
                    .lanewise(XOR, v5.selectFrom(l05))
                    .lanewise(XOR, w5.selectFrom(h05))
                    .intoArray(o0, p);
            v0.selectFrom(l10)
                    .lanewise(XOR, w0.selectFrom(h10))
                    .lanewise(XOR, v1.selectFrom(l11))
                    .lanewise(XOR, w1.selectFrom(h11))
                    .lanewise(XOR, v2.selectFrom(l12))
                    .lanewise(XOR, w2.selectFrom(h12))
                    .lanewise(XOR, v3.selectFrom(l13))
                    .lanewise(XOR, w3.selectFrom(h13))
                    .lanewise(XOR, v4.selectFrom(l14))
                    .lanewise(XOR, w4.selectFrom(h14))
                    .lanewise(XOR, v5.selectFrom(l15))
                    .lanewise(XOR, w5.selectFrom(h15))
                    .intoArray(o1, p);
        }
    }

    private static void vector1(byte[] t, byte[][] in, byte[] o0, int end) {
        byte[] i0 = in[0], i1 = in[1], i2 = in[2], i3 = in[3], i4 = in[4], i5 = in[5];
        ByteVector l00 = table(t, 0, 0, 0), h00 = table(t, 0, 0, 1);
        ByteVector l01 = table(t, 0, 1, 0), h01 = table(t, 0, 1, 1);
        ByteVector l02 = table(t, 0, 2, 0), h02 = table(t, 0, 2, 1);
        ByteVector l03 = table(t, 0, 3, 0), h03 = table(t, 0, 3, 1);
        ByteVector l04 = table(t, 0, 4, 0), h04 = table(t, 0, 4, 1);
        ByteVector l05 = table(t, 0, 5, 0), h05 = table(t, 0, 5, 1);
        for (int p = 0; p < end; p += LANES) {
            ByteVector v0 = load(i0, p), v1 = load(i1, p), v2 = load(i2, p);
            ByteVector v3 = load(i3, p), v4 = load(i4, p), v5 = load(i5, p);
            ByteVector w0 = high(v0), w1 = high(v1), w2 = high(v2), w3 = high(v3), w4 = high(v4), w5 = high(v5);
            v0.selectFrom(l00)
                    .lanewise(XOR, w0.selectFrom(h00))
                    .lanewise(XOR, v1.selectFrom(l01))
                    .lanewise(XOR, w1.selectFrom(h01))
                    .lanewise(XOR, v2.selectFrom(l02))
                    .lanewise(XOR, w2.selectFrom(h02))
                    .lanewise(XOR, v3.selectFrom(l03))
                    .lanewise(XOR, w3.selectFrom(h03))
                    .lanewise(XOR, v4.selectFrom(l04))
                    .lanewise(XOR, w4.selectFrom(h04))
                    .lanewise(XOR, v5.selectFrom(l05))
                    .lanewise(XOR, w5.selectFrom(h05))
                    .intoArray(o0, p);
        }
    }

    /** Bytes [from, to) one at a time. */
    private static void scalar(byte[][] matrix, MemorySegment[] in, MemorySegment[] out, int from, int to) {
        for (int p = from; p < to; p++) {
            for (int r = 0; r < out.length; r++) {
                int sum = 0;
                for (int j = 0; j < DATA; j++) {
                    sum ^= Gf256.mul(matrix[r][j] & 0xff, in[j].get(ValueLayout.JAVA_BYTE, p) & 0xff);
                }
                out[r].set(ValueLayout.JAVA_BYTE, p, (byte) sum);
            }
        }
    }
}

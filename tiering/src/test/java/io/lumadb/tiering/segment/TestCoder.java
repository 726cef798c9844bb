package io.lumadb.tiering.segment;

import io.lumadb.tiering.erasure.ErasureCoder;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A plain scalar coder for the tests of segments and fragments: systematic Reed-Solomon 6+3 over
 * GF(2^8) with the polynomial 0x11d, parity row {@code i} (6..8) having the coefficients {@code
 * 1 / (i XOR j)} for data fragment {@code j} (0..5), rebuild by Gauss-Jordan inversion of the rows of
 * the first 6 present fragments. Written for clarity, not speed.
 */
public final class TestCoder implements ErasureCoder {

    private static final int[] EXP = new int[512];
    private static final int[] LOG = new int[256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= 0x11d;
            }
        }
        for (int i = 255; i < 512; i++) {
            EXP[i] = EXP[i - 255];
        }
    }

    /** Row {@code r} of the 9x6 generator matrix: identity for data, Cauchy for parity. */
    private static final int[][] GENERATOR = new int[TOTAL][DATA];

    static {
        for (int r = 0; r < TOTAL; r++) {
            for (int j = 0; j < DATA; j++) {
                GENERATOR[r][j] = r < DATA ? (r == j ? 1 : 0) : inverse(r ^ j);
            }
        }
    }

    static int multiply(int a, int b) {
        return a == 0 || b == 0 ? 0 : EXP[LOG[a] + LOG[b]];
    }

    static int inverse(int a) {
        if (a == 0) {
            throw new ArithmeticException("0 has no inverse");
        }
        return EXP[255 - LOG[a]];
    }

    @Override
    public String name() {
        return "test-scalar";
    }

    @Override
    public void encode(MemorySegment[] data, MemorySegment[] parity, int length) {
        for (int p = 0; p < PARITY; p++) {
            combine(GENERATOR[DATA + p], data, parity[p], length);
        }
    }

    @Override
    public void rebuild(MemorySegment[] fragments, boolean[] present, int length) {
        int[] rows = new int[DATA];
        int found = 0;
        for (int i = 0; i < TOTAL && found < DATA; i++) {
            if (present[i]) {
                rows[found++] = i;
            }
        }
        if (found < DATA) {
            throw new IllegalArgumentException("only " + found + " fragments present, " + DATA + " needed");
        }
        int[][] decode = invert(rows);
        MemorySegment[] sources = new MemorySegment[DATA];
        for (int k = 0; k < DATA; k++) {
            sources[k] = fragments[rows[k]];
        }
        for (int j = 0; j < DATA; j++) {
            if (!present[j]) {
                combine(decode[j], sources, fragments[j], length);
            }
        }
        MemorySegment[] data = new MemorySegment[DATA];
        System.arraycopy(fragments, 0, data, 0, DATA);
        for (int p = 0; p < PARITY; p++) {
            if (!present[DATA + p]) {
                combine(GENERATOR[DATA + p], data, fragments[DATA + p], length);
            }
        }
    }

    /** out = sum over k of coefficients[k] * in[k], bytewise in GF(2^8). */
    private static void combine(int[] coefficients, MemorySegment[] in, MemorySegment out, int length) {
        for (long position = 0; position < length; position++) {
            int acc = 0;
            for (int k = 0; k < coefficients.length; k++) {
                acc ^= multiply(coefficients[k], in[k].get(ValueLayout.JAVA_BYTE, position) & 0xFF);
            }
            out.set(ValueLayout.JAVA_BYTE, position, (byte) acc);
        }
    }

    /** The inverse of the generator's rows {@code rows} (a 6x6 matrix), by Gauss-Jordan elimination. */
    private static int[][] invert(int[] rows) {
        int n = DATA;
        int[][] m = new int[n][2 * n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(GENERATOR[rows[r]], 0, m[r], 0, n);
            m[r][n + r] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            while (m[pivot][col] == 0) {
                pivot++; // any 6 rows of this generator are independent, so a pivot exists
            }
            int[] swap = m[pivot];
            m[pivot] = m[col];
            m[col] = swap;
            int scale = inverse(m[col][col]);
            for (int c = 0; c < 2 * n; c++) {
                m[col][c] = multiply(m[col][c], scale);
            }
            for (int r = 0; r < n; r++) {
                if (r != col && m[r][col] != 0) {
                    int factor = m[r][col];
                    for (int c = 0; c < 2 * n; c++) {
                        m[r][c] ^= multiply(factor, m[col][c]);
                    }
                }
            }
        }
        int[][] out = new int[n][n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(m[r], n, out[r], 0, n);
        }
        return out;
    }
}

package io.lumadb.tiering.erasure;

import java.util.Arrays;

/**
 * Arithmetic in GF(2^8) with the field polynomial x^8 + x^4 + x^3 + x^2 + 1 ({@code 0x11d}), the
 * matrices of LumaDB's Reed-Solomon 6+3 code, and their inversion. Addition is XOR; multiplication
 * goes through logarithm and exponent tables of the generator 2.
 *
 * <p>The encoding matrix is systematic: its rows 0-5 are the identity (the data fragments are the
 * input's own bytes) and its rows 6-8 are Cauchy rows, {@code m[i][j] = inverse(i XOR j)}, so that
 * every 6x6 submatrix of it is invertible and any 6 fragments rebuild the others. This is the same
 * matrix that ISA-L's {@code gf_gen_cauchy1_matrix} makes, which is what lets {@link IsalCoder}
 * and {@link JavaVectorCoder} write identical fragments. Every method is thread-safe.
 */
public final class Gf256 {

    /** The field polynomial, x^8 + x^4 + x^3 + x^2 + 1. */
    public static final int POLYNOMIAL = 0x11d;

    /** EXP[i] = 2^i, for i in [0, 510): doubled so that EXP[log a + log b] needs no modulo. */
    private static final byte[] EXP = new byte[510];
    /** LOG[a] = i with 2^i = a, for a in [1, 255]; LOG[0] is unused. */
    private static final int[] LOG = new int[256];

    private static final byte[][] ENCODING;

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = (byte) x;
            EXP[i + 255] = (byte) x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= POLYNOMIAL;
            }
        }
        ENCODING = new byte[ErasureCoder.TOTAL][ErasureCoder.DATA];
        for (int i = 0; i < ErasureCoder.DATA; i++) {
            ENCODING[i][i] = 1;
        }
        for (int i = ErasureCoder.DATA; i < ErasureCoder.TOTAL; i++) {
            for (int j = 0; j < ErasureCoder.DATA; j++) {
                ENCODING[i][j] = (byte) inverse(i ^ j);
            }
        }
    }

    private Gf256() {}

    /** The product of {@code a} and {@code b}, both in [0, 255]. */
    public static int mul(int a, int b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return EXP[LOG[a & 0xff] + LOG[b & 0xff]] & 0xff;
    }

    /**
     * The multiplicative inverse of {@code a}.
     *
     * @throws ArithmeticException when {@code a} is 0
     */
    public static int inverse(int a) {
        if ((a & 0xff) == 0) {
            throw new ArithmeticException("0 has no inverse in GF(2^8)");
        }
        return EXP[255 - LOG[a & 0xff]] & 0xff;
    }

    /** A copy of the 9x6 encoding matrix: identity rows 0-5, Cauchy rows 6-8. */
    public static byte[][] encodingMatrix() {
        return copy(ENCODING);
    }

    /** A copy of the 3x6 parity rows of the encoding matrix (its rows 6-8). */
    public static byte[][] parityMatrix() {
        return copy(Arrays.copyOfRange(ENCODING, ErasureCoder.DATA, ErasureCoder.TOTAL));
    }

    /**
     * The inverse of the square matrix {@code m}, by Gauss-Jordan elimination.
     *
     * @throws IllegalArgumentException when {@code m} is not square or is singular
     */
    public static byte[][] invert(byte[][] m) {
        int n = m.length;
        byte[][] a = copy(m);
        byte[][] inv = new byte[n][n];
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) {
                throw new IllegalArgumentException(
                        "matrix must be square: row " + i + " has " + a[i].length + " columns, not " + n);
            }
            inv[i][i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            while (pivot < n && a[pivot][col] == 0) {
                pivot++;
            }
            if (pivot == n) {
                throw new IllegalArgumentException("matrix is singular (column " + col + ")");
            }
            swap(a, col, pivot);
            swap(inv, col, pivot);
            int scale = inverse(a[col][col] & 0xff);
            scaleRow(a[col], scale);
            scaleRow(inv[col], scale);
            for (int row = 0; row < n; row++) {
                int factor = a[row][col] & 0xff;
                if (row != col && factor != 0) {
                    addScaledRow(a[row], a[col], factor);
                    addScaledRow(inv[row], inv[col], factor);
                }
            }
        }
        return inv;
    }

    /** The product of the matrices {@code a} (r x n) and {@code b} (n x c). */
    public static byte[][] multiply(byte[][] a, byte[][] b) {
        int rows = a.length;
        int n = b.length;
        int cols = n == 0 ? 0 : b[0].length;
        byte[][] out = new byte[rows][cols];
        for (int i = 0; i < rows; i++) {
            if (a[i].length != n) {
                throw new IllegalArgumentException("row " + i + " has " + a[i].length + " columns, not " + n);
            }
            for (int j = 0; j < cols; j++) {
                int sum = 0;
                for (int k = 0; k < n; k++) {
                    sum ^= mul(a[i][k] & 0xff, b[k][j] & 0xff);
                }
                out[i][j] = (byte) sum;
            }
        }
        return out;
    }

    /**
     * The rows of the decoding matrix that rebuild the fragments {@code missing} (indexes into the 9
     * fragments) from the fragments {@code sources} (6 distinct present indexes): a data fragment's
     * row is its row of the inverse of the sources' encoding rows; a parity fragment's is its
     * encoding row times that inverse.
     */
    static byte[][] decodingRows(int[] sources, int[] missing) {
        byte[][] chosen = new byte[ErasureCoder.DATA][];
        for (int i = 0; i < ErasureCoder.DATA; i++) {
            chosen[i] = ENCODING[sources[i]];
        }
        byte[][] inverse = invert(chosen);
        byte[][] rows = new byte[missing.length][];
        for (int r = 0; r < missing.length; r++) {
            int f = missing[r];
            rows[r] = f < ErasureCoder.DATA ? inverse[f].clone() : multiply(new byte[][] {ENCODING[f]}, inverse)[0];
        }
        return rows;
    }

    private static void swap(byte[][] m, int i, int j) {
        byte[] t = m[i];
        m[i] = m[j];
        m[j] = t;
    }

    private static void scaleRow(byte[] row, int scale) {
        for (int j = 0; j < row.length; j++) {
            row[j] = (byte) mul(row[j] & 0xff, scale);
        }
    }

    private static void addScaledRow(byte[] target, byte[] source, int factor) {
        for (int j = 0; j < target.length; j++) {
            target[j] ^= (byte) mul(source[j] & 0xff, factor);
        }
    }

    private static byte[][] copy(byte[][] m) {
        byte[][] c = new byte[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
        }
        return c;
    }
}

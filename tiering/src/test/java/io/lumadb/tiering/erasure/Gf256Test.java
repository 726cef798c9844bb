package io.lumadb.tiering.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GF(2^8) against a carry-less multiplication written here, and the code's matrices. */
@Timeout(60)
class Gf256Test {

    /** Polynomial multiplication of a and b, reduced modulo x^8 + x^4 + x^3 + x^2 + 1, bit by bit. */
    static int slowMul(int a, int b) {
        int product = 0;
        for (int i = 0; i < 8; i++) {
            if ((b >> i & 1) != 0) {
                product ^= a << i;
            }
        }
        for (int bit = 14; bit >= 8; bit--) {
            if ((product >> bit & 1) != 0) {
                product ^= 0x11d << (bit - 8);
            }
        }
        return product;
    }

    static int slowInverse(int a) {
        for (int b = 1; b < 256; b++) {
            if (slowMul(a, b) == 1) {
                return b;
            }
        }
        throw new AssertionError("no inverse of " + a);
    }

    @Test
    void multipliesLikeCarryLessMultiplicationModuloThePolynomial() {
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                assertEquals(slowMul(a, b), Gf256.mul(a, b), a + " * " + b);
            }
        }
    }

    @Test
    void invertsEveryNonZeroElementAndRefusesZero() {
        for (int a = 1; a < 256; a++) {
            assertEquals(slowInverse(a), Gf256.inverse(a), "inverse of " + a);
        }
        assertThrows(ArithmeticException.class, () -> Gf256.inverse(0));
    }

    @Test
    void encodingMatrixIsIdentityOverCauchyRows() {
        byte[][] m = Gf256.encodingMatrix();
        assertEquals(9, m.length);
        for (int i = 0; i < 9; i++) {
            assertEquals(6, m[i].length);
            for (int j = 0; j < 6; j++) {
                int expected = i < 6 ? (i == j ? 1 : 0) : slowInverse(i ^ j);
                assertEquals(expected, m[i][j] & 0xff, "row " + i + ", column " + j);
            }
        }
        byte[][] parity = Gf256.parityMatrix();
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(m[6 + r], parity[r]);
        }
    }

    @Test
    void everySixRowsOfTheEncodingMatrixInvert() {
        byte[][] m = Gf256.encodingMatrix();
        int count = 0;
        for (int[] rows : choose(9, 6)) {
            byte[][] sub = new byte[6][];
            for (int i = 0; i < 6; i++) {
                sub[i] = m[rows[i]];
            }
            byte[][] product = slowProduct(Gf256.invert(sub), sub);
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++) {
                    assertEquals(i == j ? 1 : 0, product[i][j] & 0xff, "inverse times rows " + List.of(rows));
                }
            }
            count++;
        }
        assertEquals(84, count);
    }

    @Test
    void refusesSingularAndNonSquareMatrices() {
        byte[][] singular = {{1, 2}, {2, 4}}; // the second row is 2 times the first
        assertEquals(2, slowMul(1, 2));
        assertEquals(4, slowMul(2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gf256.invert(singular));
        assertEquals("matrix is singular (column 1)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gf256.invert(new byte[][] {{1, 2}}));
    }

    private static byte[][] slowProduct(byte[][] a, byte[][] b) {
        byte[][] out = new byte[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b[0].length; j++) {
                int sum = 0;
                for (int k = 0; k < b.length; k++) {
                    sum ^= slowMul(a[i][k] & 0xff, b[k][j] & 0xff);
                }
                out[i][j] = (byte) sum;
            }
        }
        return out;
    }

    /** Every k-subset of [0, n), in increasing order. */
    static List<int[]> choose(int n, int k) {
        List<int[]> out = new ArrayList<>();
        for (int mask = 0; mask < 1 << n; mask++) {
            if (Integer.bitCount(mask) == k) {
                int[] s = new int[k];
                int c = 0;
                for (int i = 0; i < n; i++) {
                    if ((mask >> i & 1) != 0) {
                        s[c++] = i;
                    }
                }
                out.add(s);
            }
        }
        return out;
    }
}

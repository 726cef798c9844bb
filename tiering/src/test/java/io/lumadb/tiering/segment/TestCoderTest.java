package io.lumadb.tiering.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The test coder is the reference other tests lean on: check it against first principles. */
@Timeout(30)
class TestCoderTest {

    /** Carry-less multiplication reduced by x^8 + x^4 + x^3 + x^2 + 1, bit by bit. */
    private static int slowMultiply(int a, int b) {
        int product = 0;
        while (b != 0) {
            if ((b & 1) != 0) {
                product ^= a;
            }
            a <<= 1;
            if ((a & 0x100) != 0) {
                a ^= 0x11d;
            }
            b >>= 1;
        }
        return product;
    }

    private static int slowInverse(int a) {
        for (int x = 1; x < 256; x++) {
            if (slowMultiply(a, x) == 1) {
                return x;
            }
        }
        throw new AssertionError("no inverse of " + a);
    }

    @Test
    void fieldArithmeticIsGf256WithPolynomial0x11d() {
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                assertEquals(slowMultiply(a, b), TestCoder.multiply(a, b), a + " * " + b);
            }
            if (a != 0) {
                assertEquals(slowInverse(a), TestCoder.inverse(a), "1 / " + a);
            }
        }
    }

    @Test
    void parityRowsAreTheCauchyCoefficients() {
        TestCoder coder = new TestCoder();
        for (int j = 0; j < 6; j++) {
            byte[][] data = new byte[6][1];
            data[j][0] = 1; // a unit vector: the parity bytes are the coefficients of column j
            byte[][] parity = new byte[3][1];
            coder.encode(data, parity, 1);
            for (int p = 0; p < 3; p++) {
                assertEquals(slowInverse((6 + p) ^ j), parity[p][0] & 0xFF, "parity " + (6 + p) + ", data " + j);
            }
        }
    }

    @Test
    void rebuildsDataFromParityAlone() {
        TestCoder coder = new TestCoder();
        byte[][] all = new byte[9][4];
        for (int j = 0; j < 6; j++) {
            all[j] = new byte[] {(byte) (j * 37 + 1), (byte) 0xFF, 0, (byte) j};
        }
        byte[][] parity = {all[6], all[7], all[8]};
        byte[][] data = {all[0], all[1], all[2], all[3], all[4], all[5]};
        coder.encode(data, parity, 4);
        byte[][] damaged = new byte[9][];
        boolean[] present = new boolean[9];
        for (int i = 0; i < 9; i++) {
            present[i] = i >= 3;
            damaged[i] = present[i] ? all[i].clone() : new byte[4];
        }
        coder.rebuild(damaged, present, 4);
        for (int i = 0; i < 9; i++) {
            assertArrayEquals(all[i], damaged[i], "fragment " + i);
        }
    }
}

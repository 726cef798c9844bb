package io.lumadb.timeseries;

import java.util.Arrays;

/**
 * Writes bits most significant first into a growing byte array; the last byte is padded with zero
 * bits. Also writes the byte-aligned varints the block format uses around its bit-packed columns.
 */
final class BitWriter {
    private byte[] buf;
    private int bytes; // whole bytes written
    private long acc; // pending bits, right-aligned
    private int accBits; // number of pending bits (< 8 between calls)

    BitWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    /** Writes the low {@code n} bits of {@code value}, 0 ≤ n ≤ 64, highest of them first. */
    void writeBits(long value, int n) {
        if (n < 0 || n > 64) {
            throw new IllegalArgumentException("bit count must be 0..64, got " + n);
        }
        if (n > 56) {
            writeBits(value >>> 32, n - 32);
            writeBits(value, 32);
            return;
        }
        if (n == 0) {
            return;
        }
        long masked = value & (-1L >>> (64 - n));
        acc = (acc << n) | masked;
        accBits += n;
        ensure(8);
        while (accBits >= 8) {
            accBits -= 8;
            buf[bytes++] = (byte) (acc >>> accBits);
        }
        acc &= (1L << accBits) - 1;
    }

    void writeBit(boolean bit) {
        writeBits(bit ? 1 : 0, 1);
    }

    /** Pads the pending bits with zeros to a byte boundary. */
    void align() {
        if (accBits > 0) {
            writeBits(0, 8 - accBits);
        }
    }

    /** Writes an unsigned LEB128 varint at a byte boundary (aligning first). */
    void writeVarLong(long v) {
        align();
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[bytes++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[bytes++] = (byte) v;
    }

    /** Writes raw bytes at a byte boundary (aligning first). */
    void writeBytes(byte[] src, int off, int len) {
        align();
        ensure(len);
        System.arraycopy(src, off, buf, bytes, len);
        bytes += len;
    }

    void writeByte(int b) {
        writeBits(b, 8);
    }

    /** Bytes written so far, counting a partly filled last byte. */
    int size() {
        return bytes + (accBits > 0 ? 1 : 0);
    }

    /** The bytes written, the last one padded with zeros. */
    byte[] toByteArray() {
        align();
        return Arrays.copyOf(buf, bytes);
    }

    private void ensure(int more) {
        if (bytes + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, bytes + more));
        }
    }
}

package io.lumadb.timeseries;

import java.util.Arrays;

/**
 * Writes bits most significant first into a growing byte array; the last byte is padded with zero
 * bits. Also writes the byte-aligned varints the block format uses around its bit-packed columns.
 */
final class BitWriter {
    private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private byte[] buf;
    private int bytes; // whole bytes written to buf
    private long acc; // pending bits, right-aligned; written 64 at a time
    private int accBits; // number of pending bits (< 64 between calls)

    BitWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    /** Writes the low {@code n} bits of {@code value}, 0 ≤ n ≤ 64, highest of them first. */
    void writeBits(long value, int n) {
        if (n <= 0 || n > 64) {
            if (n == 0) {
                return;
            }
            throw new IllegalArgumentException("bit count must be 0..64, got " + n);
        }
        long v = n == 64 ? value : value & ((1L << n) - 1);
        int free = 64 - accBits;
        if (n < free) {
            acc = (acc << n) | v;
            accBits += n;
            return;
        }
        // Fill the pending bits up to 64 and write them as 8 bytes; keep the rest.
        int rest = n - free;
        long word = free == 64 ? v : (acc << free) | (v >>> rest);
        ensure(8);
        BIG_ENDIAN_LONGS.set(buf, bytes, word);
        bytes += 8;
        acc = rest == 0 ? 0 : v & ((1L << rest) - 1);
        accBits = rest;
    }

    void writeBit(boolean bit) {
        writeBits(bit ? 1 : 0, 1);
    }

    /** Pads the pending bits with zeros to a byte boundary. */
    void align() {
        int partial = accBits & 7;
        if (partial != 0) {
            writeBits(0, 8 - partial);
        }
    }

    /** Aligns, then moves the pending whole bytes to the buffer. */
    private void flush() {
        align();
        ensure(8);
        while (accBits >= 8) {
            accBits -= 8;
            buf[bytes++] = (byte) (acc >>> accBits);
        }
        acc = 0;
    }

    /** Writes an unsigned LEB128 varint at a byte boundary (aligning first). */
    void writeVarLong(long v) {
        flush();
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[bytes++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[bytes++] = (byte) v;
    }

    /** Writes raw bytes at a byte boundary (aligning first). */
    void writeBytes(byte[] src, int off, int len) {
        flush();
        ensure(len);
        System.arraycopy(src, off, buf, bytes, len);
        bytes += len;
    }

    void writeByte(int b) {
        writeBits(b, 8);
    }

    /** Bytes written so far, counting a partly filled last byte. */
    int size() {
        return bytes + ((accBits + 7) >>> 3);
    }

    /** The bytes written, the last one padded with zeros. */
    byte[] toByteArray() {
        flush();
        return Arrays.copyOf(buf, bytes);
    }

    private void ensure(int more) {
        if (bytes + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, bytes + more));
        }
    }
}

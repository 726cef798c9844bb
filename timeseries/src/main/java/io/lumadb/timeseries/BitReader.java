package io.lumadb.timeseries;

/**
 * Reads what a {@link BitWriter} wrote, over a slice of a byte array. Reading past the slice is a
 * {@link TimeBlockException} (a corrupt block), never an out-of-bounds read elsewhere.
 */
final class BitReader {
    private final byte[] buf;
    private final int end;
    private long bitPos; // absolute bit position in buf

    BitReader(byte[] buf, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > buf.length) {
            throw new TimeBlockException(
                    "slice " + offset + "+" + length + " is outside the " + buf.length + "-byte block");
        }
        this.buf = buf;
        this.end = offset + length;
        this.bitPos = (long) offset * 8;
    }

    /** Reads {@code n} bits, 0 ≤ n ≤ 64, as the low bits of the result. */
    long readBits(int n) {
        if (n == 0) {
            return 0;
        }
        if (bitPos + n > (long) end * 8) {
            throw new TimeBlockException("block truncated: needed " + n + " more bits");
        }
        long v = 0;
        int remaining = n;
        while (remaining > 0) {
            int byteIdx = (int) (bitPos >>> 3);
            int bitInByte = (int) (bitPos & 7);
            int avail = 8 - bitInByte;
            int take = Math.min(avail, remaining);
            int bits = ((buf[byteIdx] & 0xFF) >>> (avail - take)) & ((1 << take) - 1);
            v = (v << take) | bits;
            remaining -= take;
            bitPos += take;
        }
        return v;
    }

    boolean readBit() {
        if (bitPos >= (long) end * 8) {
            throw new TimeBlockException("block truncated: needed 1 more bit");
        }
        int bit = (buf[(int) (bitPos >>> 3)] >>> (7 - (int) (bitPos & 7))) & 1;
        bitPos++;
        return bit == 1;
    }

    /** Skips to the next byte boundary. */
    void align() {
        bitPos = (bitPos + 7) & ~7L;
    }

    long readVarLong() {
        align();
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = (int) readBits(8);
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new TimeBlockException("malformed varint");
    }

    /** Reads a varint that must fit a non-negative int no larger than {@code max}. */
    int readLength(int max, String what) {
        long v = readVarLong();
        if (v < 0 || v > max) {
            throw new TimeBlockException(what + " " + v + " is out of range 0.." + max);
        }
        return (int) v;
    }

    int readByte() {
        return (int) readBits(8);
    }

    /** The byte position, after aligning. */
    int bytePosition() {
        align();
        return (int) (bitPos >>> 3);
    }

    /** Moves to byte {@code pos} of the underlying array. */
    void seek(int pos) {
        if (pos > end) {
            throw new TimeBlockException("block truncated at byte " + pos);
        }
        bitPos = (long) pos * 8;
    }

    byte[] buffer() {
        return buf;
    }
}

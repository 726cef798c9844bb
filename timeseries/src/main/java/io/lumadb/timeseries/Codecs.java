package io.lumadb.timeseries;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The column encodings of {@link TimeBlockFormat}: each writes into and reads from a bit stream.
 * Every encoding is exact: decoding gives back the very bits that were encoded.
 */
final class Codecs {
    private Codecs() {}

    /** Values per bit-packed frame of integer deltas. */
    static final int FRAME = 64;

    /** The largest decimal exponent the decimal float mode tries. */
    static final int MAX_DECIMAL_EXPONENT = Decimals.MAX_EXPONENT;

    static final int FLOAT_GORILLA = 0;
    static final int FLOAT_DECIMAL = 1;
    static final int INT_DELTA = 0;
    static final int INT_DELTA_OF_DELTA = 1;

    // ------------------------------------------------------------ timestamps

    /** Delta-of-delta (Gorilla) timestamps; see {@link TimeBlockFormat}. */
    static void writeTimestamps(long[] t, int n, BitWriter w) {
        w.writeBits(t[0], 64);
        long prevDelta = 0;
        for (int i = 1; i < n; i++) {
            long delta = t[i] - t[i - 1];
            long dod = delta - prevDelta;
            prevDelta = delta;
            if (dod == 0) {
                w.writeBits(0b0, 1);
            } else if (fits(dod, 7)) {
                w.writeBits(0b10, 2);
                w.writeBits(dod, 7);
            } else if (fits(dod, 9)) {
                w.writeBits(0b110, 3);
                w.writeBits(dod, 9);
            } else if (fits(dod, 12)) {
                w.writeBits(0b1110, 4);
                w.writeBits(dod, 12);
            } else if (fits(dod, 32)) {
                w.writeBits(0b11110, 5);
                w.writeBits(dod, 32);
            } else {
                w.writeBits(0b11111, 5);
                w.writeBits(dod, 64);
            }
        }
    }

    static long[] readTimestamps(BitReader r, int n) {
        long[] t = new long[n];
        t[0] = r.readBits(64);
        long delta = 0;
        for (int i = 1; i < n; i++) {
            long dod;
            if (!r.readBit()) {
                dod = 0;
            } else if (!r.readBit()) {
                dod = signExtend(r.readBits(7), 7);
            } else if (!r.readBit()) {
                dod = signExtend(r.readBits(9), 9);
            } else if (!r.readBit()) {
                dod = signExtend(r.readBits(12), 12);
            } else if (!r.readBit()) {
                dod = signExtend(r.readBits(32), 32);
            } else {
                dod = r.readBits(64);
            }
            delta += dod;
            t[i] = t[i - 1] + delta;
        }
        return t;
    }

    // ------------------------------------------------------------ floats

    /** Floats: a mode byte, then Gorilla XOR or decimal-scaled integers, whichever is smaller. */
    static void writeFloats(double[] v, int n, BitWriter w) {
        long[] bits = new long[n];
        for (int i = 0; i < n; i++) {
            bits[i] = Double.doubleToRawLongBits(v[i]);
        }
        writeFloats(bits, n, w);
    }

    /** {@link #writeFloats(double[], int, BitWriter)} of the floats with IEEE 754 bits {@code bits}. */
    static void writeFloats(long[] bits, int n, BitWriter w) {
        int e = decimalExponent(bits, n);
        if (e >= 0) {
            long[] scaled = new long[n];
            for (int i = 0; i < n; i++) {
                scaled[i] = Decimals.digits(Double.longBitsToDouble(bits[i]), e);
            }
            Packed dec = pack(scaled, n);
            // Each stream is sized as it would be written on its own, in whole bytes.
            if (bytes(8 + dec.bits()) < bytes(gorillaBits(bits, n))) {
                w.writeByte(FLOAT_DECIMAL);
                w.writeBits(e, 8);
                write(dec, w);
                return;
            }
        }
        w.writeByte(FLOAT_GORILLA);
        writeGorilla(bits, n, w);
    }

    private static long bytes(long bits) {
        return (bits + 7) >>> 3;
    }

    /** The IEEE 754 bits of the floats {@link #writeFloats} wrote. */
    static long[] readFloats(BitReader r, int n) {
        int mode = r.readByte();
        if (mode == FLOAT_DECIMAL) {
            int e = r.readByte();
            if (e > MAX_DECIMAL_EXPONENT) {
                throw new TimeBlockException("decimal exponent " + e + " is out of range");
            }
            long[] v = readLongs(r, n);
            for (int i = 0; i < n; i++) {
                v[i] = Double.doubleToRawLongBits(Decimals.value(v[i], e));
            }
            return v;
        }
        if (mode != FLOAT_GORILLA) {
            throw new TimeBlockException("unknown float encoding " + mode);
        }
        return readGorilla(r, n);
    }

    /**
     * The smallest exponent e ≤ {@value #MAX_DECIMAL_EXPONENT} for which every value is exactly
     * {@code round(v * 10^e) / 10^e} with {@code |round(v * 10^e)| < 2^53}, or -1. Division of an
     * exact integer by an exact power of ten rounds correctly, so the check also holds for every
     * larger exponent and each value needs to raise e only as far as it needs itself.
     */
    static int decimalExponent(double[] v, int n) {
        long[] bits = new long[n];
        for (int i = 0; i < n; i++) {
            bits[i] = Double.doubleToRawLongBits(v[i]);
        }
        return decimalExponent(bits, n);
    }

    /** {@link #decimalExponent(double[], int)} of the floats with IEEE 754 bits {@code bits}. */
    static int decimalExponent(long[] bits, int n) {
        int e = 0;
        for (int i = 0; i < n; i++) {
            double v = Double.longBitsToDouble(bits[i]);
            while (!Decimals.is(v, e)) {
                if (++e > MAX_DECIMAL_EXPONENT) {
                    return -1;
                }
            }
        }
        return e;
    }

    private static void writeGorilla(long[] v, int n, BitWriter w) {
        long prev = v[0];
        w.writeBits(prev, 64);
        int prevLeading = -1;
        int prevTrailing = 0;
        for (int i = 1; i < n; i++) {
            long cur = v[i];
            long xor = cur ^ prev;
            prev = cur;
            if (xor == 0) {
                w.writeBits(0b0, 1);
                continue;
            }
            int leading = Math.min(Long.numberOfLeadingZeros(xor), 31);
            int trailing = Long.numberOfTrailingZeros(xor);
            if (prevLeading >= 0 && leading >= prevLeading && trailing >= prevTrailing) {
                w.writeBits(0b10, 2);
                w.writeBits(xor >>> prevTrailing, 64 - prevLeading - prevTrailing);
            } else {
                int meaningful = 64 - leading - trailing;
                w.writeBits(0b11, 2);
                w.writeBits(leading, 5);
                w.writeBits(meaningful & 63, 6); // 64 is written as 0
                w.writeBits(xor >>> trailing, meaningful);
                prevLeading = leading;
                prevTrailing = trailing;
            }
        }
    }

    /** The bits {@link #writeGorilla} writes for {@code v}. */
    private static long gorillaBits(long[] v, int n) {
        long prev = v[0];
        long bits = 64;
        int prevLeading = -1;
        int prevTrailing = 0;
        for (int i = 1; i < n; i++) {
            long cur = v[i];
            long xor = cur ^ prev;
            prev = cur;
            if (xor == 0) {
                bits += 1;
                continue;
            }
            int leading = Math.min(Long.numberOfLeadingZeros(xor), 31);
            int trailing = Long.numberOfTrailingZeros(xor);
            if (prevLeading >= 0 && leading >= prevLeading && trailing >= prevTrailing) {
                bits += 2 + 64 - prevLeading - prevTrailing;
            } else {
                bits += 2 + 5 + 6 + 64 - leading - trailing;
                prevLeading = leading;
                prevTrailing = trailing;
            }
        }
        return bits;
    }

    private static long[] readGorilla(BitReader r, int n) {
        long[] v = new long[n];
        long prev = r.readBits(64);
        v[0] = prev;
        int leading = -1;
        int trailing = 0;
        for (int i = 1; i < n; i++) {
            if (r.readBit()) {
                if (r.readBit()) {
                    leading = (int) r.readBits(5);
                    int meaningful = (int) r.readBits(6);
                    if (meaningful == 0) {
                        meaningful = 64;
                    }
                    trailing = 64 - leading - meaningful;
                    if (trailing < 0) {
                        throw new TimeBlockException(
                                "corrupt float column: " + leading + " leading and " + meaningful + " meaningful bits");
                    }
                } else if (leading < 0) {
                    throw new TimeBlockException("corrupt float column: window reused before it was set");
                }
                long xor = r.readBits(64 - leading - trailing) << trailing;
                prev ^= xor;
            }
            v[i] = prev;
        }
        return v;
    }

    // ------------------------------------------------------------ integers

    /**
     * 64-bit integers (signed, unsigned or decimal-scaled floats): a mode byte (delta or
     * delta-of-delta, whichever packs smaller), the first value as a 7-bit width and its zigzag
     * form in that many bits, then the zigzagged differences in frames of {@value #FRAME}, each a
     * 7-bit width w (0..64) followed by its values in w bits each. All arithmetic wraps modulo
     * 2^64, so any values round-trip.
     */
    static void writeLongs(long[] v, int n, BitWriter w) {
        write(pack(v, n), w);
    }

    /** Integers ready to write: the differences chosen, and the bits they take with the mode and first value. */
    private record Packed(boolean dod, long first, int width, long[] diffs, long bits) {}

    private static Packed pack(long[] v, int n) {
        long[] d1 = new long[Math.max(0, n - 1)];
        long[] d2 = new long[Math.max(0, n - 1)];
        long prevDelta = 0;
        for (int i = 1; i < n; i++) {
            long delta = v[i] - v[i - 1];
            d1[i - 1] = zigzag(delta);
            d2[i - 1] = zigzag(delta - prevDelta);
            prevDelta = delta;
        }
        long bits1 = packedBits(d1);
        long bits2 = packedBits(d2);
        boolean dod = bits2 < bits1;
        long first = zigzag(v[0]);
        int width = 64 - Long.numberOfLeadingZeros(first);
        return new Packed(dod, first, width, dod ? d2 : d1, 8 + 7 + width + (dod ? bits2 : bits1));
    }

    private static void write(Packed p, BitWriter w) {
        w.writeBits(p.dod() ? INT_DELTA_OF_DELTA : INT_DELTA, 8);
        w.writeBits(p.width(), 7);
        w.writeBits(p.first(), p.width());
        writeFrames(p.diffs(), w);
    }

    static long[] readLongs(BitReader r, int n) {
        int mode = r.readByte();
        if (mode != INT_DELTA && mode != INT_DELTA_OF_DELTA) {
            throw new TimeBlockException("unknown integer encoding " + mode);
        }
        long[] v = new long[n];
        int width = readWidth(r);
        v[0] = unzigzag(r.readBits(width));
        long delta = 0;
        for (int start = 1; start < n; start += FRAME) {
            int end = Math.min(n, start + FRAME);
            int w = readWidth(r);
            for (int i = start; i < end; i++) {
                long d = unzigzag(r.readBits(w));
                if (mode == INT_DELTA) {
                    delta = d;
                } else {
                    delta += d;
                }
                v[i] = v[i - 1] + delta;
            }
        }
        return v;
    }

    private static int readWidth(BitReader r) {
        int w = (int) r.readBits(7);
        if (w > 64) {
            throw new TimeBlockException("bit width " + w + " is over 64");
        }
        return w;
    }

    private static void writeFrames(long[] z, BitWriter w) {
        for (int start = 0; start < z.length; start += FRAME) {
            int end = Math.min(z.length, start + FRAME);
            long or = 0;
            for (int i = start; i < end; i++) {
                or |= z[i];
            }
            int width = 64 - Long.numberOfLeadingZeros(or);
            w.writeBits(width, 7);
            for (int i = start; i < end; i++) {
                w.writeBits(z[i], width);
            }
        }
    }

    private static long packedBits(long[] z) {
        long bits = 0;
        for (int start = 0; start < z.length; start += FRAME) {
            int end = Math.min(z.length, start + FRAME);
            long or = 0;
            for (int i = start; i < end; i++) {
                or |= z[i];
            }
            bits += 7 + (long) (end - start) * (64 - Long.numberOfLeadingZeros(or));
        }
        return bits;
    }

    // ------------------------------------------------------------ booleans and strings

    /** Booleans as 1 or 0, one bit each. */
    static void writeBooleans(long[] v, int n, BitWriter w) {
        for (int i = 0; i < n; i++) {
            w.writeBit(v[i] != 0);
        }
    }

    static long[] readBooleans(BitReader r, int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.readBit() ? 1 : 0;
        }
        return v;
    }

    /**
     * Strings: a dictionary of the distinct values in first-seen order (a varint count, then each
     * as a varint byte length and its UTF-8 bytes), then each value's dictionary index in
     * ceil(log2(count)) bits.
     */
    static void writeStrings(String[] v, int n, BitWriter w) {
        Map<String, Integer> dict = new HashMap<>();
        int[] idx = new int[n];
        java.util.List<String> order = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            Integer k = dict.get(v[i]);
            if (k == null) {
                k = order.size();
                dict.put(v[i], k);
                order.add(v[i]);
            }
            idx[i] = k;
        }
        w.writeVarLong(order.size());
        for (String s : order) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            w.writeVarLong(b.length);
            w.writeBytes(b, 0, b.length);
        }
        int width = 32 - Integer.numberOfLeadingZeros(order.size() - 1);
        for (int i = 0; i < n; i++) {
            w.writeBits(idx[i], width);
        }
    }

    static String[] readStrings(BitReader r, int n, int maxBytes) {
        int size = r.readLength(n, "dictionary size");
        if (size == 0 && n > 0) {
            throw new TimeBlockException("empty dictionary for " + n + " strings");
        }
        String[] dict = new String[size];
        for (int i = 0; i < size; i++) {
            int len = r.readLength(maxBytes, "string length");
            int pos = r.bytePosition();
            r.seek(pos + len);
            dict[i] = new String(r.buffer(), pos, len, StandardCharsets.UTF_8);
        }
        int width = 32 - Integer.numberOfLeadingZeros(Math.max(0, size - 1));
        String[] v = new String[n];
        for (int i = 0; i < n; i++) {
            int k = (int) r.readBits(width);
            if (k >= size) {
                throw new TimeBlockException("dictionary index " + k + " is out of range 0.." + (size - 1));
            }
            v[i] = dict[k];
        }
        return v;
    }

    // ------------------------------------------------------------ helpers

    static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    static long unzigzag(long z) {
        return (z >>> 1) ^ -(z & 1);
    }

    /** Whether {@code v} fits in an {@code bits}-bit two's complement integer. */
    static boolean fits(long v, int bits) {
        long half = 1L << (bits - 1);
        return v >= -half && v < half;
    }

    static long signExtend(long v, int bits) {
        return (v << (64 - bits)) >> (64 - bits);
    }
}

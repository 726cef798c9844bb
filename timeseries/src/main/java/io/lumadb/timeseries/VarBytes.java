package io.lumadb.timeseries;

import java.util.Arrays;
import java.util.zip.Checksum;

/**
 * The byte-level pieces the time-series wire formats share (the journal's point batches, the
 * shards' query partials): a growable writer and a bounds-checked reader of bytes, unsigned LEB128
 * varints, zigzag varints and 8-byte big-endian numbers. A reader never reads past its end: it
 * throws {@link IllegalArgumentException} instead.
 */
public final class VarBytes {

    private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private VarBytes() {}

    /** A growable byte buffer (not ByteArrayOutputStream, whose every write takes a lock). */
    public static class Writer {
        private byte[] buf;
        private int size;

        public Writer(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }

        public void u8(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        public void bytes(byte[] bytes) {
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, size, bytes.length);
            size += bytes.length;
        }

        /** Unsigned LEB128 of the 64 bits of {@code v}. */
        public void varint(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[size++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[size++] = (byte) v;
        }

        public void zigzag(long v) {
            varint((v << 1) ^ (v >> 63));
        }

        /** 8 bytes, big-endian. */
        public void int64(long v) {
            ensure(8);
            BIG_ENDIAN_LONGS.set(buf, size, v);
            size += 8;
        }

        /** The 8 bytes of {@code d}'s IEEE 754 bits, big-endian. */
        public void f64(double d) {
            int64(Double.doubleToRawLongBits(d));
        }

        /** Appends what {@code other} holds. */
        public void append(Writer other) {
            ensure(other.size);
            System.arraycopy(other.buf, 0, buf, size, other.size);
            size += other.size;
        }

        /** How many bytes were written. */
        public int size() {
            return size;
        }

        /** Adds the bytes written so far to {@code checksum}. */
        public void update(Checksum checksum) {
            checksum.update(buf, 0, size);
        }

        /** The bytes written; the writer's own array when it is exactly full (a later write copies it first). */
        public byte[] toByteArray() {
            return size == buf.length ? buf : Arrays.copyOf(buf, size);
        }
    }

    /** A reader of {@code [pos, end)} of a byte array. */
    public static class Reader {
        private final byte[] buf;
        private final int end;
        private int pos;

        public Reader(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        public int u8() {
            if (pos >= end) {
                throw new IllegalArgumentException("it ends early");
            }
            return buf[pos++] & 0xFF;
        }

        public long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = u8();
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("a varint is longer than 10 bytes");
        }

        public long zigzag() {
            long v = varint();
            return (v >>> 1) ^ -(v & 1);
        }

        /** A count of items that take at least a byte each, so never more than the bytes left. */
        public int count() {
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw new IllegalArgumentException("a count of " + n + " exceeds the " + (end - pos) + " bytes left");
            }
            return (int) n;
        }

        /** A varint that is a position or a number not bounded by the bytes: any non-negative int. */
        public int index() {
            long v = varint();
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("number " + v + " is out of range");
            }
            return (int) v;
        }

        public long int64() {
            if (end - pos < 8) {
                throw new IllegalArgumentException("it ends early");
            }
            long v = (long) BIG_ENDIAN_LONGS.get(buf, pos);
            pos += 8;
            return v;
        }

        public double f64() {
            return Double.longBitsToDouble(int64());
        }

        /** The next {@code n} bytes as UTF-8. */
        public String utf8(int n) {
            if (n < 0 || n > end - pos) {
                throw new IllegalArgumentException("it ends early");
            }
            String s = new String(buf, pos, n, java.nio.charset.StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        /** Skips the next {@code n} bytes. */
        public void skip(int n) {
            if (n < 0 || n > end - pos) {
                throw new IllegalArgumentException("it ends early");
            }
            pos += n;
        }

        /** How many bytes are left to read. */
        public int remaining() {
            return end - pos;
        }
    }
}

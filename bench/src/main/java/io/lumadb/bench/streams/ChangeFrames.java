package io.lumadb.bench.streams;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The documents the writer sends and what a subscriber reads back out of a change frame, for
 * LumaDB's change envelope and the reference server's copy of it alike: the write's number
 * ({@code bench_n}), its send time ({@code bench_t}, {@link System#nanoTime} of the benchmark's
 * JVM) and the server's order of the change ({@code source.seq}, {@code source.index}).
 *
 * <p>Fields are found by scanning the bytes for their keys rather than by parsing the JSON: the
 * benchmark reads up to millions of frames a second on one CPU, and the keys are chosen so that
 * nothing else in a frame can contain them (the document's padding is {@code x}s).
 */
public final class ChangeFrames {

    /** The value a field has when it is missing or not an integer. */
    public static final long ABSENT = Long.MIN_VALUE;

    static final byte[] N = ascii("\"bench_n\":");
    static final byte[] T = ascii("\"bench_t\":");
    static final byte[] SOURCE = ascii("\"source\":{");
    static final byte[] SEQ = ascii("\"seq\":");
    static final byte[] INDEX = ascii("\"index\":");

    private ChangeFrames() {}

    /** The JSON document of write {@code n}, sent at {@code sentNanos}, padded to about {@code size} bytes. */
    public static byte[] document(long n, long sentNanos, int size) {
        String head = "{\"bench_n\":" + n + ",\"bench_t\":" + sentNanos + ",\"pad\":\"";
        return (head + "x".repeat(Math.max(0, size - head.length() - 2)) + "\"}").getBytes(StandardCharsets.US_ASCII);
    }

    /** The integer after the first {@code key} at or after {@code from} in {@code b[from, end)}, or {@link #ABSENT}. */
    static long longAfter(byte[] b, int from, int end, byte[] key) {
        int at = indexOf(b, from, end, key);
        return at < 0 ? ABSENT : parseLong(b, at + key.length, end);
    }

    /** Where {@code key} starts in {@code b[from, end)}, or -1. */
    static int indexOf(byte[] b, int from, int end, byte[] key) {
        for (int i = from; i <= end - key.length; i++) {
            if (b[i] == key[0] && Arrays.equals(b, i, i + key.length, key, 0, key.length)) {
                return i;
            }
        }
        return -1;
    }

    private static long parseLong(byte[] b, int i, int end) {
        while (i < end && b[i] == ' ') {
            i++;
        }
        boolean negative = i < end && b[i] == '-';
        if (negative) {
            i++;
        }
        int start = i;
        long v = 0;
        while (i < end && b[i] >= '0' && b[i] <= '9' && i - start < 19) {
            v = v * 10 + (b[i] - '0');
            i++;
        }
        if (i == start || (i < end && b[i] >= '0' && b[i] <= '9')) {
            return ABSENT;
        }
        return negative ? -v : v;
    }

    /** What one change frame says, read without allocating into a reused instance. */
    public static final class Fields {
        public long n;
        public long sentNanos;
        public long seq;
        public long index;

        /** Reads {@code data[0, length)}; false when a field is missing (a malformed frame). */
        public boolean read(byte[] data, int length) {
            n = longAfter(data, 0, length, N);
            sentNanos = longAfter(data, 0, length, T);
            int source = indexOf(data, 0, length, SOURCE);
            if (source < 0) {
                seq = ABSENT;
                index = ABSENT;
            } else {
                seq = longAfter(data, source, length, SEQ);
                index = longAfter(data, source, length, INDEX);
            }
            return n != ABSENT && sentNanos != ABSENT && seq != ABSENT && index != ABSENT && n >= 0;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

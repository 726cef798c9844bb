package io.lumadb.persistence.rocksdb.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The key shape shared by the journal, the tag index and the snapshots: {@code UTF-8(id) 0x00
 * int64(n)}, big-endian so that RocksDB's bytewise order is numeric order for {@code n >= 0}. Ids
 * must not contain 0x00, which makes {@code id 0x00} a prefix of the keys of exactly one id.
 */
public final class Keys {

    private Keys() {}

    /** Whether {@code id} (a persistence id or a tag) can be stored: not empty, no 0x00. */
    public static boolean isValidId(String id) {
        return id != null && !id.isEmpty() && id.indexOf('\0') < 0;
    }

    /** UTF-8 bytes of an id. */
    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code id 0x00 int64(n)}. */
    public static byte[] idKey(byte[] id, long n) {
        return ByteBuffer.allocate(id.length + 9)
                .put(id)
                .put((byte) 0)
                .putLong(n)
                .array();
    }

    /** {@code id 0x01}: the first key after every {@code id 0x00 ...}. */
    public static byte[] prefixEnd(byte[] id) {
        byte[] end = Arrays.copyOf(id, id.length + 1);
        end[id.length] = 0x01;
        return end;
    }

    /** Exclusive upper bound of the keys {@code id 0x00 int64(n)} with {@code n <= inclusiveMax}. */
    public static byte[] upperBound(byte[] id, long inclusiveMax) {
        return inclusiveMax == Long.MAX_VALUE ? prefixEnd(id) : idKey(id, inclusiveMax + 1);
    }

    /** The {@code n} of an {@link #idKey}. */
    public static long trailingLong(byte[] key) {
        return ByteBuffer.wrap(key, key.length - 8, 8).getLong();
    }

    /** The id of an {@link #idKey}. */
    public static String leadingId(byte[] key) {
        return new String(key, 0, key.length - 9, StandardCharsets.UTF_8);
    }

    /** An id key as {@code 'id'/n}, for error messages. */
    public static String describe(byte[] key) {
        return key.length >= 9 && key[key.length - 9] == 0
                ? "'" + leadingId(key) + "'/" + trailingLong(key)
                : Arrays.toString(key);
    }

    /** 8 big-endian bytes. */
    public static byte[] longBytes(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    /** Reads {@link #longBytes}; {@code null} (no value) reads as 0. */
    public static long readLong(byte[] bytes) {
        return bytes == null ? 0L : ByteBuffer.wrap(bytes).getLong();
    }
}

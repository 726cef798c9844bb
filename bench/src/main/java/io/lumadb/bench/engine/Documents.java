package io.lumadb.bench.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * The documents of the engine benchmark: ids {@code doc-00000042} (12 bytes, 13 with the
 * store's key prefix) and JSON texts of exactly {@value #SIZE} bytes that start with {@code _id}
 * and {@code _version}, as stored documents do, padded with random letters so that LZ4 finds
 * about as little to squeeze as in real text-heavy documents.
 */
final class Documents {

    /** Bytes of JSON per document. */
    static final int SIZE = 1024;

    private static final byte[] LETTERS =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ".getBytes(StandardCharsets.US_ASCII);

    private Documents() {}

    static String id(int i) {
        return String.format(Locale.ROOT, "doc-%08d", i);
    }

    /** The store's key layout, {@code 0x01 ++ utf8(id)}, so that both column families hold identical keys. */
    static byte[] key(String id) {
        return ("\u0001" + id).getBytes(StandardCharsets.UTF_8);
    }

    /** The store's value layout: an 8-byte big-endian version followed by the JSON. */
    static byte[] value(long version, byte[] json) {
        return ByteBuffer.allocate(8 + json.length).putLong(version).put(json).array();
    }

    /** A JSON object of exactly {@value #SIZE} bytes for this id and version, its padding drawn from {@code random}. */
    static byte[] json(String id, long version, SplittableRandom random) {
        byte[] head =
                ("{\"_id\":\"" + id + "\",\"_version\":" + version + ",\"text\":\"").getBytes(StandardCharsets.UTF_8);
        byte[] json = new byte[SIZE];
        System.arraycopy(head, 0, json, 0, head.length);
        for (int i = head.length; i < SIZE - 2; i++) {
            json[i] = LETTERS[random.nextInt(LETTERS.length)];
        }
        json[SIZE - 2] = '"';
        json[SIZE - 1] = '}';
        return json;
    }

    /** {@code count} indexes in {@code [0, bound)}, uniformly at random, from a fixed seed. */
    static int[] randomIndexes(int count, int bound, long seed) {
        return new Random(seed).ints(count, 0, bound).toArray();
    }
}

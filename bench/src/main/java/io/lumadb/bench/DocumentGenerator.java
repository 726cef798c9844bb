package io.lumadb.bench;

import java.util.SplittableRandom;

/**
 * Writes benchmark documents: JSON objects of an exact size in bytes, with a few typed fields
 * and a random alphanumeric payload that fills the rest.
 *
 * <p>The payload is random (a slice of a fixed random pool at a random offset) so that the
 * storage engine's compression cannot shrink the documents to nothing, which would flatter
 * write throughput. Sizes are exact whenever the requested size exceeds the fixed fields (about
 * 120 bytes), so "1 KB documents" are 1024 bytes of JSON. Not thread-safe: one generator per
 * client thread.
 */
final class DocumentGenerator {

    private static final byte[] POOL = pool(1 << 16, 0x5EED_1DB5L);
    private static final int MAX_PAYLOAD = POOL.length / 2;

    private final int targetBytes;
    private final SplittableRandom random;

    /** A generator of {@code targetBytes}-byte documents, deterministic for a given {@code seed}. */
    DocumentGenerator(int targetBytes, long seed) {
        if (targetBytes > MAX_PAYLOAD) {
            throw new IllegalArgumentException("documents up to " + MAX_PAYLOAD + " bytes, got " + targetBytes);
        }
        this.targetBytes = targetBytes;
        this.random = new SplittableRandom(seed);
    }

    /**
     * Appends one document to {@code out}. With {@code withId}, the document carries {@code
     * "_id": idPrefix + idNumber} (bulk items); without, the id is only in the URL (single PUT).
     */
    void write(RequestBytes out, String idPrefix, long idNumber, boolean withId, long seq) {
        int start = out.length();
        out.appendByte('{');
        if (withId) {
            out.append("\"_id\":\"").append(idPrefix).append(idNumber).append("\",");
        }
        out.append("\"seq\":")
                .append(seq)
                .append(",\"name\":\"user-")
                .append(seq % 100_000)
                .append("\",\"active\":")
                .append(seq % 3 == 0 ? "true" : "false")
                .append(",\"score\":")
                .append(seq % 1000)
                .append(",\"tags\":[\"bench\",\"lumadb\"],\"payload\":\"");
        int pad = Math.max(0, targetBytes - (out.length() - start) - 2);
        out.append(POOL, random.nextInt(POOL.length - pad), pad);
        out.append("\"}");
    }

    private static byte[] pool(int n, long seed) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) alphabet.charAt(r.nextInt(alphabet.length()));
        }
        return b;
    }
}

package io.lumadb.cdc;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;

/**
 * A position in a collection's change stream: for every shard, the sequence number of the last
 * shard event delivered completely, and how many changes of the next event were delivered
 * already (an event of a batch write holds several changes). Clients treat its encoding as
 * opaque; it stays valid across disconnects and restarts because shard sequence numbers are
 * durable journal positions. It names the collection incarnation, so a token of a dropped
 * collection is refused by a new collection of the same name.
 *
 * <p>Encoding (base64url without padding): byte 1 (format version), varint incarnation, varint
 * shard count, then per shard varint (seq + 1) and varint skip. A seq of {@link #EARLIEST} means
 * "from the oldest event still kept".
 */
public record ResumeToken(long incarnation, long[] seqs, int[] skips) {

    /** The per-shard seq of a position before every kept event. */
    public static final long EARLIEST = -1;

    private static final int FORMAT = 1;

    public ResumeToken {
        if (seqs.length != skips.length || seqs.length == 0) {
            throw new IllegalArgumentException("a token needs one position per shard");
        }
        seqs = seqs.clone();
        skips = skips.clone();
    }

    /** The position before every kept event of a collection with {@code shards} shards. */
    public static ResumeToken beginning(long incarnation, int shards) {
        long[] seqs = new long[shards];
        Arrays.fill(seqs, EARLIEST);
        return new ResumeToken(incarnation, seqs, new int[shards]);
    }

    /** The position after the given per-shard applied sequence numbers. */
    public static ResumeToken at(long incarnation, long[] seqs) {
        return new ResumeToken(incarnation, seqs, new int[seqs.length]);
    }

    public int shards() {
        return seqs.length;
    }

    /** Per shard, the last event delivered completely (a copy: a token never changes). */
    @Override
    public long[] seqs() {
        return seqs.clone();
    }

    /** Per shard, the changes of the next event already delivered (a copy). */
    @Override
    public int[] skips() {
        return skips.clone();
    }

    public String encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 + seqs.length * 3);
        out.write(FORMAT);
        varint(out, incarnation);
        varint(out, seqs.length);
        for (int i = 0; i < seqs.length; i++) {
            varint(out, seqs[i] + 1);
            varint(out, skips[i]);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
    }

    /** Decodes a token; {@link IllegalArgumentException} with a reason for anything malformed. */
    public static ResumeToken decode(String token) {
        if (token == null || token.isEmpty() || token.length() > 100_000) {
            throw new IllegalArgumentException("a resume token must be a non-empty string from the server");
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed resume token (not base64url)");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.get() != FORMAT) {
                throw new IllegalArgumentException("unknown resume token format");
            }
            long incarnation = varint(in);
            long shards = varint(in);
            if (shards < 1 || shards > 4096) {
                throw new IllegalArgumentException("malformed resume token (shard count " + shards + ")");
            }
            long[] seqs = new long[(int) shards];
            int[] skips = new int[(int) shards];
            for (int i = 0; i < shards; i++) {
                // seq + 1 is an unsigned varint; a forged one past 2^63 would wrap below EARLIEST.
                seqs[i] = varint(in) - 1;
                long skip = varint(in);
                if (seqs[i] < EARLIEST || skip > Integer.MAX_VALUE || (seqs[i] == EARLIEST && skip != 0)) {
                    throw new IllegalArgumentException("malformed resume token (shard " + i + ")");
                }
                skips[i] = (int) skip;
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("malformed resume token (trailing bytes)");
            }
            return new ResumeToken(incarnation, seqs, skips);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("malformed resume token (truncated)");
        }
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static long varint(ByteBuffer in) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("malformed resume token (varint)");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResumeToken t
                && t.incarnation == incarnation
                && Arrays.equals(t.seqs, seqs)
                && Arrays.equals(t.skips, skips);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(incarnation) * 31 + Arrays.hashCode(seqs) * 17 + Arrays.hashCode(skips);
    }

    @Override
    public String toString() {
        return "ResumeToken[" + incarnation + " " + Arrays.toString(seqs) + " " + Arrays.toString(skips) + "]";
    }
}

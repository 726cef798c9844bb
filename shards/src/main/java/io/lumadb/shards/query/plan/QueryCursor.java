package io.lumadb.shards.query.plan;

import io.lumadb.shards.query.QueryException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * The position after the last document of a page: that document's encoded sort values and its
 * id. The next page holds the documents whose (sort values, id) come after it, so a page never
 * repeats or skips a document that did not change meanwhile (keyset pagination). The token is
 * opaque to clients; it carries a fingerprint of the query's filter and sort so that it cannot
 * silently be used with another query.
 *
 * <p>Token layout (base64url, no padding): byte 1 (format version), 4-byte fingerprint, 4-byte
 * length of the sort values, the sort values, the UTF-8 id.
 */
public record QueryCursor(byte[] values, String id) {

    private static final byte FORMAT = 1;

    /** The row key this cursor stands for: sort values followed by the id. */
    public byte[] key() {
        return ByteKeys.concat(values, id.getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor just after the row with this key, whose sort values are its first {@code valuesLength} bytes. */
    public static QueryCursor ofKey(byte[] key, int valuesLength) {
        return new QueryCursor(
                Arrays.copyOf(key, valuesLength),
                new String(key, valuesLength, key.length - valuesLength, StandardCharsets.UTF_8));
    }

    public String encode(int fingerprint) {
        byte[] id = this.id.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(9 + values.length + id.length);
        out.put(FORMAT).putInt(fingerprint).putInt(values.length).put(values).put(id);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(out.array());
    }

    /**
     * @throws QueryException (pointer {@code /after}) for a token that is malformed or belongs to
     *     a query with another filter or sort
     */
    public static QueryCursor decode(String token, int fingerprint) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            throw malformed();
        }
        if (bytes.length < 10 || bytes[0] != FORMAT) {
            throw malformed();
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
        if (in.getInt() != fingerprint) {
            throw new QueryException(
                    "/after", "the cursor belongs to a query with another filter or sort; start again without 'after'");
        }
        int length = in.getInt();
        if (length < 0 || length > in.remaining() - 1) {
            throw malformed();
        }
        byte[] values = new byte[length];
        in.get(values);
        byte[] id = new byte[in.remaining()];
        in.get(id);
        return new QueryCursor(values, new String(id, StandardCharsets.UTF_8));
    }

    private static QueryException malformed() {
        return new QueryException("/after", "not a cursor: pass the 'next' value of the previous page unchanged");
    }
}

package io.lumadb.bench.ycsb;

import java.nio.charset.StandardCharsets;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;

/**
 * The one mapping between YCSB's field values (bytes) and the text the JSON and SQL bindings store.
 *
 * <p>Each byte becomes the character of the same code (ISO-8859-1), and back. YCSB's CoreWorkload
 * generates printable ASCII, for which this is the identity; for any other byte it still round-trips
 * exactly (a byte 0xFF is stored as U+00FF and read back as 0xFF), so no binding can silently change
 * a value. Text that was not written this way (a character above U+00FF) is read back as UTF-8.
 */
final class FieldBytes {

    private FieldBytes() {}

    /** The value as text, one character per byte. Consumes the iterator. */
    static String text(ByteIterator value) {
        return new String(value.toArray(), StandardCharsets.ISO_8859_1);
    }

    /** The bytes of text written by {@link #text}; other text as UTF-8. */
    static byte[] bytes(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0xFF) {
                return text.getBytes(StandardCharsets.UTF_8);
            }
        }
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A YCSB value holding the bytes of {@code text} (see {@link #bytes}). */
    static ByteIterator iterator(String text) {
        return new ByteArrayByteIterator(bytes(text));
    }
}

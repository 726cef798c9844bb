package io.lumadb.bench.ycsb;

import java.nio.charset.StandardCharsets;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.Status;

/**
 * What the three YCSB bindings share: the one mapping between YCSB's field values (bytes) and the
 * text the JSON and SQL bindings store, and the error samples they print.
 *
 * <p>Each byte becomes the character of the same code (ISO-8859-1), and back. YCSB's CoreWorkload
 * generates printable ASCII, for which this is the identity; for any other byte it still round-trips
 * exactly (a byte 0xFF is stored as U+00FF and read back as 0xFF), so no binding can silently change
 * a value. Text that was not written this way (a character above U+00FF) is read back as UTF-8.
 */
abstract class Binding extends DB {

    /** Unexpected outcomes printed per client, enough to diagnose without flooding the log. */
    private static final int MAX_REPORTED_ERRORS = 10;

    private int reportedErrors;

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
    static ByteIterator value(String text) {
        return new ByteArrayByteIterator(bytes(text));
    }

    /** Reports {@code message} and answers {@link Status#ERROR}. */
    final Status error(String message) {
        // YCSB counts errors but never says what they were; a few samples on stderr end up in the log.
        if (reportedErrors < MAX_REPORTED_ERRORS) {
            reportedErrors++;
            System.err.println(getClass().getSimpleName() + ": " + message
                    + (reportedErrors == MAX_REPORTED_ERRORS ? " (further errors of this thread not shown)" : ""));
        }
        return Status.ERROR;
    }
}

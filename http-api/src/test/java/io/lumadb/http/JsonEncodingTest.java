package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Request bodies must be UTF-8 JSON: malformed UTF-8 (which Jackson 2.20 passes through: it
 * decodes {@code C0 AF} as {@code /} and keeps encoded surrogates), UTF-16 and UTF-32 (which
 * Jackson would guess from NUL bytes), byte order marks and NUL bytes are refused with 400
 * {@code invalid-encoding}, an NDJSON bulk naming the line.
 */
class JsonEncodingTest {

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    private static void assertInvalid(byte[] body, String field) {
        ApiException e = assertThrows(ApiException.class, () -> JsonBodies.requireUtf8(body, field));
        assertEquals(400, e.status);
        assertEquals("invalid-encoding", e.type);
        assertEquals(field, e.field);
    }

    /** Java's decoder, with errors reported rather than replaced, is the reference. */
    private static boolean decodes(byte[] b) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void refusesMalformedUtf8() {
        List<byte[]> bad = List.of(
                bytes(0xC0, 0xAF), // overlong '/'
                bytes(0xC1, 0x81), // overlong 'A'
                bytes(0xE0, 0x80, 0xAF), // overlong, 3 bytes
                bytes(0xF0, 0x80, 0x80, 0xAF), // overlong, 4 bytes
                bytes(0xED, 0xA0, 0x80), // U+D800, a surrogate
                bytes(0xED, 0xBF, 0xBF), // U+DFFF
                bytes(0xF4, 0x90, 0x80, 0x80), // U+110000
                bytes(0xF5, 0x80, 0x80, 0x80),
                bytes(0xFF),
                bytes(0x80), // a lone continuation byte
                bytes(0xE2, 0x82), // truncated
                bytes(0xE2, 0x82, 0x41),
                bytes(0xF0, 0x9F, 0x98)); // a truncated emoji
        for (byte[] b : bad) {
            byte[] body = concat(
                    "{\"s\":\"".getBytes(StandardCharsets.US_ASCII), b, "\"}".getBytes(StandardCharsets.US_ASCII));
            assertEquals(6, JsonBodies.invalidUtf8At(body));
            assertInvalid(body, "body");
        }
    }

    @Test
    void acceptsWellFormedUtf8IncludingFourByteSequences() {
        String text = "a \u00E9 \u0800 \uD7FF \uE000 \uFFFD \uFFFF \uD83D\uDE00 \uD800\uDC00 \uDBFF\uDFFF";
        byte[] body = ("{\"s\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
        assertEquals(-1, JsonBodies.invalidUtf8At(body));
        assertDoesNotThrow(() -> JsonBodies.requireUtf8(body, "body"));
        assertEquals(text, JsonBodies.parse(body, "body").path("s").asText());
    }

    @Test
    void agreesWithJavasStrictDecoderOnRandomBytes() {
        Random random = new Random(12);
        int[] interesting = {
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
            0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF
        };
        for (int run = 0; run < 50_000; run++) {
            byte[] b = new byte[random.nextInt(9)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte)
                        (random.nextInt(4) == 0
                                ? random.nextInt(256)
                                : interesting[random.nextInt(interesting.length)]);
            }
            boolean hasNul = new String(b, StandardCharsets.ISO_8859_1).indexOf('\0') >= 0;
            assertEquals(
                    decodes(b) && !hasNul,
                    JsonBodies.invalidUtf8At(b) < 0,
                    java.util.HexFormat.of().formatHex(b));
        }
    }

    @Test
    void refusesUtf16AndUtf32AndByteOrderMarks() {
        for (String cs : List.of("UTF-16LE", "UTF-16BE", "UTF-16", "UTF-32LE", "UTF-32BE", "UTF-32")) {
            assertInvalid("{\"a\":1}".getBytes(Charset.forName(cs)), "body");
            assertInvalid("[]".getBytes(Charset.forName(cs)), "body");
        }
        assertInvalid(concat(bytes(0xEF, 0xBB, 0xBF), "{}".getBytes(StandardCharsets.US_ASCII)), "body");
    }

    @Test
    void ndjsonLinesOfNulControlBytesOrBadUtf8NameTheLine() {
        BulkItems items = new BulkItems(100, 1024);
        String first = "{\"id\":\"a\",\"doc\":{\"x\":1}}\n";
        for (byte[] line : List.of(
                bytes(0, ' '), // Jackson reads this as UTF-16 whitespace: no value at all
                bytes(' ', 0),
                bytes(0, '\t'),
                bytes(0, 0, 0, ' '),
                bytes(0, 0, 0),
                bytes(0),
                bytes(1, 2, 3),
                bytes(0x7F),
                concat(
                        "{\"id\":\"b\",\"doc\":{\"s\":\"".getBytes(StandardCharsets.US_ASCII),
                        bytes(0xED, 0xA0, 0x80),
                        "\"}}".getBytes(StandardCharsets.US_ASCII)))) {
            byte[] body = concat(first.getBytes(StandardCharsets.US_ASCII), line, bytes('\n'));
            ApiException e = assertThrows(ApiException.class, () -> items.parseNdjson(body));
            assertEquals(400, e.status, e.getMessage());
            assertEquals("/1", e.field, e.getMessage());
        }
        assertEquals(
                2,
                items.parseNdjson(concat(
                                first.getBytes(StandardCharsets.US_ASCII),
                                "{\"id\":\"e\",\"doc\":{\"s\":\"\uD83D\uDE00\"}}".getBytes(StandardCharsets.UTF_8)))
                        .size());
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

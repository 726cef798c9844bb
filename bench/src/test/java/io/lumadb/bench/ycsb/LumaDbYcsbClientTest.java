package io.lumadb.bench.ycsb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import site.ycsb.ByteArrayByteIterator;

class LumaDbYcsbClientTest {

    @Test
    void scanCursorSortsJustBelowTheStartKey() {
        for (String key : List.of("user5", "user10", "a", "k\u00e9", "x\uD83D\uDE00", "0")) {
            String cursor = LumaDbYcsbClient.cursorBefore(key);
            assertTrue(LumaDbYcsbClient.compareUtf8(cursor, key) < 0, cursor + " < " + key);
            // The key's predecessors that real workloads have (shorter keys, smaller last digits) stay below it.
            String shorter = key.substring(0, key.offsetByCodePoints(key.length(), -1));
            assertTrue(LumaDbYcsbClient.compareUtf8(shorter, cursor) <= 0 || shorter.isEmpty(), shorter);
        }
        assertEquals("user4\uDBFF\uDFFF", LumaDbYcsbClient.cursorBefore("user5"));
        assertNull(LumaDbYcsbClient.cursorBefore(""));
        assertNull(LumaDbYcsbClient.cursorBefore("\u0000"));
        assertEquals("ab", LumaDbYcsbClient.cursorBefore("ab\u0000"));
        // U+E000 - 1 is a surrogate, which UTF-8 cannot carry: the cursor skips below the surrogates.
        assertEquals("a\uD7FF\uDBFF\uDFFF", LumaDbYcsbClient.cursorBefore("a\uE000"));
    }

    @Test
    void comparesInUtf8ByteOrderNotUtf16Order() {
        // U+FFFD sorts below U+1F600 in UTF-8 (EF.. < F0..) but above its surrogates in UTF-16.
        String bmp = "\uFFFD";
        String supplementary = "\uD83D\uDE00";
        assertTrue(bmp.compareTo(supplementary) > 0);
        assertTrue(LumaDbYcsbClient.compareUtf8(bmp, supplementary) < 0);
        assertTrue(LumaDbYcsbClient.compareUtf8("user1", "user10") < 0);
        assertTrue(LumaDbYcsbClient.compareUtf8("user2", "user10") > 0);
        assertEquals(0, LumaDbYcsbClient.compareUtf8("same", "same"));
    }

    @Test
    void percentEncodesEverythingButUnreservedCharacters() {
        assertEquals("user123", LumaDbHttp.encode("user123"));
        assertEquals("a%20b%2Fc%3F%25", LumaDbHttp.encode("a b/c?%"));
        assertEquals("k%C3%A9", LumaDbHttp.encode("k\u00e9"));
        assertEquals("x%F4%8F%BF%BF", LumaDbHttp.encode("x\uDBFF\uDFFF"));
        assertEquals("~a-b_c.d%2A%2B", LumaDbHttp.encode("~a-b_c.d*+"));
    }

    @Test
    void valuesOfEveryByteRoundTripThroughJson() throws Exception {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LumaDbYcsbClient.writeJson(out, Map.of("field0", new ByteArrayByteIterator(all)));
        String json = out.toString(StandardCharsets.UTF_8);
        assertTrue(json.chars().allMatch(c -> c >= 0x20 && c <= 0x7F), "the JSON text is ASCII: " + json);
        try (JsonParser p = new JsonFactory().createParser(out.toByteArray())) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            assertEquals("field0", p.nextFieldName());
            assertEquals(JsonToken.VALUE_STRING, p.nextToken());
            assertArrayEquals(all, Binding.bytes(p.getText()));
        }
    }
}

package io.lumadb.shards.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DocumentJsonTest {

    private static JsonNode json(String s) throws Exception {
        return DocumentJson.mapper().readTree(s);
    }

    @Test
    void composePutsSystemFieldsFirstAndKeepsContent() throws Exception {
        byte[] doc = DocumentJson.compose("a\"b", 7, "{\"x\":1,\"y\":[2]}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"_id\":\"a\\\"b\",\"_version\":7,\"x\":1,\"y\":[2]}", new String(doc, StandardCharsets.UTF_8));
        assertEquals(
                json("{\"_id\":\"a\\\"b\",\"_version\":7,\"x\":1,\"y\":[2]}"),
                DocumentJson.mapper().readTree(doc));
    }

    @Test
    void composeQuotesAnyIdSoThatJsonParsersReadItBack() throws Exception {
        java.util.Random random = new java.util.Random(7);
        String alphabet = "aZ9 _-\"\\/\n\r\t\u0001\u001f\u007f\u2028\u2029éü€";
        for (int n = 0; n < 2000; n++) {
            StringBuilder id = new StringBuilder();
            int length = 1 + random.nextInt(12);
            for (int i = 0; i < length; i++) {
                if (random.nextInt(10) == 0) {
                    id.appendCodePoint(0x1F600 + random.nextInt(50));
                } else {
                    id.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
            }
            JsonNode parsed = DocumentJson.mapper()
                    .readTree(DocumentJson.compose(id.toString(), n + 1, "{\"k\":1}".getBytes(StandardCharsets.UTF_8)));
            assertEquals(id.toString(), parsed.get("_id").textValue());
            assertEquals(n + 1, parsed.get("_version").longValue());
            assertEquals(1, parsed.get("k").intValue());
        }
    }

    @Test
    void composeOfEmptyObjectIsValidJson() throws Exception {
        byte[] doc = DocumentJson.compose("k", 1, "{ }".getBytes(StandardCharsets.UTF_8));
        assertEquals(
                json("{\"_id\":\"k\",\"_version\":1}"), DocumentJson.mapper().readTree(doc));
    }

    @Test
    void composeRejectsNonObjects() {
        assertThrows(
                IllegalArgumentException.class,
                () -> DocumentJson.compose("k", 1, "[1]".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void contentDropsSystemFields() {
        byte[] doc = DocumentJson.compose("k", 3, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"a\":1}", DocumentJson.content(doc).toString());
    }

    /** The examples of RFC 7396, Appendix A. */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"a\":\"b\"}|{\"a\":\"c\"}|{\"a\":\"c\"}",
                "{\"a\":\"b\"}|{\"b\":\"c\"}|{\"a\":\"b\",\"b\":\"c\"}",
                "{\"a\":\"b\"}|{\"a\":null}|{}",
                "{\"a\":\"b\",\"b\":\"c\"}|{\"a\":null}|{\"b\":\"c\"}",
                "{\"a\":[\"b\"]}|{\"a\":\"c\"}|{\"a\":\"c\"}",
                "{\"a\":\"c\"}|{\"a\":[\"b\"]}|{\"a\":[\"b\"]}",
                "{\"a\":{\"b\":\"c\"}}|{\"a\":{\"b\":\"d\",\"c\":null}}|{\"a\":{\"b\":\"d\"}}",
                "{\"a\":[{\"b\":\"c\"}]}|{\"a\":[1]}|{\"a\":[1]}",
                "[\"a\",\"b\"]|[\"c\",\"d\"]|[\"c\",\"d\"]",
                "{\"a\":\"b\"}|[\"c\"]|[\"c\"]",
                "{\"a\":\"foo\"}|null|null",
                "{\"a\":\"foo\"}|\"bar\"|\"bar\"",
                "{\"e\":null}|{\"a\":1}|{\"e\":null,\"a\":1}",
                "[1,2]|{\"a\":\"b\",\"c\":null}|{\"a\":\"b\"}",
                "{}|{\"a\":{\"bb\":{\"ccc\":null}}}|{\"a\":{\"bb\":{}}}"
            })
    void mergePatchFollowsRfc7396(String target, String patch, String expected) throws Exception {
        assertEquals(json(expected), DocumentJson.mergePatch(json(target), json(patch)));
    }
}

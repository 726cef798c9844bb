package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.model.DocumentWrite;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing the items of {@code _bulk}: every item is checked before any write is made. */
class BulkItemsTest {

    private final BulkItems items = new BulkItems(3, 64);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesEveryKindOfItemFromAnArray() {
        List<DocumentWrite> writes =
                items.parseArray(utf8("[{\"id\":\"a\",\"doc\":{\"n\":1}},{\"op\":\"create\",\"doc\":{\"_id\":\"b\"}},"
                        + "{\"op\":\"patch\",\"id\":\"a\",\"doc\":{\"n\":2},\"ifMatch\":3}]"));
        assertEquals(3, writes.size());
        assertEquals(new Shape("a", DocumentWrite.Kind.PUT, DocumentWrite.ANY), Shape.of(writes.get(0)));
        assertEquals(new Shape("b", DocumentWrite.Kind.PUT, DocumentWrite.ABSENT), Shape.of(writes.get(1)));
        assertEquals(new Shape("a", DocumentWrite.Kind.PATCH, 3), Shape.of(writes.get(2)));
        assertArrayEquals(utf8("{\"n\":1}"), writes.get(0).body());
        List<DocumentWrite> deletes = items.parseNdjson(utf8("{\"op\":\"delete\",\"id\":\"a\"}\n\n"));
        assertEquals(new Shape("a", DocumentWrite.Kind.DELETE, DocumentWrite.ANY), Shape.of(deletes.get(0)));
    }

    private record Shape(String id, DocumentWrite.Kind kind, long expected) {
        static Shape of(DocumentWrite w) {
            return new Shape(w.id(), w.kind(), w.expectedVersion());
        }
    }

    @Test
    void aPutWithoutAnIdGetsAGeneratedOne() {
        String id = items.parseArray(utf8("[{\"doc\":{}}]")).get(0).id();
        assertTrue(id.matches("[0-9a-f]{24}"), id);
    }

    @Test
    void refusesABadItemNamingItsPointer() {
        assertRefused("[{\"id\":\"a\",\"doc\":{}},{\"op\":\"patch\",\"doc\":{}}]", 400, "invalid-bulk-item", "/1/id");
        assertRefused("[{\"op\":\"delete\",\"id\":\"a\",\"doc\":{}}]", 400, "invalid-bulk-item", "/0/doc");
        assertRefused(
                "[{\"op\":\"create\",\"id\":\"a\",\"doc\":{},\"ifMatch\":1}]", 400, "invalid-bulk-item", "/0/ifMatch");
        assertRefused("[{\"op\":\"upsert\",\"id\":\"a\"}]", 400, "invalid-bulk-item", "/0/op");
        assertRefused("[{\"id\":\"..\",\"doc\":{}}]", 400, "invalid-name", null);
        assertRefused("[{\"id\":\"a\",\"doc\":{\"_id\":\"b\"}}]", 400, null, null);
        assertRefused("{\"id\":\"a\"}", 400, "not-an-array", "body");
        assertRefused("[]", 400, "invalid-bulk", "body");
        assertRefused("[{\"doc\":{}},{\"doc\":{}},{\"doc\":{}},{\"doc\":{}}]", 413, "too-many-items", "body");
        assertRefused("[{\"id\":\"a\",\"doc\":{\"big\":\"" + "x".repeat(100) + "\"}}]", 413, null, null);
    }

    @Test
    void anNdjsonProblemNamesItsLine() {
        ApiException e = assertThrows(
                ApiException.class, () -> items.parseNdjson(utf8("{\"id\":\"a\",\"doc\":{}}\n{\"id\":\n")));
        assertEquals(400, e.status);
        assertTrue(e.field.startsWith("/1"), e.field);
        java.io.ByteArrayOutputStream badUtf8 = new java.io.ByteArrayOutputStream();
        badUtf8.writeBytes(utf8("{\"doc\":{}}\n{\"id\":\""));
        badUtf8.write(0xC3); // a lead byte without its continuation byte
        badUtf8.writeBytes(utf8("\",\"doc\":{}}"));
        ApiException encoding = assertThrows(ApiException.class, () -> items.parseNdjson(badUtf8.toByteArray()));
        assertTrue(encoding.field.startsWith("/1"), encoding.field);
    }

    @Test
    void anNdjsonItemIsExactlyOneLineAndAProblemNamesTheItemOfItsLine() {
        BulkItems many = new BulkItems(10, 64);
        assertEquals(
                List.of("a", "b", "c"),
                many
                        .parseNdjson(utf8("\n{\"id\":\"a\",\"doc\":{}}\r\n  \n\t{\"doc\":{\"_id\":\"b\"}}\n"
                                + "{\"op\":\"delete\",\"id\":\"c\"}"))
                        .stream()
                        .map(DocumentWrite::id)
                        .toList());
        for (String[] bad : new String[][] {
            {"{\"id\":\"a\",\"doc\":{}} {\"id\":\"b\",\"doc\":{}}\n", "/1", "follows another on line 1"},
            {"{\"id\":\"a\",\"doc\":{}}\n{\"id\":\"b\",\n\"doc\":{}}\n", "/1", "runs from line 2 to line 3"},
            {"{\"id\":\"a\",\"doc\":{}} x\n{\"id\":\"b\",\"doc\":{}}\n", "/0", "Unrecognized token 'x'"},
            {"{\"id\":\"a\",\"doc\":{}}\n\n[1]\n", "/1", "array"},
            {"\uFEFF{\"id\":\"a\",\"doc\":{}}\n", "/0", "byte order mark"},
            {"{\"id\":\"a\",\"doc\":{}}\n{\"id\":\"b\",\"doc\":{},\"doc\":{}}\n", "/1", "Duplicate field"},
        }) {
            ApiException e = assertThrows(ApiException.class, () -> many.parseNdjson(utf8(bad[0])), bad[0]);
            assertEquals(400, e.status, bad[0]);
            assertEquals(bad[1], e.field, bad[0] + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(bad[2]), bad[0] + ": " + e.getMessage());
        }
    }

    private void assertRefused(String body, int status, String type, String field) {
        ApiException e = assertThrows(ApiException.class, () -> items.parseArray(utf8(body)), body);
        assertEquals(status, e.status, body + ": " + e.getMessage());
        if (type != null) {
            assertEquals(type, e.type, body);
        }
        if (field != null) {
            assertEquals(field, e.field, body);
        }
    }
}

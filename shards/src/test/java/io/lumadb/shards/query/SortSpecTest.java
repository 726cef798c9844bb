package io.lumadb.shards.query;

import static io.lumadb.shards.query.FilterTest.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class SortSpecTest {

    private static SortSpec sort(String json) {
        return SortSpec.parse(json(json), "/sort");
    }

    @Test
    void parseAcceptsThreeFormsAndAppendsId() {
        SortSpec s = sort("['age', '-name', {path: 'a.b', order: 'desc'}, {path: 'c'}]");
        assertEquals(
                List.of("age", "name", "a.b", "c", "_id"),
                s.keys().stream().map(k -> k.path().text()).toList());
        assertEquals(
                List.of(false, true, true, false, false),
                s.keys().stream().map(SortSpec.Key::descending).toList());
        assertFalse(s.isIdOrder());
    }

    @Test
    void idIsNotAppendedTwice() {
        assertEquals(1, sort("['-_id']").keys().size());
        assertFalse(sort("['-_id']").isIdOrder());
        assertTrue(sort("['_id']").isIdOrder());
        assertTrue(SortSpec.parse(null, "/sort").isIdOrder());
        assertTrue(sort("[]").isIdOrder());
        assertEquals(2, sort("['_id', 'a']").keys().size());
    }

    @Test
    void sortValueIsTheExtremeIndexValue() {
        SortSpec.Key asc = sort("['a']").keys().getFirst();
        SortSpec.Key desc = sort("['-a']").keys().getFirst();
        JsonNode doc = json("{a: [3, 'x', 1]}");
        assertEquals(json("1"), SortSpec.sortValue(doc, asc));
        assertEquals(json("'x'"), SortSpec.sortValue(doc, desc));
        assertEquals(json("null"), SortSpec.sortValue(json("{}"), asc));
        assertEquals(json("null"), SortSpec.sortValue(json("{a: []}"), desc));
    }

    /** What the README's differences from MongoDB state about sorting arrays. */
    @Test
    void emptyArraysSortAsNullAndOnlyNonArrayElementsCount() {
        SortSpec.Key asc = sort("['a']").keys().getFirst();
        SortSpec.Key desc = sort("['-a']").keys().getFirst();
        // An empty array sorts as null, level with missing and null (then by _id), both ways.
        assertEquals(json("null"), SortSpec.sortValue(json("{a: []}"), asc));
        assertEquals(json("null"), SortSpec.sortValue(json("{a: null}"), asc));
        // Nested arrays are left out; an array holding only arrays sorts as null.
        assertEquals(json("null"), SortSpec.sortValue(json("{a: [[1]]}"), desc));
        assertEquals(json("2"), SortSpec.sortValue(json("{a: [[9], 2]}"), desc));
        assertEquals(json("2"), SortSpec.sortValue(json("{a: [[0], 2]}"), asc));
        // On a dotted path, scalars in the array are skipped (not null): only object elements count.
        SortSpec.Key ab = sort("['a.b']").keys().getFirst();
        assertEquals(json("2"), SortSpec.sortValue(json("{a: [1, {b: 2}]}"), ab));
        assertEquals(json("null"), SortSpec.sortValue(json("{a: [1, 3]}"), ab));
        assertEquals(json("null"), SortSpec.sortValue(json("{a: [{b: 2}, {}]}"), ab));
    }

    @Test
    void sortKeysOrderDocumentsAsTheSortDoes() {
        SortSpec s = sort("['-age', 'name']");
        List<JsonNode> docs = new ArrayList<>(List.of(
                json("{_id: '1', age: 30, name: 'b'}"),
                json("{_id: '2', age: 30, name: 'a'}"),
                json("{_id: '3', name: 'z'}"),
                json("{_id: '4', age: [10, 40], name: 'a'}"),
                json("{_id: '5', age: 'old'}"),
                json("{_id: '6', age: 30, name: 'a'}")));
        docs.sort(Comparator.comparing(
                d -> concat(s.sortKey(d), KeyCodec.encode(d.get("_id"), false)), Arrays::compareUnsigned));
        assertEquals(
                List.of("5", "4", "2", "6", "1", "3"),
                docs.stream().map(d -> d.get("_id").asText()).toList());
    }

    @Test
    void sortKeyOmitsOnlyATrailingId() {
        JsonNode doc = json("{_id: 'k', a: 1}");
        assertArrayEquals(new byte[0], SortSpec.BY_ID.sortKey(doc));
        assertArrayEquals(KeyCodec.encode(json("1"), true), sort("['-a']").sortKey(doc));
        assertArrayEquals(
                concat(KeyCodec.encode(json("'k'"), false), KeyCodec.encode(json("1"), false)),
                sort("['_id', 'a']").sortKey(doc));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

package io.lumadb.shards.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"shop", "Shop_2", "a", "a-b", "0abc"})
    void acceptsGoodNames(String name) {
        assertEquals(name, Names.checkDatabase(name));
        assertEquals(name, Names.checkCollection(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "_bulk", "-x", "a b", "a/b", "a.b", "é"})
    void rejectsBadNames(String name) {
        InvalidNameException e = assertThrows(InvalidNameException.class, () -> Names.checkCollection(name));
        assertEquals("collection", e.field());
    }

    @Test
    void rejectsTooLongNames() {
        assertThrows(InvalidNameException.class, () -> Names.checkDatabase("a".repeat(65)));
        assertEquals("a".repeat(64), Names.checkDatabase("a".repeat(64)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"user:1", "ümlaut", "a b", "x.y", "🙂", "...", ".a", "a.."})
    void acceptsDocumentIds(String id) {
        assertEquals(id, Names.checkDocumentId(id));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "_x", "a/b", "tab\tid", "\u0000", ".", ".."})
    void rejectsBadDocumentIds(String id) {
        InvalidNameException e = assertThrows(InvalidNameException.class, () -> Names.checkDocumentId(id));
        assertEquals("_id", e.field());
    }

    @Test
    void rejectsIdsOverTheByteLimitAndLoneSurrogates() {
        assertThrows(InvalidNameException.class, () -> Names.checkDocumentId("ü".repeat(257)));
        assertThrows(InvalidNameException.class, () -> Names.checkDocumentId("a\uD800b"));
    }
}

package io.lumadb.shards.query;

import static io.lumadb.shards.query.FilterTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PathsTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private static Path path(String text) {
        return Path.parse(text, "/p");
    }

    private static List<JsonNode> values(String doc, String path) {
        return Paths.indexValues(json(doc), path(path)).values();
    }

    @Test
    void parseSplitsOnDotsAndRejectsBadSegments() {
        assertEquals(List.of("a", "b", "0"), path("a.b.0").segments());
        assertEquals("/p", assertThrows(QueryException.class, () -> path("a.")).pointer());
        assertThrows(QueryException.class, () -> path(".a"));
        assertThrows(QueryException.class, () -> path("a.$x"));
        assertThrows(QueryException.class, () -> path(""));
    }

    @Test
    void candidatesIncludeArrayElementsAndTheArray() {
        assertEquals(List.of(json("1"), json("2"), json("[1, 2]")), Paths.candidates(json("{a: [1, 2]}"), path("a")));
        assertEquals(
                List.of(json("1"), json("2")), Paths.candidates(json("{a: [{b: 1}, {c: 0}, {b: 2}]}"), path("a.b")));
        assertEquals(List.of(), Paths.candidates(json("{a: 5}"), path("a.b")));
    }

    @Test
    void missingMeansNoValueReached() {
        assertTrue(Paths.isMissing(json("{}"), path("a")));
        assertFalse(Paths.isMissing(json("{a: null}"), path("a")));
        assertTrue(Paths.isMissing(json("{a: [1, 2]}"), path("a.b")));
        assertFalse(Paths.isMissing(json("{a: [1, {b: 2}]}"), path("a.b")));
        assertTrue(Paths.isMissing(json("{a: [1]}"), path("a.3")));
    }

    @Test
    void indexValuesAreDistinctSortedNonArrayCandidates() {
        assertEquals(List.of(json("1"), json("'x'")), values("{a: ['x', 1, 'x', [7]]}", "a"));
        assertEquals(List.of(json("null")), values("{}", "a"));
        assertEquals(List.of(json("null")), values("{a: []}", "a"));
        assertEquals(List.of(json("null"), json("1")), values("{a: [{b: 1}, {c: 2}]}", "a.b"));
        assertEquals(List.of(json("{c: 1}")), values("{a: {c: 1}}", "a"));
        assertFalse(Paths.indexValues(json("{a: {b: 1}}"), path("a.b")).multikey());
        assertTrue(Paths.indexValues(json("{a: [{b: 1}]}"), path("a.b")).multikey());
        assertTrue(Paths.indexValues(json("{a: {b: [1]}}"), path("a.b")).multikey());
        assertTrue(Paths.indexValues(json("{a: {b: []}}"), path("a.b")).multikey());
    }

    @Test
    void valueIsTheWholeValueForGrouping() {
        assertEquals(json("[1, 2]"), Paths.value(json("{a: [1, 2]}"), path("a")));
        assertEquals(json("[1, 2]"), Paths.value(json("{a: [{b: 1}, {c: 0}, {b: 2}]}"), path("a.b")));
        assertEquals(json("null"), Paths.value(json("{}"), path("a.b")));
        assertEquals(json("2"), Paths.value(json("{a: [1, 2]}"), path("a.1")));
    }

    private static final String[] PATHS = {"a", "b", "a.b", "a.b.c", "a.0", "a.1.b", "a.b.0", "c.a"};
    private static final String[] KEYS = {"a", "b", "c", "0"};

    private static JsonNode randomScalar(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> F.nullNode();
            case 1 -> F.booleanNode(random.nextBoolean());
            case 2, 3 -> F.numberNode(random.nextInt(4) - 1);
            case 4 -> F.numberNode(random.nextInt(4) / 2.0);
            case 5 -> F.objectNode().put("k", random.nextInt(2));
            default -> F.textNode(List.of("", "x", "xy", "y", "\uD83D\uDE00").get(random.nextInt(5)));
        };
    }

    private static JsonNode randomTree(Random random, int depth) {
        int kind = depth == 0 ? 0 : random.nextInt(4);
        if (kind == 0 || kind == 1 && depth < 2) {
            return randomScalar(random);
        }
        if (kind == 1 || kind == 2) {
            ObjectNode o = F.objectNode();
            int n = random.nextInt(4);
            for (int i = 0; i < n; i++) {
                o.set(KEYS[random.nextInt(KEYS.length)], randomTree(random, depth - 1));
            }
            return o;
        }
        ArrayNode a = F.arrayNode();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            a.add(randomTree(random, depth - 1));
        }
        return a;
    }

    private static Condition randomCondition(Random random) {
        JsonNode v = randomScalar(random);
        return switch (random.nextInt(7)) {
            case 0 -> new Condition.Eq(v);
            case 1 -> new Condition.Gt(v);
            case 2 -> new Condition.Gte(v);
            case 3 -> new Condition.Lt(v);
            case 4 -> new Condition.Lte(v);
            case 5 -> new Condition.In(List.of(v, randomScalar(random)));
            default -> new Condition.StartsWith(List.of("", "x", "\uD83D").get(random.nextInt(3)));
        };
    }

    /**
     * The property the planner relies on: an index scan over {@link Paths#indexValues} never misses a
     * document the filter matches.
     */
    @Test
    void indexValuesNeverMissAMatch() {
        Random random = new Random(2024);
        Path single = path("v");
        int matches = 0;
        for (int n = 0; n < 200_000; n++) {
            ObjectNode doc = F.objectNode();
            doc.put("_id", "d" + n);
            doc.set("a", randomTree(random, 4));
            if (random.nextBoolean()) {
                doc.set("c", randomTree(random, 3));
            }
            Path p = path(PATHS[random.nextInt(PATHS.length)]);
            Condition condition = randomCondition(random);
            if (!new Filter.Field(p, condition).matches(doc, Deadline.none())) {
                continue;
            }
            matches++;
            Paths.IndexValues entries = Paths.indexValues(doc, p);
            boolean covered = false;
            for (JsonNode value : entries.values()) {
                assertFalse(value.isArray(), "index values are never arrays");
                ObjectNode one = F.objectNode();
                one.set("v", value);
                covered |= new Filter.Field(single, condition).matches(one, Deadline.none());
            }
            assertTrue(
                    covered,
                    () -> condition + " matches " + doc + " at " + p + " but no index value " + entries.values()
                            + " does");
        }
        assertTrue(matches > 10_000, "the generator produces enough matches: " + matches);
    }

    @Test
    void indexValuesAreSortedAndDistinct() {
        Random random = new Random(5);
        for (int n = 0; n < 20_000; n++) {
            JsonNode doc = F.objectNode().set("a", randomTree(random, 4));
            List<JsonNode> values = Paths.indexValues(doc, path(PATHS[random.nextInt(PATHS.length)]))
                    .values();
            assertFalse(values.isEmpty());
            for (int i = 1; i < values.size(); i++) {
                assertTrue(KeyCodec.compare(values.get(i - 1), values.get(i)) < 0, values::toString);
            }
        }
    }
}

package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.QueryLimits;
import io.lumadb.shards.query.RowAccess;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What a caller with hidden fields may ask and write: every request naming a hidden field is
 * refused with {@code 403 hidden-field}, and its replaces and patches keep the stored values.
 * The whole write path, with its version preconditions, runs on a real node in {@code RowRulesIT}.
 */
class HiddenFieldsTest {

    private static final Set<String> HIDDEN = Set.of("salary", "comp.bonus");
    private static final RowAccess SIGHT = RowAccess.of(null, HIDDEN, QueryLimits.DEFAULTS);

    private static JsonNode json(String text) {
        try {
            return DocumentJson.mapper().readTree(text);
        } catch (Exception e) {
            throw new AssertionError(text, e);
        }
    }

    private static ApiException refused(Runnable call) {
        ApiException e = assertThrows(ApiException.class, call::run);
        assertEquals(403, e.status, e.getMessage());
        assertEquals("hidden-field", e.type, e.getMessage());
        return e;
    }

    // ---- queries and subscriptions

    @Test
    void aQueryNamingAHiddenFieldAnywhereIsRefused() {
        for (String query : List.of(
                "{\"filter\":{\"salary\":{\"$gt\":10}}}",
                "{\"filter\":{\"$or\":[{\"name\":\"a\"},{\"salary\":{\"$exists\":true}}]}}",
                "{\"filter\":{\"comp\":{\"bonus\":1}}}",
                "{\"filter\":{\"comp.bonus\":1}}",
                "{\"filter\":{\"salary.x\":1}}",
                "{\"sort\":[\"salary\"]}",
                "{\"sort\":[\"-salary\"]}",
                "{\"sort\":[\"-comp.bonus\"]}",
                "{\"sort\":[{\"path\":\"salary\",\"order\":\"desc\"}]}",
                "{\"fields\":[\"name\",\"comp\"]}",
                "{\"distinct\":\"salary\"}",
                "{\"aggregate\":{\"groupBy\":[\"dept\"],\"metrics\":{\"top\":{\"$max\":\"salary\"}}}}",
                "{\"aggregate\":{\"groupBy\":[\"comp.bonus\"],\"metrics\":{\"n\":{\"$count\":{}}}}}",
                "{\"aggregate\":{\"metrics\":{\"p\":{\"$percentile\":{\"path\":\"salary\",\"p\":50}}}}}")) {
            ApiException e = refused(() -> HiddenFields.refuseInQuery(json(query), SIGHT));
            assertTrue(e.field.startsWith("/"), query + " -> " + e.field);
        }
    }

    @Test
    void aQueryNamingOnlyVisibleFieldsRuns() {
        for (String query : List.of(
                "{\"filter\":{\"name\":\"salary\"}}",
                "{\"filter\":{\"comp.base\":1,\"name\":{\"$regex\":\"salary\"}}}",
                "{\"sort\":[\"-name\",\"comp.base\"],\"limit\":5,\"count\":false}",
                "{\"fields\":[\"name\",\"comp.base\"]}",
                "{\"distinct\":\"dept\"}",
                "{\"aggregate\":{\"groupBy\":[\"dept\"],\"metrics\":{\"n\":{\"$sum\":\"comp.base\"}}}}")) {
            HiddenFields.refuseInQuery(json(query), SIGHT);
        }
        HiddenFields.refuseInQuery(json("{\"filter\":{\"salary\":1}}"), RowAccess.ALL);
    }

    @Test
    void aSubscriptionFilteringOrSortingOnAHiddenFieldIsRefused() {
        assertEquals(
                "/filter", refused(() -> HiddenFields.refuseInSubscription(json("{\"salary\":1}"), null, SIGHT)).field);
        assertEquals(
                "/sort", refused(() -> HiddenFields.refuseInSubscription(null, json("[\"-salary\"]"), SIGHT)).field);
        HiddenFields.refuseInSubscription(json("{\"name\":\"salary\"}"), json("[\"-name\"]"), SIGHT);
        HiddenFields.refuseInSubscription(null, null, SIGHT);
    }

    // ---- write bodies

    @Test
    void aWriteBodyNamingAHiddenFieldIsRefusedEvenToRemoveIt() {
        for (boolean patch : new boolean[] {false, true}) {
            assertEquals("/salary", refused(() -> refuseWrite("{\"salary\":5}", patch)).field);
            assertEquals("/salary", refused(() -> refuseWrite("{\"name\":\"a\",\"salary\":null}", patch)).field);
            assertEquals("/comp/bonus", refused(() -> refuseWrite("{\"comp\":{\"bonus\":1}}", patch)).field);
            assertEquals("/comp/bonus", refused(() -> refuseWrite("{\"comp\":{\"bonus\":null}}", patch)).field);
            // An object holding a hidden field cannot become something that cannot hold it.
            assertEquals("/comp", refused(() -> refuseWrite("{\"comp\":5}", patch)).field);
            assertEquals("/comp", refused(() -> refuseWrite("{\"comp\":[1]}", patch)).field);
            // Fields beside it are the caller's.
            refuseWrite("{\"name\":\"a\",\"comp\":{\"base\":1},\"salaryBand\":2}", patch);
        }
        // In a whole document null is a value that cannot hold comp.bonus; in a patch it removes
        // what the caller sees of comp, and restore keeps comp.bonus.
        assertEquals("/comp", refused(() -> refuseWrite("{\"comp\":null}", false)).field);
        refuseWrite("{\"comp\":null}", true);
        HiddenFields.refuseInWrite(json("{\"salary\":1}"), Set.of(), false);
    }

    private static void refuseWrite(String body, boolean patch) {
        HiddenFields.refuseInWrite(json(body), HIDDEN, patch);
    }

    @Test
    void aReplaceGetsTheStoredHiddenValuesBack() {
        JsonNode stored = json("{\"_id\":\"e\",\"_version\":3,\"name\":\"a\",\"salary\":100,"
                + "\"comp\":{\"base\":1,\"bonus\":{\"q1\":7}}}");
        ObjectNode replaced = (ObjectNode) json("{\"name\":\"b\"}");
        assertTrue(HiddenFields.restore(replaced, stored, HIDDEN));
        assertEquals(json("{\"name\":\"b\",\"salary\":100,\"comp\":{\"bonus\":{\"q1\":7}}}"), replaced);

        ObjectNode withComp = (ObjectNode) json("{\"comp\":{\"base\":2}}");
        assertTrue(HiddenFields.restore(withComp, stored, HIDDEN));
        assertEquals(json("{\"comp\":{\"base\":2,\"bonus\":{\"q1\":7}},\"salary\":100}"), withComp);

        // Nothing hidden is stored: nothing to put back, and nothing made up.
        ObjectNode plain = (ObjectNode) json("{\"name\":\"c\"}");
        assertFalse(HiddenFields.restore(plain, json("{\"name\":\"a\",\"comp\":5}"), HIDDEN));
        assertEquals(json("{\"name\":\"c\"}"), plain);

        // A body that slipped a non-object in where the hidden value lives is refused, not flattened.
        refused(() -> HiddenFields.restore((ObjectNode) json("{\"comp\":3}"), stored, HIDDEN));
    }

    @Test
    void theDiffPatchTurnsOneDocumentIntoTheOther() {
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            ObjectNode from = randomObject(random, 3);
            ObjectNode to = randomObject(random, 3);
            if (random.nextBoolean()) {
                // Often close to each other, as a patch result is to the stored document.
                to = from.deepCopy();
                to.setAll(randomObject(random, 2));
                to.remove("a");
            }
            ObjectNode patch = HiddenFields.diff(from, to);
            JsonNode applied = DocumentJson.mergePatch(from.deepCopy(), patch);
            assertEquals(to, applied, "from " + from + " to " + to + " by " + patch);
        }
        assertEquals(json("{}"), HiddenFields.diff(json("{\"a\":{\"b\":1}}"), (ObjectNode) json("{\"a\":{\"b\":1}}")));
        assertEquals(
                json("{\"a\":{\"c\":null,\"d\":2}}"),
                HiddenFields.diff(json("{\"a\":{\"b\":1,\"c\":1}}"), (ObjectNode) json("{\"a\":{\"b\":1,\"d\":2}}")));
    }

    /** A random object without nulls (a merge patch cannot set one, nor does a merge leave one). */
    private static ObjectNode randomObject(Random random, int depth) {
        ObjectNode node = DocumentJson.mapper().createObjectNode();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            String key = String.valueOf((char) ('a' + random.nextInt(4)));
            switch (random.nextInt(depth > 0 ? 4 : 3)) {
                case 0 -> node.put(key, random.nextInt(3));
                case 1 -> node.put(key, "s" + random.nextInt(2));
                case 2 -> node.putArray(key).add(random.nextInt(2));
                default -> node.set(key, randomObject(random, depth - 1));
            }
        }
        return node;
    }
}

package io.lumadb.shards.query;

import static io.lumadb.shards.query.FilterTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class ProjectionTest {

    private static JsonNode project(String fields, String doc) {
        return Projection.parse(json(fields), "/fields").apply(json(doc));
    }

    @Test
    void absentFieldsReturnTheWholeDocument() {
        Projection all = Projection.parse(null, "/fields");
        assertTrue(all.isAll());
        JsonNode doc = json("{_id: 'a', _version: 1, x: 1}");
        assertSame(doc, all.apply(doc));
    }

    @Test
    void includesListedPathsAndAlwaysIdAndVersion() {
        assertEquals(
                json("{_id: 'a', _version: 2, name: 'n', address: {city: 'c'}}"),
                project(
                        "['name', 'address.city']",
                        "{_id: 'a', _version: 2, name: 'n', age: 3, address: {city: 'c', zip: 'z'}}"));
        assertEquals(json("{_id: 'a', _version: 2}"), project("['_id', 'missing']", "{_id: 'a', _version: 2, x: 1}"));
    }

    @Test
    void projectsThroughArraysLikeMongo() {
        assertEquals(
                json("{_id: 'a', _version: 1, items: [{sku: 'x'}, {}, [{sku: 'y'}]]}"),
                project(
                        "['items.sku']",
                        "{_id: 'a', _version: 1, items: [{sku: 'x', q: 1}, {q: 2}, 5, [{sku: 'y'}]]}"));
    }

    @Test
    void objectsLackingTheRestOfAPathBecomeEmptyAndScalarsAreOmitted() {
        assertEquals(json("{_id: 'a', _version: 1, a: {}}"), project("['a.b']", "{_id: 'a', _version: 1, a: {c: 1}}"));
        assertEquals(json("{_id: 'a', _version: 1}"), project("['a.b']", "{_id: 'a', _version: 1, a: 5}"));
    }

    @Test
    void numericSegmentsAreFieldNames() {
        assertEquals(
                json("{_id: 'a', _version: 1, a: {'0': 1}}"),
                project("['a.0']", "{_id: 'a', _version: 1, a: {'0': 1, '1': 2}}"));
    }
}

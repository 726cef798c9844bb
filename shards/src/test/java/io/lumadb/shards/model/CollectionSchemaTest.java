package io.lumadb.shards.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class CollectionSchemaTest {

    private static JsonNode json(String text) throws Exception {
        return DocumentJson.mapper().readTree(text);
    }

    private static final String ORDERS = """
            {"type":"object",
             "properties":{
               "id":{"type":"integer"},
               "customer":{"type":"string","minLength":1,"maxLength":20,"pattern":"^[a-z]+$"},
               "status":{"enum":["new","paid","shipped"]},
               "total":{"type":"number","minimum":0,"exclusiveMaximum":1000000},
               "tags":{"type":"array","items":{"type":"string"},"maxItems":3},
               "address":{"type":"object","properties":{"zip":{"type":"string","pattern":"^[0-9]{5}$"}},
                          "required":["zip"]},
               "note":{"type":["string","null"]}},
             "required":["id","customer"],
             "x-primaryKey":"id"}""";

    private static CollectionSchema.Violation check(String doc) throws Exception {
        return CollectionSchema.parse(ORDERS).check(json(doc));
    }

    @Test
    void validDocumentsPass() throws Exception {
        assertNull(check("{\"id\":1,\"customer\":\"ada\"}"));
        assertNull(check("{\"id\":2,\"customer\":\"bob\",\"status\":\"paid\",\"total\":12.5,\"tags\":[\"a\"],"
                + "\"address\":{\"zip\":\"12345\"},\"note\":null,\"extra\":true}"));
    }

    @Test
    void eachKeywordNamesTheFailingPointer() throws Exception {
        record Case(String doc, String pointer) {}
        for (Case c : List.of(
                new Case("{\"customer\":\"ada\"}", "/id"),
                new Case("{\"id\":1.5,\"customer\":\"ada\"}", "/id"),
                new Case("{\"id\":1,\"customer\":\"\"}", "/customer"),
                new Case("{\"id\":1,\"customer\":\"Ada\"}", "/customer"),
                new Case("{\"id\":1,\"customer\":\"abcdefghijklmnopqrstuvwxyz\"}", "/customer"),
                new Case("{\"id\":1,\"customer\":\"ada\",\"status\":\"lost\"}", "/status"),
                new Case("{\"id\":1,\"customer\":\"ada\",\"total\":-1}", "/total"),
                new Case("{\"id\":1,\"customer\":\"ada\",\"total\":1000000}", "/total"),
                new Case("{\"id\":1,\"customer\":\"ada\",\"tags\":[\"a\",2]}", "/tags/1"),
                new Case("{\"id\":1,\"customer\":\"ada\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "/tags"),
                new Case("{\"id\":1,\"customer\":\"ada\",\"address\":{}}", "/address/zip"),
                new Case("{\"id\":1,\"customer\":\"ada\",\"address\":{\"zip\":\"1234\"}}", "/address/zip"),
                new Case("{\"id\":1,\"customer\":\"ada\",\"note\":3}", "/note"))) {
            CollectionSchema.Violation v = check(c.doc());
            assertEquals(c.pointer(), v == null ? null : v.pointer(), c.doc());
            assertTrue(!v.message().isBlank());
        }
    }

    @Test
    void propertiesAndPrimaryKeyAreRead() {
        CollectionSchema schema = CollectionSchema.parse(ORDERS);
        assertEquals("id", schema.primaryKey());
        var properties = schema.properties();
        assertEquals(
                List.of("id", "customer", "status", "total", "tags", "address", "note"),
                properties.stream().map(CollectionSchema.Property::name).toList());
        assertEquals(new CollectionSchema.Property("id", "integer", true), properties.get(0));
        assertEquals(new CollectionSchema.Property("status", "string", false), properties.get(2));
        assertEquals(new CollectionSchema.Property("note", "string", false), properties.get(6));
    }

    @Test
    void schemasOutsideTheSubsetAreRefusedWithTheirPointer() throws Exception {
        record Case(String schema, String pointer) {}
        for (Case c : List.of(
                new Case("[]", ""),
                new Case("{\"type\":\"array\"}", "/type"),
                new Case("{\"$ref\":\"http://example.com/s.json\"}", "/$ref"),
                new Case("{\"properties\":{\"a\":{\"anyOf\":[{\"type\":\"string\"}]}}}", "/properties/a/anyOf"),
                new Case("{\"properties\":{\"a\":{\"type\":\"text\"}}}", "/properties/a/type"),
                new Case("{\"properties\":{\"a\":{\"pattern\":\"(a)\\\\1\"}}}", "/properties/a/pattern"),
                new Case("{\"properties\":{\"a\":{\"pattern\":\"(a{100}){20}\"}}}", "/properties/a/pattern"),
                new Case("{\"properties\":{\"a\":{\"minLength\":-1}}}", "/properties/a/minLength"),
                new Case("{\"properties\":{\"_id\":{\"type\":\"string\"}}}", "/properties/_id"),
                new Case("{\"properties\":{\"a\":{}},\"x-primaryKey\":\"b\"}", "/x-primaryKey"),
                new Case("{\"properties\":{\"a\":{}},\"x-primaryKey\":\"a\"}", "/x-primaryKey"),
                new Case("{\"$schema\":\"http://json-schema.org/draft-04/schema#\"}", "/$schema"))) {
            var e = assertThrows(
                    CollectionSchema.InvalidSchemaException.class,
                    () -> CollectionSchema.of(json(c.schema())),
                    c.schema());
            assertEquals(c.pointer(), e.pointer(), c.schema() + ": " + e.getMessage());
        }
    }

    @Test
    void aPropertyCanBeAdded() throws Exception {
        CollectionSchema schema = CollectionSchema.parse(ORDERS);
        CollectionSchema wider = schema.withProperty("weight", json("{\"type\":\"number\"}"), false);
        assertEquals("weight", wider.properties().getLast().name());
        assertNull(wider.check(json("{\"id\":1,\"customer\":\"ada\",\"weight\":2.5}")));
        assertEquals(
                "/weight",
                wider.check(json("{\"id\":1,\"customer\":\"ada\",\"weight\":\"x\"}"))
                        .pointer());
        assertThrows(
                CollectionSchema.InvalidSchemaException.class,
                () -> schema.withProperty("total", json("{\"type\":\"number\"}"), false));
        // The stored text reads back as the same schema.
        assertEquals(wider, CollectionSchema.parse(wider.json()));
    }
}

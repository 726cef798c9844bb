package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A document's content as stored: its bytes as sent, without the top-level system fields. */
class DocumentContentTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String cut(String object) throws Exception {
        byte[] raw = ("[7, " + object + " ]").getBytes(StandardCharsets.UTF_8); // not at the start of its bytes
        try (JsonParser p = JSON.getFactory().createParser(raw)) {
            p.nextToken();
            p.nextToken();
            p.nextToken();
            return new String(DocumentContent.scan(p, raw, "/1").stripped(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void systemFieldsAreCutWithTheirCommaWhereverTheyStand() throws Exception {
        assertEquals("{\"n\":1}", cut("{\"_id\":\"a\",\"n\":1}"));
        assertEquals("{\"n\":1}", cut("{\"n\":1,\"_id\":\"a\"}"));
        assertEquals("{\"n\":1,\"m\":[1,{\"_id\":2}]}", cut("{\"n\":1,\"_id\":\"a\",\"m\":[1,{\"_id\":2}]}"));
        assertEquals("{\"n\":1}", cut("{\"n\":1,\"_id\":\"a\",\"_version\":7}"));
        assertEquals("{\"n\":1}", cut("{\"_version\":{\"x\":[1,2]},\"_id\":\"a\",\"n\":1}"));
        assertEquals("{}", cut("{\"_id\":\"a\",\"_version\":3}"));
        assertEquals("{ \"n\" : \"x,y\" }", cut("{ \"_id\" : \"a\" , \"n\" : \"x,y\" }"));
        assertEquals("{ \"n\" : 1 }", cut("{ \"n\" : 1 , \"_id\" : \"a\" }"));
        assertEquals("{\"n\":1}", cut("{\"n\":1}"));
        assertEquals("{\"é\":\"ü\",\"k\":true}", cut("{\"é\":\"ü\",\"_id\":\"日本\",\"k\":true}"));
    }

    @Test
    void theResultIsTheObjectWithoutThoseMembersForAnyOrderAndSpacing() throws Exception {
        Random random = new Random(5);
        for (int round = 0; round < 500; round++) {
            List<String> members = new ArrayList<>();
            int n = random.nextInt(6);
            for (int i = 0; i < n; i++) {
                members.add("\"f" + i + "\":" + value(random, 2));
            }
            if (random.nextBoolean()) {
                members.add("\"_id\":\"d" + round + "\"");
            }
            if (random.nextBoolean()) {
                members.add("\"_version\":" + value(random, 2));
            }
            Collections.shuffle(members, random);
            String space = random.nextBoolean() ? "" : " \n\t".substring(0, 1 + random.nextInt(3));
            String object = "{" + space + String.join(space + "," + space, members) + space + "}";
            ObjectNode expected = (ObjectNode) JSON.readTree(object);
            expected.remove("_id");
            expected.remove("_version");
            JsonNode actual = JSON.readTree(cut(object));
            assertEquals(expected, actual, object);
            assertEquals(
                    new ArrayList<>(iterable(expected)),
                    new ArrayList<>(iterable((ObjectNode) actual)),
                    "member order");
        }
    }

    private static List<String> iterable(ObjectNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String value(Random random, int depth) {
        return switch (depth == 0 ? random.nextInt(4) : random.nextInt(6)) {
            case 0 -> Integer.toString(random.nextInt(1000) - 500);
            case 1 -> "\"s,\\\"" + random.nextInt(9) + "}\"";
            case 2 -> "true";
            case 3 -> "null";
            case 4 -> "[" + value(random, depth - 1) + "," + value(random, depth - 1) + "]";
            default -> "{\"_id\":" + value(random, depth - 1) + ",\"x\":" + value(random, depth - 1) + "}";
        };
    }
}

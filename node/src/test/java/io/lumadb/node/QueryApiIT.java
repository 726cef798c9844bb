package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.testkit.TestHttp;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Queries and secondary indexes through the HTTP API of a real server (in this JVM) with a real
 * HTTP client: answers are checked against a small data set worked out by hand (arrays, nested
 * paths, missing fields), the index lifecycle and its effect on plans (never on answers), and
 * every error the query routes promise, with its status, problem type and pointer.
 */
@Timeout(180)
class QueryApiIT {

    private static InProcessServer server;
    private static TestHttp http;

    /**
     * The hand-checked data set. Ages: numbers, a string ("30" for p6), an explicit null (p8) and
     * missing (p4); tags: arrays, an empty array, a plain string, missing; address.city nested or
     * missing; items an array of objects.
     */
    private static final String PEOPLE = """
            [
             {"id":"p1","doc":{"name":"Ada","age":36,"tags":["math","vip"],"address":{"city":"London","zip":"N1"}}},
             {"id":"p2","doc":{"name":"Bob","age":25,"tags":["ops"],"address":{"city":"Oslo"}}},
             {"id":"p3","doc":{"name":"Cyd","age":41,"tags":[],"address":{"city":"Oslo"}}},
             {"id":"p4","doc":{"name":"Dee","tags":["vip"],"address":{"city":"Paris"}}},
             {"id":"p5","doc":{"name":"Eve","age":25,"tags":"vip","address":{"city":"London"}}},
             {"id":"p6","doc":{"name":"Fay","age":"30"}},
             {"id":"p7","doc":{"name":"Gus","age":52,"tags":["vip","ops"],"items":[{"sku":"a","qty":1},{"sku":"b","qty":5}]}},
             {"id":"p8","doc":{"name":"Hal","age":null,"items":[{"sku":"b","qty":2}]}}
            ]
            """;

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(Map.of());
        http = server.http();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    // ---- helpers

    /** A fresh database for one test. */
    private static String db() {
        return http.freshDatabase("q");
    }

    /** A new collection with {@code shards} shards; returns its path. */
    private static String collection(String db, String name, int shards) {
        TestHttp.Response r = http.method("PUT", db + "/" + name, "application/json", "{\"shards\":" + shards + "}");
        assertEquals(201, r.status(), r.toString());
        return db + "/" + name;
    }

    /** The people collection (3 shards), loaded. */
    private static String people(String db) {
        String c = collection(db, "people", 3);
        bulk(c, PEOPLE);
        return c;
    }

    private static void bulk(String coll, String items) {
        TestHttp.Response r = http.method("POST", coll + "/_bulk", "application/json", items);
        assertEquals(200, r.status(), r.toString());
        assertFalse(r.json().get("errors").asBoolean(), r.toString());
    }

    private static TestHttp.Response query(String coll, String body) {
        return http.method("POST", coll + "/_query", "application/json", body);
    }

    /** A query that must succeed; its answer. */
    private static JsonNode ok(String coll, String body) {
        TestHttp.Response r = query(coll, body);
        assertEquals(200, r.status(), body + " -> " + r);
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        return r.json();
    }

    private static List<String> ids(JsonNode answer) {
        JsonNode documents = answer.get("documents");
        assertNotNull(documents, "no documents in " + answer);
        List<String> ids = new ArrayList<>();
        documents.forEach(d -> ids.add(d.get("_id").asText()));
        return ids;
    }

    /** Every document of a collection as stored, by id. */
    private static Map<String, JsonNode> stored(String coll) {
        TestHttp.Response r = http.get(coll + "/_docs?limit=1000");
        assertEquals(200, r.status(), r.toString());
        Map<String, JsonNode> out = new HashMap<>();
        r.json().get("docs").forEach(d -> out.put(d.get("_id").asText(), d));
        return out;
    }

    private static JsonNode parse(String json) {
        try {
            return TestHttp.JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(json, e);
        }
    }

    /** The expected projection of a stored document: its _id and _version, and {@code fields}. */
    private static JsonNode projected(JsonNode stored, String fields) {
        ObjectNode out = TestHttp.JSON.createObjectNode();
        out.set("_id", stored.get("_id"));
        out.set("_version", stored.get("_version"));
        out.setAll((ObjectNode) parse(fields));
        return out;
    }

    private static void assertProblem(TestHttp.Response r, int status, String type, String field) {
        assertEquals(status, r.status(), r.toString());
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
        JsonNode p = r.json();
        assertEquals("urn:lumadb:problem:" + type, p.get("type").asText(), r.toString());
        assertEquals(status, p.get("status").asInt());
        assertFalse(p.get("title").asText().isBlank());
        if (field != null) {
            assertTrue(p.has("field"), "no field in " + r);
            assertEquals(field, p.get("field").asText(), r.toString());
        }
    }

    /** Polls the index until it is ready (failing if it fails or takes too long); its last status. */
    private static JsonNode awaitReady(String coll, String index) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            TestHttp.Response r = http.get(coll + "/_indexes/" + index);
            assertEquals(200, r.status(), r.toString());
            JsonNode status = r.json();
            String state = status.get("state").asText();
            if (state.equals("ready")) {
                return status;
            }
            assertEquals("building", state, r.toString());
            if (System.nanoTime() > deadline) {
                fail("index " + index + " is not ready after 30 s: " + r);
            }
            Thread.sleep(50);
        }
    }

    private static JsonNode createIndex(String coll, String name, String fields) throws InterruptedException {
        TestHttp.Response r = http.put(coll + "/_indexes/" + name, "{\"fields\":" + fields + "}");
        assertEquals(201, r.status(), r.toString());
        return awaitReady(coll, name);
    }

    private static String withExplain(String body) {
        return body.substring(0, body.lastIndexOf('}')) + ",\"explain\":true}";
    }

    // ---- document queries

    @Test
    void filterSortFieldsAndLimitReturnExactlyTheExpectedDocumentsInOrder() {
        String c = people(db());
        Map<String, JsonNode> stored = stored(c);

        // Numbers only ("30" is a string, null and missing never compare); -age then name breaks the tie at 25.
        JsonNode adults = ok(c, """
                {"filter":{"age":{"$gte":25}},"sort":["-age","name"],"fields":["name","age"],"limit":10}""");
        assertEquals(List.of("p7", "p3", "p1", "p2", "p5"), ids(adults));
        assertTrue(adults.get("next").isNull(), adults.toString());
        JsonNode docs = adults.get("documents");
        assertEquals(projected(stored.get("p7"), "{\"name\":\"Gus\",\"age\":52}"), docs.get(0));
        assertEquals(projected(stored.get("p2"), "{\"name\":\"Bob\",\"age\":25}"), docs.get(3));
        for (JsonNode d : docs) {
            Set<String> names = new HashSet<>();
            d.fieldNames().forEachRemaining(names::add);
            assertEquals(Set.of("_id", "_version", "name", "age"), names, d.toString());
        }

        // limit cuts the same order short and says more follow.
        JsonNode top2 = ok(c, """
                {"filter":{"age":{"$gte":25}},"sort":["-age","name"],"limit":2}""");
        assertEquals(List.of("p7", "p3"), ids(top2));
        assertTrue(top2.get("next").isTextual(), top2.toString());
        assertEquals(stored.get("p7"), top2.get("documents").get(0), "whole documents as stored");

        // An array holding the value, or the value itself; a nested path; $in.
        assertEquals(List.of("p1", "p4", "p5"), ids(ok(c, """
                        {"filter":{"tags":"vip","address.city":{"$in":["London","Paris"]}},"sort":["name"]}""")));

        // A path through an array of objects; descending sorts by the greatest element.
        JsonNode items = ok(c, """
                {"filter":{"items.sku":"b"},"sort":["-items.qty"],"fields":["items.qty"]}""");
        assertEquals(List.of("p7", "p8"), ids(items));
        assertEquals(
                projected(stored.get("p7"), "{\"items\":[{\"qty\":1},{\"qty\":5}]}"),
                items.get("documents").get(0));
        assertEquals(
                projected(stored.get("p8"), "{\"items\":[{\"qty\":2}]}"),
                items.get("documents").get(1));
        // Ascending sorts by the least element: p7 (1) before p8 (2).
        assertEquals(List.of("p7", "p8"), ids(ok(c, "{\"filter\":{\"items.sku\":\"b\"},\"sort\":[\"items.qty\"]}")));
        assertEquals(List.of("p7"), ids(ok(c, """
                        {"filter":{"items":{"$elemMatch":{"sku":"a","qty":{"$gte":1}}}}}""")));
        assertEquals(List.of(), ids(ok(c, """
                {"filter":{"items":{"$elemMatch":{"sku":"a","qty":{"$gte":2}}}}}""")));

        // Missing fields: $exists false, null matches missing and null, $ne matches missing.
        assertEquals(List.of("p4"), ids(ok(c, "{\"filter\":{\"age\":{\"$exists\":false}}}")));
        assertEquals(List.of("p4", "p8"), ids(ok(c, "{\"filter\":{\"age\":null}}")));
        // Missing sorts as null, before every string; ties by _id.
        assertEquals(List.of("p6", "p7", "p8", "p1", "p5", "p4"), ids(ok(c, """
                        {"filter":{"address.city":{"$ne":"Oslo"}},"sort":["address.city"]}""")));
        // Value order over mixed types: null/missing < numbers < strings.
        assertEquals(List.of("p4", "p8", "p2", "p5", "p1", "p3", "p7", "p6"), ids(ok(c, "{\"sort\":[\"age\"]}")));
        assertEquals(List.of("p6"), ids(ok(c, "{\"filter\":{\"age\":{\"$type\":\"string\"}}}")));
        assertEquals(List.of("p3"), ids(ok(c, "{\"filter\":{\"tags\":{\"$size\":0}}}")));
        assertEquals(List.of("p2", "p3"), ids(ok(c, """
                        {"filter":{"$or":[{"address.city":"Oslo"},{"name":{"$regex":"^x"}}]}}""")));
        // The default order is _id; a projection of a missing field leaves only _id and _version.
        JsonNode zips = ok(c, "{\"fields\":[\"address.zip\"],\"limit\":3}");
        assertEquals(List.of("p1", "p2", "p3"), ids(zips));
        assertEquals(
                projected(stored.get("p1"), "{\"address\":{\"zip\":\"N1\"}}"),
                zips.get("documents").get(0));
        assertEquals(
                projected(stored.get("p2"), "{\"address\":{}}"),
                zips.get("documents").get(1));
        assertEquals(
                projected(stored.get("p6"), "{}"), ok(c, """
                {"filter":{"_id":"p6"},"fields":["address.zip"]}""").get("documents").get(0));
    }

    @Test
    void walkingPagesWithAfterReturnsEveryMatchExactlyOnceInOrder() throws InterruptedException {
        String db = db();
        String c = people(db);
        List<String> all = List.of("p4", "p8", "p2", "p5", "p1", "p3", "p7", "p6");
        for (int limit = 1; limit <= 9; limit++) {
            assertEquals(all, walk(c, "{\"sort\":[\"age\"]}", limit), "limit " + limit);
        }

        // A bigger set over 4 shards, many ties, some documents without a number at "score".
        String s = collection(db, "scores", 4);
        Map<String, JsonNode> scores = new LinkedHashMap<>();
        StringBuilder items = new StringBuilder("[");
        for (int i = 0; i < 400; i++) {
            String id = String.format("s%03d", (i * 151) % 400);
            String doc = i % 37 == 0
                    ? "{\"n\":" + i + "}"
                    : i % 41 == 0 ? "{\"score\":\"high\"}" : "{\"score\":" + (i * 7) % 23 + "}";
            scores.put(id, parse(doc));
            items.append(i == 0 ? "" : ",")
                    .append("{\"id\":\"")
                    .append(id)
                    .append("\",\"doc\":")
                    .append(doc)
                    .append('}');
        }
        bulk(s, items.append(']').toString());
        Comparator<String> byScore =
                Comparator.comparingInt(id -> scores.get(id).get("score").asInt());
        List<String> expected = scores.keySet().stream()
                .filter(id -> scores.get(id).path("score").isInt()
                        && scores.get(id).get("score").asInt() >= 5)
                .sorted(byScore.thenComparing(Comparator.naturalOrder()))
                .toList();
        List<String> expectedDescending = scores.keySet().stream()
                .filter(id -> scores.get(id).path("score").isInt()
                        && scores.get(id).get("score").asInt() >= 5)
                .sorted(byScore.reversed().thenComparing(Comparator.naturalOrder()))
                .toList();
        List<String> expectedById = expected.stream().sorted().toList();
        String ascending = "{\"filter\":{\"score\":{\"$gte\":5}},\"sort\":[\"score\"]}";
        String descending = "{\"filter\":{\"score\":{\"$gte\":5}},\"sort\":[\"-score\"]}";
        String byId = "{\"filter\":{\"score\":{\"$gte\":5}}}";
        assertTrue(expected.size() > 250, "the data set is meant to be bigger: " + expected.size());
        for (int limit : List.of(7, 50, 1000)) {
            assertEquals(expected, walk(s, ascending, limit), "ascending, scan, limit " + limit);
            assertEquals(expectedDescending, walk(s, descending, limit), "descending, scan, limit " + limit);
            assertEquals(expectedById, walk(s, byId, limit), "by id, limit " + limit);
        }
        createIndex(s, "by_score", "[\"score\"]");
        for (int limit : List.of(7, 50)) {
            assertEquals(expected, walk(s, ascending, limit), "ascending, index, limit " + limit);
            assertEquals(expectedDescending, walk(s, descending, limit), "descending, index, limit " + limit);
            assertEquals(expectedById, walk(s, byId, limit), "by id, index, limit " + limit);
            assertEquals(expected, walk(s, hinted(ascending, "scan"), limit), "ascending, hint scan, limit " + limit);
        }
        JsonNode plan = ok(s, withExplain(ascending)).get("explain");
        plan.get("shards").forEach(sh -> assertEquals("index", sh.get("plan").asText(), plan.toString()));
    }

    @Test
    void pagesFollowUtf8ByteOrderOfIdsAcrossShards() {
        String c = collection(db(), "unicode", 4);
        // UTF-8 byte order: "B" < "a" < "a b" < "z" < "z~" < "é" < "ｚ" (U+FF5A) < "😀" (U+1F600); in UTF-16
        // order the surrogate pair of "😀" would sort before "ｚ".
        List<String> ids = List.of("B", "a", "a b", "z", "z~", "é", "ｚ", "😀");
        StringBuilder items = new StringBuilder("[");
        for (String id : ids.reversed()) {
            items.append(items.length() > 1 ? "," : "")
                    .append("{\"id\":")
                    .append((JsonNode) TestHttp.JSON.valueToTree(id))
                    .append(",\"doc\":{\"score\":1}}");
        }
        bulk(c, items.append(']').toString());
        for (int limit = 1; limit <= 3; limit++) {
            assertEquals(ids, walk(c, "{\"filter\":{}}", limit), "by id, limit " + limit);
            assertEquals(ids, walk(c, "{\"sort\":[\"score\"]}", limit), "ties by id, limit " + limit);
            assertEquals(ids.reversed(), walk(c, "{\"sort\":[\"-_id\"]}", limit), "by id descending, limit " + limit);
            assertEquals(
                    ids.reversed(),
                    walk(c, "{\"sort\":[\"-score\",\"-_id\"]}", limit),
                    "ties by id descending, limit " + limit);
        }
        assertEquals(List.of("é"), ids(ok(c, "{\"filter\":{\"_id\":\"é\"}}")));
        assertEquals(List.of("é", "ｚ", "😀"), ids(ok(c, "{\"filter\":{\"_id\":{\"$gt\":\"z~\"}}}")));
    }

    @Test
    void indexesAnswerExactlyLikeAScanOverMixedTypes() throws InterruptedException {
        String c = collection(db(), "mixed", 3);
        List<String> values = List.of(
                "1",
                "1.0",
                "2.5",
                "-0.0",
                "0",
                "-3",
                "1e300",
                "9007199254740993",
                "9007199254740992",
                "\"1\"",
                "\"a\"",
                "\"ab\"",
                "\"b\"",
                "\"\"",
                "\"é\"",
                "true",
                "false",
                "null",
                "[1,5]",
                "[]",
                "[[1]]",
                "[\"a\",2]",
                "{\"a\":1}",
                "{\"b\":0,\"a\":1}",
                "{\"a\":[1]}",
                "[{\"a\":1}]",
                "[null,3]");
        StringBuilder items = new StringBuilder("[{\"id\":\"missing\",\"doc\":{\"w\":0}}");
        for (int i = 0; i < values.size(); i++) {
            items.append(String.format(",{\"id\":\"d%02d\",\"doc\":{\"v\":%s,\"w\":%d}}", i, values.get(i), i % 3));
        }
        bulk(c, items.append(']').toString());
        createIndex(c, "v_asc", "[\"v\"]");
        createIndex(c, "v_desc", "[\"-v\"]");
        createIndex(c, "w_v", "[\"w\",\"-v\"]");
        List<String> filters = List.of(
                "{}",
                "{\"v\":1}",
                "{\"v\":1.0}",
                "{\"v\":0}",
                "{\"v\":-0.0}",
                "{\"v\":{\"$gt\":0}}",
                "{\"v\":{\"$gte\":0,\"$lt\":3}}",
                "{\"v\":{\"$lt\":0}}",
                "{\"v\":{\"$gt\":1,\"$lt\":1}}",
                "{\"v\":{\"$gt\":1,\"$lt\":\"z\"}}",
                "{\"v\":{\"$in\":[1,\"1\",true,null]}}",
                "{\"v\":{\"$in\":[]}}",
                "{\"v\":null}",
                "{\"v\":{\"$gte\":null}}",
                "{\"v\":{\"$gt\":null}}",
                "{\"v\":{\"$gte\":\"0\"}}",
                "{\"v\":{\"$gt\":\"a\",\"$lt\":\"b\"}}",
                "{\"v\":{\"$lte\":\"b\"}}",
                "{\"v\":{\"$startsWith\":\"a\"}}",
                "{\"v\":{\"$startsWith\":\"\"}}",
                "{\"v\":{\"a\":1}}",
                "{\"v\":{\"a\":1,\"b\":0}}",
                "{\"v\":{\"$gt\":{}}}",
                "{\"v\":{\"$lt\":[]}}",
                "{\"v\":true}",
                "{\"v\":{\"$gte\":false}}",
                "{\"v\":{\"$lt\":true}}",
                "{\"v\":9007199254740993}",
                "{\"v\":{\"$gt\":1e299}}",
                "{\"v\":[1,5]}",
                "{\"v\":{\"$exists\":false}}",
                "{\"v\":{\"$ne\":1}}",
                "{\"w\":1,\"v\":{\"$gte\":1}}",
                "{\"w\":{\"$in\":[0,2]},\"v\":{\"$lt\":\"b\"}}",
                "{\"w\":2,\"v\":{\"$startsWith\":\"\"}}");
        List<String> sorts = List.of("", ",\"sort\":[\"v\"]", ",\"sort\":[\"-v\"]", ",\"sort\":[\"w\",\"-v\"]");
        int indexed = 0;
        for (String filter : filters) {
            for (String sort : sorts) {
                String q = "{\"filter\":" + filter + sort + "}";
                JsonNode scanned = ok(c, hinted(q, "scan"));
                List<String> scannedIds = ids(scanned);
                assertEquals(scannedIds, walk(c, hinted(q, "scan"), 2), "pages of a scan: " + q);
                JsonNode chosen = ok(c, withExplain(q));
                assertEquals(scanned, withoutExplain(chosen), "planner's choice vs scan: " + q);
                if (chosen.get("explain")
                        .get("shards")
                        .get(0)
                        .get("plan")
                        .asText()
                        .equals("index")) {
                    indexed++;
                }
                for (String index : List.of("v_asc", "v_desc", "w_v")) {
                    assertEquals(scanned, ok(c, hinted(q, index)), "index " + index + " vs scan: " + q);
                    assertEquals(scannedIds, walk(c, hinted(q, index), 2), "pages of index " + index + ": " + q);
                }
                JsonNode count = ok(c, "{\"filter\":" + filter + ",\"count\":true}");
                assertEquals(scannedIds.size(), count.get("count").asInt(), "count of " + filter);
                assertEquals(
                        count,
                        ok(c, "{\"filter\":" + filter + ",\"count\":true,\"hint\":\"v_asc\"}"),
                        "indexed count of " + filter);
            }
        }
        assertTrue(indexed > 60, "the planner chose an index for only " + indexed + " queries");
        // Spot checks that the scan itself is right: 1 == 1.0, -0.0 == 0, field order of objects ignored,
        // booleans bracketed, null matches missing and a null element but not an empty array.
        assertEquals(List.of("d00", "d01", "d18"), ids(ok(c, "{\"filter\":{\"v\":1}}")));
        assertEquals(List.of("d03", "d04"), ids(ok(c, "{\"filter\":{\"v\":0}}")));
        assertEquals(List.of("d05", "d03", "d04"), ids(ok(c, "{\"filter\":{\"v\":{\"$lte\":0}},\"sort\":[\"v\"]}")));
        assertEquals(List.of("d22", "d25"), ids(ok(c, "{\"filter\":{\"v\":{\"a\":1}}}")));
        assertEquals(List.of("d23"), ids(ok(c, "{\"filter\":{\"v\":{\"a\":1,\"b\":0}}}")));
        assertEquals(List.of("d16", "d15"), ids(ok(c, "{\"filter\":{\"v\":{\"$gte\":false}},\"sort\":[\"v\"]}")));
        assertEquals(List.of("d17", "d26", "missing"), ids(ok(c, "{\"filter\":{\"v\":null},\"hint\":\"v_asc\"}")));
    }

    private static String hinted(String body, String hint) {
        return body.substring(0, body.lastIndexOf('}')) + ",\"hint\":\"" + hint + "\"}";
    }

    /** Follows {@code next} from the first page to the last; the ids in the order they came. */
    private static List<String> walk(String coll, String body, int limit) {
        List<String> out = new ArrayList<>();
        String after = null;
        String base = body.substring(0, body.lastIndexOf('}')) + ",\"limit\":" + limit;
        for (int page = 0; ; page++) {
            assertTrue(page < 2000, "too many pages");
            String request = base + (after == null ? "" : ",\"after\":" + TestHttp.JSON.valueToTree(after)) + "}";
            JsonNode answer = ok(coll, request);
            List<String> ids = ids(answer);
            assertTrue(ids.size() <= limit, "page over its limit: " + ids.size() + " > " + limit);
            out.addAll(ids);
            JsonNode next = answer.get("next");
            assertNotNull(next, "every page has next (null at the end): " + answer);
            if (next.isNull()) {
                return out;
            }
            after = next.asText();
        }
    }

    // ---- count, aggregate, distinct

    @Test
    void countAggregateAndDistinctAnswer() {
        String c = people(db());
        assertEquals(
                5,
                ok(c, "{\"filter\":{\"age\":{\"$gte\":25}},\"count\":true}")
                        .get("count")
                        .asLong());
        assertEquals(8, ok(c, "{\"count\":true}").get("count").asLong());
        assertEquals(
                0,
                ok(c, "{\"filter\":{\"age\":{\"$gt\":100}},\"count\":true}")
                        .get("count")
                        .asLong());

        JsonNode answer = ok(c, """
                {"aggregate":{"groupBy":["address.city"],"metrics":{
                  "n":{"$count":{}},"sum":{"$sum":"age"},"avg":{"$avg":"age"},
                  "min":{"$min":"age"},"max":{"$max":"age"},"p50":{"$percentile":{"path":"age","p":50}}}}}""");
        assertEquals(Set.of("groups"), fieldNames(answer));
        JsonNode groups = answer.get("groups");
        assertEquals(4, groups.size(), groups.toString());
        // Missing city (p6 "30", p7 52, p8 null) is the null group, first.
        JsonNode none = groups.get(0);
        assertTrue(
                none.get("key").has("address.city")
                        && none.get("key").get("address.city").isNull(),
                none.toString());
        assertEquals(3, none.get("n").asLong());
        assertEquals(52, none.get("sum").asLong());
        assertTrue(none.get("sum").isIntegralNumber(), none.toString());
        assertEquals(52.0, none.get("avg").asDouble());
        assertEquals(parse("52"), none.get("min"), "numbers sort before strings");
        assertEquals(parse("\"30\""), none.get("max"), "strings sort after numbers");
        assertEquals(52, none.get("p50").asInt());
        JsonNode london = groups.get(1);
        assertEquals(parse("{\"address.city\":\"London\"}"), london.get("key"));
        assertEquals(2, london.get("n").asLong());
        assertEquals(61, london.get("sum").asLong());
        assertEquals(30.5, london.get("avg").asDouble());
        assertEquals(25, london.get("min").asInt());
        assertEquals(36, london.get("max").asInt());
        assertEquals(25, london.get("p50").asInt(), "nearest rank: ceil(0.5 * 2) = the 1st of [25, 36]");
        JsonNode oslo = groups.get(2);
        assertEquals(parse("{\"address.city\":\"Oslo\"}"), oslo.get("key"));
        assertEquals(2, oslo.get("n").asLong());
        assertEquals(66, oslo.get("sum").asLong());
        assertEquals(33.0, oslo.get("avg").asDouble());
        assertEquals(25, oslo.get("min").asInt());
        assertEquals(41, oslo.get("max").asInt());
        JsonNode paris = groups.get(3);
        assertEquals(parse("{\"address.city\":\"Paris\"}"), paris.get("key"));
        assertEquals(1, paris.get("n").asLong());
        assertEquals(0, paris.get("sum").asLong(), "the sum of no numbers is 0");
        assertTrue(paris.get("avg").isNull(), paris.toString());
        assertTrue(paris.get("min").isNull(), paris.toString());
        assertTrue(paris.get("max").isNull(), paris.toString());
        assertTrue(paris.get("p50").isNull(), paris.toString());

        // Without groupBy: one group; percentiles by nearest rank over [25, 25, 36, 41, 52].
        JsonNode whole = ok(c, """
                {"filter":{"age":{"$gte":0}},"aggregate":{"metrics":{
                  "p40":{"$percentile":{"path":"age","p":40}},"p60":{"$percentile":{"path":"age","p":60}},
                  "p90":{"$percentile":{"path":"age","p":90}},"p100":{"$percentile":{"path":"age","p":100}},
                  "avg":{"$avg":"age"}}}}""").get("groups");
        assertEquals(1, whole.size(), whole.toString());
        assertEquals(parse("{}"), whole.get(0).get("key"));
        assertEquals(25, whole.get(0).get("p40").asInt());
        assertEquals(36, whole.get(0).get("p60").asInt());
        assertEquals(52, whole.get(0).get("p90").asInt());
        assertEquals(52, whole.get(0).get("p100").asInt());
        assertEquals(35.8, whole.get(0).get("avg").asDouble(), 1e-9);
        JsonNode empty = ok(c, """
                {"filter":{"age":{"$gt":100}},"aggregate":{"metrics":{"n":{"$count":{}},"s":{"$sum":"age"}}}}""").get("groups");
        assertEquals(parse("[{\"key\":{},\"n\":0,\"s\":0}]"), empty, "one group even when nothing matched");

        // Group by two paths, one of them an array taken whole.
        JsonNode byTags = ok(c, """
                {"filter":{"address.city":"London"},"aggregate":{"groupBy":["tags","name"],"metrics":{"n":{"$count":{}}}}}""").get("groups");
        assertEquals(
                parse("[{\"key\":{\"tags\":\"vip\",\"name\":\"Eve\"},\"n\":1},"
                        + "{\"key\":{\"tags\":[\"math\",\"vip\"],\"name\":\"Ada\"},\"n\":1}]"),
                byTags,
                "strings before arrays");

        // Distinct: array elements one by one, missing contributes nothing, explicit null contributes null.
        assertEquals(parse("{\"values\":[\"math\",\"ops\",\"vip\"]}"), ok(c, "{\"distinct\":\"tags\"}"));
        assertEquals(parse("{\"values\":[null,25,36,41,52,\"30\"]}"), ok(c, "{\"distinct\":\"age\"}"));
        assertEquals(
                parse("{\"values\":[\"a\",\"b\"]}"),
                ok(c, "{\"filter\":{\"age\":{\"$gt\":40}},\"distinct\":\"items.sku\"}"));
        assertEquals(parse("{\"values\":[]}"), ok(c, "{\"filter\":{\"name\":\"nobody\"},\"distinct\":\"tags\"}"));
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    // ---- plans

    @Test
    void explainShowsScanWithoutAnIndexAndTheIndexOnceReadyWithIdenticalAnswers() throws InterruptedException {
        String c = people(db());
        // Each query with the index the planner is expected to choose once the indexes are ready.
        Map<String, String> queries = new LinkedHashMap<>();
        queries.put("{\"filter\":{\"age\":{\"$gte\":25}},\"sort\":[\"age\"]}", "by_age");
        queries.put("{\"filter\":{\"age\":{\"$gte\":25}},\"sort\":[\"-age\"],\"limit\":2}", "by_age");
        queries.put("{\"filter\":{\"age\":null}}", "by_age");
        queries.put("{\"filter\":{\"age\":{\"$lt\":40}},\"sort\":[\"-age\",\"name\"]}", "by_age");
        queries.put("{\"filter\":{\"age\":{\"$in\":[25,52,\"30\"]}}}", "by_age");
        queries.put("{\"filter\":{\"age\":{\"$gt\":\"2\"}}}", "by_age");
        queries.put("{\"sort\":[\"age\"],\"limit\":3}", "by_age");
        queries.put("{\"filter\":{\"age\":{\"$gte\":25}},\"count\":true}", "by_age");
        queries.put("{\"filter\":{\"age\":{\"$lte\":41}},\"distinct\":\"address.city\"}", "by_age");
        queries.put("{\"filter\":{\"tags\":\"vip\"},\"sort\":[\"name\"]}", "by_tags");
        queries.put("{\"filter\":{\"tags\":{\"$gte\":\"n\"}}}", "by_tags");
        queries.put("{\"filter\":{\"tags\":{\"$in\":[\"ops\",\"math\"]}},\"sort\":[\"-tags\"]}", "by_tags");
        queries.put("{\"filter\":{\"address.city\":\"Oslo\",\"age\":{\"$gte\":30}}}", "by_city_age");
        queries.put(
                "{\"filter\":{\"address.city\":{\"$startsWith\":\"Lo\"}},\"sort\":[\"address.city\"]}", "by_city_age");
        queries.put("{\"filter\":{\"address.city\":null},\"sort\":[\"-age\"]}", "by_city_age");
        // Multikey: a document with several entries in range must still count once.
        queries.put("{\"filter\":{\"tags\":{\"$gte\":\"a\"}},\"count\":true}", "by_tags");
        queries.put("{\"filter\":{\"tags\":{\"$in\":[\"ops\",\"vip\"]}},\"count\":true}", "by_tags");
        queries.put("{\"filter\":{\"tags\":{\"$in\":[\"ops\",\"vip\"]}}}", "by_tags");
        queries.put("{\"filter\":{\"tags\":{\"$gte\":\"a\"}},\"sort\":[\"tags\"]}", "by_tags");
        queries.put(
                "{\"filter\":{\"tags\":{\"$gte\":\"a\"}},\"aggregate\":{\"groupBy\":[\"name\"],"
                        + "\"metrics\":{\"n\":{\"$count\":{}},\"s\":{\"$sum\":\"age\"}}}}",
                "by_tags");
        queries.put("{\"filter\":{\"items.sku\":{\"$in\":[\"a\",\"b\"]}},\"count\":true}", "by_sku");
        queries.put("{\"filter\":{\"items.sku\":{\"$gte\":\"a\"}},\"sort\":[\"-items.sku\"]}", "by_sku");
        queries.put("{\"filter\":{\"age\":{\"$in\":[null,25]}}}", "by_age");
        queries.put(
                "{\"filter\":{\"address.city\":{\"$in\":[\"Oslo\",\"London\"]}},\"sort\":[\"-age\"]}", "by_city_age");
        queries.put("{\"filter\":{\"address.city\":\"Oslo\"},\"sort\":[\"age\"]}", "by_city_age");
        queries.put(
                "{\"filter\":{\"address.city\":\"London\"},\"sort\":[\"-age\"],\"fields\":[\"name\"]}", "by_city_age");
        queries.put("{\"filter\":{\"tags\":{\"$size\":0}}}", null);
        queries.put("{\"filter\":{\"name\":{\"$regex\":\"a\"}}}", null);

        Map<String, JsonNode> scanned = new LinkedHashMap<>();
        for (String q : queries.keySet()) {
            JsonNode answer = ok(c, withExplain(q));
            JsonNode explain = answer.get("explain");
            assertEquals(3, explain.get("shardsTouched").asInt(), explain.toString());
            assertEquals(3, explain.get("shards").size(), explain.toString());
            for (JsonNode shard : explain.get("shards")) {
                assertEquals("scan", shard.get("plan").asText(), q + " -> " + explain);
                assertFalse(shard.has("index"), explain.toString());
            }
            scanned.put(q, withoutExplain(answer));
            assertPagesAgree(c, q, answer);
        }

        JsonNode byAge = createIndex(c, "by_age", "[\"age\"]");
        assertEquals(8, byAge.get("progress").get("total").asLong(), byAge.toString());
        assertEquals(8, byAge.get("progress").get("indexed").asLong(), byAge.toString());
        assertEquals(1.0, byAge.get("progress").get("fraction").asDouble(), byAge.toString());
        createIndex(c, "by_tags", "[\"tags\"]");
        createIndex(c, "by_city_age", "[\"address.city\",\"-age\"]");
        createIndex(c, "by_sku", "[\"items.sku\"]");

        for (Map.Entry<String, String> e : queries.entrySet()) {
            String q = e.getKey();
            JsonNode answer = ok(c, withExplain(q));
            JsonNode explain = answer.get("explain");
            for (JsonNode shard : explain.get("shards")) {
                if (e.getValue() == null) {
                    assertEquals("scan", shard.get("plan").asText(), q + " -> " + explain);
                } else {
                    assertEquals("index", shard.get("plan").asText(), q + " -> " + explain);
                    assertEquals(e.getValue(), shard.get("index").asText(), q + " -> " + explain);
                }
            }
            assertEquals(scanned.get(q), withoutExplain(answer), "indexed vs scanned answer of " + q);
            assertPagesAgree(c, q, answer);
            assertEquals(scanned.get(q), ok(c, hinted(q, "scan")), "hint scan vs the first answer of " + q);
            JsonNode forcedScan = ok(c, withExplain(hinted(q, "scan"))).get("explain");
            forcedScan
                    .get("shards")
                    .forEach(sh -> assertEquals("scan", sh.get("plan").asText(), q));
        }
        // A hinted index that serves none of the filter still gives the same answer.
        String byName = "{\"filter\":{\"name\":{\"$in\":[\"Ada\",\"Hal\"]}}}";
        assertEquals(List.of("p1", "p8"), ids(ok(c, hinted(byName, "by_age"))));
        JsonNode hintedPlan = ok(c, withExplain(hinted(byName, "by_age"))).get("explain");
        hintedPlan
                .get("shards")
                .forEach(sh -> assertEquals("by_age", sh.path("index").asText(), hintedPlan.toString()));

        // Writes after the build are indexed too.
        assertEquals(
                201,
                http.put(c + "/p9", "{\"name\":\"Ivy\",\"age\":44,\"tags\":[\"new\"]}")
                        .status());
        assertEquals(
                200,
                http.put(c + "/p3", "{\"name\":\"Cyd\",\"age\":19,\"address\":{\"city\":\"Oslo\"}}")
                        .status());
        assertEquals(200, http.delete(c + "/p7").status());
        String q = "{\"filter\":{\"age\":{\"$gte\":25}},\"sort\":[\"age\"]}";
        assertEquals(List.of("p2", "p5", "p1", "p9"), ids(ok(c, q)));
        assertEquals(ids(ok(c, hinted(q, "scan"))), ids(ok(c, q)));
        assertEquals(List.of("p9"), ids(ok(c, "{\"filter\":{\"tags\":\"new\"}}")));
        assertEquals(List.of(), ids(ok(c, "{\"filter\":{\"address.city\":\"Oslo\",\"age\":{\"$gte\":30}}}")));
    }

    /** For a document query without a limit: its pages, walked one or two documents at a time, give the same ids. */
    private static void assertPagesAgree(String coll, String q, JsonNode answer) {
        if (!answer.has("documents") || q.contains("\"limit\"")) {
            return;
        }
        List<String> all = ids(answer);
        assertEquals(all, walk(coll, q, 1), "one at a time: " + q);
        assertEquals(all, walk(coll, q, 2), "two at a time: " + q);
    }

    private static JsonNode withoutExplain(JsonNode answer) {
        ObjectNode copy = answer.deepCopy();
        copy.remove("explain");
        return copy;
    }

    @Test
    void idEqualityTouchesOneShard() {
        String c = people(db());
        JsonNode one = ok(c, "{\"filter\":{\"_id\":\"p3\"},\"explain\":true}");
        assertEquals(List.of("p3"), ids(one));
        assertEquals(1, one.get("explain").get("shardsTouched").asInt(), one.toString());
        assertEquals(1, one.get("explain").get("shards").size(), one.toString());
        assertEquals("ids", one.get("explain").get("shards").get(0).get("plan").asText(), one.toString());
        assertEquals(1, one.get("explain").get("documentsExamined").asLong(), one.toString());

        JsonNode withMore = ok(c, "{\"filter\":{\"_id\":\"p3\",\"age\":41},\"explain\":true}");
        assertEquals(List.of("p3"), ids(withMore));
        assertEquals(1, withMore.get("explain").get("shardsTouched").asInt(), withMore.toString());
        JsonNode filteredOut = ok(c, "{\"filter\":{\"_id\":\"p3\",\"age\":40},\"explain\":true}");
        assertEquals(List.of(), ids(filteredOut));
        JsonNode absent = ok(c, "{\"filter\":{\"_id\":\"nobody\"},\"explain\":true}");
        assertEquals(List.of(), ids(absent));
        assertEquals(1, absent.get("explain").get("shardsTouched").asInt(), absent.toString());

        JsonNode two = ok(c, "{\"filter\":{\"_id\":{\"$in\":[\"p5\",\"p1\",\"zz\"]}},\"explain\":true}");
        assertEquals(List.of("p1", "p5"), ids(two));
        assertTrue(two.get("explain").get("shardsTouched").asInt() <= 3, two.toString());
        JsonNode all = ok(c, "{\"filter\":{\"_id\":{\"$gte\":\"p3\"}},\"explain\":true}");
        assertEquals(List.of("p3", "p4", "p5", "p6", "p7", "p8"), ids(all));
        assertEquals(3, all.get("explain").get("shardsTouched").asInt(), "a range of ids asks every shard");
    }

    // ---- index lifecycle

    @Test
    void indexLifecycle() throws InterruptedException {
        String c = people(db());
        TestHttp.Response created = http.put(c + "/_indexes/by_city", "{\"fields\":[\"address.city\",\"-age\"]}");
        assertEquals(201, created.status(), created.toString());
        JsonNode status = created.json();
        assertEquals("by_city", status.get("name").asText());
        assertEquals(
                parse("[{\"path\":\"address.city\",\"order\":\"asc\"},{\"path\":\"age\",\"order\":\"desc\"}]"),
                status.get("fields"));
        assertTrue(Set.of("building", "ready").contains(status.get("state").asText()), status.toString());
        assertEquals(8, status.get("progress").get("total").asLong(), status.toString());
        assertEquals(3, status.get("shards").size(), status.toString());
        for (int n = 0; n < 3; n++) {
            JsonNode shard = status.get("shards").get(n);
            assertEquals(n, shard.get("shard").asInt());
            assertTrue(
                    shard.has("state") && shard.has("indexed") && shard.has("total") && shard.has("multikey"),
                    shard.toString());
            assertFalse(shard.has("failure"), shard.toString());
        }
        JsonNode ready = awaitReady(c, "by_city");
        long shardTotal = 0;
        for (JsonNode shard : ready.get("shards")) {
            assertEquals("ready", shard.get("state").asText(), ready.toString());
            assertEquals(shard.get("total").asLong(), shard.get("indexed").asLong(), ready.toString());
            assertFalse(shard.get("multikey").asBoolean(), "no array on address.city or age: " + ready);
            shardTotal += shard.get("total").asLong();
        }
        assertEquals(8, shardTotal);

        TestHttp.Response again = http.put(c + "/_indexes/by_city", "{\"fields\":[\"address.city\",\"-age\"]}");
        assertEquals(200, again.status(), again.toString());
        assertEquals("ready", again.json().get("state").asText());
        TestHttp.Response sameInOtherWords = http.put(
                c + "/_indexes/by_city",
                "{\"fields\":[{\"path\":\"address.city\"},{\"path\":\"age\",\"order\":\"desc\"}]}");
        assertEquals(200, sameInOtherWords.status(), sameInOtherWords.toString());
        assertProblem(
                http.put(c + "/_indexes/by_city", "{\"fields\":[\"address.city\",\"age\"]}"),
                409,
                "index-conflict",
                null);
        assertProblem(http.put(c + "/_indexes/by_city", "{\"fields\":[\"name\"]}"), 409, "index-conflict", null);
        assertEquals(
                201,
                http.put(c + "/_indexes/by_tags", "{\"fields\":[\"tags\"]}").status());
        JsonNode tags = awaitReady(c, "by_tags");
        boolean anyMultikey = false;
        for (JsonNode shard : tags.get("shards")) {
            anyMultikey |= shard.get("multikey").asBoolean();
        }
        assertTrue(anyMultikey, "tags holds arrays: " + tags);

        TestHttp.Response list = http.get(c + "/_indexes");
        assertEquals(200, list.status(), list.toString());
        Map<String, JsonNode> byName = new HashMap<>();
        list.json().get("indexes").forEach(i -> byName.put(i.get("name").asText(), i));
        assertEquals(Set.of("by_city", "by_tags"), byName.keySet(), list.toString());
        assertEquals(ready.get("fields"), byName.get("by_city").get("fields"));
        assertEquals("ready", byName.get("by_city").get("state").asText());

        TestHttp.Response dropped = http.delete(c + "/_indexes/by_city");
        assertEquals(200, dropped.status(), dropped.toString());
        assertEquals(parse("{\"dropped\":\"by_city\"}"), dropped.json());
        assertProblem(http.get(c + "/_indexes/by_city"), 404, "index-not-found", null);
        assertProblem(http.delete(c + "/_indexes/by_city"), 404, "index-not-found", null);
        assertProblem(query(c, "{\"hint\":\"by_city\"}"), 400, "invalid-query", "/hint");
        List<String> left = new ArrayList<>();
        http.get(c + "/_indexes")
                .json()
                .get("indexes")
                .forEach(i -> left.add(i.get("name").asText()));
        assertEquals(List.of("by_tags"), left);
        // Queries still answer without it.
        assertEquals(List.of("p2", "p3"), ids(ok(c, "{\"filter\":{\"address.city\":\"Oslo\"}}")));

        // Re-created under the same name with other fields, it is a new index.
        assertEquals(
                201,
                http.put(c + "/_indexes/by_city", "{\"fields\":[\"name\"]}").status());
        awaitReady(c, "by_city");
        JsonNode plan = ok(c, "{\"filter\":{\"name\":\"Ada\"},\"explain\":true}");
        assertEquals(List.of("p1"), ids(plan));
        plan.get("explain")
                .get("shards")
                .forEach(sh -> assertEquals("by_city", sh.path("index").asText(), plan.toString()));
        assertProblem(http.get(c + "/_indexes/nosuch"), 404, "index-not-found", null);
        assertProblem(http.put(c + "/_indexes/_reserved", "{\"fields\":[\"a\"]}"), 400, "invalid-name", "index");
        assertProblem(http.put(c + "/_indexes/bad.name", "{\"fields\":[\"a\"]}"), 400, "invalid-name", "index");
        assertProblem(
                http.method("PUT", c + "/_indexes/x", "text/plain", "{\"fields\":[\"a\"]}"),
                415,
                "unsupported-media-type",
                "Content-Type");
    }

    @Test
    void badIndexDefinitionsAre400WithThePointerAndCreateNothing() {
        String c = people(db());
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{}", "/fields");
        cases.put("{\"fields\":[]}", "/fields");
        cases.put("{\"fields\":\"age\"}", "/fields");
        cases.put("{\"fields\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}", "/fields");
        cases.put("{\"fields\":[\"age\"],\"unique\":true}", "/unique");
        cases.put("{\"fields\":[\"age\",\"name\",\"age\"]}", "/fields/2");
        cases.put("{\"fields\":[\"age\",\"-age\"]}", "/fields/1");
        cases.put("{\"fields\":[\"_id\"]}", "/fields/0");
        cases.put("{\"fields\":[\"name\",\"_version\"]}", "/fields/1");
        cases.put("{\"fields\":[5]}", "/fields/0");
        cases.put("{\"fields\":[\"a..b\"]}", "/fields/0");
        cases.put("{\"fields\":[\"\"]}", "/fields/0");
        cases.put("{\"fields\":[\"a.$b\"]}", "/fields/0");
        cases.put("{\"fields\":[{\"path\":\"age\",\"order\":\"up\"}]}", "/fields/0/order");
        cases.put("{\"fields\":[{\"path\":\"age\",\"unique\":true}]}", "/fields/0/unique");
        cases.put("{\"fields\":[{\"order\":\"asc\"}]}", "/fields/0");
        cases.put("[\"age\"]", "");
        for (Map.Entry<String, String> e : cases.entrySet()) {
            assertProblem(http.put(c + "/_indexes/bad", e.getKey()), 400, "invalid-index", e.getValue());
        }
        assertProblem(http.put(c + "/_indexes/bad", "{\"fields\":["), 400, "invalid-json", "body");
        assertProblem(http.put(c + "/_indexes/bad", ""), 400, "invalid-json", "body");
        assertEquals(parse("{\"indexes\":[]}"), http.get(c + "/_indexes").json());
        assertProblem(http.get(c + "/_indexes/bad"), 404, "index-not-found", null);
    }

    // ---- errors

    @Test
    void badQueriesAre400WithTheExactPointerAndWriteNothing() {
        String db = db();
        String c = people(db);
        Map<String, JsonNode> before = stored(c);
        String otherCursor =
                ok(c, "{\"sort\":[\"age\"],\"limit\":1}").get("next").asText();
        String sameFilterCursor = ok(c, "{\"filter\":{\"age\":{\"$gte\":0}},\"limit\":1}")
                .get("next")
                .asText();

        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"filtr\":{}}", "/filtr");
        cases.put("{\"filter\":{},\"explain\":true,\"pretty\":true}", "/pretty");
        cases.put("{\"filter\":{\"age\":{\"$gte\":25,\"$foo\":1}}}", "/filter/age/$foo");
        cases.put("{\"filter\":{\"age\":{\"$gte\":1,\"x\":2}}}", "/filter/age/x");
        cases.put("{\"filter\":{\"a/b~c\":{\"$bad\":1}}}", "/filter/a~1b~0c/$bad");
        cases.put("{\"filter\":{\"age\":{\"$in\":5}}}", "/filter/age/$in");
        cases.put("{\"filter\":{\"age\":{\"$exists\":\"yes\"}}}", "/filter/age/$exists");
        cases.put("{\"filter\":{\"tags\":{\"$size\":-1}}}", "/filter/tags/$size");
        cases.put("{\"filter\":{\"name\":{\"$regex\":\"(\"}}}", "/filter/name/$regex");
        cases.put("{\"filter\":{\"name\":{\"$regex\":\"a\",\"$options\":\"q\"}}}", "/filter/name/$options");
        cases.put("{\"filter\":{\"name\":{\"$regex\":\"(a)\\\\1\"}}}", "/filter/name/$regex"); // RE2: no backreferences
        cases.put("{\"filter\":{\"$or\":[]}}", "/filter/$or");
        cases.put("{\"filter\":{\"$and\":[{\"age\":1},{\"age\":{\"$type\":\"date\"}}]}}", "/filter/$and/1/age/$type");
        cases.put("{\"filter\":{\"$where\":\"1\"}}", "/filter/$where");
        cases.put("{\"filter\":{\"a..b\":1}}", "/filter/a..b");
        cases.put("{\"filter\":[]}", "/filter");
        cases.put("{\"limit\":10001}", "/limit");
        cases.put("{\"limit\":0}", "/limit");
        cases.put("{\"limit\":2.5}", "/limit");
        cases.put("{\"sort\":[\"age\",\"-age\"]}", "/sort/1");
        cases.put("{\"sort\":\"age\"}", "/sort");
        cases.put("{\"sort\":[{\"path\":\"age\",\"order\":\"up\"}]}", "/sort/0/order");
        cases.put("{\"fields\":[\"address\",\"address.city\"]}", "/fields/1");
        cases.put("{\"after\":\"not a cursor!\"}", "/after");
        cases.put("{\"after\":\"AAAA\"}", "/after");
        cases.put("{\"after\":42}", "/after");
        cases.put("{\"filter\":{\"age\":{\"$gte\":0}},\"sort\":[\"age\"],\"after\":\"" + otherCursor + "\"}", "/after");
        cases.put("{\"sort\":[\"-age\"],\"after\":\"" + otherCursor + "\"}", "/after");
        cases.put(
                "{\"filter\":{\"age\":{\"$gte\":0}},\"sort\":[\"age\"],\"after\":\"" + sameFilterCursor + "\"}",
                "/after");
        cases.put("{\"count\":true,\"limit\":5}", "/limit");
        cases.put("{\"count\":true,\"distinct\":\"tags\"}", "/distinct");
        cases.put("{\"count\":\"yes\"}", "/count");
        cases.put("{\"distinct\":[\"tags\"]}", "/distinct");
        cases.put("{\"aggregate\":{}}", "/aggregate");
        cases.put("{\"aggregate\":{\"metrics\":{\"key\":{\"$count\":{}}}}}", "/aggregate/metrics/key");
        cases.put("{\"aggregate\":{\"metrics\":{\"m\":{\"$median\":\"age\"}}}}", "/aggregate/metrics/m/$median");
        cases.put(
                "{\"aggregate\":{\"metrics\":{\"p\":{\"$percentile\":{\"path\":\"age\",\"p\":0}}}}}",
                "/aggregate/metrics/p/$percentile/p");
        cases.put("{\"aggregate\":{\"groupBy\":[\"a\",\"a\"]}}", "/aggregate/groupBy/1");
        cases.put("{\"hint\":\"nosuch\"}", "/hint");
        cases.put("{\"hint\":\"\"}", "/hint");
        cases.put("{\"timeoutMs\":0}", "/timeoutMs");
        cases.put("[]", "");
        for (Map.Entry<String, String> e : cases.entrySet()) {
            assertProblem(query(c, e.getKey()), 400, "invalid-query", e.getValue());
        }
        assertProblem(query(c, "{\"filter\":"), 400, "invalid-json", "body");
        assertProblem(query(c, "{\"limit\":1,\"limit\":2}"), 400, "invalid-json", "body");
        assertProblem(query(c, ""), 400, "invalid-json", "body");
        assertProblem(
                http.method("POST", c + "/_query", "text/plain", "{}"), 415, "unsupported-media-type", "Content-Type");
        // A bad query on a missing collection is still only a bad query; nothing is created.
        assertProblem(query(db + "/ghost", "{\"filtr\":{}}"), 400, "invalid-query", "/filtr");
        assertProblem(http.get(db + "/ghost"), 404, "collection-not-found", null);
        assertEquals(before, stored(c), "queries write nothing");
        assertEquals(8, http.get(c).json().get("documentCount").asLong());
    }

    @Test
    void aQueryOverItsTimeLimitIs408AndTheServerStillAnswers() throws Exception {
        String c = collection(db(), "slow", 4);
        assertEquals(
                201,
                http.put(c + "/victim", "{\"s\":\"" + "a".repeat(200_000) + "\"}")
                        .status());
        assertEquals(201, http.put(c + "/other", "{\"s\":\"bbb\"}").status());
        // RE2 matches in time linear in the text, but proportional to the pattern too: .{0,1000}x
        // keeps about a thousand states alive over 200 KB of a's, seconds of work for one match.
        String runaway = "{\"filter\":{\"s\":{\"$regex\":\".{0,1000}x\"}},\"timeoutMs\":200}";

        long start = System.nanoTime();
        TestHttp.Response slow = query(c, runaway);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertProblem(slow, 408, "query-timeout", null);
        assertTrue(millis >= 190, "answered after " + millis + " ms, before its 200 ms limit: " + slow);
        assertTrue(millis < 2_000, "the runaway regex was not stopped at its deadline: " + millis + " ms");

        // More runaways at once than the server has query threads: each must really stop, or the
        // ordinary query after them would wait behind them.
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<TestHttp.Response>> runaways = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                runaways.add(pool.submit(() -> query(c, runaway)));
            }
            for (Future<TestHttp.Response> f : runaways) {
                assertProblem(f.get(), 408, "query-timeout", null);
            }
        } finally {
            pool.shutdownNow();
        }
        start = System.nanoTime();
        JsonNode normal = ok(c, "{\"filter\":{\"s\":{\"$startsWith\":\"aaa\"}}}");
        millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(List.of("victim"), ids(normal));
        assertTrue(millis < 1_000, "an ordinary query took " + millis + " ms after the timeouts");
        assertEquals(200, http.get("/health").status());
        // A pattern a backtracking engine recursed on once per character (a StackOverflowError and a
        // 503 naming Java classes at 50 KB) is answered.
        assertEquals(List.of("other", "victim"), ids(ok(c, "{\"filter\":{\"s\":{\"$regex\":\"^(a|b)*$\"}}}")));
        // The same pattern over a text it handles quickly is no timeout.
        assertEquals(
                List.of(),
                ids(ok(c, "{\"filter\":{\"s\":{\"$regex\":\".{0,1000}x\"},\"_id\":\"other\"},\"timeoutMs\":200}")));
    }

    @Test
    void aWriteThatWouldPutMoreThan1000EntriesIntoACompoundIndexIsRefusedAndNotStored() throws InterruptedException {
        String c = collection(db(), "multi", 2);
        createIndex(c, "ab", "[\"a\",\"-b\"]");
        String tooMany = "{\"a\":" + range(40) + ",\"b\":" + range(30) + "}"; // 1200 entries
        String justFits = "{\"a\":" + range(40) + ",\"b\":" + range(25) + "}"; // 1000 entries

        assertProblem(http.put(c + "/big", tooMany), 400, "unindexable-document", "body");
        assertProblem(http.get(c + "/big"), 404, "document-not-found", null);
        TestHttp.Response edge = http.put(c + "/edge", justFits);
        assertEquals(201, edge.status(), edge.toString());
        long version = edge.json().get("_version").asLong();

        // A patch that would overflow is refused and leaves the document as it was.
        assertProblem(
                http.method("PATCH", c + "/edge", "application/merge-patch+json", "{\"b\":" + range(26) + "}"),
                400,
                "unindexable-document",
                "body");
        JsonNode kept = http.get(c + "/edge").json();
        assertEquals(version, kept.get("_version").asLong());
        assertEquals(25, kept.get("b").size());

        // In a bulk request the item fails alone.
        TestHttp.Response bulk = http.method(
                "POST",
                c + "/_bulk",
                "application/json",
                "[{\"id\":\"ok\",\"doc\":{\"a\":1,\"b\":2}},{\"id\":\"big2\",\"doc\":" + tooMany + "}]");
        assertEquals(200, bulk.status(), bulk.toString());
        assertTrue(bulk.json().get("errors").asBoolean(), bulk.toString());
        assertEquals(201, bulk.json().get("items").get(0).get("status").asInt(), bulk.toString());
        JsonNode refused = bulk.json().get("items").get(1);
        assertEquals(400, refused.get("status").asInt(), bulk.toString());
        assertEquals(
                "urn:lumadb:problem:unindexable-document",
                refused.get("error").get("type").asText());
        assertProblem(http.get(c + "/big2"), 404, "document-not-found", null);
        assertEquals(200, http.get(c + "/ok").status());

        assertEquals(2, ok(c, "{\"count\":true}").get("count").asLong());
        assertEquals(2, http.get(c).json().get("documentCount").asLong());
        JsonNode found = ok(c, "{\"filter\":{\"a\":39,\"b\":24},\"explain\":true}");
        assertEquals(List.of("edge"), ids(found));
        found.get("explain")
                .get("shards")
                .forEach(sh -> assertEquals("ab", sh.path("index").asText(), found.toString()));
        assertEquals(List.of(), ids(ok(c, "{\"filter\":{\"a\":39,\"b\":25}}")));
        assertEquals("ready", http.get(c + "/_indexes/ab").json().get("state").asText());
        // Without the index the same document is accepted.
        assertEquals(200, http.delete(c + "/_indexes/ab").status());
        assertEquals(201, http.put(c + "/big", tooMany).status());
    }

    private static String range(int n) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            out.append(i == 0 ? "" : ",").append(i);
        }
        return out.append(']').toString();
    }

    @Test
    void queriesAndIndexesOfMissingCollectionsAre404() {
        String db = db();
        assertProblem(query(db + "/nosuch", "{}"), 404, "collection-not-found", null);
        assertProblem(query(db + "/nosuch", "{\"count\":true}"), 404, "collection-not-found", null);
        assertProblem(query("/api/v1/nosuchdb/c", "{}"), 404, "database-not-found", null);
        assertProblem(http.get(db + "/nosuch/_indexes"), 404, "collection-not-found", null);
        assertProblem(http.get(db + "/nosuch/_indexes/i"), 404, "collection-not-found", null);
        assertProblem(http.put(db + "/nosuch/_indexes/i", "{\"fields\":[\"a\"]}"), 404, "collection-not-found", null);
        assertProblem(http.delete(db + "/nosuch/_indexes/i"), 404, "collection-not-found", null);
        assertProblem(http.get(db + "/nosuch"), 404, "collection-not-found", null);
        assertProblem(http.method("GET", db + "/nosuch/_query", null, null), 405, "method-not-allowed", null);
    }
}

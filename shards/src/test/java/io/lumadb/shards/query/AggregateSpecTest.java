package io.lumadb.shards.query;

import static io.lumadb.shards.query.FilterTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AggregateSpecTest {

    private static final String SPEC = "{groupBy: ['city'], metrics: {n: {$count: {}}, total: {$sum: 'price'},"
            + " mean: {$avg: 'price'}, lo: {$min: 'price'}, hi: {$max: 'price'},"
            + " p50: {$percentile: {path: 'price', p: 50}}, p95: {$percentile: {path: 'price', p: 95}}}}";

    private static AggregateSpec spec(String json) {
        return AggregateSpec.parse(json(json), "/aggregate", QueryLimits.DEFAULTS);
    }

    /** Compares as JSON text: Jackson's equals tells IntNode 7 from LongNode 7. */
    private static void assertJson(JsonNode expected, JsonNode actual) {
        assertEquals(expected.toString(), actual.toString());
    }

    private static JsonNode run(AggregateSpec spec, List<List<JsonNode>> shards, QueryLimits limits) {
        List<byte[]> partials = new ArrayList<>();
        for (List<JsonNode> shard : shards) {
            AggregateSpec.Accumulator acc = spec.newAccumulator(limits);
            shard.forEach(acc::add);
            partials.add(acc.toBytes());
        }
        return spec.merge(partials, limits);
    }

    @Test
    void computesEveryMetricPerGroupInKeyOrder() {
        List<JsonNode> docs = List.of(
                json("{city: 'b', price: 10}"),
                json("{city: 'a', price: 1}"),
                json("{city: 'a', price: 2.5}"),
                json("{city: 'a', price: 'n/a'}"),
                json("{city: 'a'}"),
                json("{price: 7}"),
                json("{city: ['x'], price: 1}"));
        JsonNode result = run(spec(SPEC), List.of(docs), QueryLimits.DEFAULTS);
        assertJson(
                json("{groups: ["
                        + "{key: {city: null}, n: 1, total: 7, mean: 7.0, lo: 7, hi: 7, p50: 7, p95: 7},"
                        + "{key: {city: 'a'}, n: 4, total: 3.5, mean: 1.75, lo: 1, hi: 'n/a', p50: 1, p95: 2.5},"
                        + "{key: {city: 'b'}, n: 1, total: 10, mean: 10.0, lo: 10, hi: 10, p50: 10, p95: 10},"
                        + "{key: {city: ['x']}, n: 1, total: 1, mean: 1.0, lo: 1, hi: 1, p50: 1, p95: 1}"
                        + "]}"),
                result);
    }

    @Test
    void withoutGroupByThereIsOneGroupEvenWhenNothingMatched() {
        JsonNode result = run(
                spec("{metrics: {n: {$count: {}}, s: {$sum: 'x'}, a: {$avg: 'x'}, m: {$min: 'x'}}}"),
                List.of(List.of(), List.of()),
                QueryLimits.DEFAULTS);
        assertJson(json("{groups: [{key: {}, n: 0, s: 0, a: null, m: null}]}"), result);
    }

    @Test
    void integerSumsAreExactBeyondLong() {
        JsonNode result = run(
                spec("{metrics: {s: {$sum: 'x'}}}"),
                List.of(
                        List.of(json("{x: 9223372036854775807}"), json("{x: 9223372036854775807}")),
                        List.of(json("{x: 2}"))),
                QueryLimits.DEFAULTS);
        assertEquals(
                new java.math.BigInteger("18446744073709551616"),
                result.at("/groups/0/s").bigIntegerValue());
    }

    @Test
    void percentileUsesNearestRank() {
        List<JsonNode> docs = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            docs.add(json("{v: " + i + "}"));
        }
        JsonNode result = run(
                spec("{metrics: {p95: {$percentile: {path: 'v', p: 95}}, p100: {$percentile: {path: 'v', p: 100}},"
                        + " p1: {$percentile: {path: 'v', p: 1}}, p50: {$percentile: {path: 'v', p: 50}}}}"),
                List.of(docs),
                QueryLimits.DEFAULTS);
        assertJson(json("{key: {}, p95: 19, p100: 20, p1: 1, p50: 10}"), result.at("/groups/0"));
    }

    @Test
    void mergingPartialsEqualsOneAccumulator() {
        Random random = new Random(99);
        AggregateSpec spec = spec("{groupBy: ['g', 'h'], metrics: {n: {$count: {}}, s: {$sum: 'v'}, a: {$avg: 'v'},"
                + " lo: {$min: 'v'}, hi: {$max: 'v'}, p: {$percentile: {path: 'v', p: 90}}}}");
        for (int round = 0; round < 50; round++) {
            List<JsonNode> docs = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                ObjectNode d = JsonNodeFactory.instance.objectNode();
                d.put("g", random.nextInt(5));
                if (random.nextBoolean()) {
                    d.put("h", List.of("x", "y").get(random.nextInt(2)));
                }
                switch (random.nextInt(4)) {
                    case 0 -> d.put("v", random.nextInt(1000) - 500);
                    case 1 -> d.put("v", (random.nextInt(1000) - 500) / 4.0);
                    case 2 -> d.put("v", "s" + random.nextInt(10));
                    default -> {}
                }
                docs.add(d);
            }
            List<List<JsonNode>> shards = new ArrayList<>();
            int n = 1 + random.nextInt(6);
            for (int s = 0; s < n; s++) {
                shards.add(new ArrayList<>());
            }
            for (JsonNode d : docs) {
                shards.get(random.nextInt(n)).add(d);
            }
            assertJson(run(spec, List.of(docs), QueryLimits.DEFAULTS), run(spec, shards, QueryLimits.DEFAULTS));
        }
    }

    @Test
    void limitsOnGroupsAndPercentileValues() {
        QueryLimits limits = new QueryLimits(100, 10_000, 16, 1_000, 1_000, 2, 3);
        AggregateSpec.Accumulator acc = spec("{groupBy: ['g']}").newAccumulator(limits);
        acc.add(json("{g: 1}"));
        acc.add(json("{g: 2}"));
        acc.add(json("{g: 2}"));
        QueryException e = assertThrows(QueryException.class, () -> acc.add(json("{g: 3}")));
        assertEquals("/aggregate", e.pointer());

        AggregateSpec p = spec("{metrics: {p: {$percentile: {path: 'v', p: 50}}}}");
        AggregateSpec.Accumulator one = p.newAccumulator(limits);
        one.add(json("{v: 1}"));
        one.add(json("{v: 2}"));
        byte[] twoValues = one.toBytes();
        assertThrows(QueryException.class, () -> p.merge(List.of(twoValues, twoValues), limits));
        one.add(json("{v: 3}"));
        assertThrows(QueryException.class, () -> one.add(json("{v: 4}")));
    }

    @Test
    void distinctUnwindsArraysAndMergesInKeyOrder() {
        DistinctSpec d = DistinctSpec.parse(json("'tags'"), "/distinct");
        AggregateSpec.Accumulator s1 = d.newAccumulator(QueryLimits.DEFAULTS);
        s1.add(json("{tags: ['b', 'a', ['n']]}"));
        s1.add(json("{tags: null}"));
        s1.add(json("{}"));
        AggregateSpec.Accumulator s2 = d.newAccumulator(QueryLimits.DEFAULTS);
        s2.add(json("{tags: 'a'}"));
        s2.add(json("{tags: 3}"));
        assertJson(
                json("{values: [null, 3, 'a', 'b', ['n']]}"),
                d.merge(List.of(s1.toBytes(), s2.toBytes()), QueryLimits.DEFAULTS));

        QueryLimits two = new QueryLimits(100, 10_000, 16, 1_000, 1_000, 2, 10);
        AggregateSpec.Accumulator small = d.newAccumulator(two);
        small.add(json("{tags: ['a', 'b']}"));
        assertEquals(
                "/distinct",
                assertThrows(QueryException.class, () -> small.add(json("{tags: 'c'}")))
                        .pointer());
    }
}

package io.lumadb.timeseries.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.timeseries.Seeded;
import io.lumadb.timeseries.WindowAggregator.Kind;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.TimeSeriesStore;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Queries answered from rolled-up windows equal the brute force over the points written: the same
 * random data as {@link TsQueryPropertyTest} (out of order, late into closed windows, duplicates
 * that merge, NaNs, every field type), downsampled by three rules while it is written, sometimes
 * in step and sometimes behind, over three real RocksDB stores.
 */
class DownsamplingPropertyTest {

    static final List<DownsamplingRule> RULES = List.of(
            new DownsamplingRule(TsQueryPropertyTest.MIN, 0, DownsamplingRule.KEEPABLE),
            new DownsamplingRule(
                    15 * TsQueryPropertyTest.MIN, 0, EnumSet.of(Kind.COUNT, Kind.SUM, Kind.MEAN, Kind.MIN, Kind.MAX)),
            new DownsamplingRule(TsQueryPropertyTest.HOUR, 0, DownsamplingRule.KEEPABLE));

    static final String[] KEPT = {"mean", "sum", "min", "max", "count", "first", "last"};

    @Test
    void rolledUpAnswersEqualBruteForce() {
        int[] fromRollups = {0};
        int[] byRule = new int[RULES.size()];
        Seeded.run("downsampled aggregates over 3 shards", rnd -> {
            for (int dataset = 0; dataset < 3; dataset++) {
                TsQueryPropertyTest.withData(rnd, RULES, (data, shards) -> {
                    for (int i = 0; i < 120; i++) {
                        TsQueryPropertyTest.Spec spec = answerable(rnd, data);
                        ObjectNode request = spec.json(new Random(spec.from));
                        TsQuery q = TsQuery.parse(request, data.maxTime + TsQueryPropertyTest.HOUR);
                        ObjectNode actual = run(q, shards);
                        if (actual.has("downsampled")) {
                            fromRollups[0]++;
                            String every = actual.remove("downsampled").asText();
                            for (int r = 0; r < RULES.size(); r++) {
                                if (TsTime.duration(RULES.get(r).every()).equals(every)) {
                                    byRule[r]++;
                                }
                            }
                        }
                        TsQueryPropertyTest.assertJson(
                                TsQueryPropertyTest.BruteForce.answer(spec, data), actual, "", request.toString());
                    }
                });
            }
        });
        assertTrue(fromRollups[0] > 200, "only " + fromRollups[0] + " of 360 queries used rolled-up windows");
        for (int r = 0; r < RULES.size(); r++) {
            assertTrue(byRule[r] > 0, "no query used rule " + r);
        }
    }

    /** A query without row filter or percentiles: one that some rule may answer. */
    static TsQueryPropertyTest.Spec answerable(Random rnd, TsQueryPropertyTest.Data data) {
        TsQueryPropertyTest.Spec spec = TsQueryPropertyTest.randomSpec(rnd, data, "aggregate");
        spec.filter.clear();
        spec.aggregates = new ArrayList<>();
        int n = 1 + rnd.nextInt(4);
        while (spec.aggregates.size() < n) {
            String a = KEPT[rnd.nextInt(KEPT.length)];
            if (!spec.aggregates.contains(a)) {
                spec.aggregates.add(a);
            }
        }
        // On hours, on minutes or anywhere: the parts outside whole windows come from the points.
        long unit = rnd.nextBoolean() ? TsQueryPropertyTest.HOUR : TsQueryPropertyTest.MIN;
        if (rnd.nextInt(4) > 0) {
            spec.from -= Math.floorMod(spec.from, unit);
        }
        if (rnd.nextInt(3) > 0) {
            spec.to = spec.to - Math.floorMod(spec.to, unit) + unit;
        }
        if (spec.window == 0 && rnd.nextBoolean()) {
            spec.fill = "none";
        }
        return spec;
    }

    static ObjectNode run(TsQuery q, ShardedStores shards) {
        TsQuery atShard = TsQuery.parse(q.json(), 0);
        List<byte[]> partials = new ArrayList<>();
        for (TimeSeriesStore s : shards.stores) {
            partials.add(TsQueryShard.run(s, atShard, RULES));
        }
        return TsQueryMerge.merge(q, partials);
    }

    /** A rule answers only what its windows hold exactly. */
    @Test
    void refusesWhatRollupsCannotAnswer() {
        Seeded.run(
                "rules that cannot answer",
                rnd -> TsQueryPropertyTest.withData(rnd, RULES, (data, shards) -> {
                    long from = data.minTime - Math.floorMod(data.minTime, TsQueryPropertyTest.HOUR);
                    TimeSeriesStore store = shards.stores.getFirst();
                    for (String body : List.of(
                            "{\"from\":" + from + ",\"aggregates\":[\"p95\"],\"window\":\"1h\"}",
                            "{\"from\":" + from + ",\"aggregates\":[\"mean\"],\"window\":\"90s\"}",
                            "{\"from\":" + from
                                    + ",\"aggregates\":[\"mean\"],\"window\":\"1h\",\"filter\":{\"f\":{\"$gt\":1}}}")) {
                        TsQuery q = TsQuery.parse(TsQueryParseTest.json(body), data.maxTime);
                        assertEquals(-1, TsQueryShard.rollupFor(store, q, RULES, data.maxTime), body);
                    }
                    TsQuery first = TsQuery.parse(
                            TsQueryParseTest.json(
                                    "{\"from\":" + from + ",\"aggregates\":[\"first\"],\"window\":\"1h\"}"),
                            data.maxTime);
                    // The 15-minute rule keeps no first: the hourly one answers.
                    assertEquals(2, TsQueryShard.rollupFor(store, first, RULES, data.maxTime));
                    TsQuery mean15 = TsQuery.parse(
                            TsQueryParseTest.json(
                                    "{\"from\":" + from + ",\"aggregates\":[\"mean\"],\"window\":\"30m\"}"),
                            data.maxTime);
                    assertEquals(1, TsQueryShard.rollupFor(store, mean15, RULES, data.maxTime));
                }));
    }
}

package io.lumadb.timeseries.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TsQueryMergeTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final long T0 = 1_796_083_200_000_000_000L;

    static TsQuery query(String text) throws Exception {
        return TsQuery.parse(MAPPER.readTree(text.replace('\'', '"')), T0 + 3_600_000_000_000L);
    }

    @Test
    void mergesNoPartialsAndEmptyPartialsIntoNoGroups() throws Exception {
        for (String q : List.of(
                "{'from':0,'aggregates':['mean'],'window':'1d','fill':'null'}",
                "{'from':0}",
                "{'from':0,'last':true}")) {
            TsQuery query = query(q);
            assertEquals(
                    "{\"groups\":[],\"truncated\":false}",
                    TsQueryMerge.merge(query, List.of()).toString());
            try (ShardedStores shards = new ShardedStores(2, TimeSeriesSettings.DEFAULT)) {
                List<byte[]> partials = new ArrayList<>();
                shards.stores.forEach(s -> partials.add(TsQueryShard.run(s, query)));
                assertEquals(
                        "{\"groups\":[],\"truncated\":false}",
                        TsQueryMerge.merge(query, partials).toString());
            }
        }
    }

    @Test
    void refusesACorruptPartialOrOneOfAnotherMode() throws Exception {
        TsQuery agg = query("{'from':0,'aggregates':['mean']}");
        TsQuery raw = query("{'from':0}");
        try (ShardedStores shards = new ShardedStores(1, TimeSeriesSettings.DEFAULT)) {
            byte[] p = TsQueryShard.run(shards.stores.getFirst(), agg);
            assertThrows(IllegalArgumentException.class, () -> TsQueryMerge.merge(raw, List.of(p)));
            byte[] flipped = p.clone();
            flipped[2] ^= 1;
            assertThrows(IllegalArgumentException.class, () -> TsQueryMerge.merge(agg, List.of(flipped)));
            byte[] version = p.clone();
            version[0] = 9;
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> TsQueryMerge.merge(agg, List.of(version)));
            assertTrue(e.getMessage().contains("version 9"), e.getMessage());
        }
    }

    @Test
    void typedValuesReservedNamesAndNonFiniteNumbersInTheResponse() throws Exception {
        try (ShardedStores shards = new ShardedStores(1, TimeSeriesSettings.DEFAULT)) {
            shards.write(List.of(new Point(
                    "m",
                    List.of(new Point.Tag("host", "a")),
                    Map.of(
                            "time", new FieldValue.IntegerValue(-3),
                            "u", new FieldValue.UnsignedValue(-1L),
                            "inf", new FieldValue.FloatValue(Double.POSITIVE_INFINITY),
                            "ok", new FieldValue.BooleanValue(true),
                            "s", new FieldValue.StringValue("x")),
                    T0 + 1_500)));
            TsQuery raw = query("{'from':'2026-12-01T00:00:00Z'}");
            String row = TsQueryMerge.merge(raw, List.of(TsQueryShard.run(shards.stores.getFirst(), raw)))
                    .at("/groups/0/rows/0")
                    .toString();
            assertEquals(
                    "{\"time\":\"2026-12-01T00:00:00.0000015Z\",\"measurement\":\"m\",\"tags\":{\"host\":\"a\"},"
                            + "\"inf\":null,\"ok\":true,\"s\":\"x\",\"fields\":{\"time\":-3},\"u\":18446744073709551615}",
                    row);
            TsQuery agg = query(
                    "{'from':'2026-12-01T00:00:00Z','fields':['u','s','inf'],'aggregates':['count','max','last']}");
            String aggRow = TsQueryMerge.merge(agg, List.of(TsQueryShard.run(shards.stores.getFirst(), agg)))
                    .at("/groups/0/rows/0")
                    .toString();
            assertEquals(
                    "{\"time\":\"2026-12-01T00:00:00Z\",\"u\":{\"count\":1,\"max\":1.8446744073709552E19,"
                            + "\"last\":18446744073709551615},\"s\":{\"count\":1,\"max\":null,\"last\":\"x\"},"
                            + "\"inf\":{\"count\":1,\"max\":null,\"last\":null}}",
                    aggRow);
        }
    }
}

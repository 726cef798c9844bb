package io.lumadb.timeseries.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.timeseries.Precision;
import io.lumadb.timeseries.WindowAggregator;
import io.lumadb.timeseries.store.DownsamplingRule;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TimeSeriesOptionsTest {

    private static JsonNode json(String text) throws Exception {
        return DocumentJson.mapper().readTree(text);
    }

    @Test
    void defaults() {
        TimeSeriesOptions o = TimeSeriesOptions.parse(null, "cpu", "/timeseries");
        assertEquals(Precision.NANOSECONDS, o.precision());
        assertEquals("time", o.timeField());
        assertEquals("cpu", o.measurement());
        assertEquals(List.of(), o.tags());
        assertEquals(0, o.retention());
        assertEquals(TimeUnit.HOURS.toNanos(1), o.blockDuration());
        assertEquals(TimeUnit.MINUTES.toNanos(10), o.lateness());
    }

    @Test
    void everyOptionAndTheCatalogTextRoundTrips() throws Exception {
        TimeSeriesOptions o = TimeSeriesOptions.parse(
                json("{\"precision\":\"ms\",\"timeField\":\"ts\",\"measurement\":\"m\",\"tags\":[\"host\",\"dc\"],"
                        + "\"retention\":\"30d\",\"blockDuration\":\"10m\",\"lateness\":\"90s\"}"),
                "cpu",
                "/timeseries");
        assertEquals(Precision.MILLISECONDS, o.precision());
        assertEquals(List.of("host", "dc"), o.tags());
        assertEquals(TimeUnit.DAYS.toNanos(30), o.retention());
        assertEquals(TimeUnit.MINUTES.toNanos(10), o.blockDuration());
        assertEquals(TimeUnit.SECONDS.toNanos(90), o.lateness());
        assertEquals(o, TimeSeriesOptions.fromJson(o.json(), "cpu"));
        assertTrue(o.json().contains("\"retention\":\"30d\""), o.json());
        TimeSeriesOptions defaults = TimeSeriesOptions.parse(null, "cpu", "");
        assertEquals(defaults, TimeSeriesOptions.fromJson(defaults.json(), "cpu"));
        assertEquals(List.of(), defaults.downsampling());
        assertTrue(!defaults.json().contains("downsampling"), "no rules, no member: " + defaults.json());
    }

    @Test
    void downsamplingRulesRoundTrip() throws Exception {
        TimeSeriesOptions o = TimeSeriesOptions.parse(
                json("{\"retention\":\"7d\",\"downsampling\":[{\"every\":\"1m\",\"aggregates\":[\"mean\",\"max\","
                        + "\"count\"],\"retention\":\"90d\"},{\"every\":\"1h\"}]}"),
                "cpu",
                "/timeseries");
        assertEquals(2, o.downsampling().size());
        DownsamplingRule minute = o.downsampling().getFirst();
        assertEquals(TimeUnit.MINUTES.toNanos(1), minute.every());
        assertEquals(TimeUnit.DAYS.toNanos(90), minute.retention());
        assertEquals(
                java.util.EnumSet.of(
                        WindowAggregator.Kind.MEAN, WindowAggregator.Kind.MAX, WindowAggregator.Kind.COUNT),
                minute.aggregates());
        DownsamplingRule hour = o.downsampling().get(1);
        assertEquals(0, hour.retention(), "kept forever");
        assertEquals(DownsamplingRule.KEEPABLE, hour.aggregates(), "every aggregate a rule can keep");
        assertEquals(o, TimeSeriesOptions.fromJson(o.json(), "cpu"));
        assertTrue(o.json().contains("\"every\":\"1m\""), o.json());
    }

    @Test
    void badOptionsNameTheirMember() throws Exception {
        String[][] cases = {
            {"[]", "/timeseries"},
            {"{\"colour\":1}", "/timeseries/colour"},
            {"{\"downsampling\":{}}", "/timeseries/downsampling"},
            {"{\"downsampling\":[1]}", "/timeseries/downsampling/0"},
            {"{\"downsampling\":[{}]}", "/timeseries/downsampling/0/every"},
            {"{\"downsampling\":[{\"every\":\"500ms\"}]}", "/timeseries/downsampling/0/every"},
            {"{\"downsampling\":[{\"every\":\"1m\",\"colour\":1}]}", "/timeseries/downsampling/0/colour"},
            {"{\"downsampling\":[{\"every\":\"1h\"},{\"every\":\"1m\"}]}", "/timeseries/downsampling/1/every"},
            {"{\"downsampling\":[{\"every\":\"1m\"},{\"every\":\"1m\"}]}", "/timeseries/downsampling/1/every"},
            {
                "{\"downsampling\":[{\"every\":\"1m\",\"aggregates\":[\"p95\"]}]}",
                "/timeseries/downsampling/0/aggregates/0"
            },
            {"{\"downsampling\":[{\"every\":\"1m\",\"aggregates\":[]}]}", "/timeseries/downsampling/0/aggregates"},
            {"{\"downsampling\":[{\"every\":\"1h\",\"retention\":\"30m\"}]}", "/timeseries/downsampling/0/retention"},
            {"{\"retention\":\"1h\",\"downsampling\":[{\"every\":\"1h\"}]}", "/timeseries/downsampling/0/every"},
            {
                "{\"downsampling\":[{\"every\":\"1m\"},{\"every\":\"2m\"},{\"every\":\"3m\"},{\"every\":\"4m\"},"
                        + "{\"every\":\"5m\"}]}",
                "/timeseries/downsampling"
            },
            {"{\"precision\":\"fortnight\"}", "/timeseries/precision"},
            {"{\"precision\":3}", "/timeseries/precision"},
            {"{\"tags\":\"host\"}", "/timeseries/tags"},
            {"{\"tags\":[\"host\",\"host\"]}", "/timeseries/tags/1"},
            {"{\"tags\":[\"time\"]}", "/timeseries/tags/0"},
            {"{\"tags\":[1]}", "/timeseries/tags/0"},
            {"{\"retention\":\"forever\"}", "/timeseries/retention"},
            {"{\"retention\":\"0d\"}", "/timeseries/retention"},
            {"{\"retention\":\"10m\"}", "/timeseries/retention"},
            {"{\"blockDuration\":\"7m\"}", "/timeseries/blockDuration"},
            {"{\"blockDuration\":\"2d\"}", "/timeseries/blockDuration"},
            {"{\"lateness\":-1}", "/timeseries/lateness"},
            {"{\"timeField\":\"\"}", "/timeseries/timeField"},
            {"{\"retention\":\"999999999w\"}", "/timeseries/retention"},
        };
        for (String[] c : cases) {
            JsonNode options = json(c[0]);
            var e = assertThrows(
                    RuntimeException.class, () -> TimeSeriesOptions.parse(options, "cpu", "/timeseries"), c[0]);
            assertTrue(e instanceof TimeSeriesOptions.InvalidOptionsException, c[0] + ": " + e);
            assertEquals(c[1], ((TimeSeriesOptions.InvalidOptionsException) e).pointer(), c[0]);
        }
    }
}

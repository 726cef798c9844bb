package io.lumadb.timeseries.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.timeseries.WindowAggregator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TsQueryParseTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final long NOW = 1_796_083_200_000_000_000L + 3_600_000_000_000L; // 2026-12-01T01:00:00Z

    static ObjectNode json(String text) {
        try {
            return (ObjectNode) MAPPER.readTree(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    static TsQuery parse(String text) {
        return TsQuery.parse(json(text), NOW);
    }

    static Stream<Arguments> badRequests() {
        String f = "'from':'2026-12-01T00:00:00Z'";
        return Stream.of(
                Arguments.of("{" + f + ",'bogus':1}", "/bogus", "unknown member"),
                Arguments.of("{'measurement':'cpu'}", "/from", "from is required"),
                Arguments.of("{'from':true}", "/from", "RFC 3339"),
                Arguments.of("{'from':'2026-12-01 00:00:00'}", "/from", "RFC 3339"),
                Arguments.of("{'from':'2026-12-01T00:00Z'}", "/from", "RFC 3339"),
                Arguments.of("{'from':'2026-02-30T00:00:00Z'}", "/from", "RFC 3339"),
                Arguments.of("{'from':9223372036854775807,'precision':'s'}", "/from", "outside"),
                Arguments.of("{" + f + ",'to':'2026-12-01T00:00:00Z'}", "/to", "empty"),
                Arguments.of("{'from':'2026-12-01T02:00:00Z'}", "/from", "empty"),
                Arguments.of("{" + f + ",'precision':'m'}", "/precision", "precision"),
                Arguments.of("{" + f + ",'measurement':''}", "/measurement", "non-empty"),
                Arguments.of("{" + f + ",'measurement':3}", "/measurement", "non-empty"),
                Arguments.of("{" + f + ",'tags':[]}", "/tags", "object"),
                Arguments.of("{" + f + ",'tags':{'host':5}}", "/tags/host", "string or an object"),
                Arguments.of("{" + f + ",'tags':{'host':{'$gt':'a'}}}", "/tags/host/$gt", "unknown tag operator"),
                Arguments.of("{" + f + ",'tags':{'host':{'$in':[]}}}", "/tags/host/$in", "non-empty array"),
                Arguments.of("{" + f + ",'tags':{'host':{'$in':['a',1]}}}", "/tags/host/$in/1", "non-empty string"),
                Arguments.of("{" + f + ",'tags':{'host':{'$exists':'yes'}}}", "/tags/host/$exists", "true or false"),
                Arguments.of("{" + f + ",'tags':{'a/b':{'$ne':''}}}", "/tags/a~1b/$ne", "non-empty"),
                Arguments.of("{" + f + ",'filter':{'x':{'$regex':'a'}}}", "/filter/x/$regex", "unknown field operator"),
                Arguments.of("{" + f + ",'filter':{'x':{'$gt':true}}}", "/filter/x/$gt", "number or a string"),
                Arguments.of("{" + f + ",'filter':{'x':null}}", "/filter/x", "number, a string or a boolean"),
                Arguments.of("{" + f + ",'filter':{'x':{'$in':{}}}}", "/filter/x/$in", "non-empty array"),
                Arguments.of("{" + f + ",'filter':{'x':{}}}", "/filter/x", "must not be empty"),
                Arguments.of("{" + f + ",'fields':'x'}", "/fields", "non-empty array"),
                Arguments.of("{" + f + ",'fields':['x','x']}", "/fields/1", "twice"),
                Arguments.of("{" + f + ",'groupBy':['host','*']}", "/groupBy", "cannot be combined"),
                Arguments.of("{" + f + ",'groupBy':['host',2]}", "/groupBy/1", "non-empty string"),
                Arguments.of("{" + f + ",'aggregates':['mean'],'window':'10x'}", "/window", "positive duration"),
                Arguments.of("{" + f + ",'aggregates':['mean'],'window':60}", "/window", "positive duration"),
                Arguments.of("{" + f + ",'aggregates':['mean'],'window':'0s'}", "/window", "positive duration"),
                Arguments.of("{'from':0,'aggregates':['mean'],'window':'1ms'}", "/window", "at most 1000000"),
                Arguments.of("{" + f + ",'window':'1m'}", "/window", "needs aggregates"),
                Arguments.of("{" + f + ",'aggregates':[]}", "/aggregates", "non-empty array"),
                Arguments.of("{" + f + ",'aggregates':['mean','avg']}", "/aggregates/1", "aggregate must be one of"),
                Arguments.of("{" + f + ",'aggregates':['p101']}", "/aggregates/0", "0..100"),
                Arguments.of("{" + f + ",'aggregates':['p-1']}", "/aggregates/0", "aggregate must be one of"),
                Arguments.of("{" + f + ",'aggregates':['max','MAX']}", "/aggregates/1", "twice"),
                Arguments.of("{" + f + ",'aggregates':['max'],'fill':'null'}", "/fill", "needs a window"),
                Arguments.of("{" + f + ",'aggregates':['max'],'window':'1m','fill':'zero'}", "/fill", "fill must be"),
                Arguments.of("{" + f + ",'aggregates':['max'],'last':true}", "/last", "cannot be combined"),
                Arguments.of("{" + f + ",'last':'yes'}", "/last", "true or false"),
                Arguments.of("{" + f + ",'aggregates':['max'],'limit':5}", "/limit", "raw and last"),
                Arguments.of("{" + f + ",'limit':0}", "/limit", "from 1 to 10000"),
                Arguments.of("{" + f + ",'limit':10001}", "/limit", "from 1 to 10000"),
                Arguments.of("{" + f + ",'limit':1.5}", "/limit", "from 1 to 10000"));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @MethodSource("badRequests")
    void refusesBadInputNamingTheMember(String body, String pointer, String message) {
        TsQueryException e = assertThrows(TsQueryException.class, () -> parse(body));
        assertEquals(pointer, e.pointer(), e.getMessage());
        assertTrue(e.getMessage().contains(message), () -> "message '" + e.getMessage() + "' lacks '" + message + "'");
    }

    @Test
    void refusesABodyThatIsNoObject() {
        TsQueryException e = assertThrows(
                TsQueryException.class,
                () -> TsQuery.parse(MAPPER.getNodeFactory().arrayNode(), NOW));
        assertEquals("", e.pointer());
    }

    @Test
    void readsTimesInEveryFormAndDefaultsToNow() {
        long t0 = 1_796_083_200_000_000_000L;
        assertEquals(t0, parse("{'from':'2026-12-01T00:00:00Z'}").from());
        assertEquals(t0, parse("{'from':'2026-12-01T01:00:00+01:00'}").from());
        assertEquals(
                t0 + 123_456_789,
                parse("{'from':'2026-11-30T19:00:00.123456789-05:00'}").from());
        assertEquals(
                t0 + 500_000_000, parse("{'from':'2026-12-01t00:00:00.5z'}").from());
        assertEquals(t0, parse("{'from':1796083200,'precision':'s'}").from());
        assertEquals(t0, parse("{'from':1796083200000,'precision':'ms'}").from());
        assertEquals(t0, parse("{'from':1796083200000000,'precision':'us'}").from());
        assertEquals(t0, parse("{'from':1796083200000000000}").from());
        assertEquals(NOW, parse("{'from':0}").to());
        assertEquals(TsQuery.Mode.RAW, parse("{'from':0}").mode());
        assertEquals(TsQuery.MAX_LIMIT, parse("{'from':0}").limit());
    }

    @Test
    void formatsTimesLikeRfc3339Nano() {
        long t0 = 1_796_083_200_000_000_000L;
        assertEquals("2026-12-01T00:00:00Z", TsTime.format(t0));
        assertEquals("2026-12-01T00:00:00.5Z", TsTime.format(t0 + 500_000_000));
        assertEquals("2026-12-01T00:00:00.000000001Z", TsTime.format(t0 + 1));
        assertEquals("1969-12-31T23:59:59.999999999Z", TsTime.format(-1));
        assertEquals(t0 + 1, TsTime.parse(TsTime.format(t0 + 1)));
    }

    @Test
    void canonicalTextParsesBackToTheSameQuery() {
        String body = "{'measurement':'cpu','from':'2026-12-01T00:00:00Z','to':'2026-12-01T00:30:00.25Z',"
                + "'tags':{'host':'a','region':{'$in':['x','y'],'$ne':'z'},'os':{'$exists':false},'rack':{'$nin':['r']}},"
                + "'filter':{'u':{'$gt':50,'$lte':90.5},'status':'ok','on':true,'n':{'$in':[1,'a',false]}},"
                + "'fields':['u','s'],'groupBy':['host'],'window':'1m','aggregates':['mean','P99.9','median','count'],"
                + "'fill':-2.5}";
        TsQuery q = parse(body);
        TsQuery again = TsQuery.parse(q.json(), 0);
        assertEquals(q, again);
        assertEquals(q.json(), again.json());
        assertEquals(60_000_000_000L, again.window());
        assertEquals(
                List.of("mean", "p99.9", "median", "count"),
                again.aggregates().stream().map(TsQuery.Aggregate::name).toList());
        assertEquals(new WindowAggregator.Fill.Constant(-2.5), again.fill());
        assertEquals(
                TsQuery.Mode.LAST,
                TsQuery.parse(
                                parse("{'from':0,'last':true,'limit':3,'groupBy':'*'}")
                                        .json(),
                                0)
                        .mode());
    }

    @Test
    void tagConditionsNarrowByEqualitiesOnly() {
        TsQuery q = parse(
                "{'from':0,'measurement':'cpu','tags':{'host':'a','dc':{'$in':['x']},'region':{'$in':['x','y']},'os':{'$ne':'w'}}}");
        assertEquals(java.util.Map.of("host", "a", "dc", "x"), q.seriesFilter().tags());
        assertEquals("cpu", q.seriesFilter().measurement());
    }
}

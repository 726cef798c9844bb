package io.lumadb.shards.query;

import static io.lumadb.shards.query.FilterTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuerySpecTest {

    @Test
    void defaultsOfAnEmptyBody() {
        QuerySpec q = QuerySpec.parse(json("{}"), QueryLimits.DEFAULTS);
        assertTrue(q.filter() instanceof Filter.All);
        assertEquals(SortSpec.BY_ID, q.sort());
        assertTrue(q.projection().isAll());
        assertEquals(100, q.limit());
        assertNull(q.after());
        assertNull(q.hint());
        assertNull(q.timeoutMillis());
        assertTrue(q.isDocumentQuery());
    }

    @Test
    void fullDocumentQuery() {
        QuerySpec q = QuerySpec.parse(
                json("{filter: {a: 1}, sort: ['-age'], fields: ['name'], limit: 5, after: 'abc', explain: true,"
                        + " hint: 'scan', timeoutMs: 2500}"),
                QueryLimits.DEFAULTS);
        assertTrue(q.filter() instanceof Filter.Field);
        assertEquals(2, q.sort().keys().size());
        assertTrue(q.sort().keys().getFirst().descending());
        assertFalse(q.projection().isAll());
        assertEquals(5, q.limit());
        assertEquals("abc", q.after());
        assertTrue(q.explain());
        assertEquals("scan", q.hint());
        assertEquals(2500L, q.timeoutMillis());
    }

    @Test
    void countAggregateAndDistinctAreNotDocumentQueries() {
        assertFalse(QuerySpec.parse(json("{count: true}"), QueryLimits.DEFAULTS).isDocumentQuery());
        assertFalse(
                QuerySpec.parse(json("{distinct: 'a'}"), QueryLimits.DEFAULTS).isDocumentQuery());
        assertFalse(QuerySpec.parse(json("{aggregate: {metrics: {n: {$count: {}}}}}"), QueryLimits.DEFAULTS)
                .isDocumentQuery());
        assertTrue(QuerySpec.parse(json("{count: false, sort: ['a']}"), QueryLimits.DEFAULTS)
                .isDocumentQuery());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            [1]                                              |                             | JSON object
            {filtre: {}}                                     | /filtre                     | unknown field
            {filter: 3}                                      | /filter                     | JSON object
            {limit: 0}                                       | /limit                      | from 1 to 10000
            {limit: 10001}                                   | /limit                      | from 1 to 10000
            {limit: '5'}                                     | /limit                      | integer
            {after: 5}                                       | /after                      | string
            {count: 'yes'}                                   | /count                      | true or false
            {count: true, sort: ['a']}                       | /sort                       | cannot be combined with count
            {distinct: 'a', limit: 3}                        | /limit                      | cannot be combined with distinct
            {count: true, distinct: 'a'}                     | /distinct                   | cannot be combined with count
            {timeoutMs: 0}                                   | /timeoutMs                  | positive integer
            {hint: ''}                                       | /hint                       | scan
            {sort: ['a', '-a']}                              | /sort/1                     | twice
            {sort: [{path: 'a', order: 'up'}]}               | /sort/0/order               | asc
            {sort: 'a'}                                      | /sort                       | array
            {fields: ['a', 'a.b']}                           | /fields/1                   | overlaps
            {fields: ['a.b', 'a']}                           | /fields/1                   | overlaps
            {aggregate: {metrics: {x: {$median: 'a'}}}}      | /aggregate/metrics/x/$median | unknown metric
            {aggregate: {metrics: {p: {$percentile: {path: 'a', p: 0}}}}} | /aggregate/metrics/p/$percentile/p | (0, 100]
            {aggregate: {groupBy: 'a'}}                      | /aggregate/groupBy          | array
            {distinct: ['a']}                                | /distinct                   | path string
            """)
    void badBodiesAreRejectedWithAPointer(String body, String pointer, String message) {
        QueryException e = assertThrows(QueryException.class, () -> QuerySpec.parse(json(body), QueryLimits.DEFAULTS));
        assertEquals(pointer == null ? "" : pointer, e.pointer(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}

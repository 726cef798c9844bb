package io.lumadb.shards.query;

import static io.lumadb.shards.query.FilterTest.json;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FilterParseTest {

    private static QueryException rejected(String filter, QueryLimits limits) {
        return assertThrows(QueryException.class, () -> Filter.parse(json(filter), "/filter", limits));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            {age: {$gte: 1, $foo: 2}}                         | /filter/age/$foo           | unknown operator
            {$or: [{a: 1}, {name: {$regex: '('}}]}            | /filter/$or/1/name/$regex  | invalid regular expression
            {$or: []}                                         | /filter/$or                | non-empty array
            {$and: [{a: 1}, 5]}                               | /filter/$and/1             | must be a JSON object
            {'a.$b': 1}                                       | /filter/a.$b               | starting with '$'
            {'a..b': 1}                                       | /filter/a..b               | empty segment
            {age: {$in: 5}}                                   | /filter/age/$in            | array
            {age: {$gt: 1, x: 2}}                             | /filter/age/x              | mixed with operators
            {$where: 'x'}                                     | /filter/$where             | unknown top-level operator
            {a: {$size: -1}}                                  | /filter/a/$size            | non-negative integer
            {a: {$size: 1.5}}                                 | /filter/a/$size            | non-negative integer
            {a: {$type: 'date'}}                              | /filter/a/$type            | unknown type
            {a: {$type: ['string', 'x']}}                     | /filter/a/$type/1          | unknown type
            {a: {$options: 'i'}}                              | /filter/a/$options         | only allowed next to $regex
            {a: {$regex: 'x', $options: 'q'}}                 | /filter/a/$options         | unknown regex option
            {a: {$regex: 'a b', $options: 'x'}}               | /filter/a/$options         | option 'x' is not supported
            {a: {$regex: 'a(?=b)'}}                           | /filter/a/$regex           | RE2 syntax
            {a: {$regex: '((a{1000}){1000}){1000}'}}          | /filter/a/$regex           | repetition counts
            {a: {$regex: '(x{10}){101}'}}                     | /filter/a/$regex           | repetition counts
            {a: {$regex: '(a{100}){20}'}}                     | /filter/a/$regex           | repetition counts
            {'a/b': {$exists: 1}}                             | /filter/a~1b/$exists       | true or false
            {a: {$not: 5}}                                    | /filter/a/$not             | object of operators
            {a: {$elemMatch: []}}                             | /filter/a/$elemMatch       | non-empty object
            {a: {$or: [{b: 1}]}}                              | /filter/a/$or              | top-level operator
            {$not: {x: {$startsWith: 3}}}                     | /filter/$not/x/$startsWith | string
            {'': 1}                                           | /filter/                   | must not be empty
            """)
    void badFiltersAreRejectedWithAPointerToTheOffendingPart(String filter, String pointer, String message) {
        QueryException e = rejected(filter, QueryLimits.DEFAULTS);
        assertEquals(pointer, e.pointer(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void aFilterMustBeAnObject() {
        QueryException e =
                assertThrows(QueryException.class, () -> Filter.parse(json("[1]"), "/filter", QueryLimits.DEFAULTS));
        assertEquals("/filter", e.pointer());
    }

    private static String nestedAnd(int levels) {
        String filter = "{a: 1}";
        for (int i = 1; i < levels; i++) {
            filter = "{$and: [" + filter + "]}";
        }
        return filter;
    }

    @Test
    void depthLimitCountsLogicalLevels() {
        QueryLimits limits = new QueryLimits(100, 10_000, 16, 1_000, 1_000, 10_000, 1_000_000);
        assertDoesNotThrow(() -> Filter.parse(json(nestedAnd(16)), "/filter", limits));
        QueryException e = rejected(nestedAnd(17), limits);
        assertTrue(e.pointer().startsWith("/filter/$and/0/$and/0"), e.pointer());
        assertTrue(e.getMessage().contains("16"), e.getMessage());
    }

    @Test
    void depthLimitCountsElemMatchAndNot() {
        QueryLimits limits = new QueryLimits(100, 10_000, 2, 1_000, 1_000, 10_000, 1_000_000);
        assertDoesNotThrow(() -> Filter.parse(json("{a: {$elemMatch: {b: 1}}}"), "/filter", limits));
        assertEquals(
                "/filter/a/$elemMatch/b/$elemMatch",
                rejected("{a: {$elemMatch: {b: {$elemMatch: {c: 1}}}}}", limits).pointer());
        assertEquals(
                "/filter/a/$not/$not",
                rejected("{a: {$not: {$not: {$gt: 1}}}}", limits).pointer());
    }

    @Test
    void nodeLimitCountsOperatorsAndInElements() {
        QueryLimits limits = new QueryLimits(100, 10_000, 16, 10, 1_000, 10_000, 1_000_000);
        assertDoesNotThrow(() -> Filter.parse(json("{a: {$in: [1,2,3,4,5,6,7,8,9]}}"), "/filter", limits));
        QueryException e = rejected("{a: {$in: [1,2,3,4,5,6,7,8,9,10]}}", limits);
        assertEquals("/filter/a/$in/9", e.pointer());
        assertTrue(e.getMessage().contains("10"), e.getMessage());
        assertEquals(
                "/filter/$or/5/f",
                rejected(
                                "{$or: [{f:1},{f:1},{f:1},{f:1},{f:1},{f:1}]}",
                                new QueryLimits(100, 10_000, 16, 6, 1_000, 10_000, 1_000_000))
                        .pointer());
    }

    @Test
    void regexLengthIsLimited() {
        QueryLimits limits = new QueryLimits(100, 10_000, 16, 1_000, 5, 10_000, 1_000_000);
        assertDoesNotThrow(() -> Filter.parse(json("{a: {$regex: 'abcde'}}"), "/filter", limits));
        QueryException e = rejected("{a: {$regex: 'abcdef'}}", limits);
        assertEquals("/filter/a/$regex", e.pointer());
    }

    @Test
    void regexThatCompilesToAHugeProgramIsRefused() {
        // RE2's own rule: nested counted repetitions multiply to at most 1000.
        assertDoesNotThrow(() -> Filter.parse(json("{a: {$regex: '(x{10}){100}'}}"), "/filter", QueryLimits.DEFAULTS));
        assertDoesNotThrow(
                () -> Filter.parse(json("{a: {$regex: '[a-z]{1000}\\\\d{3}'}}"), "/filter", QueryLimits.DEFAULTS));
        // Repetitions side by side add up: 101 copies of x{1000} would compile to over 100,000 instructions.
        QueryException e = rejected("{a: {$regex: '" + "x{1000}".repeat(101) + "'}}", QueryLimits.DEFAULTS);
        assertEquals("/filter/a/$regex", e.pointer());
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
        // Braces that are not a repetition (escaped, in a class, of \\x{...}, quoted) multiply nothing.
        for (String pattern : new String[] {
            "(\\\\{1000\\\\}){1000}",
            "([{1000}]){1000}",
            "(\\\\x{100}){1000}",
            "(\\\\Qa{1000}\\\\E){1000}",
            "(a{1000,){1000}"
        }) {
            assertDoesNotThrow(
                    () -> Filter.parse(json("{a: {$regex: '" + pattern + "'}}"), "/filter", QueryLimits.DEFAULTS),
                    pattern);
        }
    }

    @Test
    void elemMatchChoosesValueOrDocumentForm() {
        JsonNode valueForm = json("{a: {$elemMatch: {$gt: 1}}}");
        Condition.ElemMatch c = (Condition.ElemMatch)
                ((Filter.Field) Filter.parse(valueForm, "/filter", QueryLimits.DEFAULTS)).condition();
        assertTrue(c.valueCondition() instanceof Condition.Gt && c.elementFilter() == null);
        JsonNode docForm = json("{a: {$elemMatch: {b: 1}}}");
        c = (Condition.ElemMatch) ((Filter.Field) Filter.parse(docForm, "/filter", QueryLimits.DEFAULTS)).condition();
        assertTrue(c.elementFilter() instanceof Filter.Field && c.valueCondition() == null);
    }
}

package io.lumadb.shards.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class FilterTest {

    static final JsonMapper LENIENT = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
            .enable(JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES)
            .build();

    static JsonNode json(String s) {
        try {
            return LENIENT.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    static boolean matches(String filter, String doc) {
        return Filter.parse(json(filter), "/filter", QueryLimits.DEFAULTS).matches(json(doc), Deadline.none());
    }

    static void yes(String filter, String doc) {
        assertTrue(matches(filter, doc), () -> filter + " should match " + doc);
    }

    static void no(String filter, String doc) {
        assertFalse(matches(filter, doc), () -> filter + " should not match " + doc);
    }

    @Test
    void emptyFilterMatchesEverything() {
        yes("{}", "{_id:'1'}");
    }

    @Test
    void equalityOnScalarsAndNestedPaths() {
        yes("{a: 1}", "{a: 1}");
        yes("{a: 1}", "{a: 1.0}");
        yes("{a: 0}", "{a: -0.0}");
        no("{a: 1}", "{a: '1'}");
        no("{a: 1}", "{b: 1}");
        yes("{'a.b.c': 'x'}", "{a: {b: {c: 'x'}}}");
        no("{'a.b.c': 'x'}", "{a: {b: 'x'}}");
        yes("{a: {$eq: 2}}", "{a: 2}");
        yes("{_id: 'k', _version: 3}", "{_id: 'k', _version: 3}");
        no("{_version: {$gt: 3}}", "{_id: 'k', _version: 3}");
    }

    @Test
    void equalityOfObjectsIgnoresFieldOrder() {
        yes("{a: {x: 1, y: 2}}", "{a: {y: 2, x: 1}}");
        no("{a: {x: 1}}", "{a: {x: 1, y: 2}}");
        yes("{a: {}}", "{a: {}}");
    }

    @Test
    void arraysMatchByElementOrWhole() {
        yes("{tags: 'x'}", "{tags: ['x', 'y']}");
        yes("{tags: ['x', 'y']}", "{tags: ['x', 'y']}");
        no("{tags: ['y', 'x']}", "{tags: ['x', 'y']}");
        no("{tags: 'z'}", "{tags: ['x', 'y']}");
        yes("{a: [1, 2]}", "{a: [[1, 2], 3]}");
        no("{a: 1}", "{a: [[1, 2]]}");
        yes("{a: []}", "{a: []}");
    }

    @Test
    void pathsTraverseArraysOfObjects() {
        yes("{'items.sku': 'b'}", "{items: [{sku: 'a'}, {sku: 'b'}]}");
        no("{'items.sku': 'c'}", "{items: [{sku: 'a'}, {sku: 'b'}]}");
        yes("{'a.b.c': 5}", "{a: [{b: [{c: 4}, {c: 5}]}]}");
        yes("{'items.tags': 'red'}", "{items: [{tags: ['blue']}, {tags: ['red']}]}");
        no("{'a.b': 1}", "{a: [[{b: 1}]]}");
    }

    @Test
    void numericSegmentIndexesArraysAndNamesObjectFields() {
        yes("{'a.1': 5}", "{a: [4, 5]}");
        no("{'a.0': 5}", "{a: [4, 5]}");
        yes("{'a.1': 5}", "{a: {'1': 5}}");
        yes("{'items.0.sku': 'a'}", "{items: [{sku: 'a'}, {sku: 'b'}]}");
        no("{'items.1.sku': 'a'}", "{items: [{sku: 'a'}, {sku: 'b'}]}");
    }

    @Test
    void eqNullMatchesMissingAndNull() {
        yes("{a: null}", "{b: 1}");
        yes("{a: null}", "{a: null}");
        no("{a: null}", "{a: 0}");
        yes("{'a.b': null}", "{a: 5}");
        yes("{'a.b': null}", "{a: [{b: 1}, {c: 1}]}");
        no("{'a.b': null}", "{a: [{b: 1}, {b: 2}]}");
        yes("{a: null}", "{a: [1, null]}");
        yes("{a: {$in: [null, 7]}}", "{}");
    }

    /** What the README's differences from MongoDB state about null through arrays. */
    @Test
    void eqNullThroughArraysOnDottedPaths() {
        // A dotted path that reaches no value through an array is missing, so it equals null:
        yes("{'a.b': null}", "{a: []}");
        yes("{'a.b': null}", "{a: [1, 2]}");
        yes("{'a.b': null}", "{a: [null]}");
        yes("{'a.b': null}", "{a: [[]]}");
        yes("{'a.b': null}", "{a: [[{b: 1}]]}");
        // a position past the end is missing too;
        yes("{'a.0': null}", "{a: []}");
        yes("{'a.1.b': null}", "{a: [{b: 1}]}");
        // an object element lacking the field is a missing branch, a scalar element is not.
        yes("{'a.b': null}", "{a: [{b: 1}, {}]}");
        no("{'a.b': null}", "{a: [1, {b: 2}]}");
        // Without a dotted path an empty array is a value, not null.
        no("{a: null}", "{a: []}");
        yes("{'a.b': {$exists: false}}", "{a: [1, 2]}");
    }

    @Test
    void neAndNinAreNegationsSoTheyMatchMissing() {
        yes("{a: {$ne: 1}}", "{}");
        yes("{a: {$ne: 1}}", "{a: 2}");
        no("{a: {$ne: 1}}", "{a: [1, 2]}");
        no("{a: {$ne: null}}", "{}");
        yes("{a: {$ne: null}}", "{a: 0}");
        yes("{a: {$nin: [1, 2]}}", "{}");
        no("{a: {$nin: [1, 2]}}", "{a: [3, 2]}");
        yes("{a: {$nin: []}}", "{a: 1}");
    }

    @Test
    void rangeOperatorsCompareOnlyWithinTheOperandsTypeClass() {
        yes("{age: {$gt: 5}}", "{age: 6}");
        no("{age: {$gt: 5}}", "{age: 5}");
        yes("{age: {$gte: 5}}", "{age: 5.0}");
        no("{age: {$gt: 5}}", "{age: '10'}");
        no("{age: {$gt: 5}}", "{age: true}");
        no("{age: {$lt: 5}}", "{age: null}");
        no("{age: {$lt: 5}}", "{}");
        no("{name: {$gt: 'a'}}", "{name: 5}");
        yes("{name: {$gt: 'a'}}", "{name: 'b'}");
        yes("{name: {$lt: '\uFFFF'}}", "{name: '\uE000'}");
        no("{name: {$lt: '\uFFFF'}}", "{name: '\uD83D\uDE00'}"); // U+1F600 sorts after U+FFFF
        yes("{flag: {$gt: false}}", "{flag: true}");
        no("{flag: {$gt: false}}", "{flag: 1}");
        yes("{a: {$gte: {x: 1}}}", "{a: {x: 2}}");
        no("{a: {$gte: {x: 1}}}", "{a: 5}");
        yes("{a: {$lt: [2]}}", "{a: [1, 9]}");
    }

    @Test
    void rangeOperatorsMatchIfSomeArrayElementMatches() {
        yes("{scores: {$gt: 80}}", "{scores: [10, 90]}");
        yes("{scores: {$gte: 80, $lt: 85}}", "{scores: [70, 90]}"); // each operator by some element
        no("{scores: {$gt: 95}}", "{scores: [10, 90]}");
    }

    @Test
    void rangeOperatorsWithNullOperand() {
        yes("{a: {$gte: null}}", "{}");
        yes("{a: {$lte: null}}", "{a: null}");
        no("{a: {$gte: null}}", "{a: 1}");
        no("{a: {$gt: null}}", "{a: null}");
        no("{a: {$lt: null}}", "{}");
    }

    @Test
    void inMatchesAnyValue() {
        yes("{a: {$in: [1, 'x']}}", "{a: 'x'}");
        yes("{a: {$in: [1, 'x']}}", "{a: [5, 1]}");
        no("{a: {$in: []}}", "{a: 1}");
        no("{a: {$in: [2, 3]}}", "{a: 1}");
        yes("{a: {$in: [[1, 2]]}}", "{a: [1, 2]}");
        yes("{a: {$in: [{k: 1, j: 2}]}}", "{a: {j: 2, k: 1}}");
    }

    @Test
    void existsDistinguishesMissingFromNull() {
        yes("{a: {$exists: true}}", "{a: null}");
        no("{a: {$exists: true}}", "{}");
        yes("{a: {$exists: false}}", "{}");
        yes("{'a.b': {$exists: true}}", "{a: [{c: 1}, {b: 1}]}");
        yes("{'a.b': {$exists: false}}", "{a: [{c: 1}, 5]}");
        yes("{'a.b': {$exists: false}}", "{a: []}");
        no("{'a.b': {$exists: false}}", "{a: {b: []}}");
    }

    @Test
    void typeMatchesAnyCandidate() {
        yes("{a: {$type: 'array'}}", "{a: [1, 'x']}");
        yes("{a: {$type: 'string'}}", "{a: [1, 'x']}");
        no("{a: {$type: 'boolean'}}", "{a: [1, 'x']}");
        yes("{a: {$type: 'null'}}", "{a: null}");
        no("{a: {$type: 'null'}}", "{}");
        yes("{a: {$type: 'integer'}}", "{a: 3}");
        yes("{a: {$type: 'integer'}}", "{a: 3.0}");
        no("{a: {$type: 'integer'}}", "{a: 3.5}");
        yes("{a: {$type: ['boolean', 'object']}}", "{a: {}}");
    }

    @Test
    void regexFindsInStringCandidates() {
        yes("{name: {$regex: 'li'}}", "{name: 'Alice'}");
        no("{name: {$regex: '^li'}}", "{name: 'Alice'}");
        yes("{name: {$regex: '^al', $options: 'i'}}", "{name: 'Alice'}");
        yes("{name: {$regex: '^b$', $options: 'm'}}", "{name: 'a\\nb'}");
        yes("{tags: {$regex: '^r'}}", "{tags: ['blue', 'red']}");
        no("{n: {$regex: '1'}}", "{n: 1}");
        no("{n: {$not: {$regex: '1'}}}", "{n: '21'}");
        yes("{n: {$not: {$regex: '1'}}}", "{n: 1}");
    }

    @Test
    void startsWithComparesCodePoints() {
        yes("{name: {$startsWith: 'Al'}}", "{name: 'Alice'}");
        no("{name: {$startsWith: 'al'}}", "{name: 'Alice'}");
        yes("{name: {$startsWith: ''}}", "{name: 'x'}");
        no("{name: {$startsWith: ''}}", "{name: 5}");
        yes("{tags: {$startsWith: 're'}}", "{tags: ['blue', 'red']}");
        // A lone high surrogate does not prefix the pair it starts.
        no("{name: {$startsWith: '\\uD83D'}}", "{name: '\\uD83D\\uDE00'}");
    }

    @Test
    void allRequiresEveryValue() {
        yes("{tags: {$all: ['x', 'y']}}", "{tags: ['y', 'z', 'x']}");
        no("{tags: {$all: ['x', 'y']}}", "{tags: ['x', 'z']}");
        yes("{tags: {$all: ['x']}}", "{tags: 'x'}");
        no("{tags: {$all: []}}", "{tags: ['x']}");
        yes("{'items.sku': {$all: ['a', 'b']}}", "{items: [{sku: 'a'}, {sku: 'b'}]}");
    }

    @Test
    void sizeMatchesArrayLength() {
        yes("{a: {$size: 2}}", "{a: [1, [2, 3]]}");
        no("{a: {$size: 3}}", "{a: [1, [2, 3]]}");
        yes("{a: {$size: 0}}", "{a: []}");
        no("{a: {$size: 0}}", "{}");
        no("{a: {$size: 1}}", "{a: 'x'}");
    }

    @Test
    void elemMatchOnValuesRequiresOneElementToSatisfyAll() {
        no("{scores: {$elemMatch: {$gte: 80, $lt: 85}}}", "{scores: [70, 90]}");
        yes("{scores: {$elemMatch: {$gte: 80, $lt: 85}}}", "{scores: [70, 82]}");
        no("{scores: {$elemMatch: {$gte: 80}}}", "{scores: 90}");
    }

    @Test
    void elemMatchOnObjectsAppliesAFilterToEachElement() {
        String doc = "{items: [{sku: 'a', qty: 1}, {sku: 'b', qty: 5}]}";
        yes("{items: {$elemMatch: {sku: 'b', qty: {$gt: 2}}}}", doc);
        no("{items: {$elemMatch: {sku: 'a', qty: {$gt: 2}}}}", doc);
        yes("{'items.sku': 'a', 'items.qty': {$gt: 2}}", doc); // without $elemMatch, different elements
        yes("{items: {$elemMatch: {$or: [{sku: 'z'}, {qty: 5}]}}}", doc);
    }

    @Test
    void logicalOperators() {
        yes("{$and: [{a: 1}, {b: 2}]}", "{a: 1, b: 2}");
        no("{$and: [{a: 1}, {b: 2}]}", "{a: 1, b: 3}");
        yes("{$or: [{a: 1}, {b: 2}]}", "{a: 0, b: 2}");
        no("{$or: [{a: 1}, {b: 2}]}", "{a: 0, b: 0}");
        yes("{$nor: [{a: 1}, {b: 2}]}", "{a: 0}");
        no("{$nor: [{a: 1}, {b: 2}]}", "{b: 2}");
        yes("{$not: {a: 1}}", "{a: 2}");
        no("{$not: {a: 1}}", "{a: 1}");
        yes("{a: {$not: {$gt: 5}}}", "{}");
        yes("{a: {$not: {$gt: 5}}}", "{a: 5}");
        no("{a: {$not: {$gt: 5}}}", "{a: 6}");
        yes("{a: 1, b: {$gte: 1, $lt: 5}}", "{a: 1, b: 4}");
        no("{a: 1, b: {$gte: 1, $lt: 5}}", "{a: 1, b: 5}");
    }

    @Test
    void parseBuildsTheExpectedTree() {
        Filter f = Filter.parse(json("{a: 1, b: {$gt: 2, $lt: 5}}"), "/filter", QueryLimits.DEFAULTS);
        Filter.And and = (Filter.And) f;
        Filter.Field a = (Filter.Field) and.filters().get(0);
        assertTrue(a.condition() instanceof Condition.Eq);
        Filter.Field b = (Filter.Field) and.filters().get(1);
        assertTrue(
                b.condition() instanceof Condition.AllOf all && all.conditions().size() == 2);
        assertTrue(Filter.parse(json("{}"), "/filter", QueryLimits.DEFAULTS) instanceof Filter.All);
        Condition.In in = (Condition.In)
                ((Filter.Field) Filter.parse(json("{a: {$in: [3, 'x', 1, 3, null]}}"), "/filter", QueryLimits.DEFAULTS))
                        .condition();
        assertTrue(in.values().equals(java.util.List.of(json("null"), json("1"), json("3"), json("'x'"))));
    }

    @Test
    @Timeout(10)
    void regexRunsInLinearTimeOnLongStrings() {
        // A backtracking engine recurses once per repetition here and overflows the stack at 50 KB.
        String ab = "ab".repeat(25_000);
        yes("{s: {$regex: '^(a|b)*$'}}", "{s: '" + ab + "'}");
        no("{s: {$regex: '^(a|b)*$'}}", "{s: '" + ab + "c'}");
        String a = "a".repeat(50_000);
        no("{s: {$regex: '(a*)*b'}}", "{s: '" + a + "'}");
        yes("{s: {$regex: '(a*)*b'}}", "{s: '" + a + "b'}");
        no("{s: {$regex: '(.*a){20}$'}}", "{s: '" + a + "!'}");
        no("{s: {$regex: '(a+)+$'}}", "{s: '" + a + "b!'}");
    }

    @Test
    void regexThatRe2CannotRunIsRefusedNamingThePointer() {
        for (String pattern : new String[] {
            "(a)\\\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "a++", "(?>a)", "(?R)", "(?(1)a|b)", "\\\\Z"
        }) {
            QueryException e = assertThrows(
                    QueryException.class,
                    () -> Filter.parse(json("{s: {$regex: '" + pattern + "'}}"), "/filter", QueryLimits.DEFAULTS),
                    pattern);
            assertEquals("/filter/s/$regex", e.pointer(), pattern);
            assertTrue(e.getMessage().contains("RE2 syntax"), e.getMessage());
            assertTrue(e.getMessage().contains("https://github.com/google/re2/wiki/Syntax"), e.getMessage());
        }
    }

    @Test
    void regexFollowsRe2Semantics() {
        // $ is the end of the text (PCRE and java.util.regex also match before a final newline).
        no("{s: {$regex: 'b$'}}", "{s: 'ab\\n'}");
        yes("{s: {$regex: 'b$', $options: 'm'}}", "{s: 'ab\\n'}");
        // . is any character but \\n; s makes it match \\n too.
        yes("{s: {$regex: 'a.b'}}", "{s: 'a\\rb'}");
        no("{s: {$regex: 'a.b'}}", "{s: 'a\\nb'}");
        yes("{s: {$regex: 'a.b', $options: 's'}}", "{s: 'a\\nb'}");
        // i folds case by Unicode rules.
        yes("{s: {$regex: 'ÉCOLE', $options: 'i'}}", "{s: 'école'}");
        yes("{s: {$regex: '(?i)^AL'}}", "{s: 'Alice'}");
        yes("{s: {$regex: '^\\\\p{Greek}+$'}}", "{s: 'αβγ'}");
    }

    @Test
    void regexDeadlineIsCheckedInsideOneLongMatch() {
        Filter f = Filter.parse(json("{s: {$regex: '[xy]z'}}"), "/filter", QueryLimits.DEFAULTS);
        JsonNode doc = json("{s: '" + "a".repeat(200_000) + "'}");
        Deadline passed = Deadline.at(System.nanoTime() - 1);
        assertThrows(QueryTimeoutException.class, () -> f.matches(doc, passed));
        assertFalse(f.matches(doc, Deadline.none()));
    }

    @Test
    void elemMatchOperatorsApplyToTheWholeElement() {
        // Like MongoDB: an element that is an array is compared as an array, never unwound.
        no("{t: {$elemMatch: {$gte: 2}}}", "{t: [[2]]}");
        yes("{t: {$elemMatch: {$gte: 2}}}", "{t: [[2], 3]}");
        no("{t: {$elemMatch: {$eq: 2}}}", "{t: [[2]]}");
        yes("{t: {$elemMatch: {$eq: [2]}}}", "{t: [[2]]}");
        no("{t: {$elemMatch: {$in: [2, 5]}}}", "{t: [[2]]}");
        yes("{t: {$elemMatch: {$ne: 2}}}", "{t: [[2]]}");
        no("{t: {$elemMatch: {$eq: null}}}", "{t: [[null]]}");
        yes("{t: {$elemMatch: {$eq: null}}}", "{t: [1, null]}");
        no("{t: {$elemMatch: {$type: 'number'}}}", "{t: [[2]]}");
        yes("{t: {$elemMatch: {$type: 'array'}}}", "{t: [[2]]}");
        yes("{t: {$elemMatch: {$size: 1}}}", "{t: [[2]]}");
        no("{t: {$elemMatch: {$regex: 'x'}}}", "{t: [['x']]}");
        yes("{t: {$elemMatch: {$elemMatch: {$gte: 2}}}}", "{t: [[1, 2]]}");
        // Outside $elemMatch a nested array is still a candidate as a whole, and its elements are not.
        no("{t: {$gte: 2}}", "{t: [[2]]}");
        yes("{t: [2]}", "{t: [[2]]}");
    }
}

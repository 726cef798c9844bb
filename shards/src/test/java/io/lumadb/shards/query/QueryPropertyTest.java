package io.lumadb.shards.query;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.TestRocks;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.query.plan.QueryCursor;
import io.lumadb.shards.query.plan.ShardQueryExecutor;
import io.lumadb.shards.query.plan.ShardQueryResult;
import io.lumadb.shards.store.ReadView;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import io.lumadb.testkit.Property;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random documents, random filters, random sorts: the answer of every plan a shard can choose
 * (a full scan, the planner's choice, and each secondary index forced by hint), walked page by
 * page through cursors, is exactly the answer of a plain brute-force evaluator written here
 * independently of the query engine: the same documents in the same order. The documents are
 * written in three batches around a partial index build, so index maintenance by writes and the
 * background build both take part. Real RocksDB store. A failure prints the case and its seed;
 * {@code -Dproperty.seed=} that seed reruns it (see {@link Property}).
 */
class QueryPropertyTest {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final List<IndexDefinition> INDEXES = List.of(
            index("i_a", 1, "a"),
            index("i_b_desc", 2, "-b"),
            index("i_a_b", 3, "a", "-b"),
            index("i_cd", 4, "c.d"),
            index("i_tags", 5, "tags"),
            index("i_b_a", 6, "b", "a"));
    private static final String[] PATHS = {"a", "b", "c.d", "tags", "c", "_id"};
    private static final String[] SORT_PATHS = {"a", "b", "c.d", "tags", "_id"};

    private static Path dir;
    private static TestRocks rocks;
    private static ShardStores stores;
    private static final AtomicInteger TRIES = new AtomicInteger();

    private static IndexDefinition index(String name, long id, String... paths) {
        List<IndexDefinition.Field> fields = new ArrayList<>();
        for (String p : paths) {
            fields.add(new IndexDefinition.Field(p.replace("-", ""), p.startsWith("-")));
        }
        return new IndexDefinition(name, id, fields);
    }

    @BeforeAll
    static void open() throws Exception {
        dir = Files.createTempDirectory("lumadb-query-property");
        rocks = new TestRocks(dir);
        stores = rocks.stores();
    }

    @AfterAll
    static void close() throws Exception {
        rocks.close();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void everyPlanAnswersLikeTheBruteForceEvaluator() {
        Property.forAll(QueryPropertyTest::scenario).tries(150).check(QueryPropertyTest::everyPlanAnswersAlike);
    }

    private static void everyPlanAnswersAlike(Scenario scenario) throws Exception {
        String name = "p" + TRIES.incrementAndGet();
        ShardStore store = stores.open(name);
        try {
            Map<String, ObjectNode> documents = populate(store, scenario);
            List<String> hints = new ArrayList<>(List.of("scan", ""));
            INDEXES.forEach(i -> hints.add(i.name()));
            for (Query query : scenario.queries()) {
                List<String> expected = bruteForce(documents, query.filter(), query.sort());
                for (String hint : hints) {
                    List<String> actual =
                            walk(store, query.filter(), query.sort(), query.limit(), hint.isEmpty() ? null : hint);
                    assertEquals(expected, actual, "hint " + hint + ", " + query);
                }
            }
        } finally {
            store.close();
            stores.drop(name);
        }
    }

    /**
     * Found by the property above: on an array field each range condition may be met by a
     * different element, so a plan must not intersect the bounds of two conditions there.
     */
    @Test
    void rangeConditionsOnAnArrayMayBeMetByDifferentElements() throws Exception {
        String name = "multikey-range";
        ShardStore store = stores.open(name);
        try {
            store.syncIndexes(10, INDEXES);
            ObjectNode both = JSON.objectNode().put("_id", "both").put("_version", 1);
            both.putArray("a").add(3.5).add("zz").add(-0.5);
            ObjectNode neither = JSON.objectNode().put("_id", "neither").put("_version", 2);
            neither.putArray("a").add(2).add(2.5);
            ObjectNode scalar =
                    JSON.objectNode().put("_id", "scalar").put("_version", 3).put("a", 0);
            store.apply(
                    1,
                    List.of(
                            new DocumentChange("both", DocumentChange.Op.CREATED, 1, DocumentJson.bytes(both)),
                            new DocumentChange("neither", DocumentChange.Op.CREATED, 2, DocumentJson.bytes(neither)),
                            new DocumentChange("scalar", DocumentChange.Op.CREATED, 3, DocumentJson.bytes(scalar))));
            while (store.buildIndexes(10)) {
                // until every index is ready
            }
            ObjectNode filter = (ObjectNode) DocumentJson.mapper().readTree("{\"a\":{\"$lte\":1,\"$gt\":3}}");
            for (String hint : new String[] {"scan", null, "i_a", "i_a_b"}) {
                assertEquals(List.of("both"), walk(store, filter, JSON.arrayNode(), 5, hint), "hint " + hint);
            }
        } finally {
            store.close();
            stores.drop(name);
        }
    }

    /**
     * MongoDB applies the operators of {@code $elemMatch} to each element whole: an element that
     * is itself an array is compared as an array, not searched, so {@code [[2]]} has no element
     * {@code >= 2}. Every plan agrees with the evaluator (the planner never narrows on it).
     */
    @Test
    void elemMatchOperatorsDoNotLookInsideNestedArrays() throws Exception {
        String name = "elem-match-nested";
        ShardStore store = stores.open(name);
        try {
            store.syncIndexes(10, INDEXES);
            List<DocumentChange> changes = new ArrayList<>();
            String[][] docs = {{"nested", "[[2]]"}, {"flat", "[1, 2]"}, {"mixed", "[[5], 2]"}, {"scalar", "2"}};
            long version = 0;
            Map<String, ObjectNode> documents = new LinkedHashMap<>();
            for (String[] d : docs) {
                ObjectNode doc = JSON.objectNode().put("_id", d[0]).put("_version", ++version);
                doc.set("a", DocumentJson.mapper().readTree(d[1]));
                documents.put(d[0], doc);
                changes.add(new DocumentChange(d[0], DocumentChange.Op.CREATED, version, DocumentJson.bytes(doc)));
            }
            store.apply(1, changes);
            while (store.buildIndexes(10)) {
                // until every index is ready
            }
            ObjectNode filter = (ObjectNode) DocumentJson.mapper().readTree("{\"a\":{\"$elemMatch\":{\"$gte\":2}}}");
            assertEquals(List.of("flat", "mixed"), bruteForce(documents, filter, JSON.arrayNode()));
            for (String hint : new String[] {"scan", null, "i_a", "i_a_b"}) {
                assertEquals(List.of("flat", "mixed"), walk(store, filter, JSON.arrayNode(), 5, hint), "hint " + hint);
            }
        } finally {
            store.close();
            stores.drop(name);
        }
    }

    // ---- the engine

    private static List<String> walk(ShardStore store, ObjectNode filter, ArrayNode sort, int limit, String hint)
            throws java.io.IOException {
        ObjectNode body = JSON.objectNode();
        body.set("filter", filter);
        body.set("sort", sort);
        body.put("limit", limit);
        if (hint != null) {
            body.put("hint", hint);
        }
        QuerySpec spec = QuerySpec.parse(body, QueryLimits.DEFAULTS);
        List<String> ids = new ArrayList<>();
        QueryCursor after = null;
        for (int page = 0; page < 1_000; page++) {
            ShardQueryResult result;
            try (ReadView view = store.readView()) {
                result = ShardQueryExecutor.execute(
                        0, view, spec, after, Deadline.none(), Long.MAX_VALUE, QueryLimits.DEFAULTS);
            }
            for (ShardQueryResult.Row row : result.rows()) {
                ids.add(DocumentJson.mapper()
                        .readTree(row.document())
                        .get("_id")
                        .textValue());
            }
            if (result.exhausted()) {
                return ids;
            }
            ShardQueryResult.Row last = result.rows().getLast();
            after = QueryCursor.ofKey(last.key(), last.valuesLength());
        }
        throw new AssertionError("pagination does not end");
    }

    /** Writes the scenario's batches, building the indexes part way after the first. */
    private static Map<String, ObjectNode> populate(ShardStore store, Scenario scenario) {
        Map<String, ObjectNode> documents = new LinkedHashMap<>();
        long seq = 0;
        for (int batch = 0; batch < scenario.batches().size(); batch++) {
            if (batch == 1) {
                store.syncIndexes(10, INDEXES);
                store.buildIndexes(scenario.firstBuildStep());
            }
            List<DocumentChange> changes = new ArrayList<>();
            for (Write write : scenario.batches().get(batch)) {
                if (write.op() == DocumentChange.Op.DELETED) {
                    documents.remove(write.id());
                    changes.add(new DocumentChange(write.id(), write.op(), write.version(), null));
                } else {
                    documents.put(write.id(), write.document());
                    changes.add(new DocumentChange(
                            write.id(), write.op(), write.version(), DocumentJson.bytes(write.document())));
                }
            }
            store.apply(++seq, changes);
        }
        for (int step = 0;
                store.buildIndexes(
                        scenario.buildSteps().get(step % scenario.buildSteps().size()));
                step++) {
            // until every index is ready
        }
        return documents;
    }

    // ---- random cases

    /**
     * One case: three batches of writes (the indexes are declared and built part way, {@code
     * firstBuildStep} documents, after the first; the rest of the build goes in steps of {@code
     * buildSteps}, round robin), then the queries asked of every plan.
     */
    record Scenario(List<List<Write>> batches, int firstBuildStep, List<Integer> buildSteps, List<Query> queries) {
        @Override
        public String toString() {
            return "batches " + batches.stream().map(List::toString).collect(Collectors.joining("\n  ", "\n  ", ""))
                    + "\nfirst build step " + firstBuildStep + ", then steps " + buildSteps + "\nqueries "
                    + queries.stream().map(Query::toString).collect(Collectors.joining("\n  ", "\n  ", ""));
        }
    }

    /** A document written (or, {@code document == null}, deleted) at {@code version}. */
    record Write(String id, DocumentChange.Op op, long version, ObjectNode document) {
        @Override
        public String toString() {
            return op + " " + id + " v" + version + (document == null ? "" : " " + document);
        }
    }

    record Query(ObjectNode filter, ArrayNode sort, int limit) {
        @Override
        public String toString() {
            return "filter " + filter + ", sort " + sort + ", limit " + limit;
        }
    }

    private static Scenario scenario(RandomGenerator random) {
        Set<String> exists = new HashSet<>();
        List<List<Write>> batches = new ArrayList<>();
        long version = 0;
        for (int batch = 0; batch < 3; batch++) {
            List<Write> writes = new ArrayList<>();
            int n = random.nextInt(25);
            for (int i = 0; i < n; i++) {
                String id = "d" + random.nextInt(40);
                version++;
                boolean existed = exists.contains(id);
                if (existed && random.nextInt(4) == 0) {
                    exists.remove(id);
                    writes.add(new Write(id, DocumentChange.Op.DELETED, version, null));
                } else {
                    exists.add(id);
                    writes.add(new Write(
                            id,
                            existed ? DocumentChange.Op.UPDATED : DocumentChange.Op.CREATED,
                            version,
                            document(random, id, version)));
                }
            }
            batches.add(List.copyOf(writes));
        }
        int firstBuildStep = 1 + random.nextInt(5);
        List<Integer> buildSteps = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            buildSteps.add(1 + random.nextInt(5));
        }
        List<Query> queries = new ArrayList<>();
        for (int q = 0; q < 12; q++) {
            queries.add(new Query(filter(random, 0), sort(random), 1 + random.nextInt(7)));
        }
        return new Scenario(batches, firstBuildStep, buildSteps, queries);
    }

    private static ObjectNode document(RandomGenerator random, String id, long version) {
        ObjectNode doc = JSON.objectNode();
        doc.put("_id", id);
        doc.put("_version", version);
        if (random.nextInt(6) > 0) {
            doc.set("a", value(random, true));
        }
        if (random.nextInt(5) > 0) {
            doc.set("b", random.nextInt(8) == 0 ? JSON.nullNode() : JSON.textNode(string(random)));
        }
        switch (random.nextInt(6)) {
            case 0 -> {}
            case 1 -> doc.putObject("c");
            case 2 -> doc.put("c", random.nextInt(3));
            case 3 -> {
                ArrayNode c = doc.putArray("c");
                int n = 1 + random.nextInt(3);
                for (int i = 0; i < n; i++) {
                    ObjectNode element = c.addObject();
                    if (random.nextInt(4) > 0) {
                        element.set("d", value(random, false));
                    }
                }
            }
            default -> doc.putObject("c").set("d", value(random, false));
        }
        switch (random.nextInt(4)) {
            case 0 -> {}
            case 1 -> doc.put("tags", tag(random));
            default -> {
                ArrayNode tags = doc.putArray("tags");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    tags.add(tag(random));
                }
            }
        }
        return doc;
    }

    private static String string(RandomGenerator random) {
        String[] strings = {"", "a", "ab", "abc", "b", "ba", "é", "zz", "a b"};
        return strings[random.nextInt(strings.length)];
    }

    private static String tag(RandomGenerator random) {
        String[] tags = {"x", "y", "xy", "z"};
        return tags[random.nextInt(tags.length)];
    }

    /** A scalar, or (with {@code arrays}) an array of scalars or a small object. */
    private static JsonNode value(RandomGenerator random, boolean arrays) {
        int kind = random.nextInt(arrays ? 9 : 7);
        return switch (kind) {
            case 0, 1 -> JSON.numberNode(random.nextInt(7) - 3);
            case 2 -> JSON.numberNode(random.nextInt(7) - 3 + 0.5);
            case 3, 4 -> JSON.textNode(string(random));
            case 5 -> JSON.nullNode();
            case 6 -> JSON.booleanNode(random.nextBoolean());
            case 7 -> {
                ArrayNode array = JSON.arrayNode();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    if (random.nextInt(4) == 0) {
                        // A nested array: compared whole, never unwound (e.g. by $elemMatch).
                        array.addArray().add(random.nextInt(7) - 3);
                    } else {
                        array.add(value(random, false));
                    }
                }
                yield array;
            }
            default -> JSON.objectNode().put("k", random.nextInt(3));
        };
    }

    private static ObjectNode filter(RandomGenerator random, int depth) {
        ObjectNode filter = JSON.objectNode();
        int kind = random.nextInt(depth < 2 ? 10 : 7);
        switch (kind) {
            case 7, 8 -> {
                ArrayNode parts = filter.putArray(new String[] {"$and", "$or", "$nor"}[random.nextInt(3)]);
                int n = 1 + random.nextInt(3);
                for (int i = 0; i < n; i++) {
                    parts.add(filter(random, depth + 1));
                }
            }
            case 9 -> filter.set("$not", filter(random, depth + 1));
            case 0 -> {}
            default -> {
                int fields = 1 + random.nextInt(2);
                for (int i = 0; i < fields; i++) {
                    String path = PATHS[random.nextInt(PATHS.length)];
                    filter.set(path, condition(random, path));
                }
            }
        }
        return filter;
    }

    private static JsonNode operand(RandomGenerator random, String path) {
        if (path.equals("_id")) {
            return JSON.textNode("d" + random.nextInt(40));
        }
        if (path.equals("tags") && random.nextBoolean()) {
            return JSON.textNode(tag(random));
        }
        return value(random, random.nextInt(6) == 0);
    }

    private static JsonNode condition(RandomGenerator random, String path) {
        int kind = random.nextInt(12);
        if (kind == 0) {
            return operand(random, path);
        }
        if (kind <= 2 && !path.equals("_id")) {
            return JSON.objectNode().set("$elemMatch", operators(random, path));
        }
        return operators(random, path);
    }

    private static ObjectNode operators(RandomGenerator random, String path) {
        ObjectNode ops = JSON.objectNode();
        int n = 1 + random.nextInt(2);
        for (int i = 0; i < n; i++) {
            switch (random.nextInt(11)) {
                case 0 -> ops.set("$eq", operand(random, path));
                case 1 -> ops.set("$ne", operand(random, path));
                case 2 -> ops.set("$gt", operand(random, path));
                case 3 -> ops.set("$gte", operand(random, path));
                case 4 -> ops.set("$lt", operand(random, path));
                case 5 -> ops.set("$lte", operand(random, path));
                case 6, 7 -> {
                    ArrayNode values = ops.putArray(random.nextInt(3) == 0 ? "$nin" : "$in");
                    int m = random.nextInt(4);
                    for (int k = 0; k < m; k++) {
                        JsonNode v = operand(random, path);
                        values.add(v.isArray() ? JSON.numberNode(1) : v);
                    }
                }
                case 8 -> ops.put("$exists", random.nextBoolean());
                case 9 -> ops.put("$startsWith", path.equals("tags") ? "x" : string(random));
                default -> ops.put("$size", random.nextInt(3));
            }
        }
        return ops;
    }

    private static ArrayNode sort(RandomGenerator random) {
        ArrayNode sort = JSON.arrayNode();
        int n = random.nextInt(3);
        for (int i = 0; i < n; i++) {
            String path = SORT_PATHS[random.nextInt(SORT_PATHS.length)];
            boolean used = false;
            for (JsonNode k : sort) {
                used |= k.textValue().replace("-", "").equals(path);
            }
            if (!used) {
                sort.add(random.nextBoolean() ? path : "-" + path);
            }
            if (path.equals("_id")) {
                break;
            }
        }
        return sort;
    }

    // ---- the brute-force evaluator: MongoDB-like semantics, written out plainly

    private static List<String> bruteForce(Map<String, ObjectNode> documents, ObjectNode filter, ArrayNode sort) {
        List<ObjectNode> matching = new ArrayList<>();
        for (ObjectNode doc : documents.values()) {
            if (matches(doc, filter)) {
                matching.add(doc);
            }
        }
        matching.sort((x, y) -> {
            for (JsonNode key : sort) {
                boolean descending = key.textValue().startsWith("-");
                String path = descending ? key.textValue().substring(1) : key.textValue();
                int c = compare(sortValue(x, path, descending), sortValue(y, path, descending));
                if (c != 0) {
                    return descending ? -c : c;
                }
            }
            return x.get("_id").textValue().compareTo(y.get("_id").textValue());
        });
        return matching.stream().map(d -> d.get("_id").textValue()).toList();
    }

    private static boolean matches(JsonNode doc, JsonNode filter) {
        Iterator<Map.Entry<String, JsonNode>> fields = filter.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = field.getKey();
            JsonNode arg = field.getValue();
            boolean ok =
                    switch (key) {
                        case "$and" -> all(doc, arg);
                        case "$or" -> any(doc, arg);
                        case "$nor" -> !any(doc, arg);
                        case "$not" -> !matches(doc, arg);
                        default -> fieldMatches(doc, key, arg);
                    };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean all(JsonNode doc, JsonNode filters) {
        for (JsonNode f : filters) {
            if (!matches(doc, f)) {
                return false;
            }
        }
        return true;
    }

    private static boolean any(JsonNode doc, JsonNode filters) {
        for (JsonNode f : filters) {
            if (matches(doc, f)) {
                return true;
            }
        }
        return false;
    }

    private static boolean fieldMatches(JsonNode doc, String path, JsonNode condition) {
        boolean operators = condition.isObject()
                && condition.size() > 0
                && condition.fieldNames().next().startsWith("$");
        if (!operators) {
            return equalsSome(doc, path, condition);
        }
        Iterator<Map.Entry<String, JsonNode>> ops = condition.fields();
        while (ops.hasNext()) {
            Map.Entry<String, JsonNode> op = ops.next();
            JsonNode v = op.getValue();
            boolean ok =
                    switch (op.getKey()) {
                        case "$eq" -> equalsSome(doc, path, v);
                        case "$ne" -> !equalsSome(doc, path, v);
                        case "$gt" -> compares(doc, path, v, c -> c > 0, false);
                        case "$gte" -> compares(doc, path, v, c -> c >= 0, true);
                        case "$lt" -> compares(doc, path, v, c -> c < 0, false);
                        case "$lte" -> compares(doc, path, v, c -> c <= 0, true);
                        case "$in" -> in(doc, path, v);
                        case "$nin" -> !in(doc, path, v);
                        case "$exists" ->
                            v.booleanValue() == !reached(doc, path).isEmpty();
                        case "$startsWith" ->
                            candidates(doc, path).stream()
                                    .anyMatch(
                                            c -> c.isTextual() && c.textValue().startsWith(v.textValue()));
                        case "$size" ->
                            reached(doc, path).stream().anyMatch(c -> c.isArray() && c.size() == v.intValue());
                        case "$elemMatch" ->
                            reached(doc, path).stream()
                                    .filter(JsonNode::isArray)
                                    .anyMatch(array -> anyElementSatisfiesAll(array, v));
                        default -> throw new AssertionError("not generated: " + op.getKey());
                    };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * MongoDB's {@code $elemMatch} on values: one element satisfies every operator, each applied to
     * the element as one value (an element that is an array is compared as an array).
     */
    private static boolean anyElementSatisfiesAll(JsonNode array, JsonNode ops) {
        for (JsonNode e : array) {
            boolean all = true;
            Iterator<Map.Entry<String, JsonNode>> it = ops.fields();
            while (all && it.hasNext()) {
                Map.Entry<String, JsonNode> op = it.next();
                all = elementSatisfies(e, op.getKey(), op.getValue());
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static boolean elementSatisfies(JsonNode e, String op, JsonNode v) {
        return switch (op) {
            case "$eq" -> compare(e, v) == 0;
            case "$ne" -> compare(e, v) != 0;
            case "$gt" -> typeClass(e) == typeClass(v) && !v.isNull() && compare(e, v) > 0;
            case "$gte" -> typeClass(e) == typeClass(v) && compare(e, v) >= 0;
            case "$lt" -> typeClass(e) == typeClass(v) && !v.isNull() && compare(e, v) < 0;
            case "$lte" -> typeClass(e) == typeClass(v) && compare(e, v) <= 0;
            case "$in", "$nin" -> {
                boolean in = false;
                for (JsonNode x : v) {
                    in |= compare(e, x) == 0;
                }
                yield op.equals("$in") == in;
            }
            case "$exists" -> v.booleanValue();
            case "$startsWith" -> e.isTextual() && e.textValue().startsWith(v.textValue());
            case "$size" -> e.isArray() && e.size() == v.intValue();
            default -> throw new AssertionError("not generated: " + op);
        };
    }

    private static boolean in(JsonNode doc, String path, JsonNode values) {
        for (JsonNode v : values) {
            if (equalsSome(doc, path, v)) {
                return true;
            }
        }
        return false;
    }

    private static boolean equalsSome(JsonNode doc, String path, JsonNode v) {
        if (v.isNull() && (reached(doc, path).isEmpty() || lacksOnSomeBranch(doc, path))) {
            return true;
        }
        return candidates(doc, path).stream().anyMatch(c -> compare(c, v) == 0);
    }

    private static boolean compares(
            JsonNode doc, String path, JsonNode v, java.util.function.IntPredicate test, boolean orEqualNull) {
        if (v.isNull()) {
            return orEqualNull && equalsSome(doc, path, v);
        }
        return candidates(doc, path).stream().anyMatch(c -> typeClass(c) == typeClass(v) && test.test(compare(c, v)));
    }

    /** The values a path reaches: arrays along the way apply the rest of the path to their objects. */
    private static List<JsonNode> reached(JsonNode doc, String path) {
        List<JsonNode> out = new ArrayList<>();
        reach(doc, path.split("\\."), 0, out);
        return out;
    }

    private static void reach(JsonNode node, String[] segments, int i, List<JsonNode> out) {
        if (i == segments.length) {
            out.add(node);
            return;
        }
        if (node.isObject()) {
            JsonNode child = node.get(segments[i]);
            if (child != null) {
                reach(child, segments, i + 1, out);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                if (element.isObject()) {
                    reach(element, segments, i, out);
                }
            }
        }
    }

    /** Whether some object met along the path lacks the next field. */
    private static boolean lacksOnSomeBranch(JsonNode node, String path) {
        return lacks(node, path.split("\\."), 0);
    }

    private static boolean lacks(JsonNode node, String[] segments, int i) {
        if (i == segments.length) {
            return false;
        }
        if (node.isObject()) {
            JsonNode child = node.get(segments[i]);
            return child == null || lacks(child, segments, i + 1);
        }
        if (node.isArray()) {
            for (JsonNode element : node) {
                if (element.isObject() && lacks(element, segments, i)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Reached values, and for arrays also their elements. */
    private static List<JsonNode> candidates(JsonNode doc, String path) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode v : reached(doc, path)) {
            out.add(v);
            if (v.isArray()) {
                v.forEach(out::add);
            }
        }
        return out;
    }

    /**
     * Ascending: the least, descending: the greatest element-wise value, nested arrays left out;
     * missing or empty sorts as null, and so does a value with nothing else to sort by.
     */
    private static JsonNode sortValue(JsonNode doc, String path, boolean descending) {
        List<JsonNode> values = new ArrayList<>();
        for (JsonNode v : reached(doc, path)) {
            if (v.isArray()) {
                v.forEach(e -> {
                    if (!e.isArray()) {
                        values.add(e);
                    }
                });
                if (v.isEmpty()) {
                    values.add(JSON.nullNode());
                }
            } else {
                values.add(v);
            }
        }
        if (values.isEmpty() || lacksOnSomeBranch(doc, path)) {
            values.add(JSON.nullNode());
        }
        JsonNode best = values.getFirst();
        for (JsonNode v : values) {
            int c = compare(v, best);
            if (descending ? c > 0 : c < 0) {
                best = v;
            }
        }
        return best;
    }

    private static int typeClass(JsonNode v) {
        if (v.isNull()) {
            return 0;
        }
        if (v.isNumber()) {
            return 1;
        }
        if (v.isTextual()) {
            return 2;
        }
        if (v.isObject()) {
            return 3;
        }
        if (v.isArray()) {
            return 4;
        }
        return 5;
    }

    /** null < numbers < strings < objects < arrays < false < true. */
    private static int compare(JsonNode x, JsonNode y) {
        int tx = typeClass(x) * 2 + (x.isBoolean() && x.booleanValue() ? 1 : 0);
        int ty = typeClass(y) * 2 + (y.isBoolean() && y.booleanValue() ? 1 : 0);
        if (tx != ty) {
            return Integer.compare(tx, ty);
        }
        if (x.isNumber()) {
            return Double.compare(x.doubleValue() + 0.0, y.doubleValue() + 0.0);
        }
        if (x.isTextual()) {
            return java.util.Arrays.compareUnsigned(
                    x.textValue().getBytes(StandardCharsets.UTF_8),
                    y.textValue().getBytes(StandardCharsets.UTF_8));
        }
        if (x.isArray()) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                int c = compare(x.get(i), y.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        if (x.isObject()) {
            // Field by field in key order: key, then value; fewer fields first.
            List<String> xs = new ArrayList<>();
            x.fieldNames().forEachRemaining(xs::add);
            List<String> ys = new ArrayList<>();
            y.fieldNames().forEachRemaining(ys::add);
            java.util.Collections.sort(xs);
            java.util.Collections.sort(ys);
            for (int i = 0; i < Math.min(xs.size(), ys.size()); i++) {
                int c = compare(JSON.textNode(xs.get(i)), JSON.textNode(ys.get(i)));
                if (c == 0) {
                    c = compare(x.get(xs.get(i)), y.get(ys.get(i)));
                }
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(xs.size(), ys.size());
        }
        return 0;
    }
}

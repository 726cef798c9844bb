package io.lumadb.timeseries.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.Seeded;
import io.lumadb.timeseries.SeriesKey;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.TimeSeriesStore;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every query mode, run over three real RocksDB stores (a collection's shards) and merged, against
 * a brute-force evaluation over the points written: random series with and without some tags,
 * fields of every type (a field that is a float in some series and an integer in others, unsigned
 * integers above 2^63, rare NaNs), points out of order, late into sealed blocks and duplicated,
 * some stores flushed and some with open blocks; random ranges, windows, groupBy, tag and field
 * conditions, aggregates and fills.
 */
class TsQueryPropertyTest {
    static final long S = TimeUnit.SECONDS.toNanos(1);
    static final long MIN = 60 * S;
    static final long HOUR = 60 * MIN;
    /** 2026-12-01T00:00:00Z. */
    static final long T0 = 1_796_083_200L * S;

    static final TimeSeriesSettings SETTINGS = new TimeSeriesSettings(HOUR, 10 * MIN);
    static final String[] HOSTS = {"h0", "h1", "h2", "h3", "h4"};
    static final String[] TAG_KEYS = {"host", "region", "os"};
    static final String[] FIELDS = {"v", "f", "u", "s", "b"};
    static final String[] AGGREGATES = {
        "mean", "sum", "min", "max", "count", "first", "last", "p50", "p95", "p99.9", "p0", "p100", "median"
    };
    static final String[] WINDOWS = {"1m", "7m", "15m", "1h", "2h", "90m", "1d"};

    @Test
    void aggregatesEqualBruteForce() {
        int[] headerQueries = {0};
        Seeded.run("aggregates over 3 shards", rnd -> {
            for (int dataset = 0; dataset < 3; dataset++) {
                withData(rnd, (data, shards) -> {
                    for (int i = 0; i < 120; i++) {
                        Spec spec = randomSpec(rnd, data, "aggregate");
                        TsQuery q = check(spec, data, shards);
                        if (TsQueryShard.usesHeaders(q)) {
                            headerQueries[0]++;
                        }
                    }
                });
            }
        });
        assertTrue(headerQueries[0] > 0, "no random query took the block-header path");
    }

    @Test
    void rawRowsEqualBruteForce() {
        Seeded.run("raw rows over 3 shards", rnd -> {
            for (int dataset = 0; dataset < 2; dataset++) {
                withData(rnd, (data, shards) -> {
                    for (int i = 0; i < 80; i++) {
                        check(randomSpec(rnd, data, "raw"), data, shards);
                    }
                });
            }
        });
    }

    @Test
    void lastRowsEqualBruteForce() {
        Seeded.run("last rows over 3 shards", rnd -> {
            for (int dataset = 0; dataset < 2; dataset++) {
                withData(rnd, (data, shards) -> {
                    for (int i = 0; i < 80; i++) {
                        check(randomSpec(rnd, data, "last"), data, shards);
                    }
                });
            }
        });
    }

    /** The header path and the scan path (forced by a filter every row with the field passes) agree. */
    @Test
    void headerPathAgreesWithScan() {
        Seeded.run(
                "header path against scan",
                rnd -> withData(rnd, (data, shards) -> {
                    for (int i = 0; i < 40; i++) {
                        Spec spec = randomSpec(rnd, data, "aggregate");
                        spec.filter.clear();
                        spec.fields = new ArrayList<>(List.of("f"));
                        spec.aggregates = new ArrayList<>(List.of("count", "sum", "min", "max", "mean"));
                        int hours = rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(3);
                        spec.window = hours * HOUR;
                        spec.windowText = hours + "h";
                        if (spec.to - spec.from < HOUR) {
                            spec.to = spec.from + HOUR; // without a window, the range is the window
                        }
                        if (spec.window == 0) {
                            spec.fill = "none";
                        }
                        TsQuery headers = TsQuery.parse(spec.json(rnd), 0);
                        assertTrue(TsQueryShard.usesHeaders(headers), headers.toString());
                        spec.filter.add(new FieldCond("f", "$gte", List.of(new BigDecimal("-1e300"))));
                        TsQuery scan = TsQuery.parse(spec.json(rnd), 0);
                        assertTrue(!TsQueryShard.usesHeaders(scan));
                        assertJson(run(scan, shards), run(headers, shards), "", headers.toString());
                    }
                }));
    }

    // ------------------------------------------------------------------ data

    /** The points written, as the store must have merged them: series → time → fields. */
    static final class Data {
        final Map<String, SeriesKey> series = new TreeMap<>();
        final Map<String, TreeMap<Long, Map<String, FieldValue>>> rows = new HashMap<>();
        long minTime = Long.MAX_VALUE;
        long maxTime = Long.MIN_VALUE;
    }

    interface Body {
        void run(Data data, ShardedStores shards);
    }

    static void withData(Random rnd, Body body) {
        withData(rnd, List.of(), body);
    }

    /** Like {@link #withData(Random, Body)}, the stores downsampling with {@code rules} as they go. */
    static void withData(Random rnd, List<io.lumadb.timeseries.store.DownsamplingRule> rules, Body body) {
        Data data = new Data();
        try (ShardedStores shards = new ShardedStores(3, SETTINGS).downsampling(rules, rnd)) {
            List<SeriesKey> keys = new ArrayList<>();
            for (String m : List.of("cpu", "mem")) {
                for (int h = 0; h < HOSTS.length; h++) {
                    List<Point.Tag> tags = new ArrayList<>();
                    tags.add(new Point.Tag("host", HOSTS[h]));
                    if (h != 4) {
                        tags.add(new Point.Tag("region", h % 2 == 0 ? "eu" : "us"));
                    }
                    if (h % 3 == 0) {
                        tags.add(new Point.Tag("os", "linux"));
                    } else if (h == 1) {
                        tags.add(new Point.Tag("os", "bsd"));
                    }
                    keys.add(new SeriesKey(m, tags));
                }
            }
            long now = T0;
            List<Long> used = new ArrayList<>();
            int batches = 30 + rnd.nextInt(30);
            for (int b = 0; b < batches; b++) {
                now += (1 + rnd.nextInt(20)) * MIN;
                List<Point> batch = new ArrayList<>();
                int n = 1 + rnd.nextInt(40);
                for (int i = 0; i < n; i++) {
                    SeriesKey key = keys.get(rnd.nextInt(keys.size()));
                    long t;
                    int shape = rnd.nextInt(100);
                    if (shape < 10 && !used.isEmpty()) {
                        t = used.get(rnd.nextInt(used.size()));
                    } else if (shape < 20) {
                        t = now - (1 + rnd.nextInt(4 * 3600)) * S;
                    } else {
                        t = now + (rnd.nextInt(1200) - 900) * S + (rnd.nextInt(4) == 0 ? rnd.nextInt(1000) * 1000L : 0);
                    }
                    used.add(t);
                    Map<String, FieldValue> fields = randomFields(rnd, key);
                    Point p = new Point(key.measurement(), key.tags(), fields, t);
                    batch.add(p);
                    String c = key.canonical();
                    data.series.put(c, key);
                    data.rows
                            .computeIfAbsent(c, x -> new TreeMap<>())
                            .computeIfAbsent(t, x -> new HashMap<>())
                            .putAll(fields);
                    data.minTime = Math.min(data.minTime, t);
                    data.maxTime = Math.max(data.maxTime, t);
                }
                shards.write(batch);
            }
            for (TimeSeriesStore s : shards.stores) {
                if (rnd.nextBoolean()) {
                    s.flush();
                }
            }
            shards.catchUp();
            body.run(data, shards);
        } catch (java.io.IOException | org.rocksdb.RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, FieldValue> randomFields(Random rnd, SeriesKey key) {
        Map<String, FieldValue> f = new HashMap<>();
        while (f.isEmpty()) {
            if (rnd.nextInt(3) > 0) {
                // "v" is a float in some series and an integer in others (a series' field keeps its type).
                f.put(
                        "v",
                        Math.floorMod(key.canonical().hashCode(), 2) == 0
                                ? new FieldValue.FloatValue(rnd.nextInt(2000) / 10.0 - 50)
                                : new FieldValue.IntegerValue(rnd.nextInt(200) - 50));
            }
            if (rnd.nextInt(3) > 0) {
                f.put("f", new FieldValue.FloatValue(rnd.nextInt(50) == 0 ? Double.NaN : rnd.nextInt(1000) / 10.0));
            }
            if (rnd.nextInt(4) == 0) {
                long u = rnd.nextInt(3) == 0 ? Long.MIN_VALUE + rnd.nextInt(1000) : rnd.nextInt(100);
                f.put("u", new FieldValue.UnsignedValue(u));
            }
            if (rnd.nextInt(4) == 0) {
                f.put(
                        "s",
                        new FieldValue.StringValue(List.of("ok", "warn", "err").get(rnd.nextInt(3))));
            }
            if (rnd.nextInt(4) == 0) {
                f.put("b", new FieldValue.BooleanValue(rnd.nextBoolean()));
            }
        }
        return f;
    }

    // ------------------------------------------------------------------ queries

    record TagCond(String key, String op, List<String> values) {}

    record FieldCond(String field, String op, List<Object> operands) {}

    /** A random query, which the brute force reads directly and {@link #json} writes as a request. */
    static final class Spec {
        String mode;
        String measurement;
        long from;
        long to;
        List<TagCond> tags = new ArrayList<>();
        List<FieldCond> filter = new ArrayList<>();
        List<String> fields;
        List<String> groupBy = List.of();
        boolean star;
        long window;
        String windowText;
        List<String> aggregates = new ArrayList<>();
        String fill = "none";
        double constant;
        int limit = TsQuery.MAX_LIMIT;

        ObjectNode json(Random rnd) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            if (measurement != null) {
                o.put("measurement", measurement);
            }
            putTime(o, "from", from, rnd);
            putTime(o, "to", to, rnd);
            if (!tags.isEmpty()) {
                ObjectNode t = o.putObject("tags");
                for (TagCond c : tags) {
                    ObjectNode ops = t.has(c.key) ? (ObjectNode) t.get(c.key) : t.putObject(c.key);
                    switch (c.op) {
                        case "$in", "$nin" -> c.values.forEach(ops.putArray(c.op)::add);
                        case "$exists" -> ops.put("$exists", true);
                        case "$absent" -> ops.put("$exists", false);
                        default -> ops.put(c.op, c.values.getFirst());
                    }
                }
            }
            if (!filter.isEmpty()) {
                ObjectNode f = o.putObject("filter");
                for (FieldCond c : filter) {
                    ObjectNode ops = f.has(c.field) ? (ObjectNode) f.get(c.field) : f.putObject(c.field);
                    if (c.op.equals("$in")) {
                        ArrayNode a = ops.putArray("$in");
                        c.operands.forEach(v -> a.add(operand(v)));
                    } else {
                        ops.set(c.op, operand(c.operands.getFirst()));
                    }
                }
            }
            if (fields != null) {
                fields.forEach(o.putArray("fields")::add);
            }
            if (star) {
                if (rnd.nextBoolean()) {
                    o.put("groupBy", "*");
                } else {
                    o.putArray("groupBy").add("*");
                }
            } else if (!groupBy.isEmpty()) {
                groupBy.forEach(o.putArray("groupBy")::add);
            }
            if (window != 0) {
                o.put("window", windowText);
            }
            if (!aggregates.isEmpty()) {
                aggregates.forEach(o.putArray("aggregates")::add);
            }
            if (!fill.equals("none") || (window != 0 && rnd.nextBoolean())) {
                if (fill.equals("constant")) {
                    o.put("fill", constant);
                } else {
                    o.put("fill", fill);
                }
            }
            if (mode.equals("last")) {
                o.put("last", true);
            }
            if (limit != TsQuery.MAX_LIMIT) {
                o.put("limit", limit);
            }
            return o;
        }
    }

    static JsonNode operand(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (v) {
            case BigDecimal d -> f.numberNode(d);
            case String s -> f.textNode(s);
            case Boolean b -> f.booleanNode(b);
            default -> throw new IllegalArgumentException(String.valueOf(v));
        };
    }

    /** A time as RFC 3339 with a random offset, or as an integer in a precision that holds it exactly. */
    static void putTime(ObjectNode o, String name, long t, Random rnd) {
        if (rnd.nextBoolean()) {
            int offsetMinutes = (rnd.nextInt(25) - 12) * 60 + (rnd.nextInt(4) == 0 ? 30 : 0);
            ZoneOffset z = ZoneOffset.ofTotalSeconds(offsetMinutes * 60);
            Instant i = Instant.ofEpochSecond(Math.floorDiv(t, S), Math.floorMod(t, S));
            o.put(name, DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(i.atOffset(z)));
        } else if (o.has("precision")) {
            // "from" chose seconds: "to" is in seconds too, or RFC 3339 when it is not whole.
            if (t % S == 0) {
                o.put(name, t / S);
            } else {
                o.put(
                        name,
                        Instant.ofEpochSecond(Math.floorDiv(t, S), Math.floorMod(t, S))
                                .toString());
            }
        } else if (name.equals("from") && t % S == 0 && rnd.nextBoolean()) {
            o.put("precision", "s");
            o.put(name, t / S);
        } else {
            o.put(name, t);
        }
    }

    static Spec randomSpec(Random rnd, Data data, String mode) {
        Spec s = new Spec();
        s.mode = mode;
        s.measurement = switch (rnd.nextInt(3)) {
            case 0 -> null;
            case 1 -> "cpu";
            default -> "mem";
        };
        long span = data.maxTime - data.minTime + 2 * HOUR;
        s.from = data.minTime - HOUR + (long) (rnd.nextDouble() * span * 0.7);
        if (rnd.nextBoolean()) {
            s.from -= Math.floorMod(s.from, MIN); // on a minute now and then
        }
        s.to = s.from + 1 + (long) (rnd.nextDouble() * (data.maxTime + HOUR - s.from));
        int nTags = rnd.nextInt(3);
        for (int i = 0; i < nTags; i++) {
            String key = TAG_KEYS[rnd.nextInt(TAG_KEYS.length)];
            List<String> domain =
                    switch (key) {
                        case "host" -> List.of("h0", "h1", "h2", "h3", "h4", "h9");
                        case "region" -> List.of("eu", "us", "ap");
                        default -> List.of("linux", "bsd", "win");
                    };
            String op =
                    List.of("$eq", "$ne", "$in", "$nin", "$exists", "$absent").get(rnd.nextInt(6));
            List<String> values = new ArrayList<>();
            int nv = op.equals("$in") || op.equals("$nin")
                    ? 1 + rnd.nextInt(3)
                    : op.startsWith("$e") || op.equals("$ne") ? 1 : 0;
            if (op.equals("$exists") || op.equals("$absent")) {
                nv = 0;
            }
            for (int j = 0; j < nv; j++) {
                values.add(domain.get(rnd.nextInt(domain.size())));
            }
            if (s.tags.stream().anyMatch(c -> c.key.equals(key) && c.op.equals(op))
                    || (op.equals("$absent") || op.equals("$exists"))
                            && s.tags.stream()
                                    .anyMatch(c -> c.key.equals(key) && c.op.startsWith("$e") && !c.op.equals("$eq"))) {
                continue;
            }
            if ((op.equals("$exists") && s.tags.stream().anyMatch(c -> c.key.equals(key) && c.op.equals("$absent")))
                    || (op.equals("$absent")
                            && s.tags.stream().anyMatch(c -> c.key.equals(key) && c.op.equals("$exists")))) {
                continue;
            }
            s.tags.add(new TagCond(key, op, values));
        }
        if (rnd.nextInt(3) == 0) {
            int nf = 1 + rnd.nextInt(2);
            for (int i = 0; i < nf; i++) {
                FieldCond c = randomFieldCond(rnd);
                if (s.filter.stream().noneMatch(x -> x.field.equals(c.field) && x.op.equals(c.op))) {
                    s.filter.add(c);
                }
            }
        }
        if (rnd.nextInt(3) > 0) {
            List<String> f = new ArrayList<>(List.of(FIELDS));
            java.util.Collections.shuffle(f, rnd);
            s.fields = new ArrayList<>(f.subList(0, 1 + rnd.nextInt(3)));
            if (mode.equals("aggregate") && rnd.nextBoolean()) {
                s.fields.removeIf(x -> x.equals("s") || x.equals("b"));
                if (s.fields.isEmpty()) {
                    s.fields.add("f");
                }
            }
        }
        switch (rnd.nextInt(4)) {
            case 0 -> s.star = true;
            case 1 -> {
                List<String> g = new ArrayList<>(List.of(TAG_KEYS));
                java.util.Collections.shuffle(g, rnd);
                s.groupBy = new ArrayList<>(g.subList(0, 1 + rnd.nextInt(2)));
            }
            default -> {}
        }
        if (mode.equals("aggregate")) {
            int na = 1 + rnd.nextInt(5);
            while (s.aggregates.size() < na) {
                String a = AGGREGATES[rnd.nextInt(AGGREGATES.length)];
                if (!s.aggregates.contains(a)) {
                    s.aggregates.add(a);
                }
            }
            if (rnd.nextInt(4) == 0) {
                s.aggregates = new ArrayList<>(
                        List.of("count", "sum", "min", "max", "mean").subList(0, 1 + rnd.nextInt(5)));
            }
            if (rnd.nextInt(4) > 0) {
                s.windowText = WINDOWS[rnd.nextInt(WINDOWS.length)];
                s.window = io.lumadb.timeseries.WindowAggregator.parseDuration(s.windowText);
                s.fill = List.of("none", "null", "previous", "linear", "constant")
                        .get(rnd.nextInt(5));
                s.constant = rnd.nextInt(10) - 3.5;
            }
        } else if (rnd.nextBoolean()) {
            s.limit = 1 + rnd.nextInt(mode.equals("last") ? 8 : 60);
        }
        return s;
    }

    static FieldCond randomFieldCond(Random rnd) {
        String field = FIELDS[rnd.nextInt(FIELDS.length)];
        String op = List.of("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in").get(rnd.nextInt(7));
        boolean ordered = !op.equals("$eq") && !op.equals("$ne") && !op.equals("$in");
        int n = op.equals("$in") ? 1 + rnd.nextInt(3) : 1;
        List<Object> operands = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object o =
                    switch (field) {
                        case "s" -> List.of("ok", "warn", "err", "zz").get(rnd.nextInt(4));
                        case "b" -> ordered ? "x" : (Object) rnd.nextBoolean();
                        case "u" ->
                            rnd.nextBoolean()
                                    ? BigDecimal.valueOf(rnd.nextInt(100))
                                    : new BigDecimal("9223372036854775900");
                        default ->
                            rnd.nextBoolean()
                                    ? BigDecimal.valueOf(rnd.nextInt(150) - 50)
                                    : new BigDecimal(rnd.nextInt(1000) / 10.0 + "");
                    };
            if (rnd.nextInt(10) == 0 && !ordered) {
                o = "ok"; // a string against any field: unequal but for "s"
            }
            operands.add(o);
        }
        return new FieldCond(field, op, operands);
    }

    // ------------------------------------------------------------------ running and checking

    static ObjectNode run(TsQuery q, ShardedStores shards) {
        // The HTTP node sends the canonical text; each shard parses it again.
        TsQuery atShard = TsQuery.parse(q.json(), 0);
        assertEquals(q, atShard, "the canonical text parses back to the same query");
        List<byte[]> partials = new ArrayList<>();
        for (TimeSeriesStore s : shards.stores) {
            partials.add(TsQueryShard.run(s, atShard));
        }
        return TsQueryMerge.merge(q, partials);
    }

    static TsQuery check(Spec spec, Data data, ShardedStores shards) {
        Random r = new Random(spec.from);
        ObjectNode request = spec.json(r);
        TsQuery q;
        try {
            q = TsQuery.parse(request, data.maxTime + HOUR);
        } catch (TsQueryException e) {
            throw new AssertionError(
                    "a valid request was refused: " + request + ": " + e.pointer() + " " + e.getMessage());
        }
        ObjectNode actual = run(q, shards);
        ObjectNode expected = BruteForce.answer(spec, data);
        assertJson(expected, actual, "", request.toString());
        return q;
    }

    static void assertJson(JsonNode expected, JsonNode actual, String path, String request) {
        String where = path + " of " + request + "\nexpected " + expected + "\nactual   " + actual;
        if (expected.isNumber() && actual.isNumber()) {
            if (expected.isIntegralNumber() && actual.isIntegralNumber()) {
                assertEquals(expected.bigIntegerValue(), actual.bigIntegerValue(), where);
            } else {
                double e = expected.doubleValue();
                double a = actual.doubleValue();
                assertTrue(expected.isIntegralNumber() == actual.isIntegralNumber(), "number types differ at " + where);
                assertTrue(Math.abs(e - a) <= 1e-9 * Math.max(1, Math.max(Math.abs(e), Math.abs(a))), where);
            }
            return;
        }
        assertEquals(expected.getNodeType(), actual.getNodeType(), where);
        if (expected.isObject()) {
            assertEquals(
                    new TreeSet<>(iterable(expected.fieldNames())),
                    new TreeSet<>(iterable(actual.fieldNames())),
                    where);
            for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                assertJson(expected.get(k), actual.get(k), path + "/" + k, request);
            }
        } else if (expected.isArray()) {
            if (expected.size() != actual.size()) {
                fail("array sizes differ at " + where);
            }
            for (int i = 0; i < expected.size(); i++) {
                assertJson(expected.get(i), actual.get(i), path + "/" + i, request);
            }
        } else {
            assertEquals(expected, actual, where);
        }
    }

    static List<String> iterable(Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    /** The answers computed the slow, obvious way from the points written. */
    static final class BruteForce {
        record Obs(long time, String series, FieldValue value) {}

        record Group(List<String> sortKey, ObjectNode json) {}

        static ObjectNode answer(Spec s, Data data) {
            return s.mode.equals("aggregate") ? aggregates(s, data) : rows(s, data);
        }

        static boolean seriesMatches(Spec s, SeriesKey k) {
            if (s.measurement != null && !s.measurement.equals(k.measurement())) {
                return false;
            }
            Map<String, String> tags = new HashMap<>();
            k.tags().forEach(t -> tags.put(t.key(), t.value()));
            for (TagCond c : s.tags) {
                String v = tags.get(c.key);
                boolean ok =
                        switch (c.op) {
                            case "$eq" -> c.values.getFirst().equals(v);
                            case "$ne" -> !c.values.getFirst().equals(v);
                            case "$in" -> c.values.contains(v);
                            case "$nin" -> !c.values.contains(v);
                            case "$exists" -> v != null;
                            default -> v == null;
                        };
                if (!ok) {
                    return false;
                }
            }
            return true;
        }

        static boolean rowMatches(Spec s, Map<String, FieldValue> fields) {
            for (FieldCond c : s.filter) {
                FieldValue v = fields.get(c.field);
                if (v == null || (v instanceof FieldValue.FloatValue f && Double.isNaN(f.value()))) {
                    return false;
                }
                boolean ok =
                        switch (c.op) {
                            case "$eq" -> equal(v, c.operands.getFirst());
                            case "$ne" -> !equal(v, c.operands.getFirst());
                            case "$in" -> c.operands.stream().anyMatch(o -> equal(v, o));
                            default -> {
                                Integer cmp = compare(v, c.operands.getFirst());
                                yield cmp != null
                                        && switch (c.op) {
                                            case "$gt" -> cmp > 0;
                                            case "$gte" -> cmp >= 0;
                                            case "$lt" -> cmp < 0;
                                            default -> cmp <= 0;
                                        };
                            }
                        };
                if (!ok) {
                    return false;
                }
            }
            return true;
        }

        static boolean equal(FieldValue v, Object o) {
            Integer c = compare(v, o);
            if (o instanceof Boolean b) {
                return v instanceof FieldValue.BooleanValue bv && bv.value() == b;
            }
            return c != null && c == 0;
        }

        static Integer compare(FieldValue v, Object o) {
            if (o instanceof BigDecimal d) {
                return switch (v) {
                    case FieldValue.FloatValue f -> Double.compare(f.value(), d.doubleValue());
                    case FieldValue.IntegerValue i -> new BigDecimal(i.value()).compareTo(d);
                    case FieldValue.UnsignedValue u -> new BigDecimal(Long.toUnsignedString(u.value())).compareTo(d);
                    default -> null;
                };
            }
            if (o instanceof String str && v instanceof FieldValue.StringValue sv) {
                return Integer.signum(sv.value().compareTo(str));
            }
            return null;
        }

        static double number(FieldValue v) {
            return switch (v) {
                case FieldValue.FloatValue f -> f.value();
                case FieldValue.IntegerValue i -> (double) i.value();
                case FieldValue.UnsignedValue u -> new BigDecimal(Long.toUnsignedString(u.value())).doubleValue();
                default -> throw new IllegalArgumentException();
            };
        }

        static JsonNode json(FieldValue v) {
            JsonNodeFactory f = JsonNodeFactory.instance;
            return switch (v) {
                case FieldValue.FloatValue d -> Double.isFinite(d.value()) ? f.numberNode(d.value()) : f.nullNode();
                case FieldValue.IntegerValue i -> f.numberNode(i.value());
                case FieldValue.UnsignedValue u ->
                    f.numberNode(new java.math.BigInteger(Long.toUnsignedString(u.value())));
                case FieldValue.BooleanValue b -> f.booleanNode(b.value());
                case FieldValue.StringValue t -> f.textNode(t.value());
            };
        }

        static JsonNode num(double d) {
            return Double.isFinite(d) ? JsonNodeFactory.instance.numberNode(d) : JsonNodeFactory.instance.nullNode();
        }

        /** The group of a series: its sort key and its JSON (without rows). */
        static Group group(Spec s, SeriesKey k) {
            ObjectNode g = JsonNodeFactory.instance.objectNode();
            List<String> sortKey = new ArrayList<>();
            if (s.star) {
                g.put("measurement", k.measurement());
                ObjectNode t = g.putObject("tags");
                k.tags().forEach(x -> t.put(x.key(), x.value()));
                sortKey.add(k.canonical());
            } else {
                ObjectNode t = g.putObject("tags");
                for (String key : s.groupBy) {
                    String v = k.tags().stream()
                            .filter(x -> x.key().equals(key))
                            .map(Point.Tag::value)
                            .findFirst()
                            .orElse(null);
                    sortKey.add(v);
                    if (v != null) {
                        t.put(key, v);
                    }
                }
            }
            return new Group(sortKey, g);
        }

        static final Comparator<List<String>> KEY_ORDER = (a, b) -> {
            for (int i = 0; i < a.size(); i++) {
                String x = a.get(i);
                String y = b.get(i);
                if (x == null || y == null) {
                    if (x != y) {
                        return x == null ? -1 : 1;
                    }
                    continue;
                }
                int c = x.compareTo(y);
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        };

        static ObjectNode aggregates(Spec s, Data data) {
            // sort key → group json, window start → field → values
            TreeMap<List<String>, ObjectNode> groupJson = new TreeMap<>(KEY_ORDER);
            Map<List<String>, TreeMap<Long, Map<String, List<Obs>>>> cells = new HashMap<>();
            for (Map.Entry<String, SeriesKey> e : data.series.entrySet()) {
                if (!seriesMatches(s, e.getValue())) {
                    continue;
                }
                Group g = group(s, e.getValue());
                for (Map.Entry<Long, Map<String, FieldValue>> r :
                        data.rows.get(e.getKey()).subMap(s.from, s.to).entrySet()) {
                    if (!rowMatches(s, r.getValue())) {
                        continue;
                    }
                    long start = s.window == 0 ? s.from : Math.floorDiv(r.getKey(), s.window) * s.window;
                    for (Map.Entry<String, FieldValue> f : r.getValue().entrySet()) {
                        if ((s.fields != null && !s.fields.contains(f.getKey()))
                                || (f.getValue() instanceof FieldValue.FloatValue fv && Double.isNaN(fv.value()))) {
                            continue;
                        }
                        groupJson.putIfAbsent(g.sortKey(), g.json());
                        cells.computeIfAbsent(g.sortKey(), x -> new TreeMap<>())
                                .computeIfAbsent(start, x -> new HashMap<>())
                                .computeIfAbsent(f.getKey(), x -> new ArrayList<>())
                                .add(new Obs(r.getKey(), e.getKey(), f.getValue()));
                    }
                }
            }
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            ArrayNode groups = out.putArray("groups");
            for (Map.Entry<List<String>, ObjectNode> g : groupJson.entrySet()) {
                TreeMap<Long, Map<String, List<Obs>>> windows = cells.get(g.getKey());
                List<String> fields = s.fields;
                if (fields == null) {
                    TreeSet<String> seen = new TreeSet<>();
                    windows.values().forEach(w -> seen.addAll(w.keySet()));
                    fields = List.copyOf(seen);
                }
                List<Long> starts = new ArrayList<>();
                if (s.window == 0 || s.fill.equals("none")) {
                    starts.addAll(windows.keySet());
                } else {
                    for (long w = Math.floorDiv(s.from, s.window) * s.window; w < s.to; w += s.window) {
                        starts.add(w);
                    }
                }
                ObjectNode[][] v = new ObjectNode[fields.size()][starts.size()];
                for (int f = 0; f < fields.size(); f++) {
                    for (int w = 0; w < starts.size(); w++) {
                        List<Obs> obs =
                                windows.getOrDefault(starts.get(w), Map.of()).get(fields.get(f));
                        v[f][w] = obs == null ? null : cell(s, obs);
                    }
                    fill(s, v[f]);
                }
                ArrayNode rows = g.getValue().putArray("rows");
                for (int w = 0; w < starts.size(); w++) {
                    ObjectNode row = JsonNodeFactory.instance.objectNode();
                    row.put("time", TsTime.format(starts.get(w)));
                    for (int f = 0; f < fields.size(); f++) {
                        if (v[f][w] != null) {
                            row.set(fields.get(f), v[f][w]);
                        }
                    }
                    if (row.size() > 1) {
                        rows.add(row);
                    }
                }
                groups.add(g.getValue());
            }
            out.put("truncated", false);
            return out;
        }

        static ObjectNode cell(Spec s, List<Obs> obs) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            List<Double> nums = new ArrayList<>();
            for (Obs x : obs) {
                if (x.value().type().numeric()) {
                    nums.add(number(x.value()));
                }
            }
            nums.sort(null);
            Comparator<Obs> byTime = Comparator.comparingLong(Obs::time).thenComparing(Obs::series);
            double sum = 0;
            for (double d : nums) {
                sum += d;
            }
            for (String a : s.aggregates) {
                JsonNode v;
                if (a.equals("count")) {
                    v = JsonNodeFactory.instance.numberNode((long) obs.size());
                } else if (a.equals("first")) {
                    v = json(obs.stream().min(byTime).orElseThrow().value());
                } else if (a.equals("last")) {
                    v = json(obs.stream().max(byTime).orElseThrow().value());
                } else if (nums.isEmpty()) {
                    v = JsonNodeFactory.instance.nullNode();
                } else {
                    v = switch (a) {
                        case "mean" -> num(sum / nums.size());
                        case "sum" -> num(sum);
                        case "min" -> num(nums.getFirst());
                        case "max" -> num(nums.getLast());
                        default -> {
                            double p = a.equals("median") ? 50 : Double.parseDouble(a.substring(1));
                            int rank = (int) Math.floor(nums.size() * p / 100 + 0.5);
                            yield num(nums.get(Math.max(1, Math.min(nums.size(), rank)) - 1));
                        }
                    };
                }
                o.set(a, v);
            }
            return o;
        }

        static void fill(Spec s, ObjectNode[] v) {
            ObjectNode[] known = v.clone();
            for (int w = 0; w < v.length; w++) {
                if (known[w] != null || s.fill.equals("none")) {
                    continue;
                }
                int prev = w - 1;
                while (prev >= 0 && known[prev] == null) {
                    prev--;
                }
                int next = w + 1;
                while (next < v.length && known[next] == null) {
                    next++;
                }
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                for (String a : s.aggregates) {
                    JsonNode x = JsonNodeFactory.instance.nullNode();
                    switch (s.fill) {
                        case "constant" -> x = num(s.constant);
                        case "previous" -> {
                            if (prev >= 0) {
                                x = known[prev].get(a);
                            }
                        }
                        case "linear" -> {
                            if (prev >= 0
                                    && next < v.length
                                    && known[prev].get(a).isNumber()
                                    && known[next].get(a).isNumber()) {
                                double y0 = known[prev].get(a).doubleValue();
                                double y1 = known[next].get(a).doubleValue();
                                x = num(y0 + (y1 - y0) * (w - prev) / (next - prev));
                            }
                        }
                        default -> {}
                    }
                    o.set(a, x);
                }
                v[w] = o;
            }
        }

        record RawRow(Group group, SeriesKey series, long time, Map<String, FieldValue> fields) {}

        static ObjectNode rows(Spec s, Data data) {
            List<RawRow> rows = new ArrayList<>();
            for (Map.Entry<String, SeriesKey> e : data.series.entrySet()) {
                if (!seriesMatches(s, e.getValue())) {
                    continue;
                }
                Group g = group(s, e.getValue());
                List<RawRow> own = new ArrayList<>();
                for (Map.Entry<Long, Map<String, FieldValue>> r :
                        data.rows.get(e.getKey()).subMap(s.from, s.to).entrySet()) {
                    if (!rowMatches(s, r.getValue())) {
                        continue;
                    }
                    Map<String, FieldValue> f = new LinkedHashMap<>();
                    r.getValue().forEach((k, v) -> {
                        if (s.fields == null || s.fields.contains(k)) {
                            f.put(k, v);
                        }
                    });
                    if (!f.isEmpty()) {
                        own.add(new RawRow(g, e.getValue(), r.getKey(), f));
                    }
                }
                if (s.mode.equals("last") && !own.isEmpty()) {
                    own = List.of(own.getLast());
                }
                rows.addAll(own);
            }
            rows.sort(Comparator.comparing((RawRow r) -> r.group().sortKey(), KEY_ORDER)
                    .thenComparingLong(RawRow::time)
                    .thenComparing(r -> r.series().canonical()));
            boolean truncated = rows.size() > s.limit;
            if (truncated) {
                rows = rows.subList(0, s.limit);
            }
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            ArrayNode groups = out.putArray("groups");
            List<String> current = null;
            ArrayNode currentRows = null;
            for (RawRow r : rows) {
                if (current == null || KEY_ORDER.compare(current, r.group().sortKey()) != 0) {
                    current = r.group().sortKey();
                    ObjectNode g = r.group().json().deepCopy();
                    currentRows = g.putArray("rows");
                    groups.add(g);
                }
                ObjectNode row = currentRows.addObject();
                row.put("time", TsTime.format(r.time()));
                row.put("measurement", r.series().measurement());
                ObjectNode tags = row.putObject("tags");
                r.series().tags().forEach(t -> tags.put(t.key(), t.value()));
                r.fields().forEach((k, v) -> row.set(k, json(v)));
            }
            out.put("truncated", truncated);
            return out;
        }
    }
}

package io.lumadb.shards.query;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.testkit.Property;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The order {@link KeyCodec} encodes, checked on values {@link KeyCodecTest} does not reach:
 * doubles from every bit pattern (NaN payloads, subnormals, infinities, neighbours one ulp apart),
 * long strings of any code point (lone surrogates, supplementary planes, NUL), deep documents, and
 * pairs that differ only deep inside a long shared prefix, so the bytes compared last decide.
 * There is no decoder: that equal values get identical bytes whatever their representation
 * stands in for a round trip. A failure prints the case and its seed; {@code -Dproperty.seed=}
 * that seed reruns it.
 */
class KeyCodecPropertyTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Two values; the second often a small change of the first. */
    record Pair(JsonNode a, JsonNode b) {
        @Override
        public String toString() {
            return show(a) + " vs " + show(b);
        }
    }

    @Test
    void bytesOrderAsTheValuesDo() {
        Property.forAll(random -> pair(random, 4)).tries(3_000).check(p -> {
            int c = Integer.signum(KeyCodec.compare(p.a(), p.b()));
            assertEquals(-c, Integer.signum(KeyCodec.compare(p.b(), p.a())), "antisymmetric");
            byte[] a = KeyCodec.encode(p.a(), false);
            byte[] b = KeyCodec.encode(p.b(), false);
            assertEquals(c, Integer.signum(Arrays.compareUnsigned(a, b)), "ascending bytes");
            assertEquals(c == 0, Arrays.equals(a, b), "equal values, and only they, have equal bytes");
            assertEquals(
                    -c,
                    Integer.signum(Arrays.compareUnsigned(KeyCodec.encode(p.a(), true), KeyCodec.encode(p.b(), true))),
                    "descending bytes");
        });
    }

    @Test
    void stringsOrderByCodePointAndNumbersAsDoublesWithOneZeroAndOneNaN() {
        Property.forAll(random ->
                        random.nextBoolean() ? near(random, F.textNode(string(random))) : near(random, number(random)))
                .tries(3_000)
                .check(p -> {
                    int expected = p.a().isTextual()
                            ? Arrays.compare(
                                    p.a().textValue().codePoints().toArray(),
                                    p.b().textValue().codePoints().toArray())
                            : Double.compare(canonical(p.a().doubleValue()), canonical(p.b().doubleValue()));
                    assertEquals(Integer.signum(expected), Integer.signum(KeyCodec.compare(p.a(), p.b())));
                    assertEquals(
                            Integer.signum(expected),
                            Integer.signum(Arrays.compareUnsigned(
                                    KeyCodec.encode(p.a(), false), KeyCodec.encode(p.b(), false))));
                });
    }

    /** Sorting by bytes and by value agree, which also needs {@code compare} to be transitive. */
    @Test
    void sortingByBytesSortsByValue() {
        Property.forAll(random -> {
                    List<JsonNode> values = new ArrayList<>();
                    int n = 2 + random.nextInt(30);
                    for (int i = 0; i < n; i++) {
                        values.add(
                                values.isEmpty() || random.nextInt(3) > 0
                                        ? value(random, 3)
                                        : mutate(random, values.get(random.nextInt(values.size()))));
                    }
                    return new Values(values);
                })
                .tries(500)
                .check(v -> {
                    Map<JsonNode, byte[]> bytes = new IdentityHashMap<>();
                    v.values().forEach(x -> bytes.put(x, KeyCodec.encode(x, false)));
                    List<JsonNode> byBytes = new ArrayList<>(v.values());
                    byBytes.sort(Comparator.comparing(bytes::get, Arrays::compareUnsigned));
                    for (int i = 1; i < byBytes.size(); i++) {
                        JsonNode x = byBytes.get(i - 1);
                        JsonNode y = byBytes.get(i);
                        assertTrue(KeyCodec.compare(x, y) <= 0, () -> show(x) + " sorts before " + show(y));
                    }
                    List<JsonNode> byValue = new ArrayList<>(v.values());
                    byValue.sort(KeyCodec::compare);
                    for (int i = 0; i < byValue.size(); i++) {
                        assertEquals(0, KeyCodec.compare(byValue.get(i), byBytes.get(i)), "position " + i);
                    }
                });
    }

    record Values(List<JsonNode> values) {
        @Override
        public String toString() {
            return values.stream().map(KeyCodecPropertyTest::show).toList().toString();
        }
    }

    /** Index keys: fields each ascending or descending, concatenated; equal leading fields likely. */
    record Compound(List<JsonNode> a, List<JsonNode> b, List<Boolean> descending) {
        @Override
        public String toString() {
            return "descending " + descending + ": "
                    + a.stream().map(KeyCodecPropertyTest::show).toList() + " vs "
                    + b.stream().map(KeyCodecPropertyTest::show).toList();
        }
    }

    @Test
    void compoundKeysOrderFieldByFieldInEachFieldsDirection() {
        Property.forAll(random -> {
                    int fields = 1 + random.nextInt(4);
                    int shared = random.nextInt(fields + 1);
                    List<JsonNode> a = new ArrayList<>();
                    List<JsonNode> b = new ArrayList<>();
                    List<Boolean> descending = new ArrayList<>();
                    for (int i = 0; i < fields; i++) {
                        Pair p = i < shared ? equalPair(random) : pair(random, 2);
                        a.add(p.a());
                        b.add(p.b());
                        descending.add(random.nextBoolean());
                    }
                    return new Compound(a, b, descending);
                })
                .tries(3_000)
                .check(k -> {
                    int expected = 0;
                    for (int i = 0; i < k.a().size() && expected == 0; i++) {
                        int c = Integer.signum(KeyCodec.compare(k.a().get(i), k.b().get(i)));
                        expected = k.descending().get(i) ? -c : c;
                    }
                    assertEquals(
                            expected,
                            Integer.signum(
                                    Arrays.compareUnsigned(key(k.a(), k.descending()), key(k.b(), k.descending()))));
                });
    }

    @Test
    void equalValuesEncodeIdenticallyWhateverTheirRepresentation() {
        Property.forAll(KeyCodecPropertyTest::equalPair).tries(2_000).check(p -> {
            assertEquals(0, KeyCodec.compare(p.a(), p.b()));
            assertArrayEquals(KeyCodec.encode(p.a(), false), KeyCodec.encode(p.b(), false));
            assertArrayEquals(KeyCodec.encode(p.a(), true), KeyCodec.encode(p.b(), true));
        });
    }

    private static byte[] key(List<JsonNode> fields, List<Boolean> descending) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < fields.size(); i++) {
            KeyCodec.encode(fields.get(i), descending.get(i), out);
        }
        return out.toByteArray();
    }

    // ---- random values

    private static Pair pair(RandomGenerator random, int depth) {
        JsonNode a = value(random, depth);
        return switch (random.nextInt(4)) {
            case 0 -> new Pair(a, value(random, depth));
            case 1 -> new Pair(a, respell(random, a));
            default -> new Pair(a, mutate(random, a));
        };
    }

    private static Pair near(RandomGenerator random, JsonNode a) {
        return new Pair(a, random.nextInt(4) == 0 ? respell(random, a) : mutate(random, a));
    }

    private static Pair equalPair(RandomGenerator random) {
        JsonNode a = value(random, 3);
        return new Pair(a, respell(random, a));
    }

    static JsonNode value(RandomGenerator random, int depth) {
        int kind = random.nextInt(depth > 0 ? 10 : 7);
        return switch (kind) {
            case 0 -> random.nextBoolean() ? F.nullNode() : F.booleanNode(random.nextBoolean());
            case 1, 2, 3 -> number(random);
            case 4, 5, 6 -> F.textNode(string(random));
            case 7, 8 -> {
                ArrayNode array = F.arrayNode();
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    array.add(value(random, depth - 1));
                }
                yield array;
            }
            default -> {
                ObjectNode object = F.objectNode();
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    object.set(
                            random.nextInt(3) == 0 ? string(random) : "k" + random.nextInt(4),
                            value(random, depth - 1));
                }
                yield object;
            }
        };
    }

    private static final double[] SPECIAL = {
        0.0,
        -0.0,
        Double.NaN,
        Double.longBitsToDouble(0x7ff0000000000001L), // a signalling NaN
        Double.longBitsToDouble(0xfff8000000000000L), // a NaN with the sign bit set
        Double.longBitsToDouble(0xffffffffffffffffL),
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        Double.MIN_VALUE,
        -Double.MIN_VALUE,
        Double.MIN_NORMAL,
        -Double.MIN_NORMAL,
        Double.MAX_VALUE,
        -Double.MAX_VALUE,
        1.0,
        -1.0,
        0x1p53,
        -0x1p53
    };

    static JsonNode number(RandomGenerator random) {
        return switch (random.nextInt(8)) {
            case 0 -> F.numberNode(SPECIAL[random.nextInt(SPECIAL.length)]);
            case 1 -> F.numberNode(Double.longBitsToDouble(random.nextLong())); // any bit pattern
            case 2 -> F.numberNode(random.nextInt(21) - 10);
            case 3 -> F.numberNode(random.nextBoolean() ? random.nextLong() : Long.MIN_VALUE + random.nextInt(3));
            case 4 -> F.numberNode((float) random.nextGaussian());
            case 5 ->
                F.numberNode(new BigInteger(100, java.util.Random.from(random)).subtract(BigInteger.ONE.shiftLeft(99)));
            case 6 -> F.numberNode(BigDecimal.valueOf(random.nextLong(), random.nextInt(40) - 20));
            default -> F.numberNode(random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20));
        };
    }

    /** Short strings over a few characters (many shared prefixes), or long ones over any code point. */
    static String string(RandomGenerator random) {
        StringBuilder s = new StringBuilder();
        if (random.nextBoolean()) {
            int n = random.nextInt(5);
            for (int i = 0; i < n; i++) {
                s.append("\u0000aAb\u00e9\uD800\uFFFF".charAt(random.nextInt(7)));
            }
            return s.toString();
        }
        int n = random.nextInt(random.nextBoolean() ? 20 : 2_000);
        for (int i = 0; i < n; i++) {
            s.appendCodePoint(codePoint(random));
        }
        return s.toString();
    }

    /** A code point from each UTF-8 length class, lone surrogates and NUL included. */
    private static int codePoint(RandomGenerator random) {
        return switch (random.nextInt(6)) {
            case 0 -> random.nextInt(0x80);
            case 1 -> 0x80 + random.nextInt(0x800 - 0x80);
            case 2 -> 0x800 + random.nextInt(0x10000 - 0x800); // lone surrogates among them
            case 3 -> 0x10000 + random.nextInt(0x110000 - 0x10000);
            case 4 -> random.nextBoolean() ? 0 : 0xFF;
            default -> 'a' + random.nextInt(3);
        };
    }

    /** A value close to {@code v}: one change somewhere inside it, the rest shared. */
    static JsonNode mutate(RandomGenerator random, JsonNode v) {
        if (v.isArray() && !v.isEmpty() && random.nextInt(3) > 0) {
            ArrayNode copy = (ArrayNode) v.deepCopy();
            int i = random.nextInt(copy.size());
            copy.set(i, mutate(random, copy.get(i)));
            return copy;
        }
        if (v.isObject() && !v.isEmpty() && random.nextInt(3) > 0) {
            ObjectNode copy = (ObjectNode) v.deepCopy();
            List<String> keys = KeyCodec.sortedKeys(copy);
            String key = keys.get(random.nextInt(keys.size()));
            copy.set(key, mutate(random, copy.get(key)));
            return copy;
        }
        if (v.isArray()) {
            ArrayNode copy = (ArrayNode) v.deepCopy();
            if (!copy.isEmpty() && random.nextBoolean()) {
                copy.remove(copy.size() - 1);
            } else {
                copy.add(value(random, 1));
            }
            return copy;
        }
        if (v.isObject()) {
            ObjectNode copy = (ObjectNode) v.deepCopy();
            if (!copy.isEmpty() && random.nextBoolean()) {
                List<String> keys = KeyCodec.sortedKeys(copy);
                copy.remove(keys.get(random.nextInt(keys.size())));
            } else {
                copy.set(string(random), value(random, 1));
            }
            return copy;
        }
        if (v.isTextual()) {
            int[] cps = v.textValue().codePoints().toArray();
            int at = random.nextInt(cps.length + 1);
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < at; i++) {
                s.appendCodePoint(cps[i]);
            }
            switch (random.nextInt(3)) {
                case 0 -> {} // a prefix
                case 1 -> s.appendCodePoint(codePoint(random)); // a different tail
                default -> {
                    s.appendCodePoint(codePoint(random)); // one code point replaced
                    for (int i = at + 1; i < cps.length; i++) {
                        s.appendCodePoint(cps[i]);
                    }
                }
            }
            return F.textNode(s.toString());
        }
        if (v.isNumber()) {
            double d = v.doubleValue();
            return F.numberNode(
                    switch (random.nextInt(3)) {
                        case 0 -> Math.nextUp(d);
                        case 1 -> Math.nextDown(d);
                        default -> -d;
                    });
        }
        return value(random, 1);
    }

    /** An equal value spelled differently: fields in another order, numbers in another exact form. */
    static JsonNode respell(RandomGenerator random, JsonNode v) {
        if (v.isArray()) {
            ArrayNode copy = F.arrayNode();
            v.forEach(e -> copy.add(respell(random, e)));
            return copy;
        }
        if (v.isObject()) {
            List<String> keys = new ArrayList<>();
            v.fieldNames().forEachRemaining(keys::add);
            Collections.shuffle(keys, java.util.Random.from(random));
            ObjectNode copy = F.objectNode();
            keys.forEach(k -> copy.set(k, respell(random, v.get(k))));
            return copy;
        }
        if (v.isNumber()) {
            double d = v.doubleValue();
            if (Double.isNaN(d)) {
                return F.numberNode(SPECIAL[2 + random.nextInt(4)]); // any NaN is the NaN
            }
            if (d == 0) {
                return F.numberNode(random.nextBoolean() ? -0.0 : 0);
            }
            if (Double.isInfinite(d)) {
                return F.numberNode(d);
            }
            return switch (random.nextInt(3)) {
                case 0 -> F.numberNode(d);
                case 1 ->
                    F.numberNode(
                            new BigDecimal(d).setScale(random.nextInt(3) + Math.max(0, new BigDecimal(d).scale())));
                default ->
                    d == Math.rint(d) && Math.abs(d) < 0x1p62
                            ? F.numberNode((long) d)
                            : F.numberNode(new BigDecimal(d));
            };
        }
        return v.deepCopy();
    }

    private static double canonical(double d) {
        return d == 0 ? 0.0 : Double.isNaN(d) ? Double.NaN : d;
    }

    /** JSON with every character outside printable ASCII escaped, so a failure prints readably. */
    static String show(JsonNode v) {
        StringBuilder out = new StringBuilder();
        String s = v.isMissingNode() ? "(missing)" : v.toString();
        s.chars()
                .forEach(c ->
                        out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return out.toString();
    }
}

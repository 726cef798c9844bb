package io.lumadb.shards.query;

import static io.lumadb.shards.query.FilterTest.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyCodecTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Values in strictly ascending order. */
    private static final List<JsonNode> ASCENDING = List.of(
            F.nullNode(),
            F.numberNode(Double.NEGATIVE_INFINITY),
            F.numberNode(-1e300),
            F.numberNode(-2),
            F.numberNode(-1.5),
            F.numberNode(0),
            F.numberNode(Double.MIN_VALUE),
            F.numberNode(1),
            F.numberNode(1.5),
            F.numberNode(9007199254740992L),
            F.numberNode(new BigInteger("1" + "0".repeat(30))),
            F.textNode(""),
            F.textNode("\u0000"),
            F.textNode("A"),
            F.textNode("a"),
            F.textNode("a\u0000"),
            F.textNode("a\u0000b"),
            F.textNode("a\u0001"),
            F.textNode("ab"),
            F.textNode("b"),
            F.textNode("é"),
            F.textNode("\uD800"), // a lone surrogate is its own code point, U+D800
            F.textNode("\uE000"),
            F.textNode("\uFFFF"),
            F.textNode("\uD83D\uDE00"), // U+1F600, after U+FFFF although its UTF-16 is smaller
            json("{}"),
            json("{'': null}"),
            json("{a: null}"),
            json("{a: 1}"),
            json("{a: 1, b: 1}"),
            json("{a: 'x'}"),
            json("{a: {}}"),
            json("{b: 0}"),
            json("[]"),
            json("[null]"),
            json("[1]"),
            json("[1, 2]"),
            json("[1, 'x']"),
            json("[2]"),
            json("[[]]"),
            F.booleanNode(false),
            F.booleanNode(true));

    @Test
    void knownValuesAreInOrderAsValuesAndAsBytes() {
        for (int i = 0; i < ASCENDING.size(); i++) {
            for (int j = 0; j < ASCENDING.size(); j++) {
                JsonNode a = ASCENDING.get(i);
                JsonNode b = ASCENDING.get(j);
                int expected = Integer.compare(i, j);
                assertEquals(expected, Integer.signum(KeyCodec.compare(a, b)), a + " vs " + b);
                assertEquals(
                        expected,
                        Integer.signum(Arrays.compareUnsigned(KeyCodec.encode(a, false), KeyCodec.encode(b, false))),
                        a + " vs " + b + " as bytes");
                assertEquals(
                        -expected,
                        Integer.signum(Arrays.compareUnsigned(KeyCodec.encode(a, true), KeyCodec.encode(b, true))),
                        a + " vs " + b + " as descending bytes");
            }
        }
    }

    @Test
    void equalValuesOfDifferentRepresentationsEncodeIdentically() {
        assertEqualValues(F.numberNode(1), F.numberNode(1.0));
        assertEqualValues(F.numberNode(1L), F.numberNode(new BigDecimal("1.000")));
        assertEqualValues(F.numberNode(-0.0), F.numberNode(0));
        assertEqualValues(MissingNode.getInstance(), F.nullNode());
        assertEqualValues(json("{a: 1, b: [2]}"), json("{b: [2.0], a: 1}"));
    }

    private static void assertEqualValues(JsonNode a, JsonNode b) {
        assertEquals(0, KeyCodec.compare(a, b));
        assertArrayEquals(KeyCodec.encode(a, false), KeyCodec.encode(b, false));
    }

    @Test
    void layoutIsAsDocumented() {
        HexFormat hex = HexFormat.of();
        assertEquals("10", hex.formatHex(KeyCodec.encode(F.nullNode(), false)));
        assertEquals("208000000000000000", hex.formatHex(KeyCodec.encode(F.numberNode(0), false)));
        assertEquals("207ffffffffffffffe", hex.formatHex(KeyCodec.encode(F.numberNode(-Double.MIN_VALUE), false)));
        assertEquals("30610000", hex.formatHex(KeyCodec.encode(F.textNode("a"), false)));
        assertEquals("306100ff0000", hex.formatHex(KeyCodec.encode(F.textNode("a\u0000"), false)));
        assertEquals(
                "40" + "01" + "3061" + "0000" + "20" + "bff0000000000000" + "00",
                hex.formatHex(KeyCodec.encode(json("{a: 1}"), false)));
        assertEquals("5001700160" + "00", hex.formatHex(KeyCodec.encode(json("[true, false]"), false)));
        assertEquals("ef", hex.formatHex(KeyCodec.encode(F.nullNode(), true)));
        for (JsonNode v : ASCENDING) {
            assertEquals(KeyCodec.typeTag(v), KeyCodec.encode(v, false)[0]);
        }
        byte[] tags = {
            KeyCodec.NULL_TAG,
            KeyCodec.NUMBER_TAG,
            KeyCodec.STRING_TAG,
            KeyCodec.OBJECT_TAG,
            KeyCodec.ARRAY_TAG,
            KeyCodec.FALSE_TAG,
            KeyCodec.TRUE_TAG
        };
        for (int i = 0; i < tags.length; i++) {
            assertTrue(tags[i] != 0 && tags[i] != (byte) 0xFF);
            assertTrue(i == 0 || Byte.toUnsignedInt(tags[i - 1]) < Byte.toUnsignedInt(tags[i]));
        }
    }

    @Test
    void stringPrefixIsAPrefixOfEveryStringItStarts() {
        Random random = new Random(11);
        for (int n = 0; n < 5_000; n++) {
            String s = randomString(random);
            String prefix = s.substring(0, random.nextInt(s.length() + 1));
            for (boolean descending : new boolean[] {false, true}) {
                byte[] p = KeyCodec.encodeStringPrefix(prefix, descending);
                byte[] e = KeyCodec.encode(F.textNode(s), descending);
                boolean codePointPrefix = KeyCodec.startsWithCodePoints(s, prefix);
                boolean bytePrefix = p.length <= e.length && Arrays.equals(p, 0, p.length, e, 0, p.length);
                assertEquals(codePointPrefix, bytePrefix, () -> "prefix " + escape(prefix) + " of " + escape(s));
            }
        }
    }

    @Test
    void randomValuesOrderTheSameAsValuesAndAsBytes() {
        Random random = new Random(42);
        List<JsonNode> values = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            values.add(randomValue(random, 3));
        }
        List<byte[]> ascending =
                values.stream().map(v -> KeyCodec.encode(v, false)).toList();
        List<byte[]> descending =
                values.stream().map(v -> KeyCodec.encode(v, true)).toList();
        for (int i = 0; i < values.size(); i++) {
            for (int j = 0; j < values.size(); j++) {
                JsonNode a = values.get(i);
                JsonNode b = values.get(j);
                int c = Integer.signum(KeyCodec.compare(a, b));
                assertEquals(-c, Integer.signum(KeyCodec.compare(b, a)), () -> "antisymmetry " + a + " " + b);
                byte[] ea = ascending.get(i);
                byte[] eb = ascending.get(j);
                assertEquals(c, Integer.signum(Arrays.compareUnsigned(ea, eb)), () -> show(a) + " vs " + show(b));
                assertEquals(
                        -c,
                        Integer.signum(Arrays.compareUnsigned(descending.get(i), descending.get(j))),
                        () -> a + " vs " + b + " descending");
                if (c != 0) {
                    assertTrue(!isPrefix(ea, eb) && !isPrefix(eb, ea), () -> "prefix-free " + a + " " + b);
                    assertTrue(
                            !isPrefix(descending.get(i), descending.get(j)),
                            () -> "descending prefix-free " + a + " " + b);
                }
            }
        }
    }

    @Test
    void concatenatedKeysCompareFieldByField() {
        Random random = new Random(7);
        for (int n = 0; n < 20_000; n++) {
            JsonNode a1 = randomValue(random, 2);
            JsonNode a2 = randomValue(random, 1);
            JsonNode b1 = random.nextInt(4) == 0 ? a1.deepCopy() : randomValue(random, 2);
            JsonNode b2 = randomValue(random, 1);
            boolean desc2 = random.nextBoolean();
            int expected = KeyCodec.compare(a1, b1);
            if (expected == 0) {
                expected = desc2 ? KeyCodec.compare(b2, a2) : KeyCodec.compare(a2, b2);
            }
            byte[] ka = concat(KeyCodec.encode(a1, false), KeyCodec.encode(a2, desc2));
            byte[] kb = concat(KeyCodec.encode(b1, false), KeyCodec.encode(b2, desc2));
            assertEquals(Integer.signum(expected), Integer.signum(Arrays.compareUnsigned(ka, kb)));
        }
    }

    @Test
    void streamingEncodeAppends() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(7);
        KeyCodec.encode(F.textNode("x"), true, out);
        assertArrayEquals(concat(new byte[] {7}, KeyCodec.encode(F.textNode("x"), true)), out.toByteArray());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static boolean isPrefix(byte[] prefix, byte[] of) {
        return prefix.length < of.length && Arrays.equals(prefix, 0, prefix.length, of, 0, prefix.length);
    }

    private static final String[] PIECES = {
        "",
        "a",
        "b",
        "ab",
        "\u0000",
        "\u0001",
        "\u007f",
        "\u0080",
        "é",
        "\u07ff",
        "\u0800",
        "\uD7FF",
        "\uD800",
        "\uDC00",
        "\uE000",
        "\uFFFF",
        "\uD83D\uDE00",
        "\uDBFF\uDFFF",
        "\u00ff"
    };

    static String randomString(Random random) {
        StringBuilder s = new StringBuilder();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            s.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return s.toString();
    }

    static JsonNode randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 0 ? 9 : 6);
        return switch (kind) {
            case 0 -> F.nullNode();
            case 1 -> F.booleanNode(random.nextBoolean());
            case 2 -> randomNumber(random);
            case 3, 4, 5 -> F.textNode(randomString(random));
            case 6, 7 -> {
                ArrayNode a = F.arrayNode();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    a.add(randomValue(random, depth - 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = F.objectNode();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    o.set(randomString(random), randomValue(random, depth - 1));
                }
                yield o;
            }
        };
    }

    private static JsonNode randomNumber(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> F.numberNode(random.nextInt(5) - 2);
            case 1 -> F.numberNode((random.nextInt(9) - 4) / 2.0);
            case 2 -> F.numberNode(-0.0);
            case 3 -> F.numberNode(random.nextLong());
            case 4 -> F.numberNode(random.nextGaussian() * 1e10);
            case 5 -> F.numberNode(new BigDecimal(random.nextInt(100)).movePointLeft(1));
            case 6 -> F.numberNode(random.nextBoolean() ? Double.MAX_VALUE : -Double.MIN_VALUE);
            default -> F.numberNode(BigInteger.valueOf(random.nextLong()).shiftLeft(70));
        };
    }

    private static String show(JsonNode v) {
        return escape(v.toString());
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        s.chars()
                .forEach(c ->
                        out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return out.toString();
    }
}

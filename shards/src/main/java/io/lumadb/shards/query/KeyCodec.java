package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * The total order of JSON values and its order-preserving binary encoding, used for sorting,
 * comparison operators, secondary index keys, sort keys and cursors.
 *
 * <p>Order: missing = null &lt; numbers &lt; strings &lt; objects &lt; arrays &lt; false &lt;
 * true. Numbers compare as IEEE 754 doubles ({@code -0.0 == 0.0}; every Jackson number through
 * {@code doubleValue()}, so integers beyond 2^53 may compare equal). Strings compare by Unicode code
 * point (= UTF-8 byte order; a lone surrogate counts as its own code point). Objects compare as
 * their (key, value) pairs sorted by key, so field order never matters; arrays element by element,
 * a proper prefix first.
 *
 * <p>Byte layout of {@link #encode(JsonNode, boolean)} (ascending):
 *
 * <ul>
 *   <li>null, missing: {@code 0x10}; false: {@code 0x60}; true: {@code 0x70}.
 *   <li>number: {@code 0x20}, then the 8 big-endian bytes of the double's bits with the sign bit
 *       flipped for non-negative values and all bits flipped for negative values ({@code -0.0} is
 *       written as {@code 0.0}, every NaN as the canonical NaN, which sorts above +Infinity).
 *   <li>string: {@code 0x30}, then the code points in UTF-8 (lone surrogates as 3-byte sequences)
 *       with each {@code 0x00} byte written as {@code 0x00 0xFF}, then the terminator {@code 0x00
 *       0x00}. Hence {@code "a" < "a\u0000" < "ab"}: {@code 61 00 00 < 61 00 FF 00 00 < 61 62 00
 *       00}.
 *   <li>object: {@code 0x40}, then per entry in key order {@code 0x01}, the key as a string
 *       encoding (with its tag), the value's encoding; then {@code 0x00}.
 *   <li>array: {@code 0x50}, then per element {@code 0x01} and the element's encoding; then {@code
 *       0x00}.
 * </ul>
 *
 * <p>Guarantees: the encoding is prefix-free (no encoding is a proper prefix of another), so
 * concatenations of encodings compare field by field; {@code
 * Arrays.compareUnsigned(encode(a,false), encode(b,false))} has the sign of {@code compare(a,b)}
 * and is 0 iff they are equal. Descending encodings are the ascending ones with every byte XOR
 * {@code 0xFF}, which reverses the order and stays prefix-free. The layout is persisted in index
 * keys: changing it requires rebuilding indexes.
 */
public final class KeyCodec {

    /** Tag of null and missing. */
    public static final byte NULL_TAG = 0x10;
    /** Tag of numbers. */
    public static final byte NUMBER_TAG = 0x20;
    /** Tag of strings. */
    public static final byte STRING_TAG = 0x30;
    /** Tag of objects. */
    public static final byte OBJECT_TAG = 0x40;
    /** Tag of arrays. */
    public static final byte ARRAY_TAG = 0x50;
    /** Tag of false. */
    public static final byte FALSE_TAG = 0x60;
    /** Tag of true. */
    public static final byte TRUE_TAG = 0x70;

    /** Type classes for comparison operators' type bracketing (false and true share one). */
    static final int NULL_CLASS = 0, NUMBER_CLASS = 1, STRING_CLASS = 2, OBJECT_CLASS = 3, ARRAY_CLASS = 4;

    static final int BOOLEAN_CLASS = 5;

    /** Strings in code point order (not UTF-16 order as {@link String#compareTo}). */
    public static final Comparator<String> CODE_POINT_ORDER = KeyCodec::compareStrings;

    private KeyCodec() {}

    /** The type class of {@code v} for type bracketing: null (also Java null/missing), number, etc. */
    static int typeClass(JsonNode v) {
        if (v == null) {
            return NULL_CLASS;
        }
        if (v.isNumber()) {
            return NUMBER_CLASS;
        }
        if (v.isTextual() || v.isBinary()) {
            return STRING_CLASS;
        }
        if (v.isObject()) {
            return OBJECT_CLASS;
        }
        if (v.isArray()) {
            return ARRAY_CLASS;
        }
        if (v.isBoolean()) {
            return BOOLEAN_CLASS;
        }
        return NULL_CLASS;
    }

    /** Rank in the total order: the type class, with true above false. */
    private static int rank(JsonNode v) {
        int c = typeClass(v);
        return c == BOOLEAN_CLASS && v.booleanValue() ? BOOLEAN_CLASS + 1 : c;
    }

    /** True if {@code v} is Java null, JSON null or missing. */
    static boolean isNull(JsonNode v) {
        return typeClass(v) == NULL_CLASS;
    }

    /** Compares two values in the total order; Java null and {@code MissingNode} count as null. */
    public static int compare(JsonNode a, JsonNode b) {
        int ra = rank(a);
        int rb = rank(b);
        if (ra != rb) {
            return Integer.compare(ra, rb);
        }
        return switch (ra) {
            case NUMBER_CLASS -> Double.compare(normalize(a.doubleValue()), normalize(b.doubleValue()));
            case STRING_CLASS -> compareStrings(a.asText(), b.asText());
            case OBJECT_CLASS -> compareObjects(a, b);
            case ARRAY_CLASS -> compareArrays(a, b);
            default -> 0;
        };
    }

    /** True if {@code a} and {@code b} are equal in the total order. */
    static boolean equal(JsonNode a, JsonNode b) {
        return compare(a, b) == 0;
    }

    private static int compareArrays(JsonNode a, JsonNode b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            int c = compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static int compareObjects(JsonNode a, JsonNode b) {
        List<String> ka = sortedKeys(a);
        List<String> kb = sortedKeys(b);
        int n = Math.min(ka.size(), kb.size());
        for (int i = 0; i < n; i++) {
            int c = compareStrings(ka.get(i), kb.get(i));
            if (c != 0) {
                return c;
            }
            c = compare(a.get(ka.get(i)), b.get(kb.get(i)));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(ka.size(), kb.size());
    }

    static List<String> sortedKeys(JsonNode object) {
        List<String> keys = new ArrayList<>(object.size());
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        keys.sort(CODE_POINT_ORDER);
        return keys;
    }

    /** Compares strings by Unicode code point. */
    static int compareStrings(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        if (i == n) {
            return Integer.compare(a.length(), b.length());
        }
        // Step back into a surrogate pair whose high half was shared, so whole code points compare.
        if (i > 0
                && Character.isHighSurrogate(a.charAt(i - 1))
                && (Character.isLowSurrogate(a.charAt(i)) || Character.isLowSurrogate(b.charAt(i)))) {
            i--;
        }
        return Integer.compare(a.codePointAt(i), b.codePointAt(i));
    }

    /** True if {@code s} starts with {@code prefix} as a sequence of code points. */
    static boolean startsWithCodePoints(String s, String prefix) {
        if (!s.startsWith(prefix)) {
            return false;
        }
        int n = prefix.length();
        // A prefix ending in a lone high surrogate does not prefix a pair that starts with it.
        return n == 0
                || n == s.length()
                || !Character.isHighSurrogate(prefix.charAt(n - 1))
                || !Character.isLowSurrogate(s.charAt(n));
    }

    private static double normalize(double d) {
        if (d == 0.0) {
            return 0.0;
        }
        return Double.isNaN(d) ? Double.NaN : d;
    }

    /** The first byte of {@code encode(v, false)}. */
    public static byte typeTag(JsonNode v) {
        return switch (rank(v)) {
            case NUMBER_CLASS -> NUMBER_TAG;
            case STRING_CLASS -> STRING_TAG;
            case OBJECT_CLASS -> OBJECT_TAG;
            case ARRAY_CLASS -> ARRAY_TAG;
            case BOOLEAN_CLASS -> FALSE_TAG;
            case BOOLEAN_CLASS + 1 -> TRUE_TAG;
            default -> NULL_TAG;
        };
    }

    /** The order-preserving, prefix-free encoding of {@code v}; see the class comment. */
    public static byte[] encode(JsonNode v, boolean descending) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16);
        encode(v, descending, out);
        return out.toByteArray();
    }

    /** Appends the encoding of {@code v} to {@code out}. */
    public static void encode(JsonNode v, boolean descending, ByteArrayOutputStream out) {
        int mask = descending ? 0xFF : 0;
        write(v, mask, out);
    }

    /**
     * The bytes every {@code encode(s, descending)} of a string {@code s} that starts with {@code
     * prefix} (by code points) starts with: the string tag and the escaped UTF-8 of {@code prefix},
     * without terminator.
     */
    public static byte[] encodeStringPrefix(String prefix, boolean descending) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(prefix.length() + 1);
        int mask = descending ? 0xFF : 0;
        out.write(STRING_TAG ^ mask);
        writeStringBody(prefix, mask, out);
        return out.toByteArray();
    }

    private static void write(JsonNode v, int mask, ByteArrayOutputStream out) {
        byte tag = typeTag(v);
        out.write(tag ^ mask);
        switch (tag) {
            case NUMBER_TAG -> {
                long bits = Double.doubleToLongBits(normalize(v.doubleValue()));
                bits = bits >= 0 ? bits ^ Long.MIN_VALUE : ~bits;
                for (int shift = 56; shift >= 0; shift -= 8) {
                    out.write((int) (bits >>> shift) & 0xFF ^ mask);
                }
            }
            case STRING_TAG -> {
                writeStringBody(v.asText(), mask, out);
                out.write(mask);
                out.write(mask);
            }
            case OBJECT_TAG -> {
                for (String key : sortedKeys(v)) {
                    out.write(0x01 ^ mask);
                    out.write(STRING_TAG ^ mask);
                    writeStringBody(key, mask, out);
                    out.write(mask);
                    out.write(mask);
                    write(v.get(key), mask, out);
                }
                out.write(mask);
            }
            case ARRAY_TAG -> {
                for (JsonNode element : v) {
                    out.write(0x01 ^ mask);
                    write(element, mask, out);
                }
                out.write(mask);
            }
            default -> {}
        }
    }

    /** Code points as (generalised) UTF-8, each 0x00 byte escaped as 0x00 0xFF. */
    private static void writeStringBody(String s, int mask, ByteArrayOutputStream out) {
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0) {
                out.write(mask);
                out.write(0xFF ^ mask);
            } else if (cp < 0x80) {
                out.write(cp ^ mask);
            } else if (cp < 0x800) {
                out.write((0xC0 | cp >> 6) ^ mask);
                out.write((0x80 | cp & 0x3F) ^ mask);
            } else if (cp < 0x10000) {
                out.write((0xE0 | cp >> 12) ^ mask);
                out.write((0x80 | cp >> 6 & 0x3F) ^ mask);
                out.write((0x80 | cp & 0x3F) ^ mask);
            } else {
                out.write((0xF0 | cp >> 18) ^ mask);
                out.write((0x80 | cp >> 12 & 0x3F) ^ mask);
                out.write((0x80 | cp >> 6 & 0x3F) ^ mask);
                out.write((0x80 | cp & 0x3F) ^ mask);
            }
        }
    }
}

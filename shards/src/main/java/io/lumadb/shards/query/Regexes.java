package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Compiles {@code $regex} patterns with RE2/J, whose matching takes time linear in the length of
 * the input and uses no recursion, so no pattern can backtrack for years or overflow a thread's
 * stack. Patterns RE2 cannot run (backreferences, lookaround, possessive quantifiers) and patterns
 * that would compile to a huge program are refused with a {@link QueryException} before anything
 * is compiled. The syntax is RE2's: {@value #SYNTAX}.
 */
public final class Regexes {

    /** Where RE2's syntax is documented. */
    static final String SYNTAX = "https://github.com/google/re2/wiki/Syntax";

    /** RE2's own rule: counted repetitions nested in one another multiply to at most this. */
    static final int MAX_REPEAT_PRODUCT = 1000;

    /**
     * The largest program a pattern may compile to, in RE2 instructions as estimated from the
     * pattern (an upper bound). RE2/J compiles about 2,500 of them a millisecond and keeps per-match
     * state proportional to them.
     */
    static final long MAX_PROGRAM_SIZE = 100_000;

    private Regexes() {}

    /**
     * @param at the JSON Pointer of the pattern
     * @param options the {@code $options} value next to it, or null
     * @param optionsAt the JSON Pointer of {@code $options}
     */
    /** Compiles {@code pattern} without flags under the same limits; {@code at} is its JSON Pointer. */
    public static Pattern compile(String pattern, String at) {
        return compile(pattern, null, at, null);
    }

    static Pattern compile(String pattern, JsonNode options, String at, String optionsAt) {
        int flags = flags(options, optionsAt);
        Size size = estimate(pattern);
        if (size.repeatProduct() > MAX_REPEAT_PRODUCT) {
            throw new QueryException(
                    at,
                    "repetition counts nested in one another multiply to more than " + MAX_REPEAT_PRODUCT
                            + " (RE2's limit), as in (a{100}){20}; syntax: " + SYNTAX);
        }
        if (size.instructions() > MAX_PROGRAM_SIZE) {
            throw new QueryException(
                    at,
                    "the regular expression is too large: its repetitions expand to about " + size.instructions()
                            + " instructions, the limit is " + MAX_PROGRAM_SIZE);
        }
        try {
            return Pattern.compile(pattern, flags);
        } catch (PatternSyntaxException e) {
            String near = e.getPattern() == null ? "" : e.getPattern();
            if (near.length() > 60) {
                near = near.substring(0, 57) + "...";
            }
            throw new QueryException(
                    at,
                    "invalid regular expression (RE2 syntax, " + SYNTAX + "; no backreferences or lookaround): "
                            + e.getDescription() + " at `" + near + "`");
        }
    }

    private static int flags(JsonNode options, String optionsAt) {
        if (options == null) {
            return 0;
        }
        if (!options.isTextual()) {
            throw new QueryException(optionsAt, "$options takes a string of flags from \"ims\"");
        }
        int flags = 0;
        for (char c : options.textValue().toCharArray()) {
            flags |= switch (c) {
                case 'i' -> Pattern.CASE_INSENSITIVE;
                case 'm' -> Pattern.MULTILINE;
                case 's' -> Pattern.DOTALL;
                case 'x' ->
                    throw new QueryException(
                            optionsAt,
                            "regex option 'x' is not supported: RE2 has no extended mode; remove the"
                                    + " whitespace and comments from the pattern");
                default -> throw new QueryException(optionsAt, "unknown regex option '" + c + "'; allowed: i, m, s");
            };
        }
        return flags;
    }

    /**
     * An upper bound of what a pattern compiles to: the RE2 instructions after counted repetitions
     * are expanded, and the largest product of counted repetitions nested in one another.
     */
    record Size(long instructions, long repeatProduct) {}

    /** Counts past this are refused by RE2 anyway; capping keeps the arithmetic small. */
    private static final long CAP = 1_000_000_000_000L;

    /** One parenthesised group being scanned (the pattern itself is the outermost). */
    private static final class Group {
        long cost;
        long product = 1;
        // The last atom, which a following repetition applies to (cost 0: none).
        long lastCost;
        long lastProduct = 1;

        void atom(long atomCost, long atomProduct) {
            product = Math.max(product, lastProduct);
            lastCost = atomCost;
            lastProduct = atomProduct;
            cost = Math.min(CAP, cost + atomCost);
        }

        void repeat(long copies, long count) {
            if (lastCost == 0) {
                return;
            }
            // Each copy of an optional or repeated atom also needs a split instruction.
            long repeated = Math.min(CAP, (lastCost + 1) * copies + 1);
            cost = Math.min(CAP, cost - lastCost + repeated);
            lastCost = repeated;
            if (count > 0) {
                lastProduct = Math.min(CAP, lastProduct * count);
            }
        }

        void alternative() {
            product = Math.max(product, lastProduct);
            lastCost = 0;
            lastProduct = 1;
            cost = Math.min(CAP, cost + 1);
        }

        long finishedProduct() {
            return Math.max(product, lastProduct);
        }
    }

    /**
     * Scans the pattern for its groups, atoms and repetitions. Deliberately forgiving: anything it
     * does not understand counts as literal characters, and RE2's compiler reports real syntax
     * errors afterwards; it only has to never underestimate what repetitions expand to.
     */
    static Size estimate(String p) {
        Deque<Group> groups = new ArrayDeque<>();
        Group current = new Group();
        int n = p.length();
        int i = 0;
        while (i < n) {
            char c = p.charAt(i);
            switch (c) {
                case '\\' -> {
                    int next = escape(p, i);
                    // \Q...\E quotes a run of literals: one instruction each.
                    boolean quote = i + 1 < n && p.charAt(i + 1) == 'Q';
                    current.atom(quote ? Math.max(1, next - i - 2) : 1, 1);
                    i = next;
                }
                case '[' -> {
                    i = classEnd(p, i);
                    current.atom(1, 1);
                }
                case '(' -> {
                    groups.push(current);
                    current = new Group();
                    i++;
                }
                case ')' -> {
                    if (!groups.isEmpty()) {
                        Group inner = current;
                        current = groups.pop();
                        current.atom(inner.cost + 2, inner.finishedProduct());
                    }
                    i++;
                }
                case '|' -> {
                    current.alternative();
                    i++;
                }
                case '*', '+', '?' -> {
                    current.repeat(1, 0);
                    i++;
                    if (i < n && p.charAt(i) == '?') {
                        i++; // lazy
                    }
                }
                case '{' -> {
                    int end = repetitionEnd(p, i);
                    if (end < 0) {
                        current.atom(1, 1);
                        i++;
                    } else {
                        String[] bounds = p.substring(i + 1, end).split(",", -1);
                        long min = count(bounds[0]);
                        long max = bounds.length == 1 ? min : bounds[1].isEmpty() ? -1 : count(bounds[1]);
                        current.repeat(Math.max(1, max < 0 ? min + 1 : max), max < 0 ? min : max);
                        i = end + 1;
                        if (i < n && p.charAt(i) == '?') {
                            i++; // lazy
                        }
                    }
                }
                default -> {
                    current.atom(1, 1);
                    i++;
                }
            }
        }
        while (!groups.isEmpty()) { // unbalanced: RE2 refuses it; estimate it anyway
            Group inner = current;
            current = groups.pop();
            current.atom(inner.cost + 2, inner.finishedProduct());
        }
        return new Size(current.cost, current.finishedProduct());
    }

    private static long count(String digits) {
        return digits.length() > 7 ? 10_000_000 : Long.parseLong(digits);
    }

    /** The index of the closing brace of {@code {n}}, {@code {n,}} or {@code {n,m}} at {@code i}, or -1. */
    private static int repetitionEnd(String p, int i) {
        int j = i + 1;
        int digits = 0;
        while (j < p.length() && Character.isDigit(p.charAt(j)) && p.charAt(j) < 128) {
            j++;
            digits++;
        }
        if (digits == 0 || j >= p.length()) {
            return -1;
        }
        if (p.charAt(j) == '}') {
            return j;
        }
        if (p.charAt(j) != ',') {
            return -1;
        }
        j++;
        while (j < p.length() && Character.isDigit(p.charAt(j)) && p.charAt(j) < 128) {
            j++;
        }
        return j < p.length() && p.charAt(j) == '}' ? j : -1;
    }

    /** The index after the escape at {@code i} ({@code \Q...\E} quotes, {@code \p{..}}, {@code \x{..}}). */
    private static int escape(String p, int i) {
        int n = p.length();
        if (i + 1 >= n) {
            return n;
        }
        char e = p.charAt(i + 1);
        if (e == 'Q') {
            int end = p.indexOf("\\E", i + 2);
            return end < 0 ? n : end + 2;
        }
        if ((e == 'p' || e == 'P' || e == 'x') && i + 2 < n && p.charAt(i + 2) == '{') {
            int end = p.indexOf('}', i + 3);
            return end < 0 ? n : end + 1;
        }
        return i + 2;
    }

    /** The index after the character class that opens at {@code i}. */
    private static int classEnd(String p, int i) {
        int n = p.length();
        int j = i + 1;
        if (j < n && p.charAt(j) == '^') {
            j++;
        }
        if (j < n && p.charAt(j) == ']') {
            j++; // a leading ] is a literal
        }
        while (j < n) {
            char c = p.charAt(j);
            if (c == ']') {
                return j + 1;
            }
            if (c == '\\') {
                j = escape(p, j);
            } else if (c == '[' && j + 1 < n && p.charAt(j + 1) == ':') {
                int end = p.indexOf(":]", j + 2);
                j = end < 0 ? j + 1 : end + 2;
            } else {
                j++;
            }
        }
        return n;
    }
}

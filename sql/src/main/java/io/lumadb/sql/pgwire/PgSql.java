package io.lumadb.sql.pgwire;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the protocol layer needs to know of statement text before the SQL engine sees it, read
 * with PostgreSQL's lexical rules (quoted strings with {@code ''}, {@code E'...'} with
 * backslashes, quoted identifiers, dollar quoting, {@code --} and nested {@code /* *}{@code /}
 * comments): where one statement of a simple query ends, and where its {@code $n} parameters are.
 */
final class PgSql {

    private PgSql() {}

    /** One statement of a query string, and where it starts in it (0-based). */
    record Piece(String text, int offset) {}

    /** The statements of {@code query}, split at semicolons outside quotes and comments; blank ones left out. */
    static List<Piece> split(String query) {
        List<Piece> pieces = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < query.length()) {
            char c = query.charAt(i);
            if (c == ';') {
                add(pieces, query, start, i);
                start = i + 1;
                i++;
            } else {
                i = skip(query, i);
            }
        }
        add(pieces, query, start, query.length());
        return pieces;
    }

    private static void add(List<Piece> pieces, String query, int from, int to) {
        String text = query.substring(from, to);
        if (!blank(text)) {
            pieces.add(new Piece(text, from));
        }
    }

    /** Whether {@code text} holds nothing but spaces and comments. */
    static boolean blank(String text) {
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (text.startsWith("--", i) || text.startsWith("/*", i)) {
                i = skip(text, i);
            } else {
                return false;
            }
        }
        return true;
    }

    /**
     * The index after the token at {@code i}: past a whole quoted string, identifier or comment,
     * else past the one character.
     */
    static int skip(String s, int i) {
        char c = s.charAt(i);
        if (c == '\'') {
            boolean escapes = i > 0 && (s.charAt(i - 1) == 'E' || s.charAt(i - 1) == 'e') && !identChar(s, i - 2);
            return quoted(s, i, '\'', escapes);
        }
        if (c == '"') {
            return quoted(s, i, '"', false);
        }
        if (c == '-' && s.startsWith("--", i)) {
            int nl = s.indexOf('\n', i);
            return nl < 0 ? s.length() : nl + 1;
        }
        if (c == '/' && s.startsWith("/*", i)) {
            int depth = 1;
            int j = i + 2;
            while (j < s.length() && depth > 0) {
                if (s.startsWith("/*", j)) {
                    depth++;
                    j += 2;
                } else if (s.startsWith("*/", j)) {
                    depth--;
                    j += 2;
                } else {
                    j++;
                }
            }
            return j;
        }
        if (c == '$' && !identChar(s, i - 1)) {
            int j = i + 1;
            while (j < s.length() && (Character.isLetter(s.charAt(j)) || s.charAt(j) == '_')) {
                j++;
            }
            if (j < s.length() && s.charAt(j) == '$') {
                String tag = s.substring(i, j + 1);
                int close = s.indexOf(tag, j + 1);
                return close < 0 ? s.length() : close + tag.length();
            }
        }
        if (identChar(s, i)) {
            int j = i;
            while (j < s.length() && (identChar(s, j) || s.charAt(j) == '$')) {
                j++;
            }
            return j;
        }
        return i + 1;
    }

    private static boolean identChar(String s, int i) {
        if (i < 0 || i >= s.length()) {
            return false;
        }
        char c = s.charAt(i);
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static int quoted(String s, int i, char quote, boolean backslashes) {
        int j = i + 1;
        while (j < s.length()) {
            char c = s.charAt(j);
            if (backslashes && c == '\\') {
                j += 2;
            } else if (c == quote) {
                if (j + 1 < s.length() && s.charAt(j + 1) == quote) {
                    j += 2;
                } else {
                    return j + 1;
                }
            } else {
                j++;
            }
        }
        return s.length();
    }

    /**
     * A statement with its {@code $n} placeholders made positional ({@code ?}, each cast to its
     * declared type where the client declared one), and the parameter number of each {@code ?}.
     */
    record Positional(String text, int[] parameterOf, int parameterCount, int[] shiftAt, int[] shiftBy) {

        /** A position (1-based) in {@link #text} as one in the statement the client sent. */
        int original(int position) {
            int p = position;
            for (int k = shiftAt.length - 1; k >= 0; k--) {
                if (position > shiftAt[k]) {
                    p -= shiftBy[k];
                    break;
                }
            }
            return p;
        }
    }

    /**
     * {@code sql} with {@code $1}, {@code $2}... replaced by {@code ?}, cast to the SQL type {@code
     * casts[n-1]} where that is not null (so that a parameter takes the type the client said).
     */
    static Positional positional(String sql, List<String> casts) {
        StringBuilder out = new StringBuilder(sql.length());
        List<Integer> params = new ArrayList<>();
        List<Integer> shiftAt = new ArrayList<>();
        List<Integer> shiftBy = new ArrayList<>();
        int max = 0;
        int shift = 0;
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == '$' && i + 1 < sql.length() && Character.isDigit(sql.charAt(i + 1)) && !identChar(sql, i - 1)) {
                int j = i + 1;
                while (j < sql.length() && Character.isDigit(sql.charAt(j))) {
                    j++;
                }
                int n;
                try {
                    n = Integer.parseInt(sql.substring(i + 1, j));
                } catch (NumberFormatException e) {
                    n = Integer.MAX_VALUE;
                }
                if (n < 1 || n > 65535) {
                    throw new PgError(
                            "ERROR", "42P02", "there is no parameter $" + sql.substring(i + 1, j), null, null, i + 1);
                }
                String cast = n <= casts.size() ? casts.get(n - 1) : null;
                String placeholder = cast != null ? "CAST(? AS " + cast + ")" : "?";
                out.append(placeholder);
                shift += placeholder.length() - (j - i);
                shiftAt.add(out.length());
                shiftBy.add(shift);
                params.add(n);
                max = Math.max(max, n);
                i = j;
            } else {
                int next = skip(sql, i);
                out.append(sql, i, next);
                i = next;
            }
        }
        return new Positional(
                out.toString(),
                params.stream().mapToInt(Integer::intValue).toArray(),
                Math.max(max, casts.size()),
                shiftAt.stream().mapToInt(Integer::intValue).toArray(),
                shiftBy.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The first {@code n} words of {@code sql} (after spaces and comments), upper-cased, joined by one space. */
    static String words(String sql, int n) {
        List<String> words = new ArrayList<>(n);
        int i = 0;
        while (i < sql.length() && words.size() < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c) || sql.startsWith("--", i) || sql.startsWith("/*", i)) {
                i = Character.isWhitespace(c) ? i + 1 : skip(sql, i);
            } else if (Character.isLetter(c) || c == '_') {
                int j = i;
                while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
                    j++;
                }
                words.add(sql.substring(i, j).toUpperCase(Locale.ROOT));
                i = j;
            } else {
                break;
            }
        }
        return String.join(" ", words);
    }
}

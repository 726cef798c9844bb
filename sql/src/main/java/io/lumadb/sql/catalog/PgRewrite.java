package io.lumadb.sql.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Rewrites the PostgreSQL syntax that clients' catalog queries use into SQL that Calcite parses:
 * {@code OPERATOR(pg_catalog.~)} and the regular expression operators {@code ~ ~* !~ !~*} become
 * {@code pg_catalog.pg_regex(...)}; {@code ::} casts become {@code CAST} (or, for a name cast to
 * {@code regclass}, {@code pg_catalog.pg_regclass('name')}); {@code COLLATE pg_catalog.default}
 * is dropped; {@code current_database()}, {@code current_catalog} and {@code current_schema()}
 * become the literals they stand for.
 *
 * <p>Only statements that read the system catalogs are rewritten ({@link #applies}), so a user's
 * query is planned exactly as written. Text inside string literals, quoted identifiers and
 * comments is never touched.
 */
public final class PgRewrite {

    private static final Pattern MENTIONS =
            Pattern.compile("(?i)pg_catalog|information_schema|current_database|current_catalog|current_schema");

    /** Catalogs of objects LumaDB does not have: a query of them has no rows (see {@link #readsEmptyCatalog}). */
    private static final Set<String> EMPTY_CATALOGS = Set.of(
            "pg_policy",
            "pg_statistic_ext",
            "pg_publication",
            "pg_publication_rel",
            "pg_publication_namespace",
            "pg_inherits",
            "pg_trigger",
            "pg_rewrite",
            "pg_event_trigger",
            "pg_foreign_table",
            "pg_partitioned_table",
            "pg_sequence");

    private PgRewrite() {}

    /** Whether {@code sql} reads the system catalogs (or asks for the current database or schema). */
    public static boolean applies(String sql) {
        return MENTIONS.matcher(sql).find();
    }

    /**
     * Whether {@code sql} reads a catalog of objects LumaDB does not have (row-level policies,
     * extended statistics, publications, inheritance, triggers, rules, foreign and partitioned
     * tables, sequences). Such a query has no rows, whatever else it says; these are answered
     * without being planned, because they use PostgreSQL's arrays, which Calcite does not parse.
     */
    public static boolean readsEmptyCatalog(String sql) {
        for (Token t : tokens(sql)) {
            if (t.kind == Kind.WORD && EMPTY_CATALOGS.contains(t.text.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    /** {@code sql} in Calcite's syntax (see the class comment); {@code database} is the current one. */
    public static String rewrite(String sql, String database) {
        List<Token> t = tokens(sql);
        dropCollate(t);
        operatorSyntax(t);
        regexOperators(t);
        casts(t);
        currentNames(t, database);
        StringBuilder out = new StringBuilder(sql.length() + 32);
        for (Token token : t) {
            out.append(token.text);
        }
        return out.toString();
    }

    // ---- passes

    /** {@code COLLATE pg_catalog.default} / {@code COLLATE "default"}: the default is the only collation. */
    private static void dropCollate(List<Token> t) {
        for (int i = 0; i < t.size(); i++) {
            if (!t.get(i).isWord("COLLATE")) {
                continue;
            }
            int end = skipName(t, next(t, i));
            if (end > 0) {
                for (int k = i; k < end; k++) {
                    t.set(k, Token.space(""));
                }
            }
        }
    }

    /** {@code OPERATOR(pg_catalog.~)} is the operator {@code ~}. */
    private static void operatorSyntax(List<Token> t) {
        for (int i = 0; i < t.size(); i++) {
            if (!t.get(i).isWord("OPERATOR")) {
                continue;
            }
            int open = next(t, i);
            if (open < 0 || !t.get(open).is("(")) {
                continue;
            }
            int close = open + 1;
            StringBuilder op = new StringBuilder();
            while (close < t.size() && !t.get(close).is(")")) {
                Token k = t.get(close);
                if (k.kind == Kind.OP) {
                    op.append(k.text);
                }
                close++;
            }
            if (close == t.size() || op.isEmpty()) {
                continue;
            }
            for (int k = i; k <= close; k++) {
                t.set(k, Token.space(""));
            }
            t.set(i, new Token(Kind.OP, " " + op + " "));
        }
    }

    /** {@code a ~ 'x'} and its kin become {@code [NOT] pg_catalog.pg_regex(a, 'x', caseInsensitive)}. */
    private static void regexOperators(List<Token> t) {
        for (int i = 0; i < t.size(); i++) {
            Token op = t.get(i);
            if (op.kind != Kind.OP || !op.text.trim().matches("!?~\\*?")) {
                continue;
            }
            String o = op.text.trim();
            int leftStart = operandStart(t, previous(t, i));
            int right = next(t, i);
            if (leftStart < 0 || right < 0) {
                continue;
            }
            int rightEnd = right + 1;
            StringBuilder left = new StringBuilder();
            for (int k = leftStart; k < i; k++) {
                left.append(t.get(k).text);
            }
            String call = (o.startsWith("!") ? "NOT " : "") + "pg_catalog.pg_regex("
                    + left.toString().trim() + ", " + t.get(right).text + ", " + (o.endsWith("*") ? "TRUE" : "FALSE")
                    + ")";
            for (int k = leftStart; k < rightEnd; k++) {
                t.set(k, Token.space(""));
            }
            t.set(leftStart, new Token(Kind.WORD, call));
            i = leftStart;
        }
    }

    /** {@code x::type} becomes {@code CAST(x AS type)} in Calcite's types. */
    private static void casts(List<Token> t) {
        for (int i = 0; i < t.size(); i++) {
            if (!t.get(i).is("::")) {
                continue;
            }
            int leftStart = operandStart(t, previous(t, i));
            int typeStart = next(t, i);
            int typeEnd = typeStart < 0 ? -1 : skipName(t, typeStart);
            if (leftStart < 0 || typeEnd < 0) {
                continue;
            }
            String type = t.get(typeEnd - 1).text.toLowerCase(Locale.ROOT).replace("\"", "");
            boolean array = typeEnd < t.size() && t.get(typeEnd).is("[");
            if (array) {
                continue; // arrays are not rewritten: such queries fail to plan, as they would
            }
            StringBuilder left = new StringBuilder();
            for (int k = leftStart; k < i; k++) {
                left.append(t.get(k).text);
            }
            String operand = left.toString().trim();
            String replacement =
                    switch (type) {
                        case "regclass" ->
                            operand.startsWith("'")
                                    ? "pg_catalog.pg_regclass(" + operand + ")"
                                    : "CAST(" + operand + " AS INTEGER)";
                        case "text", "name", "varchar", "bpchar", "char" -> "CAST(" + operand + " AS VARCHAR)";
                        case "regtype", "regnamespace", "regproc", "oid", "int", "int4", "integer", "xid" ->
                            "CAST(" + operand + " AS INTEGER)";
                        case "int2", "smallint" -> "CAST(" + operand + " AS SMALLINT)";
                        case "int8", "bigint" -> "CAST(" + operand + " AS BIGINT)";
                        case "bool", "boolean" -> "CAST(" + operand + " AS BOOLEAN)";
                        case "float8" -> "CAST(" + operand + " AS DOUBLE)";
                        default -> null;
                    };
            if (replacement == null) {
                continue;
            }
            for (int k = leftStart; k < typeEnd; k++) {
                t.set(k, Token.space(""));
            }
            t.set(leftStart, new Token(Kind.WORD, replacement));
            i = leftStart;
        }
    }

    private static void currentNames(List<Token> t, String database) {
        String db = "'" + database.replace("'", "''") + "'";
        for (int i = 0; i < t.size(); i++) {
            Token k = t.get(i);
            if (k.kind != Kind.WORD) {
                continue;
            }
            String word = k.text.toLowerCase(Locale.ROOT);
            boolean qualified = i >= 2 && t.get(i - 1).is(".") && t.get(i - 2).isWord("pg_catalog");
            String literal =
                    switch (word) {
                        case "current_database" -> db;
                        case "current_schema" -> "'public'";
                        case "current_catalog" -> db;
                        default -> null;
                    };
            if (literal == null) {
                continue;
            }
            int open = next(t, i);
            int end = i + 1;
            if (open >= 0 && t.get(open).is("(")) {
                int close = next(t, open);
                if (close < 0 || !t.get(close).is(")")) {
                    continue;
                }
                end = close + 1;
            } else if (!word.equals("current_catalog")) {
                continue;
            }
            int start = qualified ? i - 2 : i;
            for (int k2 = start; k2 < end; k2++) {
                t.set(k2, Token.space(""));
            }
            t.set(start, new Token(Kind.STRING, literal));
        }
    }

    // ---- operands

    /**
     * Where the operand ending at {@code end} starts: a literal, a parameter, a (qualified) name,
     * or a parenthesised expression (with the function name before it); -1 if none.
     */
    private static int operandStart(List<Token> t, int end) {
        if (end < 0) {
            return -1;
        }
        Token last = t.get(end);
        if (last.kind == Kind.STRING || last.kind == Kind.NUMBER || last.text.startsWith("$")) {
            return end;
        }
        if (last.is(")")) {
            int depth = 0;
            for (int k = end; k >= 0; k--) {
                if (t.get(k).is(")")) {
                    depth++;
                } else if (t.get(k).is("(")) {
                    depth--;
                    if (depth == 0) {
                        int before = previous(t, k);
                        if (before >= 0 && (t.get(before).kind == Kind.WORD || t.get(before).kind == Kind.QUOTED)) {
                            return nameStart(t, before);
                        }
                        return k;
                    }
                }
            }
            return -1;
        }
        if (last.kind == Kind.WORD || last.kind == Kind.QUOTED) {
            return nameStart(t, end);
        }
        return -1;
    }

    private static int nameStart(List<Token> t, int end) {
        int start = end;
        while (start >= 2
                && t.get(start - 1).is(".")
                && (t.get(start - 2).kind == Kind.WORD || t.get(start - 2).kind == Kind.QUOTED)) {
            start -= 2;
        }
        return start;
    }

    /** The end (exclusive) of a possibly qualified name starting at {@code from}, or -1. */
    private static int skipName(List<Token> t, int from) {
        if (from < 0 || (t.get(from).kind != Kind.WORD && t.get(from).kind != Kind.QUOTED)) {
            return -1;
        }
        int end = from + 1;
        while (end + 1 < t.size()
                && t.get(end).is(".")
                && (t.get(end + 1).kind == Kind.WORD || t.get(end + 1).kind == Kind.QUOTED)) {
            end += 2;
        }
        return end;
    }

    private static int next(List<Token> t, int i) {
        for (int k = i + 1; k < t.size(); k++) {
            if (t.get(k).kind != Kind.SPACE) {
                return k;
            }
        }
        return -1;
    }

    private static int previous(List<Token> t, int i) {
        for (int k = i - 1; k >= 0; k--) {
            if (t.get(k).kind != Kind.SPACE) {
                return k;
            }
        }
        return -1;
    }

    // ---- tokens

    private enum Kind {
        WORD,
        QUOTED,
        STRING,
        NUMBER,
        OP,
        PUNCT,
        SPACE
    }

    private record Token(Kind kind, String text) {
        static Token space(String text) {
            return new Token(Kind.SPACE, text);
        }

        boolean is(String s) {
            return (kind == Kind.PUNCT || kind == Kind.OP) && text.equals(s);
        }

        boolean isWord(String w) {
            return kind == Kind.WORD && text.equalsIgnoreCase(w);
        }
    }

    private static List<Token> tokens(String sql) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            int start = i;
            if (Character.isWhitespace(c)) {
                while (i < n && Character.isWhitespace(sql.charAt(i))) {
                    i++;
                }
                out.add(Token.space(sql.substring(start, i)));
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
                out.add(Token.space(sql.substring(start, i)));
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int close = sql.indexOf("*/", i + 2);
                i = close < 0 ? n : close + 2;
                out.add(Token.space(sql.substring(start, i)));
            } else if (c == '\'' || ((c == 'E' || c == 'e') && i + 1 < n && sql.charAt(i + 1) == '\'')) {
                i = c == '\'' ? i + 1 : i + 2;
                while (i < n) {
                    if (sql.charAt(i) == '\\' && c != '\'') {
                        i += 2;
                        continue;
                    }
                    if (sql.charAt(i) == '\'') {
                        if (i + 1 < n && sql.charAt(i + 1) == '\'') {
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    i++;
                }
                out.add(new Token(Kind.STRING, sql.substring(start, Math.min(i, n))));
            } else if (c == '"') {
                i++;
                while (i < n) {
                    if (sql.charAt(i) == '"') {
                        if (i + 1 < n && sql.charAt(i + 1) == '"') {
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    i++;
                }
                out.add(new Token(Kind.QUOTED, sql.substring(start, Math.min(i, n))));
            } else if (Character.isLetter(c) || c == '_') {
                while (i < n
                        && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_' || sql.charAt(i) == '$')) {
                    i++;
                }
                out.add(new Token(Kind.WORD, sql.substring(start, i)));
            } else if (Character.isDigit(c) || (c == '$' && i + 1 < n && Character.isDigit(sql.charAt(i + 1)))) {
                i++;
                while (i < n && (Character.isDigit(sql.charAt(i)) || sql.charAt(i) == '.')) {
                    i++;
                }
                out.add(new Token(Kind.NUMBER, sql.substring(start, i)));
            } else if (c == ':' && i + 1 < n && sql.charAt(i + 1) == ':') {
                i += 2;
                out.add(new Token(Kind.OP, "::"));
            } else if ("~!<>=+-*/%|&^#@".indexOf(c) >= 0) {
                while (i < n && "~!<>=+-*/%|&^#@".indexOf(sql.charAt(i)) >= 0) {
                    i++;
                }
                out.add(new Token(Kind.OP, sql.substring(start, i)));
            } else {
                i++;
                out.add(new Token(Kind.PUNCT, String.valueOf(c)));
            }
        }
        return out;
    }
}

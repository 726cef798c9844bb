package io.lumadb.sql.pgwire;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The statements the protocol layer answers itself rather than the SQL engine: transaction
 * control, run-time parameters, and the release of prepared statements. Reads in LumaDB are
 * single statements (each sees the shards as they answer it), so {@code BEGIN} and {@code
 * COMMIT} delimit a block for the client's sake (its status, and PostgreSQL's rule that a failed
 * block ignores commands until it ends) without isolating the statements inside it.
 */
final class PgCommands {

    private PgCommands() {}

    sealed interface Command {}

    record Begin() implements Command {}

    record Commit() implements Command {}

    record Rollback() implements Command {}

    /** {@code SET name TO value}; a null value is {@code DEFAULT}. */
    record Set(String name, String value) implements Command {}

    /** A {@code SET} that changes nothing here ({@code SET TRANSACTION ...}). */
    record SetNothing() implements Command {}

    /** {@code RESET name}; a null name is {@code RESET ALL}. */
    record Reset(String name) implements Command {}

    /** {@code SHOW name}; a null name is {@code SHOW ALL}. */
    record Show(String name) implements Command {}

    /** {@code DISCARD ALL}. */
    record Discard() implements Command {}

    /** {@code DEALLOCATE name}; a null name is {@code DEALLOCATE ALL}. */
    record Deallocate(String name) implements Command {}

    /** The command {@code sql} is, or null if it is for the SQL engine. */
    static Command parse(String sql) {
        List<String> t = tokens(sql);
        if (t.isEmpty()) {
            return null;
        }
        String first = t.getFirst().toUpperCase(Locale.ROOT);
        return switch (first) {
            case "BEGIN", "START" -> new Begin();
            case "COMMIT", "END" -> new Commit();
            case "ROLLBACK", "ABORT" -> {
                if (t.size() > 1 && (upper(t, 1).equals("TO") || upper(t, 1).equals("PREPARED"))) {
                    throw PgError.error("0A000", "savepoints and prepared transactions are not supported");
                }
                yield new Rollback();
            }
            case "SAVEPOINT", "RELEASE" -> throw PgError.error("0A000", "savepoints are not supported");
            case "SET" -> set(t);
            case "RESET" -> {
                if (t.size() < 2) {
                    throw syntax();
                }
                yield upper(t, 1).equals("ALL") ? new Reset(null) : new Reset(name(t, 1));
            }
            case "SHOW" -> {
                if (t.size() < 2) {
                    throw syntax();
                }
                String what = upper(t, 1);
                if (what.equals("ALL")) {
                    yield new Show(null);
                }
                if (what.equals("TIME") && t.size() > 2 && upper(t, 2).equals("ZONE")) {
                    yield new Show("TimeZone");
                }
                if (what.equals("TRANSACTION")) {
                    yield new Show("transaction_isolation");
                }
                yield new Show(name(t, 1));
            }
            case "DISCARD" -> new Discard();
            case "DEALLOCATE" -> {
                int at = t.size() > 1 && upper(t, 1).equals("PREPARE") ? 2 : 1;
                if (t.size() <= at) {
                    throw syntax();
                }
                yield upper(t, at).equals("ALL") ? new Deallocate(null) : new Deallocate(unquote(t.get(at)));
            }
            default -> null;
        };
    }

    private static Command set(List<String> t) {
        int i = 1;
        if (i < t.size() && (upper(t, i).equals("SESSION") || upper(t, i).equals("LOCAL"))) {
            i++;
            if (i < t.size() && upper(t, i).equals("CHARACTERISTICS")) {
                return new SetNothing();
            }
            if (i < t.size() && upper(t, i).equals("AUTHORIZATION")) {
                throw PgError.error("0A000", "SET SESSION AUTHORIZATION is not supported; connect as the user");
            }
        }
        if (i >= t.size()) {
            throw syntax();
        }
        switch (upper(t, i)) {
            case "TRANSACTION" -> {
                return new SetNothing();
            }
            case "ROLE" -> throw PgError.error("0A000", "SET ROLE is not supported; connect as the user");
            case "TIME" -> {
                if (i + 2 < t.size() && upper(t, i + 1).equals("ZONE")) {
                    return value("TimeZone", t, i + 2);
                }
                throw syntax();
            }
            case "NAMES" -> {
                return value("client_encoding", t, i + 1);
            }
            case "SCHEMA" -> {
                return value("search_path", t, i + 1);
            }
            default -> {
                String name = name(t, i);
                int at = i + 1;
                while (at + 1 < t.size() && t.get(at).equals(".")) {
                    at += 2; // a custom parameter: app.tenant
                }
                if (at >= t.size() || !(t.get(at).equals("=") || upper(t, at).equals("TO"))) {
                    throw syntax();
                }
                return value(name, t, at + 1);
            }
        }
    }

    private static Command value(String name, List<String> t, int from) {
        if (from >= t.size()) {
            throw syntax();
        }
        if (from == t.size() - 1 && upper(t, from).equals("DEFAULT")) {
            return new Set(name, null);
        }
        StringBuilder value = new StringBuilder();
        for (int i = from; i < t.size(); i++) {
            String token = t.get(i);
            if (token.equals(",")) {
                value.append(", ");
            } else if (token.equals("-") || token.equals("+")) {
                value.append(token);
            } else {
                value.append(unquote(token));
            }
        }
        return new Set(name, value.toString());
    }

    /** The parameter name starting at token {@code i}, with a custom parameter's {@code prefix.name}. */
    private static String name(List<String> t, int i) {
        StringBuilder name = new StringBuilder(unquote(t.get(i)).toLowerCase(Locale.ROOT));
        for (int j = i + 1; j + 1 < t.size() && t.get(j).equals("."); j += 2) {
            name.append('.').append(unquote(t.get(j + 1)).toLowerCase(Locale.ROOT));
        }
        return name.toString();
    }

    private static String upper(List<String> t, int i) {
        return t.get(i).toUpperCase(Locale.ROOT);
    }

    private static PgError syntax() {
        return PgError.error("42601", "syntax error in a SET, SHOW, RESET or DEALLOCATE statement");
    }

    private static String unquote(String token) {
        if (token.length() >= 2 && token.charAt(0) == '\'' && token.endsWith("'")) {
            return token.substring(1, token.length() - 1).replace("''", "'");
        }
        if (token.length() >= 2 && token.charAt(0) == '"' && token.endsWith("\"")) {
            return token.substring(1, token.length() - 1).replace("\"\"", "\"");
        }
        return token;
    }

    /** The tokens of {@code sql}: words and numbers, quoted strings and names, single punctuation. */
    static List<String> tokens(String sql) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c) || c == ';') {
                i++;
            } else if (sql.startsWith("--", i) || sql.startsWith("/*", i)) {
                i = PgSql.skip(sql, i);
            } else if (c == '\'' || c == '"') {
                int end = PgSql.skip(sql, i);
                tokens.add(sql.substring(i, end));
                i = end;
            } else if (Character.isLetterOrDigit(c) || c == '_') {
                int j = i;
                while (j < sql.length()
                        && (Character.isLetterOrDigit(sql.charAt(j))
                                || sql.charAt(j) == '_'
                                || sql.charAt(j) == '$'
                                || (sql.charAt(j) == '.' && Character.isDigit(c)))) {
                    j++;
                }
                tokens.add(sql.substring(i, j));
                i = j;
            } else {
                tokens.add(String.valueOf(c));
                i++;
            }
        }
        return tokens;
    }
}

package io.lumadb.sql;

import io.lumadb.shards.NotFoundException;
import io.lumadb.shards.ShardUnavailableException;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.QueryTimeoutException;
import io.lumadb.sql.SqlException.Kind;
import io.lumadb.sql.schema.CollectionTable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.runtime.CalciteContextException;
import org.apache.calcite.sql.parser.SqlParseException;

/**
 * Every failure of a statement as a {@link SqlException}: Calcite's parse and validation errors
 * with their place in the statement and the SQLSTATE PostgreSQL would give, and the data layer's
 * failures with theirs. One exhaustive place, so the HTTP API and the wire protocol agree.
 */
public final class SqlErrors {

    private static final Pattern NOT_FOUND_OBJECT = Pattern.compile("Object '([^']*)' not found.*");
    private static final Pattern NOT_FOUND_TABLE = Pattern.compile("Table '([^']*)' not found.*");
    private static final Pattern NOT_FOUND_COLUMN = Pattern.compile("Column '([^']*)' not found.*");

    private SqlErrors() {}

    /**
     * {@code failure} as a {@link SqlException}, positioned in {@code sql} where it is the
     * statement's fault; null for a failure that is LumaDB's own (a bug, reported as internal).
     */
    public static SqlException of(Throwable failure, String sql) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            switch (t) {
                case SqlException e -> {
                    return e;
                }
                case SqlParseException e -> {
                    int line = e.getPos() == null ? 0 : e.getPos().getLineNum();
                    int column = e.getPos() == null ? 0 : e.getPos().getColumnNum();
                    return new SqlException(
                            Kind.BAD_STATEMENT,
                            "42601",
                            "syntax error: " + firstLine(e.getMessage()),
                            offset(sql, line, column),
                            line,
                            column,
                            e);
                }
                case CalciteContextException e -> {
                    return validation(e, sql);
                }
                case io.lumadb.security.AccessDeniedException e -> {
                    return new SqlException(Kind.FORBIDDEN, "42501", e.getMessage());
                }
                case CollectionTable.HiddenColumnException e -> {
                    return new SqlException(Kind.FORBIDDEN, "42501", e.getMessage());
                }
                case QueryTimeoutException e -> {
                    return new SqlException(
                            Kind.TIMEOUT, "57014", "canceling statement due to statement timeout: " + e.getMessage());
                }
                case ShardUnavailableException e -> {
                    return new SqlException(Kind.UNAVAILABLE, "57P03", e.getMessage());
                }
                case NotFoundException e -> {
                    return new SqlException(Kind.NOT_FOUND, "3D000", e.getMessage());
                }
                case QueryException e -> {
                    return new SqlException(
                            Kind.BAD_STATEMENT, "54001", "the statement is too complex to run: " + e.getMessage());
                }
                case ArithmeticException e -> {
                    // As PostgreSQL words them: the JVM says "/ by zero" or "integer overflow".
                    String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
                    if (m.contains("overflow")) {
                        return new SqlException(Kind.BAD_STATEMENT, "22003", "integer out of range");
                    }
                    if (m.contains("zero") || m.contains("division")) {
                        return new SqlException(Kind.BAD_STATEMENT, "22012", "division by zero");
                    }
                    return new SqlException(Kind.BAD_STATEMENT, "22000", messageOf(e, "arithmetic error"));
                }
                case NumberFormatException e -> {
                    return new SqlException(Kind.BAD_STATEMENT, "22P02", "invalid input syntax: " + e.getMessage());
                }
                default -> {}
            }
        }
        return null;
    }

    private static SqlException validation(CalciteContextException e, String sql) {
        String message = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
        message = message == null ? "invalid statement" : message;
        String state = "42000";
        Matcher m;
        if ((m = NOT_FOUND_OBJECT.matcher(message)).matches() || (m = NOT_FOUND_TABLE.matcher(message)).matches()) {
            state = "42P01";
            message = "relation \"" + m.group(1) + "\" does not exist";
        } else if ((m = NOT_FOUND_COLUMN.matcher(message)).matches()) {
            state = "42703";
            message = "column \"" + m.group(1) + "\" does not exist";
        } else if (message.startsWith("No match found for function signature")) {
            state = "42883";
        } else if (message.startsWith("Cannot apply")) {
            state = "42883";
        } else if (message.toLowerCase(Locale.ROOT).contains("ambiguous")) {
            state = "42702";
        } else if (message.contains("is not being grouped") || message.contains("not in GROUP BY")) {
            state = "42803";
        }
        int line = e.getPosLine();
        int column = e.getPosColumn();
        return new SqlException(Kind.BAD_STATEMENT, state, message, offset(sql, line, column), line, column, e);
    }

    /** The 1-based character offset of a 1-based line and column in {@code sql}, or 0. */
    static int offset(String sql, int line, int column) {
        if (line <= 0 || column <= 0) {
            return 0;
        }
        int at = 0;
        for (int l = 1; l < line; l++) {
            int nl = sql.indexOf('\n', at);
            if (nl < 0) {
                return 0;
            }
            at = nl + 1;
        }
        return Math.min(sql.length(), at + column - 1) + 1;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private static String messageOf(Throwable t, String fallback) {
        return t.getMessage() == null ? fallback : t.getMessage();
    }
}

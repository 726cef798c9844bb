package io.lumadb.sql.pgwire;

import io.lumadb.sql.SqlErrors;
import io.lumadb.sql.SqlException;

/**
 * An error as the PostgreSQL protocol reports it: severity ({@code ERROR} ends the statement,
 * {@code FATAL} the connection), SQLSTATE, message, and where known a detail, a hint and the
 * 1-based character position in the statement.
 */
final class PgError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String severity;
    private final String sqlState;
    private final String detail;
    private final String hint;
    private final int position;

    PgError(String severity, String sqlState, String message, String detail, String hint, int position) {
        super(message, null, false, false);
        this.severity = severity;
        this.sqlState = sqlState;
        this.detail = detail;
        this.hint = hint;
        this.position = position;
    }

    static PgError error(String sqlState, String message) {
        return new PgError("ERROR", sqlState, message, null, null, 0);
    }

    static PgError fatal(String sqlState, String message) {
        return new PgError("FATAL", sqlState, message, null, null, 0);
    }

    PgError withHint(String hint) {
        return new PgError(severity, sqlState, getMessage(), detail, hint, position);
    }

    boolean fatal() {
        return severity.equals("FATAL");
    }

    String severity() {
        return severity;
    }

    String sqlState() {
        return sqlState;
    }

    String detail() {
        return detail;
    }

    String hint() {
        return hint;
    }

    int position() {
        return position;
    }

    /**
     * {@code failure} of a statement as an error to report; {@code shift} maps a position in the
     * text the engine ran to one in the text the client sent. Anything that is not the client's
     * doing is an internal error ({@code XX000}), logged by the caller.
     */
    static PgError of(Throwable failure, java.util.function.IntUnaryOperator shift) {
        Throwable t = failure;
        while ((t instanceof java.util.concurrent.CompletionException
                        || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof PgError e) {
            return e;
        }
        // The same SQLSTATE and wording as over HTTP: one mapping for both.
        SqlException e = SqlErrors.of(t, "");
        if (e == null) {
            return internal(t);
        }
        return new PgError(
                "ERROR",
                e.sqlState(),
                e.getMessage(),
                e.detail(),
                e.hint(),
                e.position() > 0 ? Math.max(1, shift.applyAsInt(e.position())) : 0);
    }

    static PgError internal(Throwable t) {
        return error(
                "XX000",
                "internal error: " + t.getClass().getSimpleName()
                        + (t.getMessage() == null ? "" : ": " + t.getMessage()));
    }

    static boolean isInternal(PgError e) {
        return e.sqlState.equals("XX000");
    }
}

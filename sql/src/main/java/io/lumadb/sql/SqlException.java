package io.lumadb.sql;

/**
 * A statement LumaDB refuses or could not run, with the PostgreSQL SQLSTATE a client's driver
 * understands and, where the statement itself is at fault, the place in it.
 *
 * @see SqlErrors
 */
public final class SqlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What kind of failure, for the HTTP status. */
    public enum Kind {
        /** The statement is wrong (syntax, names, types, values): 400. */
        BAD_STATEMENT,
        /** Something the statement needs is not supported: 400. */
        UNSUPPORTED,
        /** The database does not exist: 404. */
        NOT_FOUND,
        /** The caller may not read something the statement reads: 403. */
        FORBIDDEN,
        /** The statement ran out of time: 408. */
        TIMEOUT,
        /** The answer is larger than a response may hold: 413. */
        TOO_LARGE,
        /** A shard or the catalog is not reachable now: 503. */
        UNAVAILABLE
    }

    private final Kind kind;
    private final String sqlState;
    private final int position;
    private final int line;
    private final int column;

    /**
     * @param position the 1-based character offset in the statement, or 0 when unknown
     */
    public SqlException(
            Kind kind, String sqlState, String message, int position, int line, int column, Throwable cause) {
        this(kind, sqlState, message, position, line, column, cause, null, null);
    }

    private SqlException(
            Kind kind,
            String sqlState,
            String message,
            int position,
            int line,
            int column,
            Throwable cause,
            String detail,
            String hint) {
        super(message, cause);
        this.kind = kind;
        this.sqlState = sqlState;
        this.position = position;
        this.line = line;
        this.column = column;
        this.detail = detail;
        this.hint = hint;
    }

    public SqlException(Kind kind, String sqlState, String message) {
        this(kind, sqlState, message, 0, 0, 0, null);
    }

    /** A failure with PostgreSQL's detail and hint (either may be null). */
    public SqlException(Kind kind, String sqlState, String message, String detail, String hint) {
        this(kind, sqlState, message, 0, 0, 0, null, detail, hint);
    }

    private final String detail;
    private final String hint;

    /** More about the failure (PostgreSQL's DETAIL), or null. */
    public String detail() {
        return detail;
    }

    /** What to do about it (PostgreSQL's HINT), or null. */
    public String hint() {
        return hint;
    }

    public Kind kind() {
        return kind;
    }

    /** The five-character SQLSTATE, as PostgreSQL defines them. */
    public String sqlState() {
        return sqlState;
    }

    /** The 1-based character offset in the statement, or 0 when unknown. */
    public int position() {
        return position;
    }

    /** The 1-based line of {@link #position}, or 0. */
    public int line() {
        return line;
    }

    /** The 1-based column of {@link #position}, or 0. */
    public int column() {
        return column;
    }
}

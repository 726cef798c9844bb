package io.lumadb.sql;

/**
 * A request to stop a running statement, from another thread (a PostgreSQL cancel request). The
 * statement notices it between rows and while it waits for its shards, and fails with SQLSTATE
 * {@code 57014}.
 */
public final class Cancellation {
    private volatile boolean requested;

    public void cancel() {
        requested = true;
    }

    public boolean requested() {
        return requested;
    }

    /** Throws the cancel error if cancelling was asked for. */
    public void check() {
        if (requested) {
            throw new SqlException(SqlException.Kind.TIMEOUT, "57014", "canceling statement due to user request");
        }
    }
}

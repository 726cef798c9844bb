package io.lumadb.client.example;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Supplier;

/**
 * Hands out {@link PlainJdbcSession}s over {@link DriverManager} connections and keeps up to
 * {@code maxIdle} of them for reuse, so that a projection does not connect once per change. A
 * deliberately small stand-in for a connection pool (an application would use its pool of
 * choice); a connection that failed to roll back is closed, not reused.
 */
public final class PlainJdbcSessions implements Supplier<PlainJdbcSession>, AutoCloseable {

    private final String url;
    private final int maxIdle;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    /**
     * @param url a JDBC URL, such as {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}
     * @param maxIdle connections kept open between sessions (the projection's JDBC dispatcher
     *     threads are a good number)
     */
    public PlainJdbcSessions(String url, int maxIdle) {
        if (url == null || !url.startsWith("jdbc:")) {
            throw new IllegalArgumentException("url must be a JDBC URL (jdbc:...), got " + url);
        }
        if (maxIdle < 0) {
            throw new IllegalArgumentException("maxIdle must not be negative, got " + maxIdle);
        }
        this.url = url;
        this.maxIdle = maxIdle;
    }

    /** A session on an idle connection, or on a new one. */
    @Override
    public PlainJdbcSession get() {
        if (closed) {
            throw new IllegalStateException("the sessions of " + safeUrl() + " are closed");
        }
        Connection connection;
        while ((connection = idle.pollFirst()) != null) {
            try {
                if (!connection.isClosed()) {
                    return new PlainJdbcSession(connection, this);
                }
            } catch (SQLException e) {
                closeQuietly(connection);
            }
        }
        try {
            connection = DriverManager.getConnection(url);
            connection.setAutoCommit(false);
            return new PlainJdbcSession(connection, this);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to " + safeUrl() + ": " + e.getMessage(), e);
        }
    }

    void release(Connection connection, boolean healthy) {
        if (healthy && !closed && idle.size() < maxIdle) {
            idle.addFirst(connection);
            if (closed && idle.remove(connection)) {
                closeQuietly(connection);
            }
        } else {
            closeQuietly(connection);
        }
    }

    /** Closes the idle connections; sessions still open close theirs when they are closed. */
    @Override
    public void close() {
        closed = true;
        Connection connection;
        while ((connection = idle.pollFirst()) != null) {
            closeQuietly(connection);
        }
    }

    /** The URL without its parameters, which may hold a password. */
    private String safeUrl() {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query);
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing a broken connection: nothing more to do
        }
    }
}

package io.lumadb.client.example;

import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * A Pekko Projections {@link JdbcSession} over one plain JDBC connection (auto-commit off): the
 * handler's statements and the projection's offset update run in its one transaction, which the
 * projection then commits or rolls back. Closing it hands the connection back to its {@link
 * PlainJdbcSessions} with no transaction open.
 */
public final class PlainJdbcSession implements JdbcSession, AutoCloseable {

    private final Connection connection;
    private final PlainJdbcSessions owner;
    private boolean closed;

    PlainJdbcSession(Connection connection, PlainJdbcSessions owner) {
        this.connection = connection;
        this.owner = owner;
    }

    @Override
    public <Result> Result withConnection(Function<Connection, Result> func) throws Exception {
        if (closed) {
            throw new IllegalStateException("this session is closed");
        }
        return func.apply(connection);
    }

    @Override
    public void commit() throws SQLException {
        connection.commit();
    }

    @Override
    public void rollback() throws SQLException {
        connection.rollback();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean healthy;
        try {
            // Nothing to undo after a commit; after a failure this ends the transaction, and a
            // connection that cannot even roll back is broken and must not be reused.
            connection.rollback();
            healthy = true;
        } catch (SQLException e) {
            healthy = false;
        }
        owner.release(connection, healthy);
    }
}

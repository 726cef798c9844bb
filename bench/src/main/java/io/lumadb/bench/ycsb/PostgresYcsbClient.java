package io.lumadb.bench.ycsb;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.Vector;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import site.ycsb.ByteIterator;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * YCSB binding for PostgreSQL over JDBC: one connection per YCSB client thread, autocommit on (each
 * operation is one transaction, durable as the server's {@code synchronous_commit} says), prepared
 * statements cached per thread by operation and field list.
 *
 * <p>Table (created by {@link #reset}): {@code usertable(ycsb_key VARCHAR(255) COLLATE "C" PRIMARY
 * KEY, field0 TEXT, ..., field9 TEXT)}, the field names and count from YCSB's {@code fieldnameprefix}
 * and {@code fieldcount}. The {@code "C"} collation makes scans return keys in byte order, the order
 * LumaDB and Redis ({@code ZRANGEBYLEX}) use, whatever the database's default collation. insert is
 * {@code INSERT ... ON CONFLICT (ycsb_key) DO UPDATE} of the given fields (YCSB inserts always carry
 * all of them), update is {@code UPDATE ... SET} (NOT_FOUND if no row), read and scan {@code SELECT}
 * (scan: {@code WHERE ycsb_key >= ? ORDER BY ycsb_key LIMIT ?}). Values are text, one character per
 * byte (see {@link Binding}). Identifiers are quoted, and must be letters, digits and {@code _}.
 *
 * <p>Properties: {@code postgres.url} (default {@value #DEFAULT_URL}), {@code postgres.user} (default
 * {@code postgres}), {@code postgres.password} (default empty). A connection that breaks is reopened
 * on the next operation. Not thread-safe: YCSB makes one instance per thread.
 */
public final class PostgresYcsbClient extends Binding {

    public static final String URL_PROPERTY = "postgres.url";
    public static final String USER_PROPERTY = "postgres.user";
    public static final String PASSWORD_PROPERTY = "postgres.password";
    public static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    public static final String KEY_COLUMN = "ycsb_key";

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    private Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    @Override
    public void init() throws DBException {
        try {
            connection = open(getProperties());
        } catch (SQLException e) {
            throw new DBException(
                    "cannot connect to PostgreSQL at " + getProperties().getProperty(URL_PROPERTY, DEFAULT_URL) + ": "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public void cleanup() {
        closeConnection();
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        try {
            List<String> columns = fields == null ? null : sorted(fields);
            PreparedStatement ps = statement(
                    "R",
                    table,
                    columns,
                    () -> "SELECT " + selectList(columns) + " FROM " + quote(table) + " WHERE " + KEY_COLUMN + " = ?");
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Status.NOT_FOUND;
                }
                readRow(rs, result);
            }
            return Status.OK;
        } catch (SQLException | IllegalArgumentException e) {
            return error("read " + key, e);
        }
    }

    @Override
    public Status scan(
            String table,
            String startkey,
            int recordcount,
            Set<String> fields,
            Vector<HashMap<String, ByteIterator>> result) {
        try {
            List<String> columns = fields == null ? null : sorted(fields);
            PreparedStatement ps = statement(
                    "S",
                    table,
                    columns,
                    () -> "SELECT " + selectList(columns) + " FROM " + quote(table) + " WHERE " + KEY_COLUMN
                            + " >= ? ORDER BY " + KEY_COLUMN + " LIMIT ?");
            ps.setString(1, startkey);
            ps.setInt(2, recordcount);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    HashMap<String, ByteIterator> record = new HashMap<>();
                    readRow(rs, record);
                    result.add(record);
                }
            }
            return Status.OK;
        } catch (SQLException | IllegalArgumentException e) {
            return error("scan from " + startkey, e);
        }
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        try {
            List<String> columns = sorted(values.keySet());
            PreparedStatement ps = statement(
                    "U",
                    table,
                    columns,
                    () -> "UPDATE " + quote(table) + " SET " + join(columns, c -> quote(c) + " = ?") + " WHERE "
                            + KEY_COLUMN + " = ?");
            int i = 1;
            for (String column : columns) {
                ps.setString(i++, text(values.get(column)));
            }
            ps.setString(i, key);
            return ps.executeUpdate() == 1 ? Status.OK : Status.NOT_FOUND;
        } catch (SQLException | IllegalArgumentException e) {
            return error("update " + key, e);
        }
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        try {
            List<String> columns = sorted(values.keySet());
            PreparedStatement ps = statement(
                    "I",
                    table,
                    columns,
                    () -> "INSERT INTO " + quote(table) + " (" + KEY_COLUMN + join(columns, c -> ", " + quote(c), "")
                            + ") VALUES (?" + ", ?".repeat(columns.size()) + ") ON CONFLICT (" + KEY_COLUMN + ") DO "
                            + (columns.isEmpty()
                                    ? "NOTHING"
                                    : "UPDATE SET " + join(columns, c -> quote(c) + " = EXCLUDED." + quote(c))));
            ps.setString(1, key);
            int i = 2;
            for (String column : columns) {
                ps.setString(i++, text(values.get(column)));
            }
            ps.executeUpdate();
            return Status.OK;
        } catch (SQLException | IllegalArgumentException e) {
            return error("insert " + key, e);
        }
    }

    @Override
    public Status delete(String table, String key) {
        try {
            PreparedStatement ps = statement(
                    "D", table, List.of(), () -> "DELETE FROM " + quote(table) + " WHERE " + KEY_COLUMN + " = ?");
            ps.setString(1, key);
            return ps.executeUpdate() == 1 ? Status.OK : Status.NOT_FOUND;
        } catch (SQLException | IllegalArgumentException e) {
            return error("delete " + key, e);
        }
    }

    /**
     * Drops table {@code table} (default usertable) if it exists and creates it empty, with {@code
     * fieldcount} (default 10) TEXT columns named {@code fieldnameprefix} (default "field") + index.
     */
    public static void reset(Properties p) throws SQLException {
        String table = p.getProperty("table", "usertable");
        String prefix = p.getProperty("fieldnameprefix", "field");
        List<String> fields = IntStream.range(0, Integer.parseInt(p.getProperty("fieldcount", "10")))
                .mapToObj(i -> prefix + i)
                .toList();
        try (Connection c = open(p);
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + quote(table));
            s.execute("CREATE TABLE " + quote(table) + " (" + KEY_COLUMN + " VARCHAR(255) COLLATE \"C\" PRIMARY KEY"
                    + join(fields, f -> ", " + quote(f) + " TEXT", "") + ")");
        }
    }

    // ---- JDBC plumbing

    private static Connection open(Properties p) throws SQLException {
        Properties info = new Properties();
        info.setProperty("user", p.getProperty(USER_PROPERTY, "postgres"));
        info.setProperty("password", p.getProperty(PASSWORD_PROPERTY, ""));
        Connection c = DriverManager.getConnection(p.getProperty(URL_PROPERTY, DEFAULT_URL), info);
        c.setAutoCommit(true);
        return c;
    }

    private void closeConnection() {
        statements.clear(); // they die with their connection
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // The connection is dropped either way.
            }
            connection = null;
        }
    }

    /** The cached statement of operation {@code op} on {@code table} with {@code columns}. */
    private PreparedStatement statement(String op, String table, List<String> columns, Supplier<String> sql)
            throws SQLException {
        String cacheKey = op + '|' + table + '|' + (columns == null ? "*" : String.join(",", columns));
        PreparedStatement ps = statements.get(cacheKey);
        if (ps == null) {
            if (connection == null) {
                connection = open(getProperties());
            }
            ps = connection.prepareStatement(sql.get());
            statements.put(cacheKey, ps);
        }
        return ps;
    }

    private static String selectList(List<String> columns) {
        return columns == null ? "*" : columns.isEmpty() ? KEY_COLUMN : join(columns, PostgresYcsbClient::quote);
    }

    private static String join(List<String> names, Function<String, String> each) {
        return join(names, each, ", ");
    }

    private static String join(List<String> names, Function<String, String> each, String sep) {
        return names.stream().map(each).collect(Collectors.joining(sep));
    }

    /** The row's field columns (never the key, never SQL NULLs: fields a record does not have). */
    private static void readRow(ResultSet rs, Map<String, ByteIterator> into) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            String name = meta.getColumnLabel(i);
            String value = rs.getString(i);
            if (!name.equals(KEY_COLUMN) && value != null) {
                into.put(name, value(value));
            }
        }
    }

    private static List<String> sorted(Set<String> names) {
        return new ArrayList<>(new TreeSet<>(names));
    }

    static String quote(String identifier) {
        if (!IDENTIFIER.matcher(identifier).matches()) {
            throw new IllegalArgumentException("not a plain SQL identifier (letters, digits, _): '" + identifier + "'");
        }
        return '"' + identifier + '"';
    }

    private Status error(String what, Exception e) {
        // Connection-level failures (SQLState class 08, or a closed connection) leave the connection
        // unusable; the next operation opens a new one instead of failing forever.
        if (e instanceof SQLException sql) {
            String state = sql.getSQLState();
            boolean closed;
            try {
                closed = connection == null || connection.isClosed();
            } catch (SQLException ignored) {
                closed = true;
            }
            if (closed || (state != null && state.startsWith("08"))) {
                closeConnection();
            }
        }
        return error(what + " failed: " + e);
    }
}

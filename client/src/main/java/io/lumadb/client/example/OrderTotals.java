package io.lumadb.client.example;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.client.ChangeEnvelope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * A read model in PostgreSQL: per customer, how many orders there are and their total, kept
 * from the change stream of an {@code orders} collection whose documents look like {@code
 * {"customer":"c7","amount":1250}} (amount in cents).
 *
 * <p>The model is maintained by deltas, not by recomputation: a create adds its order, a delete
 * subtracts the order as it was ({@code before}), an update subtracts the old order and adds the
 * new one (the customer may change too). So every change must be applied exactly once: one
 * applied twice or missed leaves a wrong total for good. It needs pre-images ({@code
 * ChangeStreamSettings.withIncludeBefore(true)}) and fails on an update or delete without one. A
 * document without a string {@code customer} and an integer {@code amount} is not an order and
 * counts for nothing, before and after alike.
 *
 * <p>Table {@code <schema>.customer_order_totals(customer, orders, total_cents)}; customers whose
 * last order went away are removed (a row with no orders but a total left over stays: it shows a
 * model gone wrong).
 */
public final class OrderTotals {

    /** The model of one customer. */
    public record Totals(long orders, long totalCents) {}

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final String schema;
    private final String table;

    /** The model in PostgreSQL schema {@code schema} (lower case letters, digits, underscores). */
    public OrderTotals(String schema) {
        if (schema == null || !IDENTIFIER.matcher(schema).matches()) {
            throw new IllegalArgumentException(
                    "schema must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63), got '" + schema + "'");
        }
        this.schema = schema;
        this.table = schema + ".customer_order_totals";
    }

    public String schema() {
        return schema;
    }

    /** Creates the schema and the model's table if they do not exist (the caller commits). */
    public void createTables(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            s.execute("CREATE TABLE IF NOT EXISTS " + table
                    + " (customer TEXT PRIMARY KEY, orders BIGINT NOT NULL, total_cents BIGINT NOT NULL)");
        }
    }

    /** The whole model, by customer. */
    public Map<String, Totals> read(Connection connection) throws SQLException {
        Map<String, Totals> out = new TreeMap<>();
        try (Statement s = connection.createStatement();
                ResultSet rows = s.executeQuery("SELECT customer, orders, total_cents FROM " + table)) {
            while (rows.next()) {
                out.put(rows.getString(1), new Totals(rows.getLong(2), rows.getLong(3)));
            }
        }
        return out;
    }

    /** Applies one change inside the caller's transaction. */
    public void apply(Connection connection, ChangeEnvelope change) throws SQLException {
        switch (change.op()) {
            case CREATE -> add(connection, change.after(), 1);
            case UPDATE -> {
                add(connection, preImage(change), -1);
                add(connection, change.after(), 1);
            }
            case DELETE -> add(connection, preImage(change), -1);
        }
    }

    private static JsonNode preImage(ChangeEnvelope change) {
        if (change.before() == null) {
            throw new IllegalStateException("change " + change.op() + " of order '" + change.id() + "' (version "
                    + change.version() + ") has no pre-image: the change stream must be read with"
                    + " ChangeStreamSettings.withIncludeBefore(true), or the model would go wrong");
        }
        return change.before();
    }

    /** Adds {@code sign} times the order in {@code document} to its customer's totals. */
    private void add(Connection connection, JsonNode document, int sign) throws SQLException {
        if (document == null
                || !document.path("customer").isTextual()
                || !document.path("amount").canConvertToLong()
                || !document.path("amount").isIntegralNumber()) {
            return; // not an order
        }
        String customer = document.get("customer").asText();
        long amount = document.get("amount").asLong();
        try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + table
                + " AS t (customer, orders, total_cents) VALUES (?, ?, ?) ON CONFLICT (customer) DO UPDATE"
                + " SET orders = t.orders + EXCLUDED.orders, total_cents = t.total_cents + EXCLUDED.total_cents")) {
            upsert.setString(1, customer);
            upsert.setLong(2, sign);
            upsert.setLong(3, sign * amount);
            upsert.executeUpdate();
        }
        if (sign < 0) {
            try (PreparedStatement empty = connection.prepareStatement(
                    "DELETE FROM " + table + " WHERE customer = ? AND orders = 0 AND total_cents = 0")) {
                empty.setString(1, customer);
                empty.executeUpdate();
            }
        }
    }

    /** The projection's handler: applies each change in the transaction that also stores its offset. */
    public static final class Handler extends JdbcHandler<ChangeEnvelope, PlainJdbcSession> {

        private final OrderTotals model;

        public Handler(OrderTotals model) {
            this.model = model;
        }

        @Override
        public void process(PlainJdbcSession session, ChangeEnvelope change) throws Exception {
            session.withConnection(connection -> {
                model.apply(connection, change);
                return null;
            });
        }
    }
}

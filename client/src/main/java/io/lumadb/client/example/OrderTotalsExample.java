package io.lumadb.client.example;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.client.ChangeEnvelope;
import io.lumadb.client.ChangeSourceProvider;
import io.lumadb.client.ChangeStreamSettings;
import io.lumadb.client.LumaDbClient;
import io.lumadb.client.StartPosition;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.javadsl.ExactlyOnceProjection;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * A runnable event-sourced consumer: it keeps {@link OrderTotals} (orders and total per customer)
 * in PostgreSQL from a LumaDB {@code orders} collection's change stream, with Pekko Projections'
 * {@code JdbcProjection.exactlyOnce}: each change and the projection's offset (its resume token)
 * are committed in one PostgreSQL transaction, so after a crash or a restart the model continues
 * exactly where its last committed change left it.
 *
 * <pre>
 * OrderTotalsExample &lt;lumadb-url&gt; &lt;database&gt; &lt;collection&gt; &lt;jdbc-url&gt; [schema]
 * OrderTotalsExample http://127.0.0.1:8080 shop orders 'jdbc:postgresql://127.0.0.1:5432/test?user=postgres'
 * </pre>
 *
 * It creates the schema ({@code order_totals} unless given), the model's table and the
 * projection's offset tables if they are missing, prints the model every 5 seconds, and stops on
 * Ctrl-C.
 */
public final class OrderTotalsExample implements AutoCloseable {

    /** The projection's name; its key is {@code <database>/<collection>}. */
    public static final String PROJECTION_NAME = "order-totals";

    private final ActorSystem<Void> system;
    private final PlainJdbcSessions sessions;
    private final OrderTotals model;

    private OrderTotalsExample(ActorSystem<Void> system, PlainJdbcSessions sessions, OrderTotals model) {
        this.system = system;
        this.sessions = sessions;
        this.model = model;
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("logback.configurationFile") == null) {
            // Before anything logs: the example's own logging setup, from the classpath.
            System.setProperty("logback.configurationFile", "io/lumadb/client/example/logback-example.xml");
        }
        if (args.length < 4 || args.length > 5) {
            System.err.println("usage: OrderTotalsExample <lumadb-url> <database> <collection> <jdbc-url> [schema]");
            System.err.println("  e.g. OrderTotalsExample http://127.0.0.1:8080 shop orders"
                    + " 'jdbc:postgresql://127.0.0.1:5432/test?user=postgres'");
            System.exit(2);
        }
        String schema = args.length == 5 ? args[4] : "order_totals";
        LumaDbClient client = LumaDbClient.create(args[0]);
        OrderTotalsExample example = start(client, args[1], args[2], args[3], schema, ConfigFactory.load());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            example.close();
            client.close();
        }));
        while (!example.system.getWhenTerminated().toCompletableFuture().isDone()) {
            Thread.sleep(5000);
            try {
                System.out.println("customer totals: " + example.totals());
            } catch (SQLException | RuntimeException e) {
                System.out.println("cannot read the model yet: " + e.getMessage());
            }
        }
    }

    /**
     * Starts the projection in an actor system of its own, configured from {@code base} (an
     * application passes {@code ConfigFactory.load()}) plus the JDBC settings it needs.
     */
    public static OrderTotalsExample start(
            LumaDbClient client, String database, String collection, String jdbcUrl, String schema, Config base)
            throws Exception {
        OrderTotals model = new OrderTotals(schema);
        PlainJdbcSessions sessions = new PlainJdbcSessions(jdbcUrl, 2);
        ActorSystem<Void> system = null;
        try {
            try (PlainJdbcSession session = sessions.get()) {
                session.withConnection(connection -> {
                    model.createTables(connection);
                    return null;
                });
                session.commit();
            }
            system = ActorSystem.create(
                    Behaviors.empty(), "order-totals", config(schema).withFallback(base));
            JdbcProjection.createTablesIfNotExists(sessions, system)
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            ChangeSourceProvider changes = client.sourceProvider(
                    database,
                    collection,
                    StartPosition.beginning(),
                    ChangeStreamSettings.defaults().withIncludeBefore(true));
            ExactlyOnceProjection<String, ChangeEnvelope> projection = JdbcProjection.exactlyOnce(
                    ProjectionId.of(PROJECTION_NAME, database + "/" + collection),
                    changes,
                    sessions,
                    () -> new OrderTotals.Handler(model),
                    system);
            system.systemActorOf(ProjectionBehavior.create(projection), PROJECTION_NAME, Props.empty());
            return new OrderTotalsExample(system, sessions, model);
        } catch (Exception | Error e) {
            if (system != null) {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            sessions.close();
            throw e;
        }
    }

    /**
     * The settings the JDBC projection needs (PostgreSQL, two JDBC threads, offsets in {@code
     * schema}), and Pekko logging through SLF4J.
     */
    static Config config(String schema) {
        return ConfigFactory.parseMap(Map.of(
                "pekko.loggers",
                List.of("org.apache.pekko.event.slf4j.Slf4jLogger"),
                "pekko.logging-filter",
                "org.apache.pekko.event.slf4j.Slf4jLoggingFilter",
                "pekko.projection.jdbc.dialect",
                "postgres-dialect",
                "pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size",
                2,
                "pekko.projection.jdbc.offset-store.schema",
                schema));
    }

    /** The model as it is committed now. */
    public Map<String, OrderTotals.Totals> totals() throws SQLException {
        try (PlainJdbcSession session = sessions.get()) {
            return session.withConnection(model::read);
        } catch (SQLException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the projection (a change being handled is rolled back, not half-applied) and its actor system. */
    @Override
    public void close() {
        try {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("the projection did not stop within 30 s", e);
        } finally {
            sessions.close();
        }
    }

    /** The PostgreSQL schema of the model and the offset tables. */
    public String schema() {
        return model.schema();
    }
}

package io.lumadb.sql;

import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.sql.SqlException.Kind;
import io.lumadb.sql.catalog.PgCatalog;
import io.lumadb.sql.catalog.PgRewrite;
import io.lumadb.sql.schema.ColumnInference;
import io.lumadb.sql.schema.DatabaseSchema;
import io.lumadb.sql.schema.SqlBackend;
import io.lumadb.sql.schema.SqlSession;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.calcite.jdbc.CalciteConnection;
import org.apache.calcite.schema.SchemaPlus;

/**
 * SQL over a node's collections: Calcite parses, validates and plans each statement over the
 * tables of one database ({@link DatabaseSchema}), LumaDB's planner rules push filters, sorts
 * and limits into each collection's JQL query, and Calcite's runtime does the rest (joins,
 * grouping, expressions). Statements run on the engine's own threads, since a running
 * statement blocks while its shards answer; each is planned once per planner connection and
 * kept in that connection's statement cache, keyed by its text.
 *
 * <p>Identifiers follow PostgreSQL: unquoted names fold to lower case, quoted names keep their
 * case ({@code "userName"}). Reads ({@code SELECT}, {@code VALUES}, {@code EXPLAIN}) run as
 * planned; {@code INSERT}, {@code UPDATE} and {@code DELETE} are document writes ({@link
 * SqlWrites}); other statements (DDL) are refused with SQLSTATE {@code 0A000}.
 */
public final class SqlEngine implements AutoCloseable {

    private final SqlBackend backend;
    private final SqlSettings settings;
    private final ColumnInference inference;
    private final ExecutorService executor;
    private final SqlWrites writes;
    private final SqlDdl ddl;
    private final Map<String, Deque<Planner>> planners = new ConcurrentHashMap<>();

    public SqlEngine(SqlBackend backend, SqlSettings settings) {
        this.backend = backend;
        this.settings = settings;
        this.inference = new ColumnInference(backend, settings.sampleSize(), settings.schemaRefresh());
        this.writes = new SqlWrites(backend, settings.maxWriteRows(), inference::invalidate);
        this.ddl = new SqlDdl(backend, inference::invalidate);
        this.executor = Executors.newFixedThreadPool(
                settings.threads(),
                Thread.ofPlatform().name("lumadb-sql-", 0).daemon(true).factory());
    }

    public SqlSettings settings() {
        return settings;
    }

    /**
     * Where a streamed statement's answer goes, on the engine's thread: the columns first, then
     * each row. A sink may block (the statement waits, within its time limit) and may throw to
     * stop the statement.
     */
    public interface RowSink {
        void columns(List<SqlResult.Column> columns) throws Exception;

        void row(Object[] row) throws Exception;

        /**
         * Whether rows carry values as the JDBC runtime gives them ({@code java.sql} dates and
         * times, byte arrays, floats) rather than as JSON-friendly ones.
         */
        default boolean raw() {
            return false;
        }

        /**
         * Called last by {@link #stream}, on the statement's thread (where the sink may block):
         * with the documents read, or with the failure (then {@code documentsRead} is null).
         */
        default void finish(Long documentsRead, Throwable failure) throws Exception {}

        /** What a write statement did (after its empty {@link #columns}); reads never call it. */
        default void written(SqlResult.Written written) throws Exception {}

        /** A notice the statement gives (PostgreSQL's NOTICE), such as a skipped {@code IF EXISTS}. */
        default void notice(String message) throws Exception {}
    }

    /**
     * Runs {@code sql} in {@code database} with positional {@code params} ({@code ?} in the
     * statement), seeing what {@code sight} allows, and answers at most {@code lumadb.sql.max-rows}
     * rows. Fails with a {@link SqlException}.
     */
    public CompletionStage<SqlResult> execute(
            String database, String sql, List<Object> params, SqlSession.Sight sight) {
        return submit(() -> {
            Collector all = new Collector(settings.maxRows());
            SqlSession session = run(database, sql, params, sight, all, new Cancellation());
            return all.result(session.documentsRead());
        });
    }

    /**
     * Runs a statement as {@link #execute} does, handing its columns and any number of rows to
     * {@code sink} as they are read; answers how many documents its scans read.
     */
    public CompletionStage<Long> stream(
            String database, String sql, List<Object> params, SqlSession.Sight sight, RowSink sink) {
        return stream(database, sql, params, sight, sink, new Cancellation());
    }

    /** {@link #stream}, stopping with SQLSTATE {@code 57014} once {@code cancellation} is requested. */
    public CompletionStage<Long> stream(
            String database,
            String sql,
            List<Object> params,
            SqlSession.Sight sight,
            RowSink sink,
            Cancellation cancellation) {
        return submit(() -> {
            long read;
            try {
                read = run(database, sql, params, sight, sink, cancellation).documentsRead();
            } catch (RuntimeException failure) {
                finish(sink, null, failure);
                throw failure;
            }
            finish(sink, read, null);
            return read;
        });
    }

    private static void finish(RowSink sink, Long read, Throwable failure) {
        try {
            sink.finish(read, failure);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** What a statement takes and answers, from its plan: its parameters' and its columns' types. */
    public record Description(List<SqlResult.Column> parameters, List<SqlResult.Column> columns, boolean rows) {}

    /**
     * Plans {@code sql} (or takes its plan from the cache) without running it, and answers its
     * parameters ({@code ?}, typed from where they are used) and result columns. Fails with a
     * {@link SqlException} as running it would, also when {@code sight} may not read a
     * collection it uses.
     */
    public CompletionStage<Description> describe(String database, String sql, SqlSession.Sight sight) {
        return submit(() -> {
            Statement statement = Statement.of(catalogSyntax(sql, database));
            SqlSession session =
                    new SqlSession(sight, System.nanoTime() + settings.timeout().toNanos(), false);
            try {
                requireDatabase(database);
                return ScopedValue.where(SqlSession.CURRENT, session)
                        .call(() -> describeIn(database, statement, session));
            } catch (Throwable failure) {
                throw failed(failure, statement);
            }
        });
    }

    private Description describeIn(String database, Statement statement, SqlSession session) throws Exception {
        if (statement.mode() == Mode.DDL) {
            return new Description(List.of(), List.of(), false);
        }
        if (statement.mode() == Mode.QUERY && PgRewrite.readsEmptyCatalog(statement.query())) {
            return new Description(List.of(), EMPTY_CATALOG_COLUMNS, true);
        }
        boolean write = statement.mode() == Mode.WRITE;
        boolean query = statement.mode() == Mode.QUERY || write;
        // A write's parameters are those of the read it makes first; it answers no rows.
        String described = write ? SqlWrites.readOf(SqlWrites.parse(statement.query())) : statement.query();
        return withPlanner(database, planner -> {
            // An EXPLAIN's parameters are its query's; its plan is never cached (see collect).
            Planner.Cached planned =
                    planner.prepare(described, backend.catalog().version(), query);
            try {
                // A plan from the cache was made for another caller: this one must be allowed to read
                // every collection it uses, as planning would have checked.
                for (String collection : planned.collections()) {
                    session.sight().of(database, collection);
                }
                List<SqlResult.Column> parameters = new ArrayList<>();
                java.sql.ParameterMetaData p = planned.statement().getParameterMetaData();
                for (int i = 1; i <= p.getParameterCount(); i++) {
                    parameters.add(new SqlResult.Column(
                            "$" + i, p.getParameterTypeName(i), p.isNullable(i) != ParameterMetaData.parameterNoNulls));
                }
                List<SqlResult.Column> columns = write
                        ? List.of()
                        : query
                                ? columns(planned.statement().getMetaData(), planned.names())
                                : List.of(new SqlResult.Column("QUERY PLAN", "VARCHAR", false));
                return new Description(parameters, columns, !write);
            } finally {
                if (!query) {
                    planned.close();
                }
            }
        });
    }

    /** The answer's columns for a query of a catalog LumaDB keeps empty; it has no rows. */
    private static final List<SqlResult.Column> EMPTY_CATALOG_COLUMNS =
            List.of(new SqlResult.Column("?column?", "VARCHAR", true));

    /**
     * {@code sql} with the PostgreSQL syntax of catalog queries rewritten for Calcite ({@link
     * PgRewrite}), when it reads the system catalogs; otherwise as given.
     */
    private static String catalogSyntax(String sql, String database) {
        return sql != null && PgRewrite.applies(sql) ? PgRewrite.rewrite(sql, database) : sql;
    }

    private <T> CompletionStage<T> submit(java.util.function.Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, executor);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(
                    new SqlException(Kind.UNAVAILABLE, "57P03", "the SQL engine is shut down"));
        }
    }

    private SqlSession run(
            String database,
            String sql,
            List<Object> params,
            SqlSession.Sight sight,
            RowSink sink,
            Cancellation cancellation) {
        Statement statement = Statement.of(catalogSyntax(sql, database));
        SqlSession session = new SqlSession(
                sight,
                System.nanoTime() + settings.timeout().toNanos(),
                statement.mode() == Mode.ANALYZE,
                cancellation);
        try {
            requireDatabase(database);
            ScopedValue.where(SqlSession.CURRENT, session).call(() -> {
                switch (statement.mode()) {
                    case QUERY -> {
                        if (PgRewrite.readsEmptyCatalog(statement.query())) {
                            // Policies, publications, inheritance...: LumaDB has none of them.
                            sink.columns(EMPTY_CATALOG_COLUMNS);
                        } else {
                            runIn(database, statement.calcite(), params, session, sink, true);
                        }
                    }
                    case WRITE -> {
                        SqlResult.Written written = writes.run(
                                database,
                                SqlWrites.parse(statement.calcite()),
                                params,
                                session,
                                (read, p) -> readForWrite(database, read, p, session));
                        sink.columns(List.of());
                        sink.written(written);
                    }
                    case DDL -> {
                        SqlResult.Written done = ddl.run(database, statement.query(), session, message -> {
                            try {
                                sink.notice(message);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                        sink.columns(List.of());
                        sink.written(done);
                    }
                    case EXPLAIN ->
                        plan(collect(database, statement.calcite(), params, session))
                                .feed(sink);
                    case ANALYZE ->
                        analyze(database, statement, params, session).feed(sink);
                }
                return null;
            });
            return session;
        } catch (Throwable failure) {
            throw failed(failure, statement);
        }
    }

    /** {@code failure} as a {@link SqlException} pointing into the statement as given, where it is one. */
    private static RuntimeException failed(Throwable failure, Statement statement) {
        SqlException e = SqlErrors.of(failure, statement.calcite());
        if (e == null) {
            return failure instanceof RuntimeException re ? re : new IllegalStateException(failure);
        }
        return statement.shift(e);
    }

    private SqlResult collect(String database, String sql, List<Object> params, SqlSession session) throws Exception {
        Collector all = new Collector(settings.maxRows());
        // A plan is explained from a fresh planning, never from the cache: planning is where a
        // caller's permission on each collection is checked, and a plan reveals the columns.
        runIn(database, sql, params, session, all, !Statement.explains(sql));
        return all.result(session.documentsRead());
    }

    /** The rows a write statement reads before it writes, up to {@code lumadb.sql.max-write-rows}. */
    private List<Object[]> readForWrite(String database, String sql, List<Object> params, SqlSession session)
            throws Exception {
        List<Object[]> rows = new ArrayList<>();
        try {
            readInto(rows, database, sql, params, session);
        } catch (Exception failure) {
            // An error in the read the engine made up has no place in the statement as given.
            SqlException e = SqlErrors.of(failure, sql);
            if (e == null) {
                throw failure;
            }
            throw new SqlException(e.kind(), e.sqlState(), e.getMessage(), e.detail(), e.hint());
        }
        return rows;
    }

    private void readInto(List<Object[]> rows, String database, String sql, List<Object> params, SqlSession session)
            throws Exception {
        runIn(
                database,
                sql,
                params,
                session,
                new RowSink() {
                    @Override
                    public void columns(List<SqlResult.Column> columns) {}

                    @Override
                    public void row(Object[] row) {
                        if (rows.size() == settings.maxWriteRows()) {
                            throw new SqlException(
                                    Kind.TOO_LARGE,
                                    "54000",
                                    "the statement would write more than lumadb.sql.max-write-rows ("
                                            + settings.maxWriteRows() + ") rows; split it (by ranges of _id, for"
                                            + " example)");
                        }
                        rows.add(row);
                    }

                    @Override
                    public boolean raw() {
                        return true;
                    }
                },
                true);
    }

    /** A sink that keeps every row, up to a limit. */
    private static final class Collector implements RowSink {
        private final int maxRows;
        private List<SqlResult.Column> columns = List.of();
        private final List<Object[]> rows = new ArrayList<>();
        private SqlResult.Written written;

        Collector(int maxRows) {
            this.maxRows = maxRows;
        }

        @Override
        public void written(SqlResult.Written done) {
            written = done;
        }

        @Override
        public void columns(List<SqlResult.Column> given) {
            columns = given;
        }

        @Override
        public void row(Object[] row) {
            if (rows.size() == maxRows) {
                throw new SqlException(
                        Kind.TOO_LARGE,
                        "54000",
                        "the answer has more than " + maxRows
                                + " rows (lumadb.sql.max-rows); add a LIMIT or ask for NDJSON, which streams any number");
            }
            rows.add(row);
        }

        SqlResult result(long documentsRead) {
            return new SqlResult(columns, rows, documentsRead, written);
        }
    }

    /** Calcite's one-cell plan as PostgreSQL shows a plan: a row per line, column {@code QUERY PLAN}. */
    private static SqlResult plan(SqlResult explained) {
        List<Object[]> lines = new ArrayList<>();
        for (Object[] row : explained.rows()) {
            for (String line : String.valueOf(row[0]).split("\n")) {
                if (!line.isBlank()) {
                    lines.add(new Object[] {line});
                }
            }
        }
        return new SqlResult(
                List.of(new SqlResult.Column("QUERY PLAN", "VARCHAR", false)), lines, explained.documentsRead());
    }

    /**
     * {@code EXPLAIN ANALYZE}: the plan, then the statement run to its end (rows counted, not
     * returned), then what the shards did for each collection's scans.
     */
    private SqlResult analyze(String database, Statement statement, List<Object> params, SqlSession session)
            throws Exception {
        // The statement first, so that an error in it points into the statement as given.
        long started = System.nanoTime();
        SqlResult ran = collect(database, statement.query(), params, session);
        long micros = (System.nanoTime() - started) / 1_000;
        SqlResult plan = plan(collect(database, "EXPLAIN PLAN FOR " + statement.query(), params, session));
        List<Object[]> lines = new ArrayList<>(plan.rows());
        for (SqlSession.ScanStats s : session.scans()) {
            lines.add(new Object[] {
                "Scan of " + s.collection() + ": " + String.join(", ", s.plans()) + "; keysExamined="
                        + s.keysExamined() + " documentsExamined=" + s.documentsExamined() + " documentsReturned="
                        + s.documentsReturned() + " pages=" + s.pages()
            });
        }
        lines.add(new Object[] {"Rows: " + ran.rows().size() + ", execution time: " + micros / 1000.0 + " ms"});
        return new SqlResult(plan.columns(), lines, session.documentsRead());
    }

    /** Whether {@code database} exists (asking the catalog itself when the cached one lacks it). */
    public CompletionStage<Boolean> databaseExists(String database) {
        if (backend.catalog().database(database).isPresent()) {
            return CompletableFuture.completedFuture(true);
        }
        return backend.refreshCatalog()
                .thenApply(fresh -> fresh.database(database).isPresent());
    }

    private void requireDatabase(String database) throws Exception {
        if (backend.catalog().database(database).isPresent()) {
            return;
        }
        CatalogSnapshot fresh = backend.refreshCatalog().toCompletableFuture().get(10, TimeUnit.SECONDS);
        if (fresh.database(database).isEmpty()) {
            throw new SqlException(Kind.NOT_FOUND, "3D000", "database \"" + database + "\" does not exist");
        }
    }

    private void runIn(
            String database, String sql, List<Object> params, SqlSession session, RowSink sink, boolean cached)
            throws Exception {
        withPlanner(database, planner -> {
            Planner.Cached planned = planner.prepare(sql, backend.catalog().version(), cached);
            PreparedStatement prepared = planned.statement();
            prepared.clearParameters();
            for (int i = 0; i < params.size(); i++) {
                prepared.setObject(i + 1, params.get(i));
            }
            int timeoutSeconds =
                    (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(session.deadlineNanos() - System.nanoTime()));
            prepared.setQueryTimeout(timeoutSeconds);
            try (ResultSet rs = prepared.executeQuery()) {
                read(rs, sink, session.cancellation(), planned.names());
            } finally {
                if (!cached) {
                    planned.close();
                }
            }
            return null;
        });
    }

    private interface PlannerWork<T> {
        T apply(Planner planner) throws Exception;
    }

    /** Runs {@code work} with a planner connection of {@code database}, which goes back to its pool unless it failed. */
    private <T> T withPlanner(String database, PlannerWork<T> work) throws Exception {
        Deque<Planner> pool = planners.computeIfAbsent(database, d -> new ConcurrentLinkedDeque<>());
        Planner planner = pool.poll();
        if (planner == null) {
            planner = new Planner(database);
        }
        boolean healthy = false;
        try {
            T result = work.apply(planner);
            healthy = true;
            return result;
        } finally {
            if (healthy) {
                pool.push(planner);
            } else {
                planner.close();
            }
        }
    }

    /** The columns of a result, named as PostgreSQL names them where the statement does not ({@link ColumnNames}). */
    private static List<SqlResult.Column> columns(ResultSetMetaData meta, List<String> names) throws SQLException {
        int n = meta.getColumnCount();
        List<SqlResult.Column> columns = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            columns.add(new SqlResult.Column(
                    ColumnNames.label(meta.getColumnLabel(i), i - 1, names),
                    meta.getColumnTypeName(i),
                    meta.isNullable(i) != ResultSetMetaData.columnNoNulls));
        }
        return columns;
    }

    private static void read(ResultSet rs, RowSink sink, Cancellation cancellation, List<String> names)
            throws Exception {
        List<SqlResult.Column> columns = columns(rs.getMetaData(), names);
        int n = columns.size();
        boolean raw = sink.raw();
        sink.columns(columns);
        while (rs.next()) {
            cancellation.check();
            Object[] row = new Object[n];
            for (int i = 0; i < n; i++) {
                Object v = rs.getObject(i + 1);
                row[i] = raw ? v : value(v);
            }
            sink.row(row);
        }
    }

    /** A JDBC value as a JSON-friendly one: numbers, booleans and text as they are; dates and times as ISO-8601. */
    private static Object value(Object v) {
        return switch (v) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> i;
            case Short s -> (int) s;
            case Byte b -> (int) b;
            case Double d -> d;
            case Float f -> (double) f;
            case BigDecimal d -> d;
            case java.sql.Timestamp t -> t.toInstant().toString();
            case java.sql.Date d -> d.toLocalDate().toString();
            case java.sql.Time t -> t.toLocalTime().toString();
            case byte[] bytes -> java.util.HexFormat.of().formatHex(bytes);
            default -> v.toString();
        };
    }

    @Override
    public void close() {
        executor.shutdownNow();
        planners.values().forEach(pool -> pool.forEach(Planner::close));
        planners.clear();
    }

    /**
     * One Calcite connection whose default schema is a database, with its cache of planned
     * statements. Used by one statement at a time.
     */
    private final class Planner implements AutoCloseable {
        private final String database;
        private final CalciteConnection connection;
        private final Map<String, Cached> cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                if (size() > settings.statementCacheSize()) {
                    eldest.getValue().close();
                    return true;
                }
                return false;
            }
        };

        /** A planned statement, the collections its planning used, and PostgreSQL's names of its unnamed columns. */
        record Cached(
                PreparedStatement statement,
                long catalogVersion,
                long columnsVersion,
                long plannedAtNanos,
                java.util.Set<String> collections,
                List<String> names) {
            void close() {
                try {
                    statement.close();
                } catch (SQLException ignored) {
                    // closing a planned statement frees memory only
                }
            }
        }

        Planner(String database) throws SQLException {
            this.database = database;
            Properties info = new Properties();
            info.setProperty("caseSensitive", "true");
            info.setProperty("unquotedCasing", "TO_LOWER");
            info.setProperty("quotedCasing", "UNCHANGED");
            info.setProperty("quoting", "DOUBLE_QUOTE");
            info.setProperty("conformance", "LENIENT");
            info.setProperty("fun", "standard,postgresql");
            info.setProperty("timeZone", "UTC");
            info.setProperty("typeSystem", io.lumadb.sql.schema.PgTypeSystem.class.getName() + "#INSTANCE");
            Connection c = new org.apache.calcite.jdbc.Driver().connect("jdbc:calcite:", info);
            connection = c.unwrap(CalciteConnection.class);
            DatabaseSchema tables = new DatabaseSchema(database, backend, inference, Duration.ofSeconds(10));
            SchemaPlus db = connection.getRootSchema().add(database, tables);
            db.setCacheEnabled(false);
            if (!database.equals("public")) {
                // PostgreSQL's default schema, which tools written for it put before table names.
                connection.getRootSchema().add("public", tables).setCacheEnabled(false);
            }
            // The system catalogs PostgreSQL clients read to list and describe tables.
            connection.getRootSchema().add("pg_catalog", PgCatalog.pgCatalog(database, backend, inference));
            connection
                    .getRootSchema()
                    .add("information_schema", PgCatalog.informationSchema(database, backend, inference));
            connection.setSchema(database);
        }

        /**
         * The planned statement for {@code sql}, from the cache while the catalog and columns are
         * unchanged; not {@code cached}, a fresh one that the caller closes after one use.
         */
        Cached prepare(String sql, long catalogVersion, boolean cached) throws SQLException {
            if (!cached) {
                return plan(sql, catalogVersion);
            }
            Cached hit = cache.get(sql);
            if (hit != null && hit.catalogVersion() == catalogVersion && hit.columnsVersion() == inference.version()) {
                long now = System.nanoTime();
                if (now - hit.plannedAtNanos() < settings.schemaRefresh().toNanos()) {
                    return hit;
                }
                // Planned over columns that may be out of date: sample its collections again where
                // due. Only columns that changed (a new field, another type) make a new plan; the
                // same columns keep this one, without compiling it again.
                for (String name : hit.collections()) {
                    backend.catalog()
                            .collection(database, name)
                            .ifPresent(info ->
                                    inference.columns(info, SqlSession.current().deadlineNanos()));
                }
                if (hit.columnsVersion() == inference.version()) {
                    Cached renewed = new Cached(
                            hit.statement(),
                            hit.catalogVersion(),
                            hit.columnsVersion(),
                            now,
                            hit.collections(),
                            hit.names());
                    cache.put(sql, renewed);
                    return renewed;
                }
            }
            if (hit != null) {
                cache.remove(sql);
                hit.close();
            }
            Cached planned = plan(sql, catalogVersion);
            cache.put(sql, planned);
            return planned;
        }

        private Cached plan(String sql, long catalogVersion) throws SQLException {
            long columnsVersion = inference.version();
            PreparedStatement planned;
            try {
                planned = connection.prepareStatement(sql);
            } catch (SQLException e) {
                if (!unknownColumn(e)) {
                    throw e;
                }
                // The columns were sampled before a document brought the field: sample again, once.
                inference.invalidateAll();
                columnsVersion = inference.version();
                planned = connection.prepareStatement(sql);
            }
            // What the session's planning used so far: this statement's collections (and, for
            // an EXPLAIN ANALYZE planned twice, the same ones again).
            return new Cached(
                    planned,
                    catalogVersion,
                    columnsVersion,
                    System.nanoTime(),
                    SqlSession.CURRENT.get().plannedCollections(),
                    ColumnNames.of(sql));
        }

        @Override
        public void close() {
            cache.values().forEach(Cached::close);
            cache.clear();
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing is held outside this process
            }
        }
    }

    /** Whether planning failed on a column that no table has (Calcite's "Column 'x' not found"). */
    private static boolean unknownColumn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.calcite.sql.validate.SqlValidatorException v
                    && v.getMessage() != null
                    && v.getMessage().startsWith("Column '")
                    && v.getMessage().contains("not found")) {
                return true;
            }
        }
        return false;
    }

    /** What a statement asks for. */
    private enum Mode {
        QUERY,
        /** {@code INSERT}, {@code UPDATE}, {@code DELETE}: document writes ({@link SqlWrites}). */
        WRITE,
        /** {@code CREATE TABLE}, {@code DROP TABLE}, {@code ALTER TABLE}, {@code CREATE INDEX} ({@link SqlDdl}). */
        DDL,
        /** {@code EXPLAIN}: the plan, with what each scan pushes into JQL. */
        EXPLAIN,
        /** {@code EXPLAIN ANALYZE}: the plan, and what running the statement took. */
        ANALYZE
    }

    /**
     * A statement as given, checked to be a read, and as Calcite is given it: PostgreSQL's
     * {@code EXPLAIN <query>} becomes Calcite's {@code EXPLAIN PLAN FOR <query>}.
     *
     * @param query the statement without its {@code EXPLAIN [ANALYZE]}
     * @param calcite the text Calcite plans
     * @param shift how many characters {@code calcite} has more than the statement as given,
     *     before {@code query}
     */
    private record Statement(Mode mode, String query, String calcite, int shift) {

        static Statement of(String sql) {
            if (sql == null || sql.isBlank()) {
                throw new SqlException(Kind.BAD_STATEMENT, "42601", "the statement is empty");
            }
            int start = skipCommentsAndSpace(sql, 0);
            int end = wordEnd(sql, start);
            String first = sql.substring(start, end).toUpperCase(Locale.ROOT);
            switch (first) {
                case "EXPLAIN" -> {
                    int next = skipCommentsAndSpace(sql, end);
                    int nextEnd = wordEnd(sql, next);
                    String second = sql.substring(next, nextEnd).toUpperCase(Locale.ROOT);
                    if (second.equals("PLAN")) {
                        return new Statement(Mode.EXPLAIN, sql, sql, 0);
                    }
                    if (second.equals("ANALYZE") || second.equals("ANALYSE")) {
                        int at = skipCommentsAndSpace(sql, nextEnd);
                        String query = sql.substring(at);
                        refuseWrites(query, 0);
                        return new Statement(Mode.ANALYZE, query, query, -at);
                    }
                    String query = sql.substring(next);
                    refuseWrites(query, next);
                    String calcite = "EXPLAIN PLAN FOR " + query;
                    return new Statement(Mode.EXPLAIN, query, calcite, calcite.length() - sql.length());
                }
                default -> {
                    if (SqlWrites.isWrite(first)) {
                        return new Statement(Mode.WRITE, sql, sql, 0);
                    }
                    if (SqlDdl.isDdl(first)) {
                        return new Statement(Mode.DDL, sql, sql, 0);
                    }
                    refuseWrites(sql, 0);
                    return new Statement(Mode.QUERY, sql, sql, 0);
                }
            }
        }

        /** Whether {@code sql} is an {@code EXPLAIN} (of any kind). */
        static boolean explains(String sql) {
            int start = skipCommentsAndSpace(sql, 0);
            return sql.substring(start, wordEnd(sql, start)).equalsIgnoreCase("EXPLAIN");
        }

        private static void refuseWrites(String sql, int offset) {
            int start = skipCommentsAndSpace(sql, 0);
            String first = sql.substring(start, wordEnd(sql, start)).toUpperCase(Locale.ROOT);
            switch (first) {
                case "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER", "TRUNCATE" ->
                    throw new SqlException(
                            Kind.UNSUPPORTED,
                            "0A000",
                            first + (SqlWrites.isWrite(first) ? " under EXPLAIN" : "")
                                    + " is not supported yet: SQL reads collections (SELECT, VALUES, EXPLAIN) and"
                                    + " writes documents (INSERT, UPDATE, DELETE)",
                            offset + start + 1,
                            0,
                            0,
                            null);
                default -> {}
            }
        }

        /** {@code e} with its position in the statement as given (before any rewrite). */
        SqlException shift(SqlException e) {
            if (shift == 0 || e.position() == 0) {
                return e;
            }
            int position = Math.max(1, e.position() - shift);
            return new SqlException(e.kind(), e.sqlState(), e.getMessage(), position, 0, 0, e);
        }

        private static int wordEnd(String sql, int from) {
            int end = from;
            while (end < sql.length() && Character.isLetter(sql.charAt(end))) {
                end++;
            }
            return end;
        }

        private static int skipCommentsAndSpace(String sql, int from) {
            int i = from;
            while (i < sql.length()) {
                char c = sql.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (sql.startsWith("--", i)) {
                    int nl = sql.indexOf('\n', i);
                    i = nl < 0 ? sql.length() : nl + 1;
                } else if (sql.startsWith("/*", i)) {
                    int close = sql.indexOf("*/", i + 2);
                    i = close < 0 ? sql.length() : close + 2;
                } else {
                    break;
                }
            }
            return i;
        }
    }
}

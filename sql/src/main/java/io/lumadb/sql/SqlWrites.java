package io.lumadb.sql;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.CollectionSchema;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.DocumentWrite;
import io.lumadb.shards.model.WriteOutcome;
import io.lumadb.sql.SqlException.Kind;
import io.lumadb.sql.schema.SqlBackend;
import io.lumadb.sql.schema.SqlSession;
import java.math.BigDecimal;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.calcite.avatica.util.Casing;
import org.apache.calcite.avatica.util.Quoting;
import org.apache.calcite.sql.SqlDelete;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlInsert;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlUpdate;
import org.apache.calcite.sql.dialect.CalciteSqlDialect;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.validate.SqlConformanceEnum;

/**
 * {@code INSERT}, {@code UPDATE} and {@code DELETE} as document writes. Each reads first with an
 * ordinary query planned by the engine (the {@code VALUES} or {@code SELECT} of an insert; for an
 * update or delete, the ids, versions and new values of the rows its {@code WHERE} picks), then
 * writes the documents as a bulk request does: atomic per shard, not across shards. What a
 * statement read is read whole before anything is written, so an update never meets its own
 * writes (an update of an indexed field that its scan walks would otherwise see rows again).
 *
 * <p>Updates and deletes write only documents still at the version they read; a document
 * changed in between is read again and judged again (up to three times), as PostgreSQL's read
 * committed level re-checks a row that changed under an update.
 */
final class SqlWrites {

    /** Reads rows with a statement the engine plans (in the statement's session). */
    interface Reader {
        List<Object[]> rows(String sql, List<Object> params) throws Exception;
    }

    private static final int BATCH = 500;
    private static final int REREADS = 3;
    private static final DateTimeFormatter TIMESTAMP_TEXT = new java.time.format.DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd HH:mm:ss")
            .appendFraction(java.time.temporal.ChronoField.MICRO_OF_SECOND, 0, 6, true)
            .toFormatter(Locale.ROOT);

    private final SqlBackend backend;
    private final int maxRows;
    private final java.util.function.BiConsumer<String, String> wrote;

    /** @param wrote told of each collection a statement wrote to (its columns may have changed) */
    SqlWrites(SqlBackend backend, int maxRows, java.util.function.BiConsumer<String, String> wrote) {
        this.backend = backend;
        this.maxRows = maxRows;
        this.wrote = wrote;
    }

    /** Whether {@code sql} starts like a write statement. */
    static boolean isWrite(String firstWord) {
        return firstWord.equals("INSERT") || firstWord.equals("UPDATE") || firstWord.equals("DELETE");
    }

    static SqlNode parse(String sql) throws Exception {
        SqlParser.Config config = SqlParser.config()
                .withQuoting(Quoting.DOUBLE_QUOTE)
                .withUnquotedCasing(Casing.TO_LOWER)
                .withQuotedCasing(Casing.UNCHANGED)
                .withCaseSensitive(true)
                .withConformance(SqlConformanceEnum.LENIENT);
        return SqlParser.create(sql, config).parseStmt();
    }

    /** The reads a write statement makes, for its parameter types: the statement's one read. */
    static String readOf(SqlNode node) {
        return switch (node) {
            case SqlInsert insert -> text(insert.getSource());
            case SqlUpdate update -> updateRead(update, null, null);
            case SqlDelete delete -> deleteRead(delete, null);
            default -> throw new SqlException(Kind.UNSUPPORTED, "0A000", "not a write statement");
        };
    }

    SqlResult.Written run(String database, SqlNode node, List<Object> params, SqlSession session, Reader reader)
            throws Exception {
        return switch (node) {
            case SqlInsert insert -> insert(database, insert, params, session, reader);
            case SqlUpdate update -> update(database, update, params, session, reader);
            case SqlDelete delete -> delete(database, delete, params, session, reader);
            default -> throw new SqlException(Kind.UNSUPPORTED, "0A000", "not a write statement");
        };
    }

    // ---- INSERT

    private SqlResult.Written insert(
            String database, SqlInsert insert, List<Object> params, SqlSession session, Reader reader)
            throws Exception {
        String collection = collection(database, (SqlIdentifier) insert.getTargetTable());
        session.sight().write(database, collection, false);
        SqlNodeList target = insert.getTargetColumnList();
        if (target == null || target.isEmpty()) {
            throw new SqlException(
                    Kind.BAD_STATEMENT,
                    "42601",
                    "INSERT INTO " + collection + " needs a column list, such as INSERT INTO " + collection
                            + " (_id, name) VALUES ('a1', 'Ada'): the collection declares no columns");
        }
        List<String> columns = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (SqlNode c : target) {
            String name = ((SqlIdentifier) c).getSimple();
            if (!seen.add(name)) {
                throw new SqlException(Kind.BAD_STATEMENT, "42701", "column \"" + name + "\" specified more than once");
            }
            refuseSystemColumn(name, "_version", "INSERT");
            refuseSystemColumn(name, "doc", "INSERT");
            columns.add(name);
        }
        Declared declared = declared(database, collection);
        declared.checkColumns(collection, columns);
        List<Object[]> rows = reader.rows(text(typed(insert.getSource(), params)), params);
        int idColumn = columns.indexOf("_id");
        String key = declared.primaryKey();
        int keyColumn = key == null ? -1 : columns.indexOf(key);
        List<DocumentWrite> writes = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            if (row.length != columns.size()) {
                throw new SqlException(
                        Kind.BAD_STATEMENT,
                        "42601",
                        "INSERT has " + row.length + " expressions for " + columns.size() + " target columns");
            }
            declared.checkNotNull(collection, columns, row, 0);
            String id = idColumn >= 0
                    ? id(row[idColumn])
                    : keyColumn >= 0
                            ? id(row[keyColumn])
                            : java.util.UUID.randomUUID().toString();
            if (idColumn >= 0 && keyColumn >= 0 && !id.equals(id(row[keyColumn]))) {
                throw new SqlException(
                        Kind.BAD_STATEMENT,
                        "22023",
                        "_id and the primary key " + key + " must be equal: the primary key's value is the _id");
            }
            ObjectNode doc = JsonNodeFactory.instance.objectNode();
            for (int i = 0; i < columns.size(); i++) {
                if (i != idColumn) {
                    doc.set(columns.get(i), json(row[i]));
                }
            }
            writes.add(DocumentWrite.put(id, DocumentJson.mapper().writeValueAsBytes(doc), DocumentWrite.ABSENT));
        }
        long written = 0;
        List<String> duplicates = new ArrayList<>();
        for (List<DocumentWrite> batch : batches(writes)) {
            for (WriteOutcome o : write(database, collection, batch, session)) {
                if (o.status() == WriteOutcome.Status.CREATED) {
                    written++;
                } else if (o.status() == WriteOutcome.Status.ALREADY_EXISTS) {
                    duplicates.add(o.id());
                } else {
                    throw failed(o, written);
                }
            }
        }
        if (!duplicates.isEmpty()) {
            throw new SqlException(
                    Kind.BAD_STATEMENT,
                    "23505",
                    "duplicate key value violates unique constraint \"" + collection + "_pkey\"",
                    "Key (" + (key == null ? "_id" : key) + ")=(" + duplicates.getFirst() + ") already exists."
                            + (duplicates.size() > 1 ? " So do " + (duplicates.size() - 1) + " more." : ""),
                    written + " other rows were written: a write is atomic per shard, not across shards");
        }
        return new SqlResult.Written("INSERT", written);
    }

    /**
     * What a declared schema says about a statement's columns: which exist, which may not be null
     * and which is the primary key. Without a schema, any column goes.
     */
    private record Declared(String primaryKey, List<CollectionSchema.Property> properties) {
        static Declared of(CollectionSchema schema) {
            return schema == null ? new Declared(null, null) : new Declared(schema.primaryKey(), schema.properties());
        }

        void checkColumns(String collection, List<String> columns) {
            if (properties == null) {
                return;
            }
            Set<String> known = new HashSet<>();
            properties.forEach(p -> known.add(p.name()));
            for (String c : columns) {
                if (!c.equals("_id") && !known.contains(c)) {
                    throw new SqlException(
                            Kind.BAD_STATEMENT,
                            "42703",
                            "column \"" + c + "\" of relation \"" + collection + "\" does not exist");
                }
            }
        }

        /** Refuses a row whose value for a required column is missing or null ({@code from}: where values start). */
        void checkNotNull(String collection, List<String> columns, Object[] row, int from) {
            if (properties == null) {
                return;
            }
            for (CollectionSchema.Property p : properties) {
                int at = columns.indexOf(p.name());
                boolean insert = from == 0;
                if (p.required() && ((at < 0 && insert) || (at >= 0 && row[from + at] == null))) {
                    throw new SqlException(
                            Kind.BAD_STATEMENT,
                            "23502",
                            "null value in column \"" + p.name() + "\" of relation \"" + collection
                                    + "\" violates not-null constraint");
                }
            }
        }
    }

    private Declared declared(String database, String collection) {
        return Declared.of(backend.catalog()
                .collection(database, collection)
                .map(CollectionInfo::declaredSchema)
                .orElse(null));
    }

    private static String id(Object value) {
        if (value == null) {
            throw new SqlException(
                    Kind.BAD_STATEMENT, "23502", "null value in column \"_id\" violates not-null constraint");
        }
        String id = value instanceof BigDecimal d ? d.toPlainString() : String.valueOf(value);
        if (id.isEmpty()) {
            throw new SqlException(Kind.BAD_STATEMENT, "22023", "an _id cannot be empty");
        }
        return id;
    }

    // ---- UPDATE

    /** @param params the statement's parameters, to type those in the new values by; null when not known yet */
    private static String updateRead(SqlUpdate update, String onlyIds, List<Object> params) {
        StringBuilder sql = new StringBuilder("SELECT \"_id\", \"_version\"");
        for (SqlNode e : update.getSourceExpressionList()) {
            // A parameter alone in the select list (SET a = ?) has no type but its value's.
            sql.append(", ").append(text(params == null ? e : typed(e, params)));
        }
        return from(sql, update.getTargetTable(), update.getAlias(), update.getCondition(), onlyIds);
    }

    private SqlResult.Written update(
            String database, SqlUpdate update, List<Object> params, SqlSession session, Reader reader)
            throws Exception {
        String collection = collection(database, (SqlIdentifier) update.getTargetTable());
        session.sight().write(database, collection, false);
        List<String> columns = new ArrayList<>();
        for (SqlNode c : update.getTargetColumnList()) {
            String name = ((SqlIdentifier) c).names.getLast();
            if (name.equals("_id")) {
                throw new SqlException(
                        Kind.UNSUPPORTED,
                        "0A000",
                        "the _id of a document cannot change: insert it under the new _id and delete the old one");
            }
            refuseSystemColumn(name, "_version", "UPDATE");
            refuseSystemColumn(name, "doc", "UPDATE");
            columns.add(name);
        }
        Declared declared = declared(database, collection);
        declared.checkColumns(collection, columns);
        if (declared.primaryKey() != null && columns.contains(declared.primaryKey())) {
            throw new SqlException(
                    Kind.UNSUPPORTED,
                    "0A000",
                    "the primary key " + declared.primaryKey() + " is the _id of a document, which cannot change:"
                            + " insert the row under the new key and delete the old one");
        }
        return rewrite("UPDATE", database, collection, session, ids -> {
            List<Object[]> rows = reader.rows(updateRead(update, ids, params), params);
            List<DocumentWrite> writes = new ArrayList<>(rows.size());
            for (Object[] row : rows) {
                declared.checkNotNull(collection, columns, row, 2);
                ObjectNode patch = JsonNodeFactory.instance.objectNode();
                for (int i = 0; i < columns.size(); i++) {
                    // In a merge patch null removes the field: read back, it is NULL either way.
                    patch.set(columns.get(i), json(row[2 + i]));
                }
                writes.add(DocumentWrite.patch(
                        (String) row[0],
                        DocumentJson.mapper().writeValueAsBytes(patch),
                        ((Number) row[1]).longValue()));
            }
            return writes;
        });
    }

    // ---- DELETE

    private static String deleteRead(SqlDelete delete, String onlyIds) {
        return from(
                new StringBuilder("SELECT \"_id\", \"_version\""),
                delete.getTargetTable(),
                delete.getAlias(),
                delete.getCondition(),
                onlyIds);
    }

    private SqlResult.Written delete(
            String database, SqlDelete delete, List<Object> params, SqlSession session, Reader reader)
            throws Exception {
        String collection = collection(database, (SqlIdentifier) delete.getTargetTable());
        session.sight().write(database, collection, true);
        return rewrite("DELETE", database, collection, session, ids -> {
            List<Object[]> rows = reader.rows(deleteRead(delete, ids), params);
            List<DocumentWrite> writes = new ArrayList<>(rows.size());
            for (Object[] row : rows) {
                writes.add(DocumentWrite.delete((String) row[0], ((Number) row[1]).longValue()));
            }
            return writes;
        });
    }

    // ---- reading and writing

    private interface Picker {
        /** The writes for the rows the statement picks, among {@code ids} only if not null (an SQL list). */
        List<DocumentWrite> pick(String ids) throws Exception;
    }

    /**
     * Writes what {@code picker} picks, each at the version read; the documents that changed in
     * between are picked again (and written if they still qualify), up to {@value #REREADS} times.
     */
    private SqlResult.Written rewrite(
            String command, String database, String collection, SqlSession session, Picker picker) throws Exception {
        List<DocumentWrite> writes = picker.pick(null);
        long written = 0;
        for (int round = 0; ; round++) {
            List<String> changed = new ArrayList<>();
            for (List<DocumentWrite> batch : batches(writes)) {
                for (WriteOutcome o : write(database, collection, batch, session)) {
                    switch (o.status()) {
                        case UPDATED, DELETED -> written++;
                        case VERSION_MISMATCH -> changed.add(o.id());
                        case NOT_FOUND -> {} // deleted in between: nothing left to change
                        default -> throw failed(o, written);
                    }
                }
            }
            if (changed.isEmpty()) {
                return new SqlResult.Written(command, written);
            }
            if (round == REREADS) {
                throw new SqlException(
                        Kind.BAD_STATEMENT,
                        "40001",
                        "could not serialize access due to concurrent update: " + changed.size()
                                + " documents kept changing while the statement wrote them; " + written
                                + " were written. Try the statement again");
            }
            writes = picker.pick(idList(changed));
        }
    }

    private List<WriteOutcome> write(String database, String collection, List<DocumentWrite> writes, SqlSession session)
            throws Exception {
        if (writes.isEmpty()) {
            return List.of();
        }
        long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(session.deadlineNanos() - System.nanoTime()));
        try {
            return backend.write(database, collection, writes)
                    .toCompletableFuture()
                    .get(millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new io.lumadb.shards.query.QueryTimeoutException(
                    "the statement's writes were not all acknowledged in time; some may have been written");
        } finally {
            // After the write: columns sampled before it might miss a field it added.
            wrote.accept(database, collection);
        }
    }

    private List<List<DocumentWrite>> batches(List<DocumentWrite> writes) {
        if (writes.size() > maxRows) {
            throw new SqlException(
                    Kind.TOO_LARGE,
                    "54000",
                    "the statement would write " + writes.size() + " rows, more than lumadb.sql.max-write-rows ("
                            + maxRows + "); split it (by ranges of _id, for example)");
        }
        List<List<DocumentWrite>> batches = new ArrayList<>();
        for (int i = 0; i < writes.size(); i += BATCH) {
            batches.add(writes.subList(i, Math.min(writes.size(), i + BATCH)));
        }
        return batches;
    }

    private static SqlException failed(WriteOutcome o, long written) {
        String after = " (" + written + " rows were written before; a write is atomic per shard, not across shards)";
        return switch (o.status()) {
            case TOO_LARGE ->
                new SqlException(
                        Kind.TOO_LARGE, "54000", "the document " + o.id() + " would exceed the size limit" + after);
            case SCHEMA_VIOLATION ->
                new SqlException(
                        Kind.BAD_STATEMENT,
                        "23514",
                        "the row " + o.id() + " does not match the table's schema at "
                                + (o.pointer() == null || o.pointer().isEmpty() ? "its root" : o.pointer()) + ": "
                                + o.problem() + after);
            case INVALID ->
                new SqlException(
                        Kind.BAD_STATEMENT,
                        "22023",
                        "the document " + o.id() + " cannot be written: " + o.problem() + after);
            default ->
                new SqlException(
                        Kind.BAD_STATEMENT,
                        "23514",
                        "the document " + o.id() + " was refused ("
                                + o.status().name().toLowerCase(Locale.ROOT)
                                + (o.problem() == null ? "" : ": " + o.problem()) + ")" + after);
        };
    }

    // ---- statement text

    private static String from(StringBuilder sql, SqlNode table, SqlIdentifier alias, SqlNode condition, String ids) {
        sql.append(" FROM ").append(text(table));
        if (alias != null) {
            sql.append(" AS ").append(text(alias));
        }
        String id = alias != null ? text(alias) + ".\"_id\"" : "\"_id\"";
        if (condition != null) {
            sql.append(" WHERE (").append(text(condition)).append(')');
            if (ids != null) {
                sql.append(" AND ").append(id).append(" IN ").append(ids);
            }
        } else if (ids != null) {
            sql.append(" WHERE ").append(id).append(" IN ").append(ids);
        }
        return sql.toString();
    }

    private static String idList(List<String> ids) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < ids.size(); i++) {
            b.append(i > 0 ? ", " : "")
                    .append('\'')
                    .append(ids.get(i).replace("'", "''"))
                    .append('\'');
        }
        return b.append(')').toString();
    }

    /**
     * {@code source} with each parameter cast to the SQL type of its value: in {@code VALUES (?)}
     * nothing else says what type a parameter has.
     */
    private static SqlNode typed(SqlNode source, List<Object> params) {
        return source.accept(new org.apache.calcite.sql.util.SqlShuttle() {
            @Override
            public SqlNode visit(org.apache.calcite.sql.SqlDynamicParam param) {
                Object value = param.getIndex() < params.size() ? params.get(param.getIndex()) : null;
                org.apache.calcite.sql.type.SqlTypeName type =
                        switch (value) {
                            case Integer i -> org.apache.calcite.sql.type.SqlTypeName.INTEGER;
                            case Long l -> org.apache.calcite.sql.type.SqlTypeName.BIGINT;
                            case Short x -> org.apache.calcite.sql.type.SqlTypeName.SMALLINT;
                            case Double d -> org.apache.calcite.sql.type.SqlTypeName.DOUBLE;
                            case Float f -> org.apache.calcite.sql.type.SqlTypeName.DOUBLE;
                            case BigDecimal d -> org.apache.calcite.sql.type.SqlTypeName.DECIMAL;
                            case Boolean b -> org.apache.calcite.sql.type.SqlTypeName.BOOLEAN;
                            case java.sql.Timestamp t -> org.apache.calcite.sql.type.SqlTypeName.TIMESTAMP;
                            case java.sql.Date d -> org.apache.calcite.sql.type.SqlTypeName.DATE;
                            case java.sql.Time t -> org.apache.calcite.sql.type.SqlTypeName.TIME;
                            case null, default -> org.apache.calcite.sql.type.SqlTypeName.VARCHAR;
                        };
                var pos = param.getParserPosition();
                return org.apache.calcite.sql.fun.SqlStdOperatorTable.CAST.createCall(
                        pos,
                        param,
                        new org.apache.calcite.sql.SqlDataTypeSpec(
                                new org.apache.calcite.sql.SqlBasicTypeNameSpec(type, pos), pos));
            }
        });
    }

    /** A parsed part of a statement as SQL text the planner reads back the same. */
    private static String text(SqlNode node) {
        return node.toSqlString(c -> c.withDialect(CalciteSqlDialect.DEFAULT).withQuoteAllIdentifiers(true))
                .getSql();
    }

    private String collection(String database, SqlIdentifier table) throws Exception {
        if (table.names.size() > 2
                || (table.names.size() == 2 && !table.names.getFirst().equals(database))) {
            throw new SqlException(
                    Kind.UNSUPPORTED,
                    "0A000",
                    "a statement writes a collection of its own database: " + table + " is not in " + database);
        }
        String name = table.names.getLast();
        var db = backend.catalog().database(database);
        if (db.isEmpty() || !db.get().collections().containsKey(name)) {
            var fresh = backend.refreshCatalog().toCompletableFuture().get(10, TimeUnit.SECONDS);
            if (fresh.database(database)
                    .map(d -> !d.collections().containsKey(name))
                    .orElse(true)) {
                throw new SqlException(Kind.BAD_STATEMENT, "42P01", "relation \"" + name + "\" does not exist");
            }
        }
        return name;
    }

    private static void refuseSystemColumn(String name, String system, String command) {
        if (name.equals(system)) {
            throw new SqlException(
                    Kind.BAD_STATEMENT,
                    "428C9",
                    "column \"" + system + "\" can only be updated to DEFAULT: LumaDB sets it on every write ("
                            + command + " the fields instead)");
        }
    }

    /** A value of a row as JSON: numbers, booleans and text as they are; dates and times as SQL writes them. */
    static com.fasterxml.jackson.databind.JsonNode json(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (v) {
            case null -> f.nullNode();
            case String s -> f.textNode(s);
            case Boolean b -> f.booleanNode(b);
            case Integer i -> f.numberNode(i);
            case Long l -> f.numberNode(l);
            case Short s -> f.numberNode(s);
            case Byte b -> f.numberNode(b);
            case Double d -> f.numberNode(d);
            case Float x -> f.numberNode((double) x);
            case BigDecimal d -> f.numberNode(d);
            case java.sql.Timestamp t ->
                f.textNode(TIMESTAMP_TEXT.format(
                        t.toInstant().atOffset(ZoneOffset.UTC).toLocalDateTime()));
            case java.sql.Date d -> f.textNode(d.toLocalDate().toString());
            case java.sql.Time t -> f.textNode(t.toLocalTime().toString());
            case byte[] bytes -> f.textNode(java.util.Base64.getEncoder().encodeToString(bytes));
            default -> f.textNode(v.toString());
        };
    }
}

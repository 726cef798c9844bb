package io.lumadb.sql.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.QueryTimeoutException;
import io.lumadb.shards.query.RowAccess;
import io.lumadb.sql.plan.LumaTableScan;
import io.lumadb.sql.plan.ScanSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.apache.calcite.DataContext;
import org.apache.calcite.adapter.java.AbstractQueryableTable;
import org.apache.calcite.linq4j.AbstractEnumerable;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Enumerator;
import org.apache.calcite.linq4j.Linq4j;
import org.apache.calcite.linq4j.QueryProvider;
import org.apache.calcite.linq4j.Queryable;
import org.apache.calcite.linq4j.tree.Types;
import org.apache.calcite.plan.RelOptTable;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.SchemaPlus;
import org.apache.calcite.schema.Statistic;
import org.apache.calcite.schema.Statistics;
import org.apache.calcite.schema.TranslatableTable;
import org.apache.calcite.util.ImmutableBitSet;

/**
 * A collection as a SQL table: {@code _id}, {@code _version}, {@code doc} (the stored document as
 * JSON text) and a column per top-level field ({@link ColumnInference}). The planner turns a scan
 * of it into a {@link LumaTableScan}; at run time {@link #scan} pages through the collection's
 * JQL query with the caller's row rules ANDed in and its hidden fields removed.
 */
public final class CollectionTable extends AbstractQueryableTable implements TranslatableTable {

    /** {@link #scan}, for generated code. */
    /** {@link #scalars}, for generated code. */
    public static final Method SCALARS = Types.lookupMethod(CollectionTable.class, "scalars", Enumerable.class);

    /**
     * The rows of a one-column scan as its values: Calcite's generated code holds one-column rows
     * as the value itself, not an array.
     */
    public static Enumerable<Object> scalars(Enumerable<Object[]> rows) {
        return rows.select(row -> row[0]);
    }

    public static final Method SCAN =
            Types.lookupMethod(CollectionTable.class, "scan", DataContext.class, String.class, Object[].class);

    /** Parsed scan specs by their text: a cached plan runs with the same text every time. */
    private static final java.util.concurrent.ConcurrentHashMap<String, ScanSpec> SPECS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final CollectionInfo info;
    private final SqlBackend backend;
    private final java.util.function.Supplier<ColumnInference.Inferred> columns;
    private ColumnInference.Inferred inferred;

    /**
     * @param columns the collection's columns, asked for only when a statement uses the table
     *     (Calcite looks at every table of a schema while preparing, the used ones closely)
     */
    CollectionTable(
            CollectionInfo info, SqlBackend backend, java.util.function.Supplier<ColumnInference.Inferred> columns) {
        super(Object[].class);
        this.info = info;
        this.backend = backend;
        this.columns = columns;
    }

    public List<Column> columns() {
        return inferred().columns();
    }

    private synchronized ColumnInference.Inferred inferred() {
        if (inferred == null) {
            inferred = columns.get();
        }
        return inferred;
    }

    @Override
    public RelDataType getRowType(RelDataTypeFactory types) {
        RelDataTypeFactory.Builder row = types.builder();
        for (Column c : columns()) {
            row.add(c.name(), c.type().relType(types, c.nullable()));
        }
        return row.build();
    }

    @Override
    public Statistic getStatistic() {
        // A sample smaller than asked for is the whole collection; otherwise the size is unknown.
        ColumnInference.Inferred sample = inferred();
        double rows = sample.sampled() < 1_000 ? Math.max(1, sample.sampled()) : sample.sampled() * 10.0;
        return Statistics.of(rows, List.of(ImmutableBitSet.of(0)));
    }

    @Override
    public RelNode toRel(RelOptTable.ToRelContext context, RelOptTable relOptTable) {
        return LumaTableScan.create(context.getCluster(), relOptTable, this);
    }

    @Override
    public <T> Queryable<T> asQueryable(QueryProvider queryProvider, SchemaPlus schema, String tableName) {
        throw new UnsupportedOperationException("collections are read through LumaTableScan, not as Queryable");
    }

    /**
     * The rows of a pushed scan ({@link ScanSpec} as JSON), with the statement's parameters. Called
     * by generated code; pages are fetched as the rows are consumed.
     */
    public Enumerable<Object[]> scan(DataContext root, String specJson, Object[] params) {
        ScanSpec spec = SPECS.computeIfAbsent(specJson, ScanSpec::fromJson);
        if (SPECS.size() > 4_096) {
            SPECS.clear(); // plans come and go; parsing a spec again is cheap
        }
        SqlSession session = SqlSession.current();
        RowAccess sight = session.sight().of(info.database(), info.name());
        JsonNode pushed = spec.filter(params);
        if (pushed != null && !sight.hiddenFields().isEmpty()) {
            refuseHidden(pushed, sight);
        }
        if (spec.count()) {
            return Linq4j.asEnumerable(
                    List.<Object[]>of(new Object[] {count(withRowFilter(pushed, sight.filterJson()), session)}));
        }
        return new AbstractEnumerable<>() {
            @Override
            public Enumerator<Object[]> enumerator() {
                return new Pages(spec, pushed, sight, session);
            }
        };
    }

    /** How many documents match {@code filter} (null: all), counted by the shards. */
    private long count(JsonNode filter, SqlSession session) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        if (filter != null) {
            body.set("filter", filter);
        }
        body.put("count", true);
        Queries.Result result = ask(body, session);
        session.page(info.name(), 0, result.explain());
        return result.count();
    }

    /** Runs a JQL request of the statement: within its time left, explained for EXPLAIN ANALYZE. */
    private Queries.Result ask(ObjectNode body, SqlSession session) {
        long millis = session.remainingMillis();
        body.put("timeoutMs", millis);
        if (session.analyze()) {
            body.put("explain", true);
        }
        return Waits.await(
                backend.query(info.database(), info.name(), body),
                millis + 1_000,
                () -> new QueryTimeoutException("the statement did not finish in time"));
    }

    private static void refuseHidden(JsonNode filter, RowAccess sight) {
        for (var field : filter.properties()) {
            String key = field.getKey();
            if (key.startsWith("$")) {
                field.getValue().forEach(f -> refuseHidden(f, sight));
            } else if (sight.hides(key)) {
                throw new HiddenColumnException(key);
            }
        }
    }

    /** A condition on a field the caller may not see: refused, as a JQL query naming it is. */
    public static final class HiddenColumnException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HiddenColumnException(String field) {
            super("the statement filters on '" + field + "', which your role may not read");
        }
    }

    /** The rows of one scan, a page of the JQL query at a time. */
    private final class Pages implements Enumerator<Object[]> {
        private final ScanSpec spec;
        private final JsonNode filter;
        private final RowAccess sight;
        private final SqlSession session;
        private final Deque<byte[]> page = new ArrayDeque<>();
        private String next;
        private boolean started;
        private long skip;
        private long left;
        private Object[] current;

        Pages(ScanSpec spec, JsonNode pushed, RowAccess sight, SqlSession session) {
            this.spec = spec;
            this.sight = sight;
            this.session = session;
            this.filter = withRowFilter(pushed, sight.filterJson());
            this.skip = spec.offset();
            this.left = spec.fetch() < 0 ? Long.MAX_VALUE : spec.fetch();
        }

        @Override
        public Object[] current() {
            return current;
        }

        @Override
        public boolean moveNext() {
            while (true) {
                if (left <= 0) {
                    return false;
                }
                if (page.isEmpty() && !fetch()) {
                    return false;
                }
                byte[] doc = page.poll();
                if (skip > 0) {
                    skip--;
                    continue;
                }
                current = row(doc);
                left--;
                return true;
            }
        }

        /** Fetches the next page; false once there is none. */
        private boolean fetch() {
            if (started && next == null) {
                return false;
            }
            started = true;
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            if (filter != null) {
                body.set("filter", filter);
            }
            JsonNode sort = spec.jqlSort();
            if (sort != null) {
                body.set("sort", sort);
            }
            JsonNode fields = spec.jqlFields();
            if (fields != null) {
                body.set("fields", fields);
            }
            long want = left == Long.MAX_VALUE ? Long.MAX_VALUE : left + skip;
            body.put("limit", (int) Math.min(want, backend.limits().maxLimit()));
            if (next != null) {
                body.put("after", next);
            }
            Queries.Result result = ask(body, session);
            page.addAll(result.documents());
            session.page(info.name(), result.documents().size(), result.explain());
            next = result.next();
            return !page.isEmpty();
        }

        private Object[] row(byte[] stored) {
            JsonNode doc;
            try {
                doc = sight.strip(DocumentJson.mapper().readTree(stored));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<Column> columns = spec.columns();
            Object[] row = new Object[columns.size()];
            for (int i = 0; i < row.length; i++) {
                Column c = columns.get(i);
                row[i] = switch (c.kind()) {
                    case DOC ->
                        sight.hiddenFields().isEmpty() ? new String(stored, StandardCharsets.UTF_8) : doc.toString();
                    default -> c.type().read(doc.get(c.name()));
                };
            }
            return row;
        }

        @Override
        public void reset() {
            throw new UnsupportedOperationException("a collection scan runs once");
        }

        @Override
        public void close() {
            page.clear();
            next = null;
            started = true;
        }
    }

    private static JsonNode withRowFilter(JsonNode pushed, JsonNode rowFilter) {
        if (rowFilter == null) {
            return pushed;
        }
        if (pushed == null) {
            return rowFilter;
        }
        ObjectNode and = JsonNodeFactory.instance.objectNode();
        ArrayNode all = and.putArray("$and");
        all.add(pushed).add(rowFilter);
        return and;
    }
}
